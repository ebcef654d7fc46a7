"""The same bytes get the same verdict from every door (issue 13, probe findings).

Door A checked the whole decoded file, door B's multipart upload sniffed its first 64 bytes (and let
a PDF declared as text through as a PDF), Save Document sniffed the first 64 bytes of the object
(so a text file with a bad byte at 100 was saved, and one whose 64th byte fell inside a character
was refused), and the patient page's register step had rules of its own. Now one function
(``rules/content_types.content_verdict``) decides with the bytes the format needs, and each file
below is sent through every door that takes its declared type.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.integration import page_helpers
from tests.integration.probe_helpers import PATIENT, save_body, upload_unsigned_reply
from tests.utils import STAFF_12, b64, call, pdf_bytes, png_bytes

HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 40
# 63 ASCII bytes then "é" (two bytes): a 64-byte prefix ends inside the character.
TEXT_SPLIT_AT_64 = b"n" * 63 + "é".encode() + b" the rest of the notes\n"
FILES: dict[str, tuple[str, bytes, bool]] = {
    # name: (declared type, bytes, accepted)
    "a PDF": ("application/pdf", pdf_bytes(), True),
    "a PNG": ("image/png", png_bytes(), True),
    "a HEIC declared as HEIF": ("image/heif", HEIC, True),
    "UTF-8 text with a character across byte 64": ("text/plain", TEXT_SPLIT_AT_64, True),
    "a PNG declared as JPEG": ("image/jpeg", png_bytes(), False),
    "a PDF declared as text": ("text/plain", pdf_bytes(), False),
    "text with a byte that is not UTF-8 after the first 64": (
        "text/plain",
        b"a" * 100 + b"\xff\xfe" + b"b" * 10,
        False,
    ),
    "text with a NUL after the first 64": ("text/plain", b"a" * 200 + b"\x00" + b"b" * 10, False),
    "a JPEG that is only its first bytes": ("image/jpeg", b"\xff\xd8\xff", True),
}
PHOTO_TYPES = {"image/png", "image/jpeg", "image/heif", "image/heic", "image/webp"}


def _door_a(api: Any, aws: Any, declared: str, data: bytes) -> bool:
    body = {"doc": {"document_name": "f.bin", "data": b64(data), "mime_type": declared, "record_type": "Test Result"}}
    reply = call(api, "POST", f"/api/v2/patients/{PATIENT}/documents", body, STAFF_12)
    assert reply.status in (201, 400), reply.body
    if reply.status == 400:
        assert reply.json["error"]["field"] == "doc.mime_type", reply.body
    return reply.status == 201


def _door_b_multipart(api: Any, aws: Any, declared: str, data: bytes) -> bool:
    reply = upload_unsigned_reply(api, aws, "f.bin", data, declared)
    assert reply.status in (200, 400), reply.body
    if reply.status == 400:
        assert reply.json["message"].startswith("file:"), reply.body
    return reply.status == 200


def _door_b_presigned_then_saved(api: Any, aws: Any, declared: str, data: bytes) -> bool:
    presign = {"patient_id": PATIENT, "file_name": "f.bin", "content_type": declared, "size_bytes": len(data)}
    form = call(api, "POST", "/apis/v1/file/upload/presigned", presign, STAFF_12)
    assert form.status == 200, form.body
    fields = form.json["data"]["fields"]
    posted = requests.post(form.json["data"]["url"], data=fields, files={"file": ("f.bin", data, declared)}, timeout=30)
    assert posted.status_code in (200, 204), posted.text
    reply = call(api, "POST", "/apis/v1/patient-document", save_body(aws, form.json["data"]["file_url"]), STAFF_12)
    assert reply.status in (200, 400), reply.body
    if reply.status == 400:
        assert reply.json["message"].startswith("document_url:"), reply.body
    return reply.status == 200


def _patient_page(api: Any, aws: Any, declared: str, data: bytes) -> bool:
    request = page_helpers.create_request(api)
    link = request["short_link_id"]
    page_helpers.upload(api, link, page_helpers.session_for(api, link), data, "photo.bin", declared)
    page_helpers.register(page_helpers.queued_events(aws))
    answered = call(api, "GET", f"/v1/file-requests/{request['id']}", caller=STAFF_12)
    return len(answered.json["files"]) == 1


DOORS = {
    "door A inline": _door_a,
    "door B multipart": _door_b_multipart,
    "door B presigned POST then Save Document": _door_b_presigned_then_saved,
    "the patient page": _patient_page,
}


@pytest.mark.parametrize("file", sorted(FILES))
def test_a_file_gets_the_same_verdict_from_every_door_that_takes_its_type(api, aws, file):
    declared, data, accepted = FILES[file]
    verdicts = {}
    for door, send in DOORS.items():
        if door == "the patient page" and declared not in PHOTO_TYPES:
            continue  # the page asks for photos only: it refuses other types before any byte is sent
        # When the file is sent through the door, declared as it is
        verdicts[door] = send(api, aws, declared, data)
    # Then every door gives the same verdict, and the one expected
    assert verdicts == dict.fromkeys(verdicts, accepted)
