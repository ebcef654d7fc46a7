"""The patient page against moto: link states, the date-of-birth check, uploads, and registration."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.page_helpers import (
    DOB,
    create_request,
    jpeg_bytes,
    presign,
    queued_events,
    register,
    s3_event_message,
    session_for,
    upload,
    verify,
)
from tests.scanning import scan_all
from tests.utils import STAFF_12, STAFF_13, call, pdf_bytes, png_bytes


def _file_request(api, request_id, caller=STAFF_12):
    return call(api, "GET", f"/v1/file-requests/{request_id}", caller=caller)


# ------------------------------------------------------------------ the page
def test_open_link_serves_a_safe_page_without_the_patients_identity(api, aws):
    # Given a request sent to the patient
    created = create_request(api)
    # When the patient opens its link
    reply = call(api, "GET", f"/r/{created['short_link_id']}")
    assert reply.status == 200
    # Then a page with strict headers, who is asking, nothing that identifies the patient, nothing of
    # what is asked for (the prompt waits for the date of birth), a camera picker and no external assets
    assert reply.headers["content-type"].startswith("text/html")
    assert reply.headers["referrer-policy"] == "no-referrer"
    assert reply.headers["cache-control"] == "no-store"
    csp = reply.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "script-src 'sha256-" in csp
    page = reply.body.decode()
    assert "Dr Rachel Williams" in page and "PatientDocs" in page  # the staff member and the SMS's sender
    for secret in ("John", "Smith", DOB, "1980", "+447777123456", "7777123456", "rash", "right hand"):
        assert secret not in page
    assert 'capture="environment"' in page and 'accept="image/' in page
    assert "https://" not in page.split("<main", 1)[0]  # no CDN, fonts or external assets
    # And the request is now opened
    assert _file_request(api, created["id"]).json["status"] == "opened"


def test_unknown_expired_cancelled_and_locked_links_get_friendly_pages(api, aws, monkeypatch):
    # An unknown or malformed link: 404
    assert call(api, "GET", "/r/doesnotexist").status == 404
    assert call(api, "GET", "/r/../../etc").status == 404

    # A cancelled request: its link says it was withdrawn (410)
    cancelled = create_request(api)
    call(api, "POST", f"/v1/file-requests/{cancelled['id']}/cancel", {}, STAFF_12)
    reply = call(api, "GET", f"/r/{cancelled['short_link_id']}")
    assert reply.status == 410 and "withdrawn" in reply.body.decode()

    # A request locked by five wrong answers: 423, and whom to contact
    locked = create_request(api, patientMobile="+447911123401")
    for _ in range(5):
        verify(api, locked["short_link_id"], "1999-01-01")
    reply = call(api, "GET", f"/r/{locked['short_link_id']}")
    assert reply.status == 423 and "contact the practice" in reply.body.decode()

    # A request whose link expired (the page's clock 30 days on): 410, not the locked message
    expired = create_request(api, patientMobile="+447911123402")
    import patient_docs.logic.patient_page as page_logic

    later = datetime.now(UTC) + timedelta(days=30)
    monkeypatch.setattr("functions.patient_page_open.app.utc_now", lambda: later)
    reply = call(api, "GET", f"/r/{expired['short_link_id']}")
    assert reply.status == 410 and "expired" in reply.body.decode()
    assert page_logic.LOCKED_MESSAGE not in reply.body.decode()
    # And no page shows a traceback
    for reply in (call(api, "GET", "/r/doesnotexist"),):
        assert "Traceback" not in reply.body.decode()


# ------------------------------------------------------------------ the practice, and the page's language
ADMIN_12 = {"role": "admin", "account": "12"}
SECRETS = ("John", "Smith", DOB, "1980", "+447777123456", "7777123456", "rash", "right hand")


def _set_account(api, **changes):
    body = {
        "smsSenderId": "Bont",
        "linkLifetimeHours": 72,
        "practiceName": "Meddygfa'r Bont",
        "practicePhone": "+44 29 2000 0000",
        "language": "cy",
        **changes,
    }
    assert call(api, "PUT", "/v1/account-settings", body, ADMIN_12).status == 200


def _page(api, link, accept_language=None):
    reply = call(api, "GET", f"/r/{link}", headers={"accept-language": accept_language} if accept_language else None)
    return reply, reply.body.decode()


def test_the_page_is_in_the_browsers_language_else_the_accounts_and_says_whom_to_call(api, aws):
    # Given an account in Welsh with its practice's name and number
    _set_account(api)
    link = create_request(api)["short_link_id"]
    # When a browser that asks for no language opens the link: Welsh, the account's language
    reply, page = _page(api, link)
    assert reply.status == 200 and '<html lang="cy">' in page
    assert reply.headers["content-language"] == "cy" and reply.headers["vary"] == "Accept-Language"
    assert "Mae Dr Rachel Williams wedi gofyn i chi am lun" in page and "Beth yw eich dyddiad geni?" in page
    # And who asks comes with a number to call: the practice's name, and its phone as a link
    assert "Meddygfa&#x27;r Bont" in page and '<a href="tel:+442920000000">+44 29 2000 0000</a>' in page
    # When a Spanish phone opens it: Spanish; an English one: English
    reply, page = _page(api, link, "es-US,es;q=0.9,en;q=0.8")
    assert reply.headers["content-language"] == "es" and "le ha pedido una foto" in page
    reply, page = _page(api, link, "en-GB,en;q=0.9")
    assert '<html lang="en">' in page and "Questions? Call Meddygfa&#x27;r Bont on" in page
    # Then none of them shows anything about the patient or what is asked for
    for language in (None, "es", "en"):
        page = _page(api, link, language)[1]
        assert not [secret for secret in SECRETS if secret in page]


def test_the_page_has_day_month_and_year_fields_not_a_date_picker(api, aws):
    page = _page(api, create_request(api)["short_link_id"])[1]
    assert 'type="date"' not in page
    for part in ("day", "month", "year"):
        assert f'id="dob-{part}"' in page and f'autocomplete="bday-{part}"' in page
    assert page.count('inputmode="numeric"') == 3 and "<legend>What is your date of birth?</legend>" in page


def test_locked_expired_and_withdrawn_links_say_whom_to_call_in_the_pages_language(api, aws, monkeypatch):
    # Given an account in Spanish with its practice's number
    _set_account(api, language="es")
    # When a link is locked by five wrong answers: 423, in Spanish, with the number to call
    locked = create_request(api, patientMobile="+447911123401")
    for _ in range(5):
        verify(api, locked["short_link_id"], "1999-01-01")
    reply, page = _page(api, locked["short_link_id"])
    assert reply.status == 423 and '<html lang="es">' in page and "Este enlace está bloqueado" in page
    assert 'href="tel:+442920000000"' in page and "Meddygfa&#x27;r Bont" in page
    # And in Welsh for a Welsh browser
    reply, page = _page(api, locked["short_link_id"], "cy-GB")
    assert reply.status == 423 and "Mae&#x27;r ddolen hon wedi&#x27;i chloi" in page and "tel:+442920000000" in page
    # When a request is withdrawn: 410, with the number
    cancelled = create_request(api, patientMobile="+447911123402")
    call(api, "POST", f"/v1/file-requests/{cancelled['id']}/cancel", {}, STAFF_12)
    reply, page = _page(api, cancelled["short_link_id"], "en")
    assert reply.status == 410 and "withdrawn" in page and "tel:+442920000000" in page
    # When a link expired: 410, with the number
    expired = create_request(api, patientMobile="+447911123403")
    later = datetime.now(UTC) + timedelta(days=30)
    monkeypatch.setattr("functions.patient_page_open.app.utc_now", lambda: later)
    reply, page = _page(api, expired["short_link_id"], "en")
    assert reply.status == 410 and "has expired" in page and "tel:+442920000000" in page
    # And an unknown link belongs to no practice: the browser's language, no number
    reply, page = _page(api, "ZZZZZZZZZZZZ", "es")
    assert reply.status == 404 and "Este enlace no es válido" in page and "tel:" not in page


# ------------------------------------------------------------------ date of birth
def test_wrong_answers_are_counted_and_the_fifth_locks_the_link_for_good(api, aws):
    link = create_request(api)["short_link_id"]
    # When four wrong answers are sent, each says how many tries are left
    for left in (4, 3, 2, 1):
        reply = verify(api, link, "1980-06-18")
        assert reply.status == 400 and reply.json["attempts_left"] == left
        assert reply.json["error"]["field"] == "date_of_birth"
    # Then the fifth locks the link
    fifth = verify(api, link, "1980-06-18")
    assert fifth.status == 423
    # Locked for good: even the right answer is refused now, and no session is issued.
    right = verify(api, link, DOB)
    assert right.status == 423 and "upload_session" not in right.json


def test_malformed_dates_are_400_and_not_counted(api, aws):
    link = create_request(api)["short_link_id"]
    # When malformed dates are sent, each is a 400 naming date_of_birth, without a count
    for bad in ("17/06/1980", "1980-6-17", "1980-02-30", "", "x" * 30):
        reply = verify(api, link, bad)
        assert reply.status == 400 and reply.json["error"]["field"] == "date_of_birth"
        assert "attempts_left" not in reply.json
    # Then none was counted: the right answer still opens a session
    assert verify(api, link, DOB).status == 200


def test_a_correct_answer_opens_a_short_session_bound_to_the_request(api, aws):
    # Given a request sent to the patient
    created = create_request(api)
    # When the patient answers the right date of birth
    reply = verify(api, created["short_link_id"])
    assert reply.status == 200
    # Then a 15-minute session for 10 photos of up to 15 MB opens, only its hash is stored,
    # and the request is verified
    session = reply.json
    assert len(session["upload_session"]) >= 43 and session["max_files"] == 10
    assert session["max_bytes"] == 15 * 1024 * 1024
    expires = datetime.fromisoformat(session["expires_at"])
    assert timedelta(minutes=14) < expires - datetime.now(UTC) <= timedelta(minutes=15)
    assert session["upload_session"] not in json.dumps(aws.all_items())  # only its hash is stored
    assert _file_request(api, created["id"]).json["status"] == "verified"


# ------------------------------------------------------------------ presigned uploads
def test_presigned_post_pins_key_type_and_size_under_the_requests_area(api, aws):
    # Given a live upload session on a request
    created = create_request(api)
    session = session_for(api, created["short_link_id"])
    # When a photo upload is asked for
    reply = presign(api, created["short_link_id"], session, "IMG_0292.JPG", "image/jpeg", 2904221)
    assert reply.status == 200, reply.body
    # Then the POST policy pins a key under the request's area (no file name in it), the type and the size range
    fields = reply.json["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    key = fields["key"]
    assert key.startswith(f"file-requests/12/{created['id']}/") and key.endswith(".jpg") and "IMG" not in key
    assert {"key": key} in policy["conditions"]
    assert {"Content-Type": "image/jpeg"} in policy["conditions"]
    assert ["content-length-range", 1, 15 * 1024 * 1024] in policy["conditions"]


def _refused(api, aws, reply, status, field=None):
    assert reply.status == status, reply.body
    if field:
        assert reply.json["error"]["field"] == field
    assert aws.all_objects() == []


def test_uploads_need_a_live_session_for_this_request(api, aws):
    # Given two requests, and a live session on the second
    first = create_request(api)
    other = create_request(api, patientMobile="+447911123403")
    other_session = session_for(api, other["short_link_id"])
    # Then uploads to the first with no session, a made-up one or the second's are refused, naming
    # X-Upload-Session, and nothing is stored
    _refused(api, aws, presign(api, first["short_link_id"], None), 400, "X-Upload-Session")
    _refused(api, aws, presign(api, first["short_link_id"], "made-up-session"), 400, "X-Upload-Session")
    _refused(api, aws, presign(api, first["short_link_id"], other_session), 400, "X-Upload-Session")


def test_an_expired_session_is_refused(api, aws, monkeypatch):
    # Given a live session
    created = create_request(api)
    session = session_for(api, created["short_link_id"])
    # When the upload handler's clock is 16 minutes on
    later = datetime.now(UTC) + timedelta(minutes=16)
    monkeypatch.setattr("functions.patient_page_upload.app.utc_now", lambda: later)
    # Then the session is refused
    _refused(api, aws, presign(api, created["short_link_id"], session), 400, "X-Upload-Session")


def test_types_outside_the_allowlist_and_oversized_photos_are_refused(api, aws):
    # Given a live session
    created = create_request(api)
    session = session_for(api, created["short_link_id"])
    # Then a PDF, a GIF and a photo above 15 MB are refused naming the field, and nothing is stored
    _refused(api, aws, presign(api, created["short_link_id"], session, "a.pdf", "application/pdf"), 400, "content_type")
    _refused(api, aws, presign(api, created["short_link_id"], session, "a.gif", "image/gif"), 400, "content_type")
    big = presign(api, created["short_link_id"], session, "a.jpg", "image/jpeg", 15 * 1024 * 1024 + 1)
    _refused(api, aws, big, 413, "size_bytes")


def test_an_eleventh_file_is_refused(api, aws):
    # Given a live session that took ten upload slots
    created = create_request(api)
    session = session_for(api, created["short_link_id"])
    for _ in range(10):
        assert presign(api, created["short_link_id"], session).status == 200
    reply = presign(api, created["short_link_id"], session)
    assert reply.status == 409 and "10" in reply.json["error"]["message"]


def test_a_link_that_stops_working_refuses_uploads_with_its_page_status(api, aws, monkeypatch):
    # Given live sessions on three requests
    cancelled, locked, expired = (create_request(api, patientMobile=f"+44791112341{n}") for n in range(3))
    sessions = {r["id"]: session_for(api, r["short_link_id"]) for r in (cancelled, locked, expired)}
    # When one is cancelled, one locked by wrong answers and one outlives its link
    call(api, "POST", f"/v1/file-requests/{cancelled['id']}/cancel", {}, STAFF_12)
    for _ in range(5):
        verify(api, locked["short_link_id"], "1999-01-01")
    # Then an upload with the live session, or with none, gets the page's answer, and takes no slot
    for request, status in ((cancelled, 410), (locked, 423)):
        link, session = request["short_link_id"], sessions[request["id"]]
        _refused(api, aws, presign(api, link, session), status)
        _refused(api, aws, presign(api, link, None), status)
        _refused(api, aws, presign(api, link, session, "a.pdf", "application/pdf"), status)
        _refused(api, aws, presign(api, link, session, "a.jpg", "image/jpeg", 15 * 1024 * 1024 + 1), status)
        assert _slots_taken(aws, request["id"]) == 0, status
    # And once a link outlives its expiry, an upload without a session says it expired (410)
    later = datetime.fromisoformat(expired["short_link_expires_at"]) + timedelta(seconds=1)
    monkeypatch.setattr("functions.patient_page_upload.app.utc_now", lambda: later)
    _refused(api, aws, presign(api, expired["short_link_id"], None), 410)
    assert _slots_taken(aws, expired["id"]) == 0


def _slots_taken(aws, request_id):
    item = aws.client("dynamodb").get_item(
        TableName=aws.table, Key={"PK": {"S": f"FILEREQ#{request_id}"}, "SK": {"S": "REQUEST"}}
    )["Item"]
    return int(item["upload_slots"]["N"])


# ------------------------------------------------------------------ registration
def test_uploaded_photos_are_recorded_on_the_request_and_as_patient_documents(api, aws):
    # Given a live session and two photos sent straight to storage
    created = create_request(api)
    link = created["short_link_id"]
    session = session_for(api, link)
    jpeg, png = jpeg_bytes(), png_bytes(4, 3)
    upload(api, link, session, jpeg, "IMG_0292.JPG", "image/jpeg")
    upload(api, link, session, png, "scan.png", "image/png")
    # When the bucket's events are registered
    result = register(queued_events(aws))
    assert result == {"batchItemFailures": []}

    request = _file_request(api, created["id"]).json
    # Then the request is responded, with both files, open to staff for 720 hours
    assert request["status"] == "responded" and request["responded_at"]
    files = {f["original_name"]: f for f in request["files"]}
    assert files["IMG_0292.JPG"]["size"] == len(jpeg) and files["IMG_0292.JPG"]["mime_type"] == "image/jpeg"
    assert files["scan.png"]["size"] == len(png) and files["scan.png"]["mime_type"] == "image/png"
    for file in files.values():
        created_at = datetime.fromisoformat(file["created_at"])
        assert datetime.fromisoformat(file["expires_at"]) - created_at == timedelta(hours=720)

    # The same photos are documents of the patient, through doors A and B.
    number = request["patient_number"]
    docs = call(api, "GET", f"/api/v2/patients/{number}/documents", caller=STAFF_12).json["docs"]
    assert sorted(d["document_name"] for d in docs) == ["IMG_0292.JPG", "scan.png"]
    listed = call(api, "GET", f"/apis/v1/patient-document/{number}", caller=STAFF_12).json["data"]
    assert listed["total"] == 2
    scan_all(aws)  # found clean by the malware scan: they may be served
    one = call(api, "GET", f"/api/v2/patients/{number}/documents/{docs[0]['id']}", caller=STAFF_12)
    assert one.status == 200 and one.json["doc"]["download_url"]
    assert call(api, "GET", f"/api/v2/patients/{number}/documents", caller=STAFF_13).json["docs"] == []


def test_the_same_event_twice_even_at_once_records_one_file(api, aws):
    # Given a photo uploaded, and its S3 event message
    created = create_request(api)
    session = session_for(api, created["short_link_id"])
    key = upload(api, created["short_link_id"], session, png_bytes(), "a.png", "image/png")
    queued_events(aws)  # drop S3's own delivery: this test delivers by hand
    message = s3_event_message(aws.bucket, key, len(png_bytes()))
    # When the message is registered twice in turn, then four times at once
    assert register([message]) == {"batchItemFailures": []}
    assert register([message]) == {"batchItemFailures": []}
    threads = [threading.Thread(target=register, args=([message],)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then one file and one document are recorded
    request = _file_request(api, created["id"]).json
    assert len(request["files"]) == 1
    docs = [i for i in aws.all_items() if i.get("entity", {}).get("S") == "document"]
    assert len(docs) == 1


def test_bytes_that_are_not_an_image_are_quarantined_and_never_listed(api, aws):
    # Given a PDF uploaded as a JPEG
    created = create_request(api)
    session = session_for(api, created["short_link_id"])
    key = upload(api, created["short_link_id"], session, pdf_bytes() + b"x" * 100, "IMG_0001.jpg", "image/jpeg")
    assert register(queued_events(aws)) == {"batchItemFailures": []}
    request = _file_request(api, created["id"]).json
    # Then, once registered, it is not recorded, it lies under quarantine/ only, and no document exists
    assert request["files"] == [] and request["status"] != "responded"
    objects = aws.all_objects()
    assert f"quarantine/{key}" in objects
    current = aws.client("s3").list_objects_v2(Bucket=aws.bucket, Prefix="file-requests/").get("KeyCount", 0)
    assert current == 0
    assert [i for i in aws.all_items() if i.get("entity", {}).get("S") == "document"] == []


def test_a_staff_notification_event_carries_ids_only(api, aws):
    # Given a queue that hears the service's event bus
    events = aws.client("events")
    sqs = aws.client("sqs")
    queue = sqs.create_queue(QueueName="staff-notifications")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    from tests.conftest import NAMES

    events.put_rule(
        Name="answered", EventBusName=NAMES["FileRequestEvents"], EventPattern=json.dumps({"source": ["patient-docs"]})
    )
    events.put_targets(Rule="answered", EventBusName=NAMES["FileRequestEvents"], Targets=[{"Id": "q", "Arn": arn}])
    created = create_request(api)
    session = session_for(api, created["short_link_id"])
    # When a photo named after the patient is uploaded and registered
    upload(api, created["short_link_id"], session, png_bytes(), "John Smith rash.png", "image/png")
    register(queued_events(aws))
    # Then one FileRequestResponded event arrives, carrying ids only
    (message,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    event = json.loads(message["Body"])
    assert event["detail-type"] == "FileRequestResponded"
    assert set(event["detail"]) == {"file_request_id", "account_id", "file_id", "document_id"}
    assert "Smith" not in message["Body"] and "rash" not in message["Body"]


def test_a_cancelled_requests_late_upload_is_quarantined(api, aws):
    # Given a photo uploaded with a live session
    created = create_request(api)
    session = session_for(api, created["short_link_id"])
    upload(api, created["short_link_id"], session, png_bytes(), "a.png", "image/png")
    # When staff cancel the request before the upload is registered
    call(api, "POST", f"/v1/file-requests/{created['id']}/cancel", {}, STAFF_12)
    assert register(queued_events(aws)) == {"batchItemFailures": []}
    # Then the photo is not recorded on it
    assert _file_request(api, created["id"]).json["files"] == []


@pytest.mark.parametrize("payload", [{"date_of_birth": 19800617}, {}, []])
def test_verify_refuses_non_string_or_missing_answers(api, aws, payload):
    link = create_request(api)["short_link_id"]
    reply = call(api, "POST", f"/r/{link}/verify", payload)
    assert reply.status == 400
