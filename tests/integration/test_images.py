"""Clean images from every door: a HEIC with GPS and a rotated JPEG become upright JPEGs without metadata,
with thumbnails and previews; the originals are never served; broken images and bombs are refused.

Through the real handlers and moto: files are stored through door A and the patient page, the local
scanner stand-in scans them (``tests.scanning.scan_all``), and its result events reach both the
ScanResultRecordFunction and the ImageProcessFunction by the template's EventBridge rules.
"""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
import requests
from PIL import Image

from local.scanner import scan_object
from patient_docs.adapters import documents_table
from patient_docs.rules.images import SUPERSEDED_TAG
from patient_docs.rules.scanning import SCAN_TAG
from tests import scanning
from tests.images import BLUE, RED, corrupt_jpeg, gps_heic, metadata_of, png_bomb, rotated_jpeg, top_and_bottom
from tests.integration import page_helpers
from tests.integration.probe_helpers import PATIENT
from tests.integration.test_file_safety import audit_actions, exists
from tests.utils import STAFF_12, b64, call

DOCS = f"/api/v2/patients/{PATIENT}/documents"


def create(api: Any, data: bytes, mime_type: str, name: str) -> dict[str, Any]:
    body = {"doc": {"document_name": name, "data": b64(data), "mime_type": mime_type, "record_type": "Patient Record"}}
    reply = call(api, "POST", DOCS, body, STAFF_12)
    assert reply.status == 201, reply.body
    return dict(reply.json["doc"])


def get_doc(api: Any, doc_id: int) -> Any:
    return call(api, "GET", f"{DOCS}/{doc_id}", caller=STAFF_12)


def fetch(url: str) -> bytes:
    reply = requests.get(url, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.content


def tags(aws: Any, key: str) -> dict[str, str]:
    found = aws.client("s3").get_object_tagging(Bucket=aws.bucket, Key=key)["TagSet"]
    return {tag["Key"]: tag["Value"] for tag in found}


def near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel, colour, strict=False))


def assert_clean_upright_jpeg(data: bytes, size: tuple[int, int]) -> None:
    assert data.startswith(b"\xff\xd8") and metadata_of(data) == {}
    assert b"Exif" not in data and b"xmpmeta" not in data
    assert Image.open(io.BytesIO(data)).size == size


def test_a_heic_with_gps_and_a_rotated_jpeg_from_the_patient_page_are_served_clean_with_thumbnails(api, aws):
    # Given a patient who answers a request with an iPhone HEIC (GPS in its EXIF) and a sideways JPEG
    request = page_helpers.create_request(api)
    link = request["short_link_id"]
    session = page_helpers.session_for(api, link)
    heic_key = page_helpers.upload(api, link, session, gps_heic(), "IMG_0001.HEIC", "image/heic")
    jpeg_key = page_helpers.upload(api, link, session, rotated_jpeg(64, 32), "IMG_0002.JPG", "image/jpeg")
    assert page_helpers.register(page_helpers.queued_events(aws)) == {"batchItemFailures": []}

    # When the scanner finds them clean (which starts the image processor) and staff open the request
    scanning.scan_all(aws)
    files = call(api, "GET", f"/v1/file-requests/{request['id']}", caller=STAFF_12).json["files"]

    # Then both download as JPEGs without EXIF, GPS or XMP, the sideways one upright
    by_name = {file["original_name"]: file for file in files}
    assert set(by_name) == {"IMG_0001.jpg", "IMG_0002.JPG"}, files
    for file in files:
        assert file["mime_type"] == "image/jpeg" and file["scan_status"] == "clean"
    clean_heic = fetch(by_name["IMG_0001.jpg"]["download_url"])
    assert_clean_upright_jpeg(clean_heic, (96, 64))
    upright = fetch(by_name["IMG_0002.JPG"]["download_url"])
    assert_clean_upright_jpeg(upright, (32, 64))
    # (each file's size is that of the bytes its URL serves, the clean copy's, as its type and name are)
    assert by_name["IMG_0001.jpg"]["size"] == len(clean_heic) != len(gps_heic())
    assert by_name["IMG_0002.JPG"]["size"] == len(upright)
    top, bottom, _ = top_and_bottom(upright)
    assert near(top, RED) and near(bottom, BLUE)
    # And each has a thumbnail and a preview, reachable, within their bounds
    for file in files:
        thumbnail = Image.open(io.BytesIO(fetch(file["thumbnail_url"])))
        preview = Image.open(io.BytesIO(fetch(file["preview_url"])))
        assert thumbnail.format == preview.format == "JPEG"
        assert max(thumbnail.size) <= 256 and max(preview.size) <= 1600
    # And door A shows the same photo as a JPEG document, with the same URLs
    photo = documents_table.get_document(by_name["IMG_0001.jpg"]["document_id"])
    assert photo is not None
    doc = call(api, "GET", f"/api/v2/patients/{photo.patient_id}/documents/{photo.id}", caller=STAFF_12)
    assert doc.status == 200, doc.body
    assert doc.json["doc"]["mime_type"] == "image/jpeg" and doc.json["doc"]["extension"] == "jpg"
    assert doc.json["doc"]["thumbnail_url"] and doc.json["doc"]["preview_url"]
    # And the originals are marked for the lifecycle rule; the renditions carry the scanner's verdict
    for key in (heic_key, jpeg_key):
        assert tags(aws, key) == {SCAN_TAG: "NO_THREATS_FOUND", SUPERSEDED_TAG: "superseded"}
        assert tags(aws, f"derived/{key}/clean.jpg") == {SCAN_TAG: "NO_THREATS_FOUND"}


def test_door_a_serves_an_image_only_once_it_is_scanned_and_clean_and_its_delete_removes_the_renditions(api, aws):
    # Given a sideways JPEG posted inline
    created = create(api, rotated_jpeg(2400, 1200), "image/jpeg", "wound.jpg")
    # When it is asked for before its scan, then it is not served
    assert get_doc(api, created["id"]).json["error"]["code"] == "scan_pending"
    # When it has been scanned (and so processed)
    scanning.scan_all(aws)
    reply = get_doc(api, created["id"])
    # Then it is served upright and clean, with a preview of at most 1600 px and a thumbnail of 256
    assert reply.status == 200, reply.body
    doc = reply.json["doc"]
    assert_clean_upright_jpeg(fetch(doc["download_url"]), (1200, 2400))
    assert Image.open(io.BytesIO(fetch(doc["preview_url"]))).size == (800, 1600)
    assert Image.open(io.BytesIO(fetch(doc["thumbnail_url"]))).size == (128, 256)
    actions = audit_actions(aws, created["id"])
    assert sorted(actions[1:3]) == ["file.image_processed", "file.scanned"], actions  # either may come first
    assert actions[0] == "document.created" and actions[3:] == ["document.downloaded"]
    # When it is deleted, then its original and its renditions are gone
    stored = documents_table.get_document(created["id"])
    assert stored is not None and stored.image is not None
    assert call(api, "DELETE", f"{DOCS}/{created['id']}", caller=STAFF_12).status == 204
    keys = [stored.object_key, stored.image.clean_key, stored.image.thumbnail_key, stored.image.preview_key]
    assert not any(exists(aws, str(key)) for key in keys)


def test_a_result_delivered_twice_processes_the_image_once(api, aws):
    # Given an image processed after its scan
    created = create(api, rotated_jpeg(), "image/jpeg", "a.jpg")
    (key,) = scanning.scan_all(aws)
    items = aws.all_items()
    # When the same verdict is delivered again
    deliveries = scanning.deliver(scanning.result_event(aws, key))
    # Then the processor changes nothing
    outcomes = {d.function: d.result["outcome"] for d in deliveries}
    assert outcomes["ImageProcessFunction"] == "unchanged", outcomes
    assert aws.all_items() == items
    assert audit_actions(aws, created["id"]).count("file.image_processed") == 1


@pytest.mark.parametrize(("data", "mime_type"), [(corrupt_jpeg(), "image/jpeg"), (png_bomb(), "image/png")])
def test_corrupt_images_and_decompression_bombs_are_quarantined_and_never_served(api, aws, data, mime_type):
    # Given an image whose bytes start like one but cannot be decoded (or claim 1.6 billion pixels)
    created = create(api, data, mime_type, "broken")
    key = documents_table.get_document(created["id"]).object_key  # type: ignore[union-attr]
    # When it is scanned clean and processed, then the processor does not fail (scan_all checks)
    scanning.scan_all(aws)
    # And the image is refused: moved to quarantine, recorded, and never served
    assert not exists(aws, key) and exists(aws, f"quarantine/{key}")
    reply = get_doc(api, created["id"])
    assert reply.status == 409 and reply.json["error"]["code"] == "image_withheld", reply.body
    assert "file.quarantined" in audit_actions(aws, created["id"])


def test_an_image_whose_renditions_are_not_made_yet_is_not_served(api, aws, monkeypatch):
    # Given an image scanned clean whose processing has not finished (it fails every time here)
    created = create(api, rotated_jpeg(), "image/jpeg", "a.jpg")
    from patient_docs.logic import process_image

    def busy(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("still rendering")

    monkeypatch.setattr(process_image, "render", busy)
    for key in scanning.unscanned_keys(aws):
        event = scan_object(aws.client("s3"), aws.bucket, key)
        assert event is not None
        failed = {d.function: d.error for d in scanning.deliver(event)}
        assert failed == {"ScanResultRecordFunction": None, "ImageProcessFunction": "RuntimeError"}
    # When it is asked for, then the original is not served: 409 with Retry-After
    reply = get_doc(api, created["id"])
    assert reply.status == 409 and reply.json["error"]["code"] == "image_pending", reply.body
    assert reply.headers["retry-after"] == "5"


def test_with_scanning_switched_off_the_upload_event_starts_processing(api, aws, monkeypatch):
    from patient_docs.settings import get_settings

    # Given a stage without the malware scanner
    monkeypatch.setenv("MALWARE_SCANNING", "Disabled")
    get_settings.cache_clear()
    try:
        created = create(api, rotated_jpeg(), "image/jpeg", "a.jpg")
        key = documents_table.get_document(created["id"]).object_key  # type: ignore[union-attr]
        # When S3's Object Created event arrives
        event = {
            "version": "0",
            "id": "0f5b6c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b",
            "detail-type": "Object Created",
            "source": "aws.s3",
            "account": "123456789012",
            "time": "2026-12-01T10:00:00Z",
            "region": "us-east-1",
            "resources": [f"arn:aws:s3:::{aws.bucket}"],
            "detail": {"version": "0", "bucket": {"name": aws.bucket}, "object": {"key": key, "size": 1}},
        }
        (delivery,) = scanning.deliver(event)
        # Then the image is processed and served clean
        assert delivery.function == "ImageProcessFunction" and delivery.result == {"outcome": "processed"}
        reply = get_doc(api, created["id"])
        assert reply.status == 200, reply.body
        assert_clean_upright_jpeg(fetch(reply.json["doc"]["download_url"]), (32, 64))
    finally:
        get_settings.cache_clear()


# ------------------------------------------------------------------ door B's thumbnail_url
DOOR_B = "/apis/v1/patient-document"


def actions(aws: Any) -> list[str]:
    from tests.integration.test_audit_trail import audit_events

    return [event["action"] for event in audit_events(aws)]


def door_b_list(api: Any) -> dict[int, dict[str, Any]]:
    reply = call(api, "GET", f"{DOOR_B}/{PATIENT}", caller=STAFF_12)
    assert reply.status == 200, reply.body
    return {doc["id"]: doc for doc in reply.json["data"]["documents"]}


def test_door_b_answers_carry_a_served_thumbnail_once_the_image_is_scanned_and_processed(api, aws):
    from tests.integration.probe_helpers import save_body, upload_unsigned
    from tests.utils import pdf_bytes

    # Given door B saves a sideways JPEG without a thumbnail_url, a PDF, and an image whose client gave its own
    photo_url = upload_unsigned(api, aws, "rash.jpg", rotated_jpeg(64, 32), "image/jpeg")["file_url"]
    saved = call(api, "POST", DOOR_B, save_body(aws, photo_url, "Rash"), STAFF_12)
    pdf_url = upload_unsigned(api, aws, "letter.pdf", pdf_bytes(), "application/pdf")["file_url"]
    pdf = call(api, "POST", DOOR_B, save_body(aws, pdf_url, "Letter"), STAFF_12).json["data"]
    own_url = upload_unsigned(api, aws, "card.png")["file_url"]
    own_body = {**save_body(aws, own_url, "Card"), "thumbnail_url": "https://thumbs.example.com/card.png"}
    own = call(api, "POST", DOOR_B, own_body, STAFF_12).json["data"]
    # Then before the scan, nothing of the image is served: the answers' thumbnail_url is null (a string or null)
    assert saved.status == 200 and saved.json["data"]["thumbnail_url"] is None, saved.body
    photo = saved.json["data"]
    assert door_b_list(api)[photo["id"]]["thumbnail_url"] is None
    assert "document.downloaded" not in actions(aws)

    # When the scanner finds them clean (which starts the image processor)
    scanning.scan_all(aws)
    listed = door_b_list(api)
    # Then the list carries a short-lived URL of the image's thumbnail: an upright JPEG of at most 256 px
    thumbnail_url = listed[photo["id"]]["thumbnail_url"]
    assert isinstance(thumbnail_url, str) and "X-Amz-Expires=" in thumbnail_url
    thumbnail = fetch(thumbnail_url)
    assert_clean_upright_jpeg(thumbnail, (32, 64))
    # And the client's own URL is kept; a PDF has none
    assert listed[own["id"]]["thumbnail_url"] == "https://thumbs.example.com/card.png"
    assert listed[pdf["id"]]["thumbnail_url"] is None
    # And the read is audited, by ids, for the document whose thumbnail was handed out only
    from tests.integration.test_audit_trail import audit_events

    downloaded = [e for e in audit_events(aws) if e["action"] == "document.downloaded"]
    assert [(e["patient_id"], e["document_id"], e["actor_role"]) for e in downloaded] == [
        (PATIENT, photo["id"], "staff")
    ]

    # When the document is updated, Then its answer carries a thumbnail URL too, and the read is audited again
    updated = call(api, "POST", f"{DOOR_B}/{photo['id']}", {"notes": "Left hand"}, STAFF_12)
    assert updated.status == 200, updated.body
    assert fetch(updated.json["data"]["thumbnail_url"]) == thumbnail
    assert actions(aws).count("document.downloaded") == 2


def test_door_b_shows_no_thumbnail_of_an_infected_image(api, aws):
    from tests.integration.probe_helpers import save_body, upload_unsigned

    photo_url = upload_unsigned(api, aws, "rash.jpg", rotated_jpeg(64, 32), "image/jpeg")["file_url"]
    photo = call(api, "POST", DOOR_B, save_body(aws, photo_url, "Rash"), STAFF_12).json["data"]
    # Given its scan found a threat (nothing is processed, nothing served)
    (key,) = scanning.unscanned_keys(aws)
    assert scanning.deliver(scanning.result_event(aws, key, "THREATS_FOUND"))
    # Then door B lists it without a thumbnail, and hands out nothing
    listed = door_b_list(api)[photo["id"]]
    assert (listed["scan_status"], listed["thumbnail_url"]) == ("infected", None)
    assert "document.downloaded" not in actions(aws)


def test_an_image_deleted_while_it_is_rendered_leaves_only_an_entry_that_expires(api, aws, monkeypatch):
    from patient_docs.logic import process_image

    # Given a door A image
    created = create(api, rotated_jpeg(), "image/jpeg", "rash.jpg")
    stored = documents_table.get_document(created["id"])
    assert stored is not None
    key = stored.object_key
    real = process_image.scan_results_table.store_image

    def deleted_first(object_key: str, image: Any) -> Any:
        # the document and its object deleted after the image was read and rendered, before it is kept
        # (by another caller: its own thread, so that its calls are not the image processor's)
        replies: list[int] = []
        deleting = threading.Thread(
            target=lambda: replies.append(call(api, "DELETE", f"{DOCS}/{created['id']}", caller=STAFF_12).status)
        )
        deleting.start()
        deleting.join()
        assert replies == [204]
        return real(object_key, image)

    monkeypatch.setattr(process_image.scan_results_table, "store_image", deleted_first)
    # When its clean verdict comes (both the scan-result function and the image processor hear it)
    deliveries = scanning.deliver(scanning.result_event(aws, key))
    assert all(d.error is None for d in deliveries), deliveries
    # Then the one entry left of it names no document and expires with the table's TTL
    (item,) = [item for item in aws.all_items() if item["PK"]["S"] == f"SCAN#{key}"]
    assert "document_id" not in item and "image" in item and int(item["ttl"]["N"]) > 0


def derived_objects(aws: Any, key: str) -> list[str]:
    listed = aws.client("s3").list_objects_v2(Bucket=aws.bucket, Prefix=f"derived/{key}/")
    return [found["Key"] for found in listed.get("Contents", [])]


@pytest.mark.parametrize("deleted", ["before its renditions are written", "after its renditions are written"])
def test_an_image_deleted_while_it_is_rendered_leaves_none_of_its_renditions(api, aws, monkeypatch, deleted):
    from patient_docs.logic import process_image

    # Given a door A image
    created = create(api, rotated_jpeg(), "image/jpeg", "rash.jpg")
    stored = documents_table.get_document(created["id"])
    assert stored is not None
    key = stored.object_key
    patched = process_image.object_store if deleted.startswith("before") else process_image.scan_results_table
    name = "put_derived" if deleted.startswith("before") else "store_image"
    real = getattr(patched, name)
    replies: list[int] = []

    def delete_once_then(*args: Any, **kwargs: Any) -> Any:
        # the document is deleted by another caller while the image processor works on it
        if not replies:
            deleting = threading.Thread(
                target=lambda: replies.append(call(api, "DELETE", f"{DOCS}/{created['id']}", caller=STAFF_12).status)
            )
            deleting.start()
            deleting.join()
        return real(*args, **kwargs)

    monkeypatch.setattr(patched, name, delete_once_then)
    # When its clean verdict comes
    deliveries = scanning.deliver(scanning.result_event(aws, key))
    assert all(d.error is None for d in deliveries), deliveries
    assert replies == [204]
    # Then nothing made of the deleted patient's image stays in the bucket
    assert not exists(aws, key)
    assert derived_objects(aws, key) == []


def test_a_result_that_reached_only_its_entry_is_applied_by_a_download_and_then_read_by_door_d(api, aws, monkeypatch):
    from patient_docs.logic import clean_images, process_image

    # Given a door A image whose clean copy was made and kept under its object's key, but whose
    # processor stopped before it reached the document
    created = create(api, rotated_jpeg(), "image/jpeg", "a.jpg")
    with monkeypatch.context() as patched:
        patched.setattr(process_image, "_reach_document", lambda *args: None)
        scanning.scan_all(aws)
    stale = documents_table.get_document(created["id"])
    assert stale is not None and stale.image is None
    fhir_doc = f"/fhir/R4/DocumentReference/{created['id']}"
    # Then door D's read shows it as stored: not processed yet, so no size
    before = call(api, "GET", fhir_doc, caller=STAFF_12).json
    assert "size" not in before["content"][0]["attachment"]
    # When it is downloaded (door A's get applies what its entry holds)
    served = fetch(get_doc(api, created["id"]).json["doc"]["download_url"])
    # Then door D's read describes those bytes, and its lastUpdated moved
    after = call(api, "GET", fhir_doc, caller=STAFF_12).json
    attachment = after["content"][0]["attachment"]
    assert (attachment["contentType"], attachment["size"]) == ("image/jpeg", len(served))
    assert after["meta"]["lastUpdated"] > before["meta"]["lastUpdated"]
    # And a read that finds the result applied meanwhile by another caller answers the document as stored
    assert clean_images.settle_image(stale) == documents_table.get_document(created["id"])
