"""scripts/verify_audit.py (make audit-verify) against a trail the real handlers wrote: intact, then
tampered with as only someone with direct access to the table could (no function may)."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.template import ROOT
from patient_docs.rules.audit_chain import MIN_RETENTION_DAYS
from tests.conftest import NAMES
from tests.integration.test_audit_trail import (  # noqa: F401 - the fixture is used by its name
    NAMED_STAFF,
    PATIENT,
    _files_are_served_unscanned,
    inline_document,
)
from tests.utils import call

TABLE = NAMES["AuditTable"]


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("verify_audit", ROOT / "scripts" / "verify_audit.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


verify_audit = _script()


@pytest.fixture
def trail(api, aws):
    """Five events on the patient's chain: a document created, then listed and opened twice."""
    doc = inline_document(api)
    for _ in range(2):
        call(api, "GET", f"/api/v2/patients/{PATIENT}/documents", caller=NAMED_STAFF)
        call(api, "GET", f"/api/v2/patients/{PATIENT}/documents/{doc['id']}", caller=NAMED_STAFF)
    return aws.client("dynamodb")


def _key(seq: int) -> dict[str, Any]:
    return {"chain": {"S": f"12#P#{PATIENT}"}, "seq": {"N": str(seq)}}


def _item(dynamodb: Any, seq: int) -> dict[str, Any]:
    return dict(dynamodb.get_item(TableName=TABLE, Key=_key(seq))["Item"])


def test_an_untouched_trail_verifies(trail, capsys):
    (report,) = verify_audit.verify(trail, TABLE)
    assert report.intact and (report.events, report.first_seq, report.last_seq) == (5, 1, 5)
    assert verify_audit.main(["--table", TABLE]) == 0
    assert capsys.readouterr().out.strip() == "1 chains, 5 events: all intact"


def test_a_removed_event_is_found(trail, capsys):
    trail.delete_item(TableName=TABLE, Key=_key(3))
    assert verify_audit.main(["--table", TABLE]) == 1
    assert "seq 4: follows seq 2 (events removed or repeated)" in capsys.readouterr().out


def test_an_altered_event_is_found(trail, capsys):
    # Given an event's actor changed in place, as someone covering their tracks would
    item = _item(trail, 2)
    trail.put_item(TableName=TABLE, Item={**item, "actor_sub": {"S": "someone-else"}})
    assert verify_audit.main(["--table", TABLE]) == 1
    assert "seq 2: its hash does not match its contents (altered)" in capsys.readouterr().out


def test_reordered_events_are_found(trail, capsys):
    # Given two events swapped in place (each keeps the other's place in the chain)
    second, third = _item(trail, 2), _item(trail, 3)
    trail.put_item(TableName=TABLE, Item={**third, "seq": {"N": "2"}})
    trail.put_item(TableName=TABLE, Item={**second, "seq": {"N": "3"}})
    assert verify_audit.main(["--table", TABLE]) == 1
    out = capsys.readouterr().out
    assert "seq 2: its hash does not match its contents (altered)" in out
    assert "seq 3: its hash does not match its contents (altered)" in out


def test_a_chain_whose_oldest_events_aged_out_verifies(trail):
    # Given the two oldest events removed by TTL, checked once their retention is over
    for seq in (1, 2):
        trail.delete_item(TableName=TABLE, Key=_key(seq))
    later = datetime.now(UTC) + timedelta(days=MIN_RETENTION_DAYS + 1)
    (report,) = verify_audit.verify(trail, TABLE, now=later)
    assert report.intact and report.first_seq == 3
    # But the same events removed today are a broken chain
    (today,) = verify_audit.verify(trail, TABLE)
    assert not today.intact and "has not aged out" in today.problems[0]


def test_one_accounts_chains_can_be_verified_alone(trail, api):
    call(
        api,
        "PUT",
        "/v1/account-settings",
        {"smsSenderId": "Clinic13", "linkLifetimeHours": 24},
        {"role": "admin", "account": "13"},
    )
    assert [r.chain for r in verify_audit.verify(trail, TABLE, account="12")] == [f"12#P#{PATIENT}"]
    assert [r.chain.split("#S#")[0] for r in verify_audit.verify(trail, TABLE, account="13")] == ["13"]
