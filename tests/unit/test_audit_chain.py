"""The audit trail's hash chains: an intact chain verifies; a removed, altered or reordered event does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from patient_docs.rules.audit_chain import (
    ACCOUNT_SHARDS,
    GENESIS,
    MIN_RETENTION_DAYS,
    account_chain,
    account_of_chain,
    chain_for,
    event_hash,
    expiry,
    verify_chain,
)

CHAIN = "12#P#1172416"
START = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _chain(count: int, first_seq: int = 1, previous: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """``count`` events of one chain, each sealed after the one before, as the adapter stores them."""
    events: list[dict[str, Any]] = []
    for index in range(count):
        at = START + timedelta(minutes=index)
        event: dict[str, Any] = {
            "chain": CHAIN,
            "seq": first_seq + index,
            "id": f"event-{index}",
            "at": at.isoformat(),
            "account_id": "12",
            "action": "document.read",
            "outcome": "success",
            "actor_sub": "staff-1",
            "actor_role": "staff",
            "document_id": 1000 + index,
            "prev_hash": previous["hash"] if previous else GENESIS,
            "ttl": expiry(at, MIN_RETENTION_DAYS),
        }
        if previous:
            event["prev_at"] = previous["at"]
        event["hash"] = event_hash(event)
        events.append(event)
        previous = event
    return events


def _reseal(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "hash": event_hash(event)}


def test_an_intact_chain_verifies_in_any_order_it_is_read():
    events = _chain(5)
    report = verify_chain(CHAIN, reversed(events), START)
    assert report.intact, report.problems
    assert (report.events, report.first_seq, report.last_seq) == (5, 1, 5)


def test_an_altered_event_is_found_by_its_own_hash():
    # Given a chain whose third event had its document id changed in place
    events = _chain(5)
    events[2] = {**events[2], "document_id": 9999}
    report = verify_chain(CHAIN, events, START)
    # Then the third event's hash no longer matches
    assert not report.intact
    assert report.problems == ["seq 3: its hash does not match its contents (altered)"]


def test_an_altered_event_rehashed_breaks_the_next_link():
    # Given an event altered and given a fresh hash of its own (what a forger would do)
    events = _chain(5)
    events[2] = _reseal({**events[2], "actor_sub": "someone-else"})
    report = verify_chain(CHAIN, events, START)
    # Then its successor no longer names it
    assert report.problems == ["seq 4: prev_hash is not seq 3's (removed or reordered)"]


def test_a_removed_event_leaves_a_gap():
    events = _chain(5)
    del events[2]
    report = verify_chain(CHAIN, events, START)
    assert report.problems == ["seq 4: follows seq 2 (events removed or repeated)"]


def test_a_removed_event_renumbered_breaks_the_hashes():
    # Given the third event removed and the later ones renumbered and resealed to close the gap
    events = _chain(5)
    del events[2]
    events[2] = _reseal({**events[2], "seq": 3})
    events[3] = _reseal({**events[3], "seq": 4, "prev_hash": events[2]["hash"]})
    report = verify_chain(CHAIN, events, START)
    # Then the renumbered event does not name its new predecessor
    assert report.problems == ["seq 3: prev_hash is not seq 2's (removed or reordered)"]


def test_reordered_events_are_found():
    # Given two events whose places were swapped (their seq exchanged, each resealed)
    events = _chain(5)
    second, third = events[1], events[2]
    events[1] = _reseal({**third, "seq": 2})
    events[2] = _reseal({**second, "seq": 3})
    report = verify_chain(CHAIN, events, START)
    assert not report.intact
    assert "seq 2: prev_hash is not seq 1's (removed or reordered)" in report.problems


def test_a_chain_whose_oldest_events_aged_out_verifies():
    # Given a chain of which only events 4 and 5 are left, checked after the retention period of event 3
    events = _chain(5)[3:]
    later = START + timedelta(days=MIN_RETENTION_DAYS, hours=1)
    report = verify_chain(CHAIN, events, later)
    assert report.intact, report.problems
    assert report.first_seq == 4


def test_removing_the_oldest_events_before_they_age_out_is_found():
    events = _chain(5)[3:]
    report = verify_chain(CHAIN, events, START + timedelta(days=30))
    assert not report.intact
    assert "has not aged out" in report.problems[0]


def test_a_first_event_that_does_not_start_from_genesis_is_found():
    events = _chain(2)
    events[0] = _reseal({**events[0], "prev_hash": "f" * 64})
    assert "seq 1: prev_hash is not the genesis value" in verify_chain(CHAIN, events, START).problems


def test_an_event_that_expires_before_the_retention_is_found():
    # Given an event whose TTL was shortened (and its hash recomputed to match)
    events = _chain(1)
    events[0] = _reseal({**events[0], "ttl": events[0]["ttl"] - 86400 * 400})
    assert verify_chain(CHAIN, events, START).problems == ["seq 1: expires before the retention period"]


def test_an_event_copied_into_another_chain_is_found():
    events = _chain(1)
    report = verify_chain("12#P#999", events, START)
    assert report.problems == [f"seq 1: stored under 12#P#999 but names chain {CHAIN}"]


def test_patients_have_a_chain_each_and_the_account_a_few():
    assert chain_for("12", 1172416) == "12#P#1172416"
    assert chain_for("12", None) in {account_chain("12", shard) for shard in range(ACCOUNT_SHARDS)}
    assert account_of_chain("acct#with#hashes#S#3") == "acct#with#hashes"
    assert account_of_chain(chain_for("12", 7)) == "12"


def test_the_hash_covers_every_attribute_but_itself():
    event = _chain(1)[0]
    assert event_hash(event) == event["hash"]
    for name in event:
        if name != "hash":
            changed = {**event, name: "x" if not isinstance(event[name], str) else event[name] + "x"}
            assert event_hash(changed) != event["hash"], name
