"""Door B through the real handlers against moto: upload (both ways), save, list, update, refusals."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
import requests

from tests.integration.idempotency_helpers import items_of, records, stored
from tests.shape import shape_problems
from tests.utils import STAFF_12, STAFF_13, call, pdf_bytes, png_bytes, seed_example

PATIENT = 1172416
BUCKET = "local-documentsbucket"
SEED_NULLABLE = frozenset(
    {
        "thumbnail_url",
        "spry_case_id",
        "case_title",
        "document_expiration_date",
        "receipt_date",
        "signature_status",
        "signed_by",
        "signed_at",
        "notes",
        "document_type",
    }
)


def multipart(fields: dict[str, str], file_bytes: bytes, file_name: str, content_type: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + file_bytes
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload_unsigned(api, data=None, caller=STAFF_12, **fields):
    form = {"bucket_name": BUCKET, "file_path": f"patients/{PATIENT}/documents", "file_name": "insurance-card.pdf"}
    form.update(fields)
    body, content_type = multipart(form, pdf_bytes() if data is None else data, "insurance-card.pdf", "application/pdf")
    return call(api, "POST", "/apis/v1/file/upload/unsigned", None, caller, {"content-type": content_type}, raw=body)


def presign(api, caller=STAFF_12, **overrides):
    body = {"patient_id": PATIENT, "file_name": "card.png", "content_type": "image/png", "size_bytes": len(png_bytes())}
    body.update(overrides)
    return call(api, "POST", "/apis/v1/file/upload/presigned", body, caller)


def save_body(file_url: str, **overrides):
    body = seed_example("patient_document_save_request")
    body.update(document_url=file_url, bucket_name=BUCKET)
    body.update(overrides)
    return body


def save(api, file_url, caller=STAFF_12, **overrides):
    return call(api, "POST", "/apis/v1/patient-document", save_body(file_url, **overrides), caller)


# ------------------------------------------------------------------ the seed, end to end
def test_seed_save_document_replayed_matches_the_seed_response_field_by_field(api, aws):
    # Given a file uploaded with Upload File
    uploaded = upload_unsigned(api)
    assert uploaded.status == 200, uploaded.body
    assert uploaded.json["code"] == 2000 and uploaded.json["message"] == "Success"
    file_url = uploaded.json["data"]["file_url"]
    # When the seed's Save Document request is sent with that URL
    reply = save(api, file_url)
    # Then the response matches the seed's example, field by field
    assert reply.status == 200, reply.body
    success = seed_example("patient_document_save_response")
    assert shape_problems(reply.json, success, SEED_NULLABLE) == []
    data = reply.json["data"]
    assert data["patient_id"] == PATIENT
    assert data["document_category"] == "INSURANCE_CARD"
    assert data["receipt_date"] == "2026-04-01T09:00:00"
    assert data["original_file_name"] == "insurance-card.pdf"
    assert data["uploaded_by"] == 8821
    assert data["document_url"] == data["unsigned_document_url"] == file_url
    assert data["bucket_name"] == BUCKET
    assert len(data["created_at"]) == 19  # 2026-04-01T12:00:00, as the vendor writes it


def test_error_envelope_matches_the_seed(api, aws):
    reply = save(api, "https://storage.googleapis.com/us-phy-uploads/patients/1/documents/x.pdf")
    error = seed_example("patient_document_save_error")
    assert reply.status == 400
    assert shape_problems(reply.json, error) == [] and reply.json["data"] is None
    assert reply.json["code"] == 4000


def test_presigned_post_pins_key_type_and_size_and_uploads_straight_to_storage(api, aws):
    # When a presigned POST is asked for a PNG of the patient
    reply = presign(api)
    assert reply.status == 200, reply.body
    data = reply.json["data"]
    # Then its policy pins the key (in the patient's area, without the file name), the type and the exact size
    policy = json.loads(base64.b64decode(data["fields"]["policy"]))
    conditions = policy["conditions"]
    key = data["fields"]["key"]
    assert {"key": key} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", len(png_bytes()), len(png_bytes())] in conditions
    assert key.startswith(f"accounts/12/patients/{PATIENT}/documents/") and "card" not in key
    # The bytes go straight to storage, then Save Document points at them.
    files = {"file": ("card.png", png_bytes(), "image/png")}
    posted = requests.post(data["url"], data=data["fields"], files=files, timeout=10)
    assert posted.status_code in (200, 204), posted.text
    saved = save(api, data["file_url"], name="Card photo", document_category="INSURANCE_CARD")
    assert saved.status == 200, saved.body
    assert saved.json["data"]["original_file_name"] == "card.png"


def test_list_filters_pages_and_sorts(api, aws):
    # Given seven documents of the patient, each on its own uploaded file (one object, one record): the
    # categories listed, every other one signed, in two cases
    categories = ["INSURANCE_CARD", "OTHER", "INSURANCE_CARD", "MEDICAL_HISTORY", "INSURANCE_CARD", "OTHER", "OTHER"]
    ids = []
    for index, category in enumerate(categories):
        file_url = upload_unsigned(api).json["data"]["file_url"]
        signed = {"signature_status": "COMPLETED"} if index % 2 else {}
        reply = save(
            api, file_url, name=f"Doc {index}", document_category=category, spry_case_id=f"CASE_{index % 2}", **signed
        )
        ids.append(reply.json["data"]["id"])
    base = f"/apis/v1/patient-document/{PATIENT}"

    # When the list is read without filters, then it comes in pages of five, newest first
    page1 = call(api, "GET", base, caller=STAFF_12).json["data"]
    assert page1["size"] == 5 and page1["page"] == 1 and page1["total"] == 7 and page1["total_pages"] == 2
    assert [d["id"] for d in page1["documents"]] == list(reversed(ids))[:5]
    page2 = call(api, "GET", base + "?page=2", caller=STAFF_12).json["data"]
    assert [d["id"] for d in page2["documents"]] == list(reversed(ids))[5:]

    # Then each filter, the name search, the sort and the date window narrow or order it as the vendor's API does
    cards = call(api, "GET", base + "?document_category=INSURANCE_CARD&size=10", caller=STAFF_12).json["data"]
    assert cards["total"] == 3
    both = call(
        api, "GET", base + "?document_category=INSURANCE_CARD&document_category=MEDICAL_HISTORY", caller=STAFF_12
    )
    assert both.json["data"]["total"] == 4
    signed = call(api, "GET", base + "?signed=true&size=10", caller=STAFF_12).json["data"]
    assert {d["signature_status"] for d in signed["documents"]} == {"COMPLETED"} and signed["total"] == 3
    case = call(api, "GET", base + "?case_title=CASE_0&size=10", caller=STAFF_12).json["data"]
    assert case["total"] == 4
    named = call(api, "GET", base + "?document_name=doc%203", caller=STAFF_12).json["data"]
    assert [d["name"] for d in named["documents"]] == ["Doc 3"]
    ascending = call(api, "GET", base + "?sort=asc&sort_by=name&size=3", caller=STAFF_12).json["data"]
    assert [d["name"] for d in ascending["documents"]] == ["Doc 0", "Doc 1", "Doc 2"]
    typed = call(api, "GET", base + "?document_type=Insurance%20Card", caller=STAFF_12).json["data"]
    assert typed["total"] == 7
    window = call(api, "GET", base + "?start=2000-01-01&end=2000-12-31", caller=STAFF_12).json["data"]
    assert window["total"] == 0
    # And staff of another account see none of them
    assert call(api, "GET", base, caller=STAFF_13).json["data"]["total"] == 0


def test_partial_update_keeps_omitted_fields_and_clears_nulls(api, aws):
    # Given a saved document
    file_url = upload_unsigned(api).json["data"]["file_url"]
    created = save(api, file_url).json["data"]
    path = f"/apis/v1/patient-document/{created['id']}"
    # When some fields are sent, one of them null
    reply = call(api, "POST", path, {"notes": None, "signature_status": "COSIGN", "signed_by": "Dr Who"}, STAFF_12)
    assert reply.status == 200, reply.body
    data = reply.json["data"]
    # Then those change, the null clears, and the fields not sent keep their values
    assert data["notes"] is None and data["signature_status"] == "COSIGN" and data["signed_by"] == "Dr Who"
    assert data["name"] == created["name"] and data["document_category"] == "INSURANCE_CARD"
    assert data["receipt_date"] == created["receipt_date"]
    assert data["updated_at"] >= created["updated_at"]
    # And nobody outside the document's reach can update it
    assert call(api, "POST", path, {"notes": "x"}, STAFF_13).status == 404
    other_patient = {"role": "patient", "account": "12", "patient": 5}
    assert call(api, "POST", path, {"notes": "x"}, other_patient).status == 404


def test_staff_of_another_account_cannot_save_against_this_accounts_upload(api, aws):
    # Given a file uploaded by staff of account 12
    file_url = upload_unsigned(api).json["data"]["file_url"]
    # When staff of account 13 save a document pointing at account 12's upload
    reply = save(api, file_url, caller=STAFF_13)
    # Then it is refused naming document_url, and nothing is written
    assert reply.status == 400 and "document_url" in reply.json["message"]
    assert len(aws.all_items()) == 0


# ------------------------------------------------------------------ refusals: named field, nothing written
def _upload_url(api, aws):
    url = upload_unsigned(api).json["data"]["file_url"]
    return url, aws.all_objects()


SAVE_BAD = [
    ("another bucket", {"bucket_name": "us-phy-uploads"}, "bucket_name"),
    (
        "random URL",
        {"document_url": "https://storage.googleapis.com/x/patients/1172416/documents/a.pdf"},
        "document_url",
    ),
    ("non-https URL", {"document_url": "http://local-documentsbucket.s3.us-east-1.amazonaws.com/a"}, "document_url"),
    ("private address", {"document_url": "https://10.0.0.8/local-documentsbucket/a.pdf"}, "document_url"),
    ("link-local address", {"document_url": "https://169.254.169.254/latest/meta-data"}, "document_url"),
    ("object that does not exist", {"document_url": "MISSING"}, "document_url"),
    ("another patient's object", {"patient_id": 42}, "document_url"),
    ("document_category outside the list", {"document_category": "PHOTOS"}, "document_category"),
    ("signature_status outside the list", {"signature_status": "SIGNED"}, "signature_status"),
    ("empty name", {"name": ""}, "name"),
    ("malformed datetime", {"receipt_date": "01/04/2026"}, "receipt_date"),
    ("non-integer patient id", {"patient_id": "1172416"}, "patient_id"),
    ("server-owned id", {"id": 5}, "id"),
    ("server-owned uploaded_by", {"uploaded_by": 1}, "uploaded_by"),
    ("server-owned created_at", {"created_at": "2026-01-01T00:00:00"}, "created_at"),
    ("thumbnail over http", {"thumbnail_url": "http://example.com/t.png"}, "thumbnail_url"),
]


@pytest.mark.parametrize(("case", "overrides", "field"), SAVE_BAD, ids=[c[0] for c in SAVE_BAD])
def test_save_refuses_bad_input_naming_the_field_and_writes_nothing(api, aws, case, overrides, field):
    # Given an uploaded file (for the missing object, a URL beside it that names nothing)
    file_url, objects_before = _upload_url(api, aws)
    if overrides.get("document_url") == "MISSING":
        overrides = {"document_url": file_url.rsplit("/", 1)[0] + "/" + "0" * 32 + ".pdf"}
    # When Save Document is sent with one bad input
    reply = save(api, file_url, **overrides)
    # Then it is a 400 in the vendor's envelope naming the field, and nothing is written
    assert reply.status == 400, reply.body
    assert reply.json["code"] == 4000 and reply.json["data"] is None
    assert field in reply.json["message"]
    assert aws.all_items() == [] and aws.all_objects() == objects_before


UPLOAD_BAD = [
    ("another bucket", {"bucket_name": "us-phy-uploads"}, None, 400, "bucket_name"),
    ("path outside the convention", {"file_path": "../../other"}, None, 400, "file_path"),
    ("file name with a path", {"file_name": "a/b.pdf"}, None, 400, "file_name"),
    ("bytes that are no accepted type", {}, b"MZ\x90\x00binary", 400, "file"),
    ("empty file", {}, b"", 400, "file"),
]


@pytest.mark.parametrize(("case", "fields", "data", "status", "field"), UPLOAD_BAD, ids=[c[0] for c in UPLOAD_BAD])
def test_unsigned_upload_refuses_bad_input_and_writes_nothing(api, aws, case, fields, data, status, field):
    reply = upload_unsigned(api, data=data, **fields)
    assert reply.status == status, reply.body
    assert field in reply.json["message"] and reply.json["data"] is None
    assert aws.all_objects() == [] and aws.all_items() == []


def test_unsigned_upload_for_another_patient_token_is_404(api, aws):
    reply = upload_unsigned(api, caller={"role": "patient", "account": "12", "patient": 7})
    assert reply.status == 404 and reply.json["code"] == 4040
    assert aws.all_objects() == []


def test_unsigned_upload_over_the_inline_bound_is_413(api, aws, monkeypatch):
    from patient_docs.settings import get_settings

    # Given an inline bound of 100 bytes
    monkeypatch.setenv("INLINE_MAX_BYTES", "100")
    get_settings.cache_clear()
    # When a larger file is uploaded
    reply = upload_unsigned(api, data=pdf_bytes() + b"0" * 200)
    get_settings.cache_clear()
    # Then it is a 413 and nothing is stored
    assert reply.status == 413 and reply.json["code"] == 4130
    assert aws.all_objects() == []


PRESIGN_BAD = [
    ("type outside the allowlist", {"content_type": "text/html"}, 400, "content_type"),
    ("size above the maximum", {"size_bytes": 10**12}, 413, "size_bytes"),
    ("zero size", {"size_bytes": 0}, 400, "size_bytes"),
    ("name with a path", {"file_name": "..\\x.png"}, 400, "file_name"),
    ("non-integer patient id", {"patient_id": 1.5}, 400, "patient_id"),
]


@pytest.mark.parametrize(("case", "overrides", "status", "field"), PRESIGN_BAD, ids=[c[0] for c in PRESIGN_BAD])
def test_presign_refuses_bad_input(api, aws, case, overrides, status, field):
    reply = presign(api, **overrides)
    assert reply.status == status, reply.body
    assert field in reply.json["message"]
    assert aws.all_objects() == [] and aws.all_items() == []


def test_list_refuses_bad_paging_and_filters(api, aws):
    base = f"/apis/v1/patient-document/{PATIENT}"
    for query, field in [
        ("?size=0", "size"),
        ("?page=0", "page"),
        ("?sort=up", "sort"),
        ("?start=yesterday", "start"),
        ("?document_category=NOPE", "document_category"),
        ("?sort_by=password", "sort_by"),
    ]:
        reply = call(api, "GET", base + query, caller=STAFF_12)
        assert reply.status == 400, (query, reply.body)
        assert field in reply.json["message"]


def test_update_refuses_fixed_and_server_owned_fields(api, aws):
    # Given a saved document
    file_url = upload_unsigned(api).json["data"]["file_url"]
    created = save(api, file_url).json["data"]
    path = f"/apis/v1/patient-document/{created['id']}"
    # When an update names a fixed, server-owned or invalid field, then each is refused naming it
    for body, field in [
        ({"patient_id": 1}, "patient_id"),
        ({"id": 1}, "id"),
        ({"name": None}, "name"),
        ({"document_category": "X"}, "document_category"),
    ]:
        reply = call(api, "POST", path, body, STAFF_12)
        assert reply.status == 400, (body, reply.body)
        assert field in reply.json["message"]
    # And the document was not touched
    after = call(api, "GET", f"/apis/v1/patient-document/{PATIENT}", caller=STAFF_12).json["data"]["documents"][0]
    assert after["updated_at"] == created["updated_at"]


# ------------------------------------------------------------------ Idempotency-Key
def save_with_key(api, file_url, key, caller=STAFF_12, **overrides):
    headers = {"idempotency-key": key}
    return call(api, "POST", "/apis/v1/patient-document", save_body(file_url, **overrides), caller, headers)


def test_a_retry_with_the_same_key_returns_the_first_answer_instead_of_a_409(api, aws, announced):
    # Given an uploaded file saved with an Idempotency-Key
    file_url = upload_unsigned(api).json["data"]["file_url"]
    first = save_with_key(api, file_url, "save-7f3a")
    assert first.status == 200, first.body
    after_first = stored(aws)
    # When the Save is sent again with the same key and body
    retry = save_with_key(api, file_url, "save-7f3a")
    # Then the retry answers the first: same status, same envelope
    assert retry.status == 200 and retry.json == first.json
    # And nothing more is stored: no item, no audit event, no webhook announcement
    assert stored(aws) == after_first
    assert len(items_of(aws, "document")) == 1 and len(records(aws, "save_document")) == 1
    assert [event["type"] for event in announced] == ["document.created"]
    # And without the key, a second record of the same file is still refused (one object, one record)
    again = save(api, file_url)
    assert again.status == 409 and again.json["code"] == 4090 and "document_url" in again.json["message"]


def test_the_same_key_with_another_body_is_422_in_door_b_format_and_stores_nothing(api, aws, announced):
    # Given a Save with key save-7f3a
    file_url = upload_unsigned(api).json["data"]["file_url"]
    save_with_key(api, file_url, "save-7f3a")
    before = stored(aws)
    # When the key comes back with another body
    reply = save_with_key(api, file_url, "save-7f3a", name="Another name")
    # Then 422 in door B's envelope, naming the header, and nothing is stored
    assert reply.status == 422, reply.body
    assert reply.json["code"] == 4220 and reply.json["data"] is None
    assert reply.json["message"].startswith("Idempotency-Key: was already used with a different request body")
    assert stored(aws) == before and len(announced) == 1


def test_a_retry_returns_the_first_thumbnail_url_and_records_no_second_read(api, aws):
    from tests.integration import probe_helpers
    from tests.integration.test_audit_trail import actions
    from tests.scanning import scan_all

    # Given an image uploaded, scanned clean and processed before it is saved with a key
    file_url = probe_helpers.upload_unsigned(api, aws, "rash.png")["file_url"]
    scan_all(aws)
    first = save_with_key(api, file_url, "thumb-1", name="Rash")
    assert first.status == 200, first.body
    thumbnail_url = first.json["data"]["thumbnail_url"]
    assert isinstance(thumbnail_url, str) and "X-Amz-Expires=" in thumbnail_url
    downloads = actions(aws).count("document.downloaded")
    # When it is retried, Then the first answer, its thumbnail URL included, and no second read is recorded
    retry = save_with_key(api, file_url, "thumb-1", name="Rash")
    assert retry.json == first.json
    assert actions(aws).count("document.downloaded") == downloads == 1


def test_an_invalid_key_is_400_in_door_b_format_and_stores_nothing(api, aws):
    file_url = upload_unsigned(api).json["data"]["file_url"]
    before = stored(aws)
    reply = save_with_key(api, file_url, "x" * 256)
    assert reply.status == 400 and reply.json["message"].startswith("Idempotency-Key:")
    assert stored(aws) == before


def test_a_refused_save_with_a_key_leaves_no_record(api, aws):
    # Given a Save refused after its key was claimed (no file at the URL)
    file_url = upload_unsigned(api).json["data"]["file_url"]
    missing = file_url.rsplit("/", 1)[0] + "/000000000000000000000000.pdf"
    before = stored(aws)
    reply = save_with_key(api, missing, "refused-1")
    assert reply.status == 400 and reply.json["message"].startswith("document_url:")
    # Then nothing is stored, not even the claim
    assert stored(aws) == before
