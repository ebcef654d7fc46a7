"""Door D (FHIR R4) through the real handlers against moto: every answer is checked as R4 (tests/fhir_validation.py).

The same store as doors A, B and C: what one door stores, door D reads as a US Core DocumentReference,
and what door D stores, doors A and B list. Errors are OperationOutcomes with the doors' statuses.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests import scanning
from tests.authz_fixtures import OTHER_ACCOUNTS_STAFF, inline_document, saved_document
from tests.conftest import NAMES
from tests.fhir_validation import assert_us_core_document_reference, valid_r4
from tests.images import corrupt_jpeg, gps_heic, metadata_of, rotated_jpeg
from tests.integration.idempotency_helpers import items_of, records, stored
from tests.integration.page_helpers import create_request, jpeg_bytes, queued_events, register, session_for, upload
from tests.integration.probe_helpers import Outage
from tests.scanning import scan_all
from tests.utils import STAFF_12, Reply, b64, call, key_of_presigned_url, pdf_bytes, png_bytes

PATIENT = 1172416
BASE = "http://127.0.0.1:3000/fhir/R4"
FHIR_JSON = "application/fhir+json"
PATIENT_TOKEN = {"role": "patient", "account": "12", "patient": PATIENT}


# ------------------------------------------------------------------ helpers
def fhir_get(api: Any, path: str, caller: dict[str, Any] | None = STAFF_12, **headers: str) -> Reply:
    return call(api, "GET", f"/fhir/R4/{path}", caller=caller, headers=headers)


def fhir_post(
    api: Any, resource: dict[str, Any], caller: dict[str, Any] = STAFF_12, content_type: str = FHIR_JSON
) -> Reply:
    raw = json.dumps(resource).encode()
    return call(api, "POST", "/fhir/R4/DocumentReference", None, caller, {"content-type": content_type}, raw)


def new_reference(data: bytes | None = None, **changes: Any) -> dict[str, Any]:
    attachment = {
        "contentType": "application/pdf",
        "data": b64(pdf_bytes() if data is None else data),
        "title": "a.pdf",
    }
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": "11502-2", "display": "Laboratory report"}]},
        "subject": {"reference": f"Patient/{PATIENT}"},
        "content": [{"attachment": attachment}],
    }
    resource.update(changes)
    return resource


def with_attachment(**changes: Any) -> dict[str, Any]:
    resource = new_reference()
    resource["content"][0]["attachment"].update(changes)
    return resource


def scanned_clean(aws: Any, document_id: int | str) -> None:
    """The malware scanner's verdict on a document's file (the scan-result path is tested where it lives)."""
    aws.client("dynamodb").update_item(
        TableName=aws.table,
        Key={"PK": {"S": f"DOC#{document_id}"}, "SK": {"S": "DOC"}},
        UpdateExpression="SET scan_status = :clean",
        ExpressionAttributeValues={":clean": {"S": "clean"}},
    )


def outcome(reply: Reply, status: int, expression: str | None = None) -> dict[str, Any]:
    """The reply is an R4 OperationOutcome with this status, naming ``expression`` when given."""
    assert reply.status == status, reply.body
    assert reply.headers["content-type"].startswith(FHIR_JSON)
    valid_r4(reply.json)
    issue = reply.json["issue"][0]
    assert issue["severity"] == "error"
    if expression is not None:
        assert issue["expression"] == [expression], issue
    return dict(issue)


def audit_actions(aws: Any) -> list[str]:
    items = aws.client("dynamodb").scan(TableName=NAMES["AuditTable"])["Items"]
    return [item["action"]["S"] for item in items]


def search(api: Any, query: str, caller: dict[str, Any] | None = STAFF_12) -> dict[str, Any]:
    reply = fhir_get(api, f"DocumentReference?{query}", caller)
    assert reply.status == 200, reply.body
    bundle = valid_r4(reply.json).as_json()
    assert bundle["type"] == "searchset"
    for entry in bundle.get("entry", []):
        assert entry["search"]["mode"] == "match"
        assert entry["fullUrl"] == f"{BASE}/DocumentReference/{entry['resource']['id']}"
        assert_us_core_document_reference(entry["resource"])
    return dict(bundle)


def ids_of(bundle: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


# ------------------------------------------------------------------ capability statement
def test_metadata_is_an_r4_capability_statement_of_what_door_d_supports(api, aws):
    # When the capability statement is asked for with a token
    reply = fhir_get(api, "metadata")
    # Then it is R4 (4.0.1), JSON, and lists exactly the resources, interactions and search parameters served
    assert reply.status == 200 and reply.headers["content-type"] == FHIR_JSON
    statement = valid_r4(reply.json).as_json()
    assert statement["fhirVersion"] == "4.0.1" and statement["format"] == ["json"]
    assert statement["implementation"]["url"] == BASE
    rest = statement["rest"][0]
    resources = {r["type"]: r for r in rest["resource"]}
    assert sorted(resources) == ["Binary", "DocumentReference"]
    assert sorted(i["code"] for i in resources["DocumentReference"]["interaction"]) == ["create", "read", "search-type"]
    assert [i["code"] for i in resources["Binary"]["interaction"]] == ["read"]
    params = {p["name"]: p["type"] for p in resources["DocumentReference"]["searchParam"]}
    assert params == {"patient": "reference", "_id": "token", "category": "token", "type": "token", "date": "date"}
    # And it claims no SMART on FHIR: the service is a bearer token, nothing more
    codes = [c["code"] for s in rest["security"]["service"] for c in s["coding"]]
    assert codes == ["OAuth"] and "SMART on FHIR is not supported" in rest["security"]["description"]


def test_metadata_needs_the_token_like_every_door_route(api, aws):
    assert fhir_get(api, "metadata", caller=None).status == 401


# ------------------------------------------------------------------ one store: door A -> door D
def test_a_door_a_document_reads_back_as_us_core_and_its_binary_is_the_same_bytes(api, aws):
    # Given a PDF created through door A, scanned clean
    body = {
        "doc": {
            "document_name": "lab.pdf",
            "data": b64(pdf_bytes()),
            "mime_type": "application/pdf",
            "record_type": "Test Result",
        }
    }
    created = call(api, "POST", f"/api/v2/patients/{PATIENT}/documents", body, STAFF_12).json["doc"]
    scanned_clean(aws, created["id"])
    # When door D reads it by the same id
    reply = fhir_get(api, f"DocumentReference/{created['id']}")
    # Then it is a valid US Core DocumentReference of that patient, mapped from door A's fields
    assert reply.status == 200 and reply.headers["content-type"] == FHIR_JSON
    resource = reply.json
    assert_us_core_document_reference(resource)
    assert resource["id"] == str(created["id"]) and resource["subject"]["reference"] == f"Patient/{PATIENT}"
    assert resource["type"]["coding"] == [
        {"system": "http://loinc.org", "code": "11502-2", "display": "Laboratory report"}
    ]
    assert {"system": "urn:patient-docs:record-type", "code": "Test Result", "display": "Test result"} in [
        c["coding"][0] for c in resource["category"]
    ]
    assert resource["date"] == created["upload_date"]
    assert resource["author"] == [
        {
            "type": "Practitioner",
            "identifier": {"system": "urn:patient-docs:user-id", "value": "8821"},
            "display": created["upload_by"],
        }
    ]
    attachment = resource["content"][0]["attachment"]
    assert attachment == {
        "contentType": "application/pdf",
        "url": f"{BASE}/Binary/{created['id']}",
        "size": len(pdf_bytes()),
        "title": "lab.pdf",
        "creation": created["upload_date"],
    }
    # When its Binary is asked for, Then it redirects to a short-lived URL of exactly those bytes
    binary = fhir_get(api, attachment["url"].removeprefix(f"{BASE}/"))
    assert binary.status == 302 and binary.body == b"" and binary.headers["cache-control"] == "no-store"
    location = binary.headers["location"]
    assert "X-Amz-Signature" in location and int(parse_qs(urlsplit(location).query)["X-Amz-Expires"][0]) <= 3600
    assert requests.get(location, timeout=10).content == pdf_bytes()
    # And asked for as a resource, it is an R4 Binary holding the same bytes
    inline = fhir_get(api, f"Binary/{created['id']}", accept=FHIR_JSON)
    assert inline.status == 200
    parsed = valid_r4(inline.json).as_json()
    assert base64.b64decode(parsed["data"]) == pdf_bytes() and parsed["contentType"] == "application/pdf"
    assert parsed["securityContext"] == {"reference": f"DocumentReference/{created['id']}"}
    # And each was recorded like every other read and download
    actions = audit_actions(aws)
    assert actions.count("document.read") == 1 and actions.count("document.downloaded") == 2


def test_documents_of_doors_a_b_and_c_all_appear_in_the_search(api, aws):
    # Given a patient's door C photo (its request names the patient by number) ...
    request = create_request(api)
    patient = request["patient_number"]
    link = request["short_link_id"]
    upload(api, link, session_for(api, link), jpeg_bytes(), "IMG_0101.jpg", "image/jpeg")
    assert register(queued_events(aws)) == {"batchItemFailures": []}
    # ... a door A document and a door B document of the same patient
    door_a = inline_document(api, patient, STAFF_12)
    door_b = saved_document(api, aws.bucket, patient, STAFF_12)
    # When door D searches the patient
    bundle = search(api, f"patient=Patient/{patient}")
    # Then all three are there, valid US Core, newest first, with a total
    assert bundle["total"] == 3 and len(ids_of(bundle)) == 3
    assert ids_of(bundle)[:2] == [str(door_b["id"]), str(door_a["id"])]
    photo = bundle["entry"][2]["resource"]
    assert (
        photo["type"]["text"] == "Photo sent by the patient"
        and photo["content"][0]["attachment"]["contentType"] == "image/jpeg"
    )
    assert photo["author"] == [{"reference": f"Patient/{patient}", "type": "Patient"}]
    assert {
        "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
        "code": "clinical-note",
        "display": "Clinical Note",
    } in [c["coding"][0] for c in photo["category"]]


# ------------------------------------------------------------------ one store: door D -> doors A and B
def test_a_document_created_through_door_d_appears_in_doors_a_and_b(api, aws):
    # When a DocumentReference is posted with its file inline, classified by LOINC, with a description
    resource = new_reference(
        description="Fasting panel",
        type={"coding": [{"system": "http://loinc.org", "code": "64290-0"}], "text": "Insurance card (front)"},
    )
    reply = fhir_post(api, resource)
    # Then it is created (201, Location) and answered as a valid US Core DocumentReference
    assert reply.status == 201, reply.body
    created = reply.json
    assert_us_core_document_reference(created)
    assert reply.headers["location"] == f"{BASE}/DocumentReference/{created['id']}"
    assert created["type"] == {
        "coding": [{"system": "http://loinc.org", "code": "64290-0", "display": "Health insurance card"}],
        "text": "Insurance card (front)",
    }
    assert created["description"] == "Fasting panel"
    # And door A lists it, with its name and type
    door_a = call(api, "GET", f"/api/v2/patients/{PATIENT}/documents", caller=STAFF_12).json["docs"]
    assert [(d["id"], d["document_name"], d["mime_type"]) for d in door_a] == [
        (int(created["id"]), "a.pdf", "application/pdf")
    ]
    # And door B lists it, classified as the LOINC code says, with its notes
    door_b = call(api, "GET", f"/apis/v1/patient-document/{PATIENT}", caller=STAFF_12).json["data"]["documents"]
    assert [(d["id"], d["document_category"], d["document_type"], d["notes"]) for d in door_b] == [
        (int(created["id"]), "INSURANCE_CARD", "Insurance card (front)", "Fasting panel")
    ]
    # And door A's download serves the bytes sent (once scanned)
    scanned_clean(aws, created["id"])
    got = call(api, "GET", f"/api/v2/patients/{PATIENT}/documents/{created['id']}", caller=STAFF_12).json["doc"]
    assert requests.get(got["download_url"], timeout=10).content == pdf_bytes()


def test_a_larger_file_goes_through_door_b_presigned_post_then_its_file_url(api, aws):
    # Given a PNG uploaded straight to storage with door B's presigned POST
    presigned = call(
        api,
        "POST",
        "/apis/v1/file/upload/presigned",
        {"patient_id": PATIENT, "file_name": "scan.png", "content_type": "image/png", "size_bytes": len(png_bytes())},
        STAFF_12,
    ).json["data"]
    files = {"file": ("scan.png", png_bytes(), "image/png")}
    assert requests.post(presigned["url"], data=presigned["fields"], files=files, timeout=10).status_code in (200, 204)
    # When a DocumentReference names its file_url
    resource = new_reference(
        category=[{"coding": [{"system": "urn:patient-docs:document-category", "code": "DIAGNOSTIC_TESTS"}]}]
    )
    resource["content"] = [{"attachment": {"contentType": "image/png", "url": presigned["file_url"], "title": "Scan"}}]
    reply = fhir_post(api, resource, content_type="application/json")
    # Then the document is that file, classified as sent, and door B lists it
    assert reply.status == 201, reply.body
    assert_us_core_document_reference(reply.json)
    attachment = reply.json["content"][0]["attachment"]
    # (an image: no size until its clean copy, what Binary will serve, exists)
    assert (attachment["contentType"], attachment.get("size"), attachment["title"]) == ("image/png", None, "Scan")
    door_b = call(api, "GET", f"/apis/v1/patient-document/{PATIENT}", caller=STAFF_12).json["data"]["documents"]
    assert [(d["document_url"], d["document_category"]) for d in door_b] == [
        (presigned["file_url"], "DIAGNOSTIC_TESTS")
    ]


def test_a_patient_token_creates_its_own_document_and_is_its_author(api, aws):
    reply = fhir_post(api, new_reference(), caller=PATIENT_TOKEN)
    assert reply.status == 201, reply.body
    assert reply.json["author"] == [{"reference": f"Patient/{PATIENT}", "type": "Patient"}]


# ------------------------------------------------------------------ search
def _documents(api: Any, aws: Any) -> list[dict[str, Any]]:
    """Four documents of the patient, oldest first: lab (A), insurance card (B), progress note (D), other (B)."""
    lab = inline_document(api, PATIENT, STAFF_12)
    card = call(
        api,
        "POST",
        f"/apis/v1/patient-document/{saved_document(api, aws.bucket, PATIENT, STAFF_12)['id']}",
        {"document_category": "INSURANCE_CARD"},
        STAFF_12,
    )
    note = fhir_post(api, new_reference(type={"coding": [{"system": "http://loinc.org", "code": "11506-3"}]}))
    other = saved_document(api, aws.bucket, PATIENT, STAFF_12)
    return [
        {"id": str(lab["id"])},
        {"id": str(card.json["data"]["id"])},
        {"id": note.json["id"]},
        {"id": str(other["id"])},
    ]


def test_search_filters_by_category_type_and_date_and_sorts(api, aws):
    lab, card, note, other = (d["id"] for d in _documents(api, aws))
    # category: a code of any system, or system|code; commas are any of, repetitions all of
    assert ids_of(search(api, f"patient={PATIENT}&category=INSURANCE_CARD")) == [card]
    assert ids_of(search(api, f"patient={PATIENT}&category=urn:patient-docs:document-category|OTHER")) == [other]
    assert ids_of(search(api, f"patient={PATIENT}&category=OTHER,INSURANCE_CARD")) == [other, card]
    clinical = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category|clinical-note"
    assert ids_of(search(api, f"patient={PATIENT}&category={clinical}")) == [note]
    assert ids_of(search(api, f"patient={PATIENT}&category={clinical}&category=INSURANCE_CARD")) == []
    # type: LOINC codes, and "unknown" for what has none
    assert ids_of(search(api, f"patient={PATIENT}&type=http://loinc.org|11502-2,64290-0")) == [card, lab]
    assert ids_of(search(api, f"patient={PATIENT}&type=UNK")) == [other]
    # date: today's documents, not tomorrow's; a range by repetition; eq by day
    from patient_docs.rules.timestamps import utc_now

    today = utc_now().date().isoformat()
    assert len(ids_of(search(api, f"patient={PATIENT}&date=ge{today}&date=le{today}"))) == 4
    assert ids_of(search(api, f"patient={PATIENT}&date=gt{today}")) == []
    assert len(ids_of(search(api, f"patient={PATIENT}&date={today}"))) == 4
    assert ids_of(search(api, f"patient={PATIENT}&date=lt2020-01")) == []
    # _sort=date: oldest first
    assert ids_of(search(api, f"patient={PATIENT}&_sort=date")) == [lab, card, note, other]


def test_search_pages_follow_next_links_to_the_end(api, aws):
    expected = [d["id"] for d in reversed(_documents(api, aws))]
    # When the search is read two at a time, following each next link as it is
    bundle = search(api, f"patient=Patient/{PATIENT}&_count=2")
    pages = [bundle]
    while (next_link := next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)) is not None:
        assert next_link.startswith(f"{BASE}/DocumentReference?") and "_cursor=" in next_link
        bundle = search(api, next_link.removeprefix(f"{BASE}/DocumentReference?"))
        pages.append(bundle)
    # Then every document comes once, in order, each page says the total and links itself
    assert [ids_of(page) for page in pages] == [expected[:2], expected[2:]]
    assert all(page["total"] == 4 for page in pages)
    assert all(page["link"][0]["relation"] == "self" for page in pages)


def test_search_refuses_what_it_cannot_read_naming_the_parameter(api, aws):
    cases = {
        "": "patient",
        "patient=Practitioner/1": "patient",
        f"patient={PATIENT}&date=ne2026-01-01": "date",
        f"patient={PATIENT}&date=2026-02-30": "date",
        f"patient={PATIENT}&category=a|": "category",
        f"patient={PATIENT}&_sort=title": "_sort",
        f"patient={PATIENT}&_count=-1": "_count",
        f"patient={PATIENT}&_count=": "_count",
        f"patient={PATIENT}&_summary=nope": "_summary",
        f"patient={PATIENT}&_summary=count,false": "_summary",
        f"patient={PATIENT}&_cursor=bm90IGEgY3Vyc29y": "_cursor",
    }
    for query, parameter in cases.items():
        outcome(fhir_get(api, f"DocumentReference?{query}"), 400, parameter)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("_tag=urn:x|1", "_tag"),
        ("_id:above=1", "_id:above"),
        ("identifier=urn:x|1", "identifier"),
        ("status=superseded", "status"),
        ("contenttype=application/pdf", "contenttype"),
        ("_lastUpdated=ge2026-01-01", "_lastUpdated"),
        ("subject=Patient/1172416", "subject"),
        ("_elements=id", "_elements"),
        ("_include=DocumentReference:subject", "_include"),
        ("_has:Patient:link:id=1", "_has:Patient:link:id"),
        ("type:not=UNK", "type:not"),
        ("category:text=note", "category:text"),
        ("patient:Patient=1172416", "patient:Patient"),
        ("date:missing=true", "date:missing"),
        ("Patient=1172416", "Patient"),
        ("na%20me=1", "query"),
        ("=1", "query"),
    ],
)
def test_search_refuses_every_parameter_and_modifier_it_does_not_read_and_lists_nothing(api, aws, query, parameter):
    # Given a patient with documents
    _documents(api, aws)
    before = audit_actions(aws)
    # When a search adds a parameter (or modifier) that would filter otherwise than the server does,
    # with or without Prefer: handling=lenient
    for prefer in ("handling=strict", "handling=lenient", None):
        headers = {"prefer": prefer} if prefer else {}
        reply = fhir_get(api, f"DocumentReference?patient={PATIENT}&{query}", **headers)
        # Then it is refused naming it, as not supported, and nothing is listed (no audit event either)
        issue = outcome(reply, 400, parameter)
        assert issue["code"] == "not-supported", issue
        assert audit_actions(aws) == before


def test_search_refusals_name_a_parameter_only_in_fhirs_own_shape(api, aws):
    # A parameter name that is free text is refused without being repeated (logs and errors hold no PHI)
    reply = fhir_get(api, f"DocumentReference?patient={PATIENT}&John%20Smith%2001-02-1960=1")
    issue = outcome(reply, 400, "query")
    assert "Smith" not in reply.body.decode() and "1960" not in reply.body.decode(), issue


@pytest.mark.parametrize("asked", ["_count=0", "_summary=count", "_summary=count&_count=3", "_count=0&_summary=false"])
def test_count_0_and_summary_count_answer_the_total_alone(api, aws, asked):
    _documents(api, aws)
    # When the total alone is asked for (FHIR: _count=0 is read as _summary=count)
    bundle = search(api, f"patient={PATIENT}&type=UNK,11502-2&{asked}")
    # Then the Bundle holds the total of the matches and no entry, and its self link says what was applied
    assert bundle["total"] == 2 and "entry" not in bundle
    assert [link["relation"] for link in bundle["link"]] == ["self"]
    applied = parse_qs(urlsplit(bundle["link"][0]["url"]).query)
    assert applied["_summary"] == ["count"] and "_count" not in applied and applied["type"] == ["UNK,11502-2"]


def test_a_count_above_the_maximum_is_read_as_the_maximum(api, aws, monkeypatch):
    documents = [d["id"] for d in reversed(_documents(api, aws))]
    monkeypatch.setattr("functions.fhir_document_reference_search.app.MAX_COUNT", 3)
    # When a page larger than the maximum is asked for
    bundle = search(api, f"patient={PATIENT}&_count=1000000")
    # Then the page holds the maximum, says so in its self link, and the next link goes on from there
    assert ids_of(bundle) == documents[:3] and bundle["total"] == 4
    links = {link["relation"]: parse_qs(urlsplit(link["url"]).query) for link in bundle["link"]}
    assert links["self"]["_count"] == ["3"] and links["next"]["_count"] == ["3"]


def test_summary_data_and_false_are_the_whole_resources_and_true_and_text_are_not_supported(api, aws):
    _documents(api, aws)
    whole = search(api, f"patient={PATIENT}")
    for value in ("data", "false"):
        assert ids_of(search(api, f"patient={PATIENT}&_summary={value}")) == ids_of(whole)
    before = audit_actions(aws)
    for value in ("true", "text"):
        issue = outcome(fhir_get(api, f"DocumentReference?patient={PATIENT}&_summary={value}"), 400, "_summary")
        assert issue["code"] == "not-supported"
    assert audit_actions(aws) == before


def test_search_by_id_answers_the_patients_documents_named_and_only_those(api, aws):
    lab, card, note, other = (d["id"] for d in _documents(api, aws))
    theirs = str(inline_document(api, PATIENT + 1, STAFF_12)["id"])
    elsewhere = str(inline_document(api, PATIENT, OTHER_ACCOUNTS_STAFF)["id"])
    # One id, any of several (in the list's order), all of several (none), with the other parameters
    assert ids_of(search(api, f"patient={PATIENT}&_id={lab}")) == [lab]
    assert ids_of(search(api, f"patient={PATIENT}&_id={lab},{note},9007199254740991")) == [note, lab]
    assert ids_of(search(api, f"patient={PATIENT}&_id={lab},{note}&_sort=date")) == [lab, note]
    assert ids_of(search(api, f"patient={PATIENT}&_id={lab},{note}&_id={note},{card}")) == [note]
    assert ids_of(search(api, f"patient={PATIENT}&_id={lab}&_id={note}")) == []
    assert ids_of(search(api, f"patient={PATIENT}&_id={lab},{note}&type=UNK,11506-3")) == [note]
    assert ids_of(search(api, f"patient={PATIENT}&_id={lab}&date=lt2020")) == []
    # Another patient's document, another account's: not there
    assert ids_of(search(api, f"patient={PATIENT}&_id={theirs},{elsewhere}")) == []
    assert ids_of(search(api, f"patient={PATIENT}&_id={note}", PATIENT_TOKEN)) == [note]
    # In pages, with the total; the links repeat _id
    bundle = search(api, f"patient={PATIENT}&_id={lab},{card},{other}&_count=2")
    assert ids_of(bundle) == [other, card] and bundle["total"] == 3
    next_url = next(link["url"] for link in bundle["link"] if link["relation"] == "next")
    assert parse_qs(urlsplit(next_url).query)["_id"] == [f"{lab},{card},{other}"]
    assert ids_of(search(api, next_url.removeprefix(f"{BASE}/DocumentReference?"))) == [lab]
    assert search(api, f"patient={PATIENT}&_id={lab},{card}&_summary=count")["total"] == 2
    # An id written otherwise is refused, naming _id, and nothing is listed
    before = audit_actions(aws)
    for value in (f"0{lab}", "abc", f"{lab},", "0", "9007199254740992", ",".join(str(n) for n in range(1, 102))):
        outcome(fhir_get(api, f"DocumentReference?patient={PATIENT}&_id={value}"), 400, "_id")
    assert audit_actions(aws) == before


def test_a_cursor_of_another_patients_search_is_refused(api, aws):
    # Given a next link of patient 1172416's search
    for _ in range(2):
        inline_document(api, PATIENT, STAFF_12)
    next_url = next(
        link["url"] for link in search(api, f"patient={PATIENT}&_count=1")["link"] if link["relation"] == "next"
    )
    cursor = parse_qs(urlsplit(next_url).query)["_cursor"][0]
    # When its cursor is used for another patient, Then it is refused
    outcome(fhir_get(api, f"DocumentReference?patient={PATIENT + 1}&_cursor={cursor}"), 400, "_cursor")


# ------------------------------------------------------------------ who sees what
def test_patient_tokens_see_their_own_documents_only(api, aws):
    mine = inline_document(api, PATIENT, STAFF_12)
    theirs = inline_document(api, PATIENT + 1, STAFF_12)
    scanned_clean(aws, theirs["id"])
    assert ids_of(search(api, f"patient={PATIENT}", PATIENT_TOKEN)) == [str(mine["id"])]
    for path in (
        f"DocumentReference?patient={PATIENT + 1}",
        f"DocumentReference/{theirs['id']}",
        f"Binary/{theirs['id']}",
    ):
        outcome(fhir_get(api, path, PATIENT_TOKEN), 404)
    outcome(fhir_post(api, new_reference(subject={"reference": f"Patient/{PATIENT + 1}"}), PATIENT_TOKEN), 404)


def test_another_accounts_staff_get_404_for_everything(api, aws):
    doc = inline_document(api, PATIENT, STAFF_12)
    scanned_clean(aws, doc["id"])
    for path in (f"DocumentReference/{doc['id']}", f"Binary/{doc['id']}"):
        issue = outcome(fhir_get(api, path, OTHER_ACCOUNTS_STAFF), 404)
        assert issue["code"] == "not-found" and "owner-secret" not in json.dumps(issue)
    assert search(api, f"patient={PATIENT}", OTHER_ACCOUNTS_STAFF).get("entry") is None


def test_an_existing_documents_id_with_a_leading_zero_is_a_400_naming_id_not_the_document(api, aws):
    # Given a document, clean (so that its Binary would be served)
    doc = inline_document(api, PATIENT, STAFF_12)
    scan_all(aws)
    before = audit_actions(aws)
    # When it is read with its id written with a leading zero, Then it is refused (FHIR: the id read is the
    # URL's), and nothing is read or handed out
    for path in (f"DocumentReference/0{doc['id']}", f"Binary/0{doc['id']}", f"DocumentReference/00{doc['id']}"):
        reply = fhir_get(api, path, accept=FHIR_JSON)
        outcome(reply, 400, "id")
        assert "location" not in reply.headers
    assert audit_actions(aws) == before
    assert fhir_get(api, f"DocumentReference/{doc['id']}").json["id"] == str(doc["id"])


# ------------------------------------------------------------------ Binary: the download gates
def test_a_binary_not_yet_scanned_is_409_with_retry_after_and_no_url(api, aws):
    doc = inline_document(api, PATIENT, STAFF_12)
    reply = fhir_get(api, f"Binary/{doc['id']}")
    outcome(reply, 409)
    assert "location" not in reply.headers and int(reply.headers["retry-after"]) > 0


def test_no_url_without_its_stored_audit_event(api, aws):
    # Given a clean document, and an audit trail that cannot be written
    doc = inline_document(api, PATIENT, STAFF_12)
    scan_all(aws)  # (through the scanner's event: an image is served once its clean copy is made too)
    with Outage("dynamodb", "AccessDeniedException", "PutItem"):
        reply = fhir_get(api, f"Binary/{doc['id']}")
    # Then there is no redirect, only a 503
    outcome(reply, 503)
    assert "location" not in reply.headers and "document.downloaded" not in audit_actions(aws)


def test_a_binary_over_the_inline_size_is_redirected_even_when_asked_as_a_resource(api, aws, monkeypatch):
    from patient_docs.logic import read_binary

    monkeypatch.setattr(read_binary, "INLINE_BINARY_MAX_BYTES", len(png_bytes()) - 1)
    doc = inline_document(api, PATIENT, STAFF_12)
    scan_all(aws)  # (through the scanner's event: an image is served once its clean copy is made too)
    reply = fhir_get(api, f"Binary/{doc['id']}", accept=FHIR_JSON)
    # (to the image's clean copy: docs/images.md)
    assert reply.status == 302 and key_of_presigned_url(reply.headers["location"], aws.bucket).startswith(
        "derived/accounts/12/"
    )


# ------------------------------------------------------------------ formats: FHIR R4 JSON only
@pytest.mark.parametrize(
    ("headers", "query", "refused"),
    [
        ({"accept": "application/fhir+xml"}, "", "Accept"),
        ({"accept": "application/xml, text/html"}, "", "Accept"),
        ({"accept": "application/fhir+json; fhirVersion=3.0"}, "", "Accept"),
        ({}, "_format=xml", "_format"),
        ({"accept": FHIR_JSON}, "_format=application/fhir+xml", "_format"),
        ({}, "_format=ttl", "_format"),
    ],
)
def test_a_format_other_than_fhir_r4_json_is_406_and_reads_nothing(api, aws, headers, query, refused):
    doc = inline_document(api, PATIENT, STAFF_12)
    before = audit_actions(aws)
    for path in ("metadata", f"DocumentReference/{doc['id']}", f"DocumentReference?patient={PATIENT}"):
        separator = "&" if "?" in path else "?"
        reply = fhir_get(api, f"{path}{separator}{query}" if query else path, **headers)
        # Then it is a 406, an OperationOutcome in JSON naming what asked for it, and nothing was read
        issue = outcome(reply, 406, refused)
        assert issue["code"] == "not-supported"
    assert audit_actions(aws) == before


@pytest.mark.parametrize(
    ("accept", "query"),
    [
        (None, ""),
        (FHIR_JSON, ""),
        ("application/json", ""),
        ("*/*", ""),
        ("application/*", ""),
        ("application/fhir+json; fhirVersion=4.0", ""),
        ("application/fhir+xml;q=0.9, application/json;q=0.5", ""),
        ("application/fhir+xml", "_format=json"),
        ("text/html", "_format=application/fhir%2Bjson"),
    ],
)
def test_fhir_json_is_answered_to_what_admits_it(api, aws, accept, query):
    doc = inline_document(api, PATIENT, STAFF_12)
    headers = {"accept": accept} if accept else {}
    for path in ("metadata", f"DocumentReference/{doc['id']}", f"DocumentReference?patient={PATIENT}"):
        separator = "&" if "?" in path else "?"
        reply = fhir_get(api, f"{path}{separator}{query}" if query else path, **headers)
        assert reply.status == 200 and reply.headers["content-type"] == FHIR_JSON, (path, reply.body)
        valid_r4(reply.json)


def test_pretty_lays_the_json_out_and_takes_true_or_false(api, aws):
    plain = fhir_get(api, "metadata?_pretty=false")
    laid_out = fhir_get(api, "metadata?_pretty=true")
    assert laid_out.status == 200 and b"\n  " in laid_out.body and laid_out.json == plain.json
    assert b"\n" not in plain.body
    outcome(fhir_get(api, f"DocumentReference?patient={PATIENT}&_pretty=yes"), 400, "_pretty")


def test_binary_answers_the_resource_the_file_or_406(api, aws):
    doc = inline_document(api, PATIENT, STAFF_12)
    scan_all(aws)
    # _format=json asks for the resource, whatever Accept says
    reply = fhir_get(api, f"Binary/{doc['id']}?_format=json", accept="image/png")
    assert reply.status == 200 and valid_r4(reply.json).as_json()["resourceType"] == "Binary"
    # the file itself, by default or when Accept admits any type
    for accept in ("*/*", "image/png", "application/pdf, application/fhir+xml"):
        assert fhir_get(api, f"Binary/{doc['id']}", accept=accept).status == 302
    downloads = audit_actions(aws).count("document.downloaded")
    # FHIR formats other than R4 JSON cannot be made: 406, and no download is recorded or handed out
    for query, accept, refused in (
        ("", "application/fhir+xml", "Accept"),
        ("", "application/fhir+json; fhirVersion=5.0", "Accept"),
        ("?_format=xml", FHIR_JSON, "_format"),
    ):
        reply = fhir_get(api, f"Binary/{doc['id']}{query}", accept=accept)
        outcome(reply, 406, refused)
        assert "location" not in reply.headers
    assert audit_actions(aws).count("document.downloaded") == downloads


def test_create_refuses_a_format_it_cannot_answer_and_a_body_of_another_fhir_version(api, aws):
    raw = json.dumps(new_reference()).encode()
    for headers, status in (
        ({"content-type": FHIR_JSON, "accept": "application/fhir+xml"}, 406),
        ({"content-type": "application/fhir+json; fhirVersion=3.0"}, 415),
        ({"content-type": "application/json; fhirVersion=5.0"}, 415),
    ):
        reply = call(api, "POST", "/fhir/R4/DocumentReference", None, STAFF_12, headers, raw)
        outcome(reply, status)
        assert aws.all_items() == [] and aws.all_objects() == []
    headers = {"content-type": "application/fhir+json; fhirVersion=4.0", "accept": "application/fhir+json"}
    assert call(api, "POST", "/fhir/R4/DocumentReference", None, STAFF_12, headers, raw).status == 201


# ------------------------------------------------------------------ create: refusals write nothing
@pytest.mark.parametrize(
    ("resource", "expression"),
    [
        (new_reference(resourceType="Patient"), "DocumentReference.resourceType"),
        (new_reference(status="superseded"), "DocumentReference.status"),
        (new_reference(status=None), "DocumentReference.status"),
        (new_reference(colour="blue"), "colour"),
        (new_reference(modifierExtension=[{"url": "http://example.org/x"}]), "DocumentReference.modifierExtension"),
        (new_reference(securityLabel=[{"coding": [{"code": "R"}]}]), "DocumentReference.securityLabel"),
        (new_reference(subject={"reference": "Group/7"}), "DocumentReference.subject.reference"),
        (new_reference(content=[]), "DocumentReference.content"),
        (with_attachment(url="https://example.org/a.pdf"), "DocumentReference.content.attachment"),
        (with_attachment(data="not base64!"), "DocumentReference.content[0].attachment.data"),
        (with_attachment(contentType="application/zip"), "DocumentReference.content[0].attachment.contentType"),
        (with_attachment(data=b64(png_bytes())), "DocumentReference.content[0].attachment.contentType"),
        (with_attachment(size=3), "DocumentReference.content[0].attachment.size"),
        (with_attachment(hash=b64(b"0" * 20)), "DocumentReference.content[0].attachment.hash"),
        (with_attachment(title="../etc/passwd"), "DocumentReference.content.attachment.title"),
        (new_reference(date="Smith-John"), "DocumentReference.date"),
        (new_reference(date="2026-12-02"), "DocumentReference.date"),
        (new_reference(date="2026-12-02T10:00:00"), "DocumentReference.date"),
        (new_reference(date="2026-02-30T10:00:00Z"), "DocumentReference.date"),
        (new_reference(date="2026-12-02T10:00Z"), "DocumentReference.date"),
        (new_reference(date="2026-12-02T10:00:00+15:00"), "DocumentReference.date"),
        (new_reference(date=20261202), "DocumentReference.date"),
        (with_attachment(creation="not-a-date"), "DocumentReference.content.attachment.creation"),
        (with_attachment(creation="2026-13"), "DocumentReference.content.attachment.creation"),
        (with_attachment(creation="2025-02-29"), "DocumentReference.content.attachment.creation"),
        (with_attachment(creation="2026-12-02T10:00"), "DocumentReference.content.attachment.creation"),
        (with_attachment(creation="0000"), "DocumentReference.content.attachment.creation"),
        (with_attachment(size="45"), "DocumentReference.content.attachment.size"),
        (with_attachment(size=45.0), "DocumentReference.content.attachment.size"),
        (with_attachment(size=True), "DocumentReference.content.attachment.size"),
        (with_attachment(size=-1), "DocumentReference.content.attachment.size"),
        (
            new_reference(type={"coding": [{"code": "11502-2", "userSelected": "true"}]}),
            "DocumentReference.type.coding.userSelected",
        ),
        (
            new_reference(category=[{"coding": [{"system": "urn:patient-docs:document-category", "code": "NOPE"}]}]),
            "DocumentReference.category.coding.code",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_create_refusals_are_operation_outcomes_naming_the_element_and_write_nothing(api, aws, resource, expression):
    reply = fhir_post(api, resource)
    outcome(reply, 400, expression)
    assert aws.all_items() == [] and aws.all_objects() == []


@pytest.mark.parametrize(
    ("date", "creation"),
    [
        ("2026-12-02T10:00:00Z", "2026"),
        ("2026-12-02T10:00:00.123+14:00", "2026-12"),
        ("2016-12-31T23:59:60Z", "2024-02-29"),
        ("2026-12-02T10:00:00-05:00", "2026-12-02T10:00:00.5Z"),
    ],
)
def test_create_takes_fhirs_instant_and_datetime_and_keeps_the_servers_clock(api, aws, date, creation):
    reply = fhir_post(api, with_attachment(creation=creation, size=len(pdf_bytes())) | {"date": date})
    assert reply.status == 201, reply.body
    assert reply.json["date"] != date and reply.json["content"][0]["attachment"]["creation"] == reply.json["date"]


def test_create_of_a_file_of_another_patients_area_is_refused(api, aws):
    # Given a file uploaded for another patient
    theirs = saved_document(api, aws.bucket, PATIENT + 1, STAFF_12)
    before = aws.all_items()
    # When a DocumentReference of this patient names it, Then it is refused and nothing is written
    reply = fhir_post(
        api, new_reference(content=[{"attachment": {"contentType": "image/png", "url": theirs["document_url"]}}])
    )
    outcome(reply, 400, "DocumentReference.content[0].attachment.url")
    assert aws.all_items() == before


def test_create_over_the_inline_limit_is_413_pointing_to_the_presigned_path(api, aws, monkeypatch):
    from patient_docs.settings import get_settings

    monkeypatch.setenv("INLINE_MAX_BYTES", "100")
    get_settings.cache_clear()
    reply = fhir_post(api, new_reference(data=pdf_bytes() + b"0" * 200))
    issue = outcome(reply, 413, "DocumentReference.content[0].attachment.data")
    assert issue["code"] == "too-long" and "content[0].attachment.url" in issue["diagnostics"]
    assert aws.all_items() == [] and aws.all_objects() == []
    get_settings.cache_clear()


def test_create_accepts_a_matching_size_and_hash_and_both_json_media_types(api, aws):
    digest = base64.b64encode(hashlib.sha1(pdf_bytes(), usedforsecurity=False).digest()).decode()
    assert fhir_post(api, with_attachment(size=len(pdf_bytes()), hash=digest)).status == 201
    assert fhir_post(api, new_reference(), content_type="application/json; charset=utf-8").status == 201
    outcome(fhir_post(api, new_reference(), content_type="text/plain"), 415)


# ------------------------------------------------------------------ Idempotency-Key
def fhir_post_with_key(api: Any, resource: dict[str, Any], key: str, caller: dict[str, Any] = STAFF_12) -> Reply:
    raw = json.dumps(resource).encode()
    headers = {"content-type": FHIR_JSON, "idempotency-key": key}
    return call(api, "POST", "/fhir/R4/DocumentReference", None, caller, headers, raw)


def test_a_retry_with_the_same_key_returns_the_first_resource_and_location_and_stores_nothing(api, aws, announced):
    # Given a create with an Idempotency-Key
    first = fhir_post_with_key(api, new_reference(), "dr-7f3a")
    assert first.status == 201, first.body
    after_first = stored(aws)
    # When it is sent again with the same key and resource
    retry = fhir_post_with_key(api, new_reference(), "dr-7f3a")
    # Then the retry answers the first: status, resource, Location and media type
    assert retry.status == 201 and retry.json == first.json
    assert retry.headers["location"] == first.headers["location"] == f"{BASE}/DocumentReference/{first.json['id']}"
    assert retry.headers["content-type"] == first.headers["content-type"]
    assert_us_core_document_reference(retry.json)
    # And nothing more is stored: no item, no object, no audit event, no webhook announcement
    assert stored(aws) == after_first
    assert len(items_of(aws, "document")) == 1 and len(aws.all_objects()) == 1
    assert len(records(aws, "create_document_reference")) == 1
    assert [event["type"] for event in announced] == ["document.created"]
    # And door A's key records are door D's own: the inline file went through door A's create without one
    assert records(aws, "create_inline_document") == []


def test_the_same_key_with_another_resource_is_422_business_rule_and_stores_nothing(api, aws, announced):
    # Given a create with key dr-7f3a
    fhir_post_with_key(api, new_reference(), "dr-7f3a")
    before = stored(aws)
    # When the key comes back with another resource
    reply = fhir_post_with_key(api, new_reference(description="Another"), "dr-7f3a")
    # Then 422: an OperationOutcome naming the header, and nothing is stored
    issue = outcome(reply, 422, "Idempotency-Key")
    assert issue["code"] == "business-rule" and "different request body" in issue["diagnostics"]
    assert stored(aws) == before and len(announced) == 1


def test_a_retry_of_a_create_by_file_url_answers_the_first_instead_of_a_409(api, aws):
    # Given a file uploaded first, and a DocumentReference naming it created with a key
    presigned = call(
        api,
        "POST",
        "/apis/v1/file/upload/presigned",
        {
            "patient_id": PATIENT,
            "file_name": "scan.pdf",
            "content_type": "application/pdf",
            "size_bytes": len(pdf_bytes()),
        },
        STAFF_12,
    ).json["data"]
    files = {"file": ("scan.pdf", pdf_bytes(), "application/pdf")}
    assert requests.post(presigned["url"], data=presigned["fields"], files=files, timeout=10).status_code in (200, 204)
    resource = new_reference()
    resource["content"] = [{"attachment": {"contentType": "application/pdf", "url": presigned["file_url"]}}]
    first = fhir_post_with_key(api, resource, "by-url-1")
    assert first.status == 201, first.body
    # When it is retried with the key, Then the first answer; without it, the file's one record (409)
    assert fhir_post_with_key(api, resource, "by-url-1").json == first.json
    assert outcome(fhir_post(api, resource), 409)["code"] == "conflict"
    assert len(items_of(aws, "document")) == 1


def test_an_invalid_key_is_400_naming_the_header_and_stores_nothing(api, aws):
    outcome(fhir_post_with_key(api, new_reference(), "x" * 256), 400, "Idempotency-Key")
    assert aws.all_items() == [] and aws.all_objects() == []


def test_without_a_key_each_create_is_a_new_document(api, aws):
    assert fhir_post(api, new_reference()).json["id"] != fhir_post(api, new_reference()).json["id"]
    assert len(items_of(aws, "document")) == 2 and records(aws, "create_document_reference") == []


# ------------------------------------------------------------------ images: the attachment describes what Binary serves
def sha1_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode()


def served_bytes(api: Any, document_id: int | str) -> tuple[bytes, str]:
    """What Binary serves, both ways (the redirect's bytes and the inline resource's), and its contentType."""
    redirect = fhir_get(api, f"Binary/{document_id}")
    assert redirect.status == 302, redirect.body
    fetched = requests.get(redirect.headers["location"], timeout=10).content
    inline = fhir_get(api, f"Binary/{document_id}", accept=FHIR_JSON)
    assert inline.status == 200, inline.body
    binary = valid_r4(inline.json).as_json()
    assert base64.b64decode(binary["data"]) == fetched
    return fetched, str(binary["contentType"])


def read_reference(api: Any, document_id: int | str) -> dict[str, Any]:
    reply = fhir_get(api, f"DocumentReference/{document_id}")
    assert reply.status == 200, reply.body
    assert_us_core_document_reference(reply.json)
    return dict(reply.json)


def test_a_heic_reads_as_the_jpeg_binary_serves_once_processed_and_its_last_updated_moves(api, aws):
    # Given a HEIC with GPS created through door D
    sent = gps_heic()
    resource = new_reference(sent)
    resource["content"][0]["attachment"].update(contentType="image/heic", title="IMG_0001.HEIC", size=len(sent))
    created = fhir_post(api, resource)
    assert created.status == 201, created.body
    doc_id = created.json["id"]
    # Then before it is processed it says the type it will be served as, and no size: Binary serves nothing yet
    attachment = created.json["content"][0]["attachment"]
    assert attachment["contentType"] == "image/jpeg" and "size" not in attachment and "hash" not in attachment
    assert read_reference(api, doc_id) == created.json
    outcome(fhir_get(api, f"Binary/{doc_id}"), 409)
    # When it is scanned clean (which makes its clean copy)
    scan_all(aws)
    # Then the read describes exactly the bytes Binary serves: type, size and SHA-1
    served, binary_type = served_bytes(api, doc_id)
    assert served.startswith(b"\xff\xd8") and metadata_of(served) == {} and len(served) != len(sent)
    read = read_reference(api, doc_id)
    attachment = read["content"][0]["attachment"]
    assert attachment["contentType"] == binary_type == "image/jpeg"
    assert attachment["size"] == len(served) and attachment["hash"] == sha1_b64(served)
    # And the resource changed, so its lastUpdated moved; the rest is as created
    assert datetime.fromisoformat(read["meta"]["lastUpdated"]) > datetime.fromisoformat(
        created.json["meta"]["lastUpdated"]
    )
    assert {k: v for k, v in read.items() if k not in ("meta", "content")} == {
        k: v for k, v in created.json.items() if k not in ("meta", "content")
    }
    # And the search says the same as the read
    (entry,) = search(api, f"patient={PATIENT}")["entry"]
    assert entry["resource"] == read


def test_a_jpeg_with_gps_from_door_a_reads_as_its_clean_copy_and_a_repeated_result_changes_nothing(api, aws):
    # Given a camera JPEG with EXIF and GPS posted through door A, scanned and processed
    sent = rotated_jpeg()
    doc = {"document_name": "a.jpg", "data": b64(sent), "mime_type": "image/jpeg", "record_type": "Test Result"}
    body = {"doc": doc}
    created = call(api, "POST", f"/api/v2/patients/{PATIENT}/documents", body, STAFF_12).json["doc"]
    (key,) = scan_all(aws)
    # When door D reads it
    read = read_reference(api, created["id"])
    served, binary_type = served_bytes(api, created["id"])
    # Then its size and hash are the clean copy's (metadata stripped: fewer bytes than were sent), not the original's
    attachment = read["content"][0]["attachment"]
    assert len(served) < len(sent) and metadata_of(served) == {}
    assert (attachment["contentType"], attachment["size"], attachment["hash"]) == (
        binary_type,
        len(served),
        sha1_b64(served),
    )
    # When the same verdict is delivered again, then nothing moves
    scanning.deliver(scanning.result_event(aws, key))
    assert read_reference(api, created["id"]) == read


def test_an_image_that_cannot_be_decoded_keeps_what_its_create_said_and_binary_withholds_it(api, aws):
    # Given a JPEG that cannot be decoded, created through door D
    resource = new_reference(corrupt_jpeg())
    resource["content"][0]["attachment"].update(contentType="image/jpeg", title="broken.jpg")
    created = fhir_post(api, resource)
    assert created.status == 201, created.body
    # When it is scanned and refused by the image processor
    scan_all(aws)
    # Then its DocumentReference is unchanged (no size: nothing is served) and Binary withholds it
    assert read_reference(api, created.json["id"]) == created.json
    assert "size" not in created.json["content"][0]["attachment"]
    assert outcome(fhir_get(api, f"Binary/{created.json['id']}"), 409)["code"] == "suppressed"
