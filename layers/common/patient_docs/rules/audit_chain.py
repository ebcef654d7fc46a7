"""The audit trail's hash chains: which chain an event joins, how it is hashed, how a chain is proved intact.

No I/O and no models: events are plain values (str and int), as stored.

Chains. Each patient of an account has one chain (``<account>#P#<patient>``), so concurrent
requests about different patients never contend; events without a patient (settings, listing file
requests, reading the trail) join one of ``ACCOUNT_SHARDS`` account chains (``<account>#S#<n>``),
picked at random per event, so busy accounts spread their writes.

Hashing. An event's ``hash`` is SHA-256 over the canonical JSON of every other stored attribute
(sorted keys, no spaces, ASCII only), which include its chain, its ``seq`` (1, 2, ...), the
``prev_hash`` of its predecessor (``GENESIS`` for the first) and the predecessor's time
``prev_at``. Altering any attribute breaks the event's own hash; removing or reordering events
breaks the next one's ``prev_hash`` or the run of ``seq``.

Retention. Events expire (DynamoDB TTL) ``retention_days`` after they happen, never fewer than
``MIN_RETENTION_DAYS``. A chain whose oldest events aged out starts past ``seq`` 1: that is
accepted only when the missing predecessor's own time (``prev_at`` of the first event left) is old
enough to have expired, so removing the head of a chain is told from its ageing out.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

GENESIS = "0" * 64
ACCOUNT_SHARDS = 4
# Six years (HIPAA keeps its required documentation six years, §164.316(b)(2)).
MIN_RETENTION_DAYS = 2190
# Attributes kept beside the event that are not part of it: its own hash.
UNHASHED = frozenset({"hash"})


def patient_chain(account_id: str, patient_id: int) -> str:
    return f"{account_id}#P#{patient_id}"


def account_chain(account_id: str, shard: int | None = None) -> str:
    """An account-level chain; a random shard unless one is named."""
    chosen = secrets.randbelow(ACCOUNT_SHARDS) if shard is None else shard
    return f"{account_id}#S#{chosen}"


def account_chains(account_id: str) -> list[str]:
    return [account_chain(account_id, shard) for shard in range(ACCOUNT_SHARDS)]


def chain_for(account_id: str, patient_id: int | None) -> str:
    return patient_chain(account_id, patient_id) if patient_id is not None else account_chain(account_id)


def account_of_chain(chain: str) -> str:
    return chain.rsplit("#", 2)[0]


def canonical(values: Mapping[str, Any]) -> bytes:
    """The bytes an event's hash covers: every attribute but the hash, as canonical JSON."""
    kept = {name: value for name, value in values.items() if name not in UNHASHED}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def event_hash(values: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()


def expiry(at: datetime, retention_days: int) -> int:
    """The TTL (epoch seconds) of an event that happened ``at``."""
    return int((at + timedelta(days=max(retention_days, MIN_RETENTION_DAYS))).timestamp())


@dataclass
class ChainReport:
    """What walking one chain found. ``problems`` empty: intact."""

    chain: str
    events: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def _seq(event: Mapping[str, Any]) -> int:
    return int(event["seq"])


def _check_head(first: Mapping[str, Any], now: datetime, retention_days: int, report: ChainReport) -> None:
    """The oldest event left: the chain's first, or one whose predecessor may have aged out."""
    if _seq(first) == 1:
        if first.get("prev_hash") != GENESIS:
            report.problems.append("seq 1: prev_hash is not the genesis value")
        return
    prev_at = first.get("prev_at")
    try:
        predecessor = datetime.fromisoformat(str(prev_at))
    except ValueError:
        report.problems.append(f"seq {_seq(first)}: earlier events are missing and prev_at is unreadable")
        return
    if predecessor + timedelta(days=retention_days) > now:
        report.problems.append(
            f"seq {_seq(first)}: events before it are missing, but its predecessor ({prev_at}) has not aged out"
        )


def verify_chain(
    chain: str, events: Iterable[Mapping[str, Any]], now: datetime, retention_days: int = MIN_RETENTION_DAYS
) -> ChainReport:
    """Walk ``events`` (one chain's, any order) and report every break: an event whose hash does not
    match its attributes, a gap or repeat in ``seq``, a ``prev_hash`` or ``prev_at`` that is not its
    predecessor's, a TTL shorter than the retention, or missing oldest events that cannot have aged out."""
    ordered = sorted(events, key=_seq)
    report = ChainReport(chain, events=len(ordered))
    if not ordered:
        return report
    report.first_seq, report.last_seq = _seq(ordered[0]), _seq(ordered[-1])
    _check_head(ordered[0], now, retention_days, report)
    previous: Mapping[str, Any] | None = None
    for event in ordered:
        seq = _seq(event)
        if event.get("chain") != chain:
            report.problems.append(f"seq {seq}: stored under {chain} but names chain {event.get('chain')}")
        if event_hash(event) != event.get("hash"):
            report.problems.append(f"seq {seq}: its hash does not match its contents (altered)")
        if previous is not None:
            if seq != _seq(previous) + 1:
                report.problems.append(f"seq {seq}: follows seq {_seq(previous)} (events removed or repeated)")
            elif event.get("prev_hash") != previous.get("hash") or event.get("prev_at") != previous.get("at"):
                report.problems.append(f"seq {seq}: prev_hash is not seq {_seq(previous)}'s (removed or reordered)")
        _check_retention(event, retention_days, report)
        previous = event
    return report


def _check_retention(event: Mapping[str, Any], retention_days: int, report: ChainReport) -> None:
    ttl, at = event.get("ttl"), event.get("at")
    try:
        if not isinstance(ttl, int) or ttl < expiry(datetime.fromisoformat(str(at)), retention_days) - 1:
            report.problems.append(f"seq {_seq(event)}: expires before the retention period")
    except ValueError:
        report.problems.append(f"seq {_seq(event)}: its time is unreadable")
