"""GET /v1/audit-events (admins of the account) and GET /v1/me/access-log (a patient), through the real
handlers against moto: filters, order, paging, who may read, and that reading is recorded too."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from patient_docs.rules.cursors import encode_cursor
from tests.integration.test_audit_trail import (  # noqa: F401 - the fixture is used by its name
    ADMIN_12,
    NAMED_STAFF,
    PATIENT,
    _files_are_served_unscanned,
    audit_events,
    inline_document,
)
from tests.utils import STAFF_12, STAFF_13, call

OTHER_PATIENT = 1172417
PATIENT_TOKEN = {"role": "patient", "account": "12", "patient": PATIENT}


def events(api: Any, query: str = "", caller: dict[str, Any] = ADMIN_12) -> Any:
    reply = call(api, "GET", f"/v1/audit-events{'?' + query if query else ''}", caller=caller)
    assert reply.status == 200, reply.body
    return reply.json


@pytest.fixture
def history(api, aws, clock):
    """Two patients' documents, opened by two staff members an hour apart, and a settings change."""
    first = inline_document(api)
    call(api, "GET", f"/api/v2/patients/{PATIENT}/documents/{first['id']}", caller=NAMED_STAFF)
    clock.advance(3600)
    second = inline_document(api, STAFF_12, OTHER_PATIENT)
    call(api, "GET", f"/api/v2/patients/{OTHER_PATIENT}/documents/{second['id']}", caller=STAFF_12)
    call(api, "PUT", "/v1/account-settings", {"smsSenderId": "Clinic12", "linkLifetimeHours": 24}, ADMIN_12)
    return first, second


def test_an_admin_reads_the_accounts_events_newest_first_in_the_documented_shape(api, history):
    _, second = history
    page = events(api)
    assert [e["action"] for e in page["events"]] == [
        "account_settings.changed",
        "document.downloaded",
        "document.created",
        "document.downloaded",
        "document.created",
    ]
    assert page["next_cursor"] is None
    newest = page["events"][1]
    assert set(newest) == {"id", "at", "actor", "action", "target", "outcome", "request_id", "source_ip"}
    assert newest["actor"]["sub"] == "staff-12-caller" or newest["actor"]["role"] == "staff"
    assert newest["actor"]["account_id"] == "12"
    assert newest["target"] == {
        "patient_id": OTHER_PATIENT,
        "document_id": second["id"],
        "file_request_id": None,
        "file_id": None,
        "webhook_id": None,
        "webhook_delivery_id": None,
    }
    assert newest["outcome"] == "success" and newest["request_id"]
    times = [e["at"] for e in page["events"]]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"patient_id={PATIENT}", ["document.downloaded", "document.created"]),
        ("action=document.created", ["document.created", "document.created"]),
        ("actor=staff-12-rw", ["document.downloaded", "document.created"]),
        (f"patient_id={OTHER_PATIENT}&action=document.downloaded", ["document.downloaded"]),
    ],
)
def test_filters_narrow_the_events(api, history, query, expected):
    assert [e["action"] for e in events(api, query)["events"]] == expected


def test_a_document_and_a_time_window_narrow_them_too(api, history):
    first, _ = history
    by_document = events(api, f"document_id={first['id']}")["events"]
    assert {e["target"]["document_id"] for e in by_document} == {first["id"]}
    assert len(by_document) == 2
    # The first hour only: the first patient's events
    window = events(api)["events"]
    start, end = window[-1]["at"], window[-2]["at"]
    within = events(api, f"from={start.replace('+00:00', 'Z')}&to={end.replace('+00:00', 'Z')}")["events"]
    assert "." in start  # to the microsecond: a time read from one event bounds a window exactly
    assert [e["target"]["patient_id"] for e in within] == [PATIENT, PATIENT]


def test_a_file_requests_events_are_found_by_its_id(api, aws):
    from tests.integration.page_helpers import create_request

    created = create_request(api)
    call(api, "GET", f"/r/{created['short_link_id']}")
    found = events(api, f"file_request_id={created['id']}")["events"]
    assert [e["action"] for e in found] == ["patient_page.opened", "file_request.created"]
    assert found[0]["actor"] == {
        "sub": None,
        "role": "link",
        "account_id": "12",
        "patient_id": None,
        "link": created["id"],
        "display_name": None,
    }


def test_pages_follow_one_another_with_the_cursor(api, history):
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = events(api, "limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert len(page["events"]) <= 2
        seen.extend(e["id"] for e in page["events"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Every event of the history, once each (the readings themselves, recorded after, come later)
    assert len(seen) == len(set(seen)) >= 5


def test_a_patients_chain_pages_with_its_own_cursor(api, history):
    page = events(api, f"patient_id={PATIENT}&limit=1")
    assert page["next_cursor"]
    rest = events(api, f"patient_id={PATIENT}&limit=1&cursor={page['next_cursor']}")
    assert [e["action"] for e in page["events"] + rest["events"]] == ["document.downloaded", "document.created"]
    # A cursor of one list is no cursor of another
    reply = call(api, "GET", f"/v1/audit-events?cursor={page['next_cursor']}", caller=ADMIN_12)
    assert reply.status == 400 and reply.json["error"]["field"] == "cursor"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("action=document.stolen", "action"),
        ("from=yesterday", "from"),
        ("from=2026-12-02&to=2026-12-01", "from"),
        ("cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("limit=0", "limit"),
        ("patient_id=0", "patient_id"),
        ("file_request_id=not-a-uuid", "file_request_id"),
    ],
)
def test_bad_filters_are_400_naming_the_field(api, aws, query, field):
    reply = call(api, "GET", f"/v1/audit-events?{query}", caller=ADMIN_12)
    assert reply.status == 400, reply.body
    assert reply.json["error"]["field"] == field


def test_only_an_admin_of_the_account_reads_it(api, history):
    # Staff of the account: 403 (they belong to the account but lack the right); a patient: 404
    assert call(api, "GET", "/v1/audit-events", caller=STAFF_12).status == 403
    assert call(api, "GET", "/v1/audit-events", caller=PATIENT_TOKEN).status == 404
    # Another account's admin reads none of account 12's events
    other_admin = {**STAFF_13, "role": "admin"}
    assert [e for e in events(api, caller=other_admin)["events"] if e["actor"]["account_id"] == "12"] == []


def test_reading_the_trail_is_recorded(api, aws, history):
    events(api, f"patient_id={PATIENT}")
    reads = [e for e in audit_events(aws) if e["action"] == "audit_events.read"]
    assert len(reads) == 1
    assert (reads[0]["actor_sub"], reads[0]["patient_id"]) == ("admin-12-auditor", PATIENT)
    # And shows up in the next reading
    assert events(api, "action=audit_events.read")["events"][0]["actor"]["sub"] == "admin-12-auditor"


# ------------------------------------------------------------------ a patient's own access log
def test_a_patient_sees_who_opened_its_documents_and_no_one_elses(api, aws, history):
    first, _ = history
    reply = call(api, "GET", "/v1/me/access-log", caller=PATIENT_TOKEN)
    assert reply.status == 200, reply.body
    entries = reply.json["entries"]
    assert entries == [
        {
            "at": entries[0]["at"],
            "action": "document.downloaded",
            "actor": {"role": "staff", "display_name": "Dr Rachel Williams"},
            "document_id": first["id"],
        },
        {
            "at": entries[1]["at"],
            "action": "document.created",
            "actor": {"role": "staff", "display_name": "Dr Rachel Williams"},
            "document_id": first["id"],
        },
    ]
    assert reply.json["next_cursor"] is None
    # And its reading is recorded, on its own chain, by the patient's token (no name kept)
    (read,) = [e for e in audit_events(aws) if e["action"] == "access_log.read"]
    assert (read["actor_role"], read["actor_patient_id"], read.get("actor_name")) == ("patient", PATIENT, None)


def test_the_access_log_pages_and_is_a_patients_only(api, history):
    first = call(api, "GET", "/v1/me/access-log?limit=1", caller=PATIENT_TOKEN).json
    assert len(first["entries"]) == 1 and first["next_cursor"]
    rest = call(api, "GET", f"/v1/me/access-log?limit=1&cursor={first['next_cursor']}", caller=PATIENT_TOKEN).json
    assert rest["entries"][0]["action"] == "document.created"
    # Staff and admins have no log of their own: 404
    assert call(api, "GET", "/v1/me/access-log", caller=STAFF_12).status == 404
    assert call(api, "GET", "/v1/me/access-log", caller=ADMIN_12).status == 404


# ------------------------------------------------------------------ cursors: the position's seq is a DynamoDB number
def _position(cursor: str) -> dict[str, str]:
    decoded: dict[str, str] = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return decoded


def _with_seq(cursor: str, seq: str) -> str:
    return encode_cursor({**_position(cursor), "seq": seq})


# A seq of a real position is 1..2^53-1 in the digits 0-9. These pass str.isdigit() but are no such
# number: a superscript two, Arabic-Indic and fullwidth digits, and numbers past DynamoDB's 38 digits.
NOT_A_SEQ = ["²", "٣", "３", "1" * 39, "9" * 256, "0", "01", "", "-1", "1.5"]


@pytest.mark.parametrize("seq", NOT_A_SEQ)
@pytest.mark.parametrize(
    ("path", "caller"),
    [
        (f"/v1/audit-events?patient_id={PATIENT}&limit=1", ADMIN_12),  # a patient's chain
        ("/v1/audit-events?limit=1", ADMIN_12),  # the account's index
        ("/v1/me/access-log?limit=1", PATIENT_TOKEN),
    ],
    ids=["chain", "account", "access-log"],
)
def test_a_cursor_whose_seq_is_not_a_sane_number_is_a_400_naming_cursor_and_writes_nothing(
    api, aws, history, path, caller, seq
):
    # Given a real cursor of that list, its seq replaced
    first = call(api, "GET", path, caller=caller).json
    assert first["next_cursor"], first
    cursor = _with_seq(first["next_cursor"], seq)
    before = (sorted(aws.all_items(), key=repr), audit_events(aws))
    # When the next page is asked for with it
    reply = call(api, "GET", f"{path}&cursor={cursor}", caller=caller)
    # Then it is a 400 naming the cursor (never a 500 from DynamoDB), and nothing is written, not even the reading
    assert reply.status == 400, reply.body
    assert reply.json["error"]["field"] == "cursor"
    assert (sorted(aws.all_items(), key=repr), audit_events(aws)) == before


def test_a_cursor_whose_seq_is_a_real_position_still_pages(api, history):
    # The same rewriting, with a seq of the right shape, reads on from there: the test above is about the seq alone
    first = events(api, f"patient_id={PATIENT}&limit=1")
    cursor = _with_seq(first["next_cursor"], str(int(_position(first["next_cursor"])["seq"])))
    assert cursor == first["next_cursor"]
    assert events(api, f"patient_id={PATIENT}&limit=1&cursor={cursor}")["events"]
