"""Door A through the real handlers against moto: create, list, get, delete, and refusals."""

from __future__ import annotations

import urllib.parse

import pytest

from tests.images import same_pixels
from tests.integration.idempotency_helpers import items_of, records, stored
from tests.scanning import scan_all
from tests.shape import shape_problems
from tests.utils import (
    STAFF_12,
    STAFF_13,
    b64,
    call,
    key_of_presigned_url,
    pdf_bytes,
    png_bytes,
    seed_example,
)

PATIENT = 1172416
DOCS = f"/api/v2/patients/{PATIENT}/documents"


def create_png(api, caller=STAFF_12, name="DOGE.png", path=DOCS):
    body = {
        "doc": {
            "document_name": name,
            "data": b64(png_bytes()),
            "mime_type": "image/png",
            "record_type": "Patient Record",
        }
    }
    return call(api, "POST", path, body, caller)


def test_seed_example_replayed_matches_the_seed_response_field_by_field(api, aws):
    # Given the seed's curl body, with its placeholders filled by a real PNG
    request = seed_example("inline_documents_create_request")
    request["doc"].update(document_name="DOGE.png", data=b64(png_bytes()), mime_type="image/png")
    # When it is posted
    reply = call(api, "POST", DOCS, request, {**STAFF_12, "name": "test patient"})
    # Then the response has every field of the seed's example, with the same types
    assert reply.status == 201, reply.body
    expected = seed_example("inline_documents_create_response")
    assert shape_problems(reply.json, expected) == []
    doc = reply.json["doc"]
    assert doc["document_name"] == "DOGE.png"
    assert doc["extension"] == "png"
    assert doc["upload_by"] == "test patient"
    assert doc["record_type"] == "Patient Record"
    assert doc["upload_date"].endswith("+00:00")
    assert 0 < doc["id"] <= 2**53 - 1


def test_created_document_is_listed_fetched_with_a_working_download_url_and_deleted(api, aws):
    # Given a document created through door A
    created = create_png(api).json["doc"]
    scan_all(aws)  # and found clean by the malware scan
    # When the patient's documents are listed, then it is the only one
    listed = call(api, "GET", DOCS, caller=STAFF_12)
    assert [d["id"] for d in listed.json["docs"]] == [created["id"]]

    # When it is fetched, then its download URL is short-lived, an attachment, and serves the bytes stored
    fetched = call(api, "GET", f"{DOCS}/{created['id']}", caller=STAFF_12)
    assert fetched.status == 200
    url = fetched.json["doc"]["download_url"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["300"]
    assert "attachment" in query["response-content-disposition"][0]
    key = key_of_presigned_url(url, aws.bucket)
    stored = aws.client("s3").get_object(Bucket=aws.bucket, Key=key)["Body"].read()
    assert same_pixels(stored, png_bytes())  # the image's clean copy (docs/images.md)

    # When it is deleted, then it is gone from its URL and from the list
    assert call(api, "DELETE", f"{DOCS}/{created['id']}", caller=STAFF_12).status == 204
    assert call(api, "GET", f"{DOCS}/{created['id']}", caller=STAFF_12).status == 404
    assert call(api, "GET", DOCS, caller=STAFF_12).json["docs"] == []


def test_the_list_comes_in_pages_newest_first_with_a_cursor(api, aws):
    # Given five documents of one patient (and one of another patient)
    created = [create_png(api, name=f"p{index}.png").json["doc"]["id"] for index in range(5)]
    create_png(api, path="/api/v2/patients/77/documents")
    # When they are read two at a time
    seen, cursor, pages = [], None, 0
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        reply = call(api, "GET", DOCS + query, caller=STAFF_12)
        assert reply.status == 200, reply.body
        assert len(reply.json["docs"]) <= 2
        seen += [d["id"] for d in reply.json["docs"]]
        pages += 1
        cursor = reply.json["next_cursor"]
        if cursor is None:
            break
    # Then every document comes once, newest first, and a full last page promises no empty one
    assert seen == sorted(created, reverse=True) and pages == 3
    whole = call(api, "GET", DOCS, caller=STAFF_12).json
    assert [d["id"] for d in whole["docs"]] == seen and whole["next_cursor"] is None
    assert call(api, "GET", DOCS + "?limit=5", caller=STAFF_12).json["next_cursor"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "cursor=nope", "cursor=" + "A" * 1025])
def test_bad_paging_parameters_are_400_naming_them(api, aws, query):
    reply = call(api, "GET", f"{DOCS}?{query}", caller=STAFF_12)
    assert reply.status == 400, reply.body
    assert reply.json["error"]["field"] == query.split("=")[0]


def test_a_cursor_does_not_move_to_another_patient_or_account(api, aws):
    # Given a cursor into the first page of patient 1172416's documents in account 12
    for index in range(3):
        create_png(api, name=f"p{index}.png")
    cursor = call(api, "GET", DOCS + "?limit=1", caller=STAFF_12).json["next_cursor"]
    assert cursor
    # When it is used on another patient's list, or by staff of another account
    other_patient = call(api, "GET", f"/api/v2/patients/77/documents?cursor={cursor}", caller=STAFF_12)
    other_account = call(api, "GET", f"{DOCS}?cursor={cursor}", caller=STAFF_13)
    # Then both are refused, naming the cursor
    assert other_patient.status == 400 and other_patient.json["error"]["field"] == "cursor"
    assert other_account.status == 400 and other_account.json["error"]["field"] == "cursor"


def test_object_key_is_chosen_by_the_server_and_carries_no_file_name(api, aws):
    create_png(api, name="John Smith rash.png")
    (key,) = aws.all_objects()
    assert key.startswith(f"accounts/12/patients/{PATIENT}/documents/")
    assert "Smith" not in key and "rash" not in key


def test_staff_of_another_account_cannot_read_list_or_delete(api, aws):
    created = create_png(api).json["doc"]
    assert call(api, "GET", f"{DOCS}/{created['id']}", caller=STAFF_13).status == 404
    assert call(api, "GET", DOCS, caller=STAFF_13).json["docs"] == []
    assert call(api, "DELETE", f"{DOCS}/{created['id']}", caller=STAFF_13).status == 404
    scan_all(aws)
    assert call(api, "GET", f"{DOCS}/{created['id']}", caller=STAFF_12).status == 200


def test_patient_token_sees_only_its_own_patient(api, aws):
    # Given a patient token that created a document, and the token of another patient of the account
    own = {"role": "patient", "account": "12", "patient": PATIENT}
    other = {"role": "patient", "account": "12", "patient": 999}
    created = create_png(api, caller=own)
    assert created.status == 201
    doc_id = created.json["doc"]["id"]
    scan_all(aws)
    # Then its own patient reads it; the other can neither read it nor add to that patient's documents
    assert call(api, "GET", f"{DOCS}/{doc_id}", caller=own).status == 200
    assert call(api, "GET", f"{DOCS}/{doc_id}", caller=other).status == 404
    assert call(api, "GET", f"/api/v2/patients/999/documents/{doc_id}", caller=other).status == 404
    assert create_png(api, caller=other).status == 404


def _doc(**overrides):
    doc = {
        "document_name": "scan.pdf",
        "data": b64(pdf_bytes()),
        "mime_type": "application/pdf",
        "record_type": "Test Result",
    }
    doc.update(overrides)
    return {"doc": doc}


def _without(field):
    body = _doc()
    del body["doc"][field]
    return body


BAD_INPUTS = [
    ("invalid base64", _doc(data="not base64!!"), 400, "doc.data"),
    ("PNG bytes declared as PDF", _doc(data=b64(png_bytes())), 400, "doc.mime_type"),
    ("type outside the allowlist", _doc(mime_type="application/x-msdownload"), 400, "doc.mime_type"),
    ("record_type outside the list", _doc(record_type="X-Ray"), 400, "doc.record_type"),
    ("empty name", _doc(document_name="  "), 400, "doc.document_name"),
    ("missing name", _without("document_name"), 400, "doc.document_name"),
    ("missing data", _without("data"), 400, "doc.data"),
    ("name with a path", _doc(document_name="../../etc/passwd.pdf"), 400, "doc.document_name"),
    ("name with a control character", _doc(document_name="scan\x00.pdf"), 400, "doc.document_name"),
    ("empty file", _doc(data=""), 400, "doc.data"),
    ("server-owned id", {"doc": {**_doc()["doc"], "id": 5}}, 400, "doc.id"),
    ("server-owned upload_by", {"doc": {**_doc()["doc"], "upload_by": "me"}}, 400, "doc.upload_by"),
    ("not an object", {"doc": "x"}, 400, "doc"),
]


@pytest.mark.parametrize(("case", "body", "status", "field"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(api, aws, case, body, status, field):
    reply = call(api, "POST", DOCS, body, STAFF_12)
    assert reply.status == status, reply.body
    assert reply.json["error"]["field"] == field
    assert field in reply.json["error"]["message"]
    assert aws.all_items() == [] and aws.all_objects() == []


def test_non_integer_patient_id_is_refused(api, aws):
    reply = call(api, "POST", "/api/v2/patients/abc/documents", _doc(), STAFF_12)
    assert reply.status == 400 and reply.json["error"]["field"] == "patient_id"
    assert aws.all_items() == [] and aws.all_objects() == []


def test_file_over_the_inline_bound_is_413_and_points_to_the_presigned_path(api, aws, monkeypatch):
    from patient_docs.settings import get_settings

    # Given an inline bound of 1 KiB
    monkeypatch.setenv("INLINE_MAX_BYTES", "1024")
    get_settings.cache_clear()
    # When a larger file is posted inline
    reply = call(api, "POST", DOCS, _doc(data=b64(pdf_bytes() + b"0" * 1100)), STAFF_12)
    # Then it is 413 naming doc.data, pointing to the presigned upload, and nothing is written
    assert reply.status == 413
    assert reply.json["error"]["field"] == "doc.data"
    assert "/apis/v1/file/upload/presigned" in reply.json["error"]["message"]
    assert aws.all_items() == [] and aws.all_objects() == []
    get_settings.cache_clear()


def test_non_json_body_is_refused(api, aws):
    reply = call(api, "POST", DOCS, None, STAFF_12, headers={"content-type": "application/json"}, raw=b"{nope")
    assert reply.status == 400 and reply.json["error"]["field"] == "body"
    assert aws.all_items() == []


# ------------------------------------------------------------------ Idempotency-Key


def _create_with_key(api, key, body=None, caller=STAFF_12, path=DOCS):
    return call(api, "POST", path, body if body is not None else _doc(), caller, headers={"idempotency-key": key})


def test_a_retry_with_the_same_key_returns_the_first_document_and_stores_nothing_more(api, aws, announced):
    # Given a create with an Idempotency-Key
    first = _create_with_key(api, "doc-7f3a")
    assert first.status == 201, first.body
    after_first = stored(aws)
    # When it is sent again with the same key and body
    retry = _create_with_key(api, "doc-7f3a")
    # Then the retry answers the first document: same status, same body
    assert retry.status == 201 and retry.json == first.json
    # And nothing more is stored: no item, no object, no audit event, no webhook announcement
    assert stored(aws) == after_first
    assert len(items_of(aws, "document")) == 1 and len(aws.all_objects()) == 1
    assert len(records(aws, "create_inline_document")) == 1
    assert [event["type"] for event in announced] == ["document.created"]


@pytest.mark.parametrize(
    ("case", "body", "path"),
    [
        ("another file", _doc(data=b64(pdf_bytes() + b"\n% page 2\n")), DOCS),
        ("another name", _doc(document_name="other.pdf"), DOCS),
        ("another patient", _doc(), "/api/v2/patients/1172417/documents"),
    ],
)
def test_the_same_key_with_another_request_is_422_and_stores_nothing(api, aws, announced, case, body, path):
    # Given a create with key doc-7f3a
    first = _create_with_key(api, "doc-7f3a", _doc())
    before = stored(aws)
    # When the key comes back with another request
    reply = _create_with_key(api, "doc-7f3a", body, path=path)
    # Then 422 naming the header in door A's format, and nothing is stored
    assert reply.status == 422, reply.body
    assert reply.json["error"]["code"] == "unprocessable" and reply.json["error"]["field"] == "Idempotency-Key"
    assert "different request body" in reply.json["error"]["message"]
    assert stored(aws) == before and len(announced) == 1
    # And the first request's retry still gets its document
    assert _create_with_key(api, "doc-7f3a", _doc()).json == first.json


def test_keys_are_scoped_to_the_caller(api, aws):
    # Given a key used by one staff user
    mine = _create_with_key(api, "shared-key").json["doc"]
    # When another staff user of the account, and staff of another account, use it: each gets a document
    colleague = {**STAFF_12, "sub": "staff-12-colleague"}
    theirs = _create_with_key(api, "shared-key", caller=colleague).json["doc"]
    other_account = _create_with_key(api, "shared-key", caller=STAFF_13).json["doc"]
    assert len({mine["id"], theirs["id"], other_account["id"]}) == 3
    assert len(records(aws, "create_inline_document")) == 3


def test_without_a_key_each_post_is_a_new_document(api, aws):
    assert (
        call(api, "POST", DOCS, _doc(), STAFF_12).json["doc"]["id"]
        != call(api, "POST", DOCS, _doc(), STAFF_12).json["doc"]["id"]
    )
    assert len(items_of(aws, "document")) == 2 and records(aws, "create_inline_document") == []


@pytest.mark.parametrize("key", ["x" * 256, "with space", "naïve"])
def test_an_invalid_key_is_400_naming_the_header_and_stores_nothing(api, aws, key):
    reply = _create_with_key(api, key)
    assert reply.status == 400 and reply.json["error"]["field"] == "Idempotency-Key"
    assert aws.all_items() == [] and aws.all_objects() == []


@pytest.mark.parametrize(
    ("body", "field"), [(_doc(data=b64(png_bytes())), "doc.mime_type"), (_doc(data="@@"), "doc.data")]
)
def test_a_refused_create_with_a_key_leaves_no_record(api, aws, body, field):
    # A create refused after its key was claimed removes the claim: nothing is stored
    reply = _create_with_key(api, "refused-1", body)
    assert reply.status == 400 and reply.json["error"]["field"] == field
    assert aws.all_items() == [] and aws.all_objects() == []
    # And the key is free for the corrected request
    assert _create_with_key(api, "refused-1").status == 201


def test_the_record_of_a_4_mib_create_holds_a_hash_and_the_answer_only(api, aws, monkeypatch):
    from local import server

    # The local API counts every body as if API Gateway passed it base64-encoded (4/3 larger); a JSON
    # body reaches the function as text, so the inline limit's 5.6 MB of base64 fits Lambda's 6 MB.
    monkeypatch.setattr(server, "LAMBDA_PAYLOAD_LIMIT", 8 * 1024 * 1024)
    # Given a file at the inline limit: about 5.6 MB of base64
    content = (pdf_bytes() + b"%" + b"0" * (4 * 1024 * 1024))[: 4 * 1024 * 1024]
    body = _doc(data=b64(content))
    first = _create_with_key(api, "big-1", body)
    assert first.status == 201, first.body
    # Then its idempotency record is small: the body's hash and the answer, never the base64
    [record] = records(aws, "create_inline_document")
    assert len(str(record)) < 4096
    assert b64(content)[:64] not in str(record)
    # And a retry answers from it
    assert _create_with_key(api, "big-1", body).json == first.json
    assert len(items_of(aws, "document")) == 1


def test_a_retry_while_the_first_is_still_running_is_409_and_the_first_still_creates(aws, monkeypatch):
    from local.events import LambdaContext
    from patient_docs.auth import caller_from_claims
    from patient_docs.errors import Conflict
    from patient_docs.logic import create_inline_document as logic
    from patient_docs.schemas.inline_documents import InlineDocumentIn

    # What the handler does per invocation: in-progress records expire with the invocation
    monkeypatch.setattr(logic.IDEMPOTENCY, "lambda_context", LambdaContext())
    caller = caller_from_claims({"sub": "staff-12-user", "account_id": "12", "role": "staff"})
    doc = InlineDocumentIn.model_validate(_doc()["doc"])
    refusals = []
    real_record = logic.record_new_document

    def record_while_a_retry_arrives(*args, **kwargs):
        # Given the first create has not finished, when its retry arrives
        with pytest.raises(Conflict) as refused:
            logic.create_inline_document(caller, PATIENT, doc, idempotency_key="in-flight")
        refusals.append(refused.value)
        return real_record(*args, **kwargs)

    monkeypatch.setattr(logic, "record_new_document", record_while_a_retry_arrives)
    created = logic.create_inline_document(caller, PATIENT, doc, idempotency_key="in-flight")
    # Then the retry is told to come back (a 409 naming the header), and the first creates one document
    assert refusals[0].field == "Idempotency-Key" and "still being processed" in refusals[0].message
    assert created.id and len(items_of(aws, "document")) == 1 and len(aws.all_objects()) == 1
