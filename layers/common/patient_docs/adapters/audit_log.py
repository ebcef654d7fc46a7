"""The access-audit trail's own table: events are only ever added.

Layout (``chain`` / ``seq``; index ``ByAccount``: ``account_id`` / ``at``):
  <account>#P#<patient> / 1, 2, ...   a patient's chain (rules/audit_chain.py)
  <account>#S#<n>       / 1, 2, ...   an account chain, for events without a patient

Appending reads the chain's tail (one Query, newest first, Limit 1) and adds the next event on
condition that its ``seq`` is free; when another request took it first, it reads the tail again.
Where a use case writes anyway, its writes and the event go in one TransactWriteItems, so one never
lands without the other. The functions' roles allow ``PutItem`` and ``Query`` here and nothing
else; an event is never updated or deleted (DynamoDB's TTL removes it after the retention period).
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from patient_docs.adapters.aws import dynamodb
from patient_docs.adapters.table import Item, cancellation_reasons, encode
from patient_docs.errors import AuditUnavailable
from patient_docs.observability import logger
from patient_docs.rules.audit_chain import GENESIS, event_hash, expiry
from patient_docs.settings import get_settings

# An event to store, as flat attributes (logic/audit_trail.py builds it): its chain named, its place not yet.
EventValues = Mapping[str, Any]
ACCOUNT_INDEX = "ByAccount"
_APPEND_ATTEMPTS = 10
_BACKOFF_SECONDS = 0.01
_TRANSACTION_ITEMS = 100
_RETRYABLE = ("ConditionalCheckFailed", "TransactionConflict")
_deserializer = TypeDeserializer()


def table_name() -> str:
    return get_settings().audit_table_name


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value)
    return value


def decode(item: Mapping[str, Any]) -> dict[str, Any]:
    """A stored event's attributes as plain values (numbers as int)."""
    return {name: _plain(_deserializer.deserialize(value)) for name, value in item.items()}


def tail(chain: str) -> dict[str, Any] | None:
    """The newest event of ``chain`` (strongly consistent), or None for a new chain."""
    response = dynamodb().query(
        TableName=table_name(),
        KeyConditionExpression="chain = :chain",
        ExpressionAttributeValues={":chain": {"S": chain}},
        ScanIndexForward=False,
        Limit=1,
        ConsistentRead=True,
    )
    items = response.get("Items", [])
    return decode(items[0]) if items else None


def sealed(values: Mapping[str, Any], previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """``values`` placed after ``previous`` in their chain: seq, prev_hash, prev_at, ttl, hash."""
    event = {name: value for name, value in values.items() if value is not None}
    event["seq"] = int(previous["seq"]) + 1 if previous else 1
    event["prev_hash"] = str(previous["hash"]) if previous else GENESIS
    if previous:
        event["prev_at"] = str(previous["at"])
    event["ttl"] = expiry(datetime.fromisoformat(str(event["at"])), get_settings().audit_retention_days)
    event["hash"] = event_hash(event)
    return event


def _put(event: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "TableName": table_name(),
        "Item": encode(event),
        "ConditionExpression": "attribute_not_exists(seq)",
    }


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _retryable(exc: ClientError) -> bool:
    """Another request took the chain's next place (or touched an item) first: read the tail again."""
    code = _code(exc)
    if code in ("ConditionalCheckFailedException", "TransactionConflictException"):
        return True
    return code == "TransactionCanceledException" and any(r in _RETRYABLE for r in cancellation_reasons(exc))


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, _BACKOFF_SECONDS * 2**attempt))  # noqa: S311 - jitter, not a secret


def append(values: EventValues, writes: Sequence[Item] = ()) -> dict[str, Any]:
    """Add the event ``values`` (``chain`` named) at its chain's tail, with ``writes`` in the same
    transaction when there are any; the event as stored.

    A write of the caller's whose condition fails cancels everything: its ``ClientError`` is raised
    for the caller to read, as without the event. Anything else that keeps the event from being
    stored raises ``AuditUnavailable``, and nothing was written.
    """
    chain = str(values["chain"])
    for attempt in range(_APPEND_ATTEMPTS):
        try:
            event = sealed(values, tail(chain))
            put = _put(event)
            if writes:
                dynamodb().transact_write_items(TransactItems=[*writes, {"Put": put}])  # type: ignore[list-item,typeddict-item]
            else:
                dynamodb().put_item(**put)
            return event
        except ClientError as exc:
            if any(reason == "ConditionalCheckFailed" for reason in cancellation_reasons(exc)[: len(writes)]):
                raise
            if not _retryable(exc):
                logger.error(
                    "audit event not stored", extra={"error_code": _code(exc), "audit_action": values["action"]}
                )
                raise AuditUnavailable() from exc
        _backoff(attempt)
    logger.error("audit chain busy", extra={"audit_action": values["action"]})
    raise AuditUnavailable()


def append_all(events: Sequence[EventValues]) -> list[dict[str, Any]]:
    """Add ``events`` (all of one chain, at most 100) at its tail in one transaction, in their order."""
    if len(events) <= 1:
        return [append(event) for event in events]
    chain = str(events[0]["chain"])
    if any(str(event["chain"]) != chain for event in events) or len(events) > _TRANSACTION_ITEMS:
        raise ValueError("events stored together must be of one chain, at most 100")
    for attempt in range(_APPEND_ATTEMPTS):
        sealed_events: list[dict[str, Any]] = []
        previous = tail(chain)
        for event in events:
            previous = sealed(event, previous)
            sealed_events.append(previous)
        try:
            dynamodb().transact_write_items(TransactItems=[{"Put": _put(e)} for e in sealed_events])  # type: ignore[misc,typeddict-item]
            return sealed_events
        except ClientError as exc:
            if not _retryable(exc):
                logger.error("audit events not stored", extra={"error_code": _code(exc)})
                raise AuditUnavailable() from exc
        _backoff(attempt)
    logger.error("audit chain busy", extra={"audit_action": events[0]["action"]})
    raise AuditUnavailable()


# A page's position: the keys of its last event (``seq`` as text), and of the index where one was read.
CHAIN_POSITION = ("chain", "seq")
INDEX_POSITION = ("chain", "seq", "account_id", "at")


def _position(item: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    return {name: str(_deserializer.deserialize(item[name])) for name in keys}


def _start_key(position: Mapping[str, str]) -> dict[str, Any]:
    return {name: {"N": value} if name == "seq" else {"S": value} for name, value in position.items()}


def _time_bounds(chain: str | None, start_at: str | None, end_at: str | None) -> tuple[str, list[str], dict[str, Any]]:
    """The key condition's time part (the account index: its sort key) or filters (a chain: by seq)."""
    parts, values = [], {}
    if start_at:
        parts.append("#at >= :start")
        values[":start"] = {"S": start_at}
    if end_at:
        parts.append("#at <= :end")
        values[":end"] = {"S": end_at}
    if chain or not parts:
        return "", parts, values
    return (" AND #at BETWEEN :start AND :end" if len(parts) == 2 else " AND " + parts[0]), [], values


def _filters(
    equals: Mapping[str, str | int], actions: Sequence[str]
) -> tuple[list[str], dict[str, str], dict[str, Any]]:
    filters, names, values = [], {}, {}
    for index, (name, value) in enumerate(sorted(equals.items())):
        names[f"#e{index}"] = name
        values[f":e{index}"] = {"N": str(value)} if isinstance(value, int) else {"S": value}
        filters.append(f"#e{index} = :e{index}")
    if actions:
        names["#action"] = "action"
        listed = [f":a{index}" for index in range(len(actions))]
        values.update({name: {"S": action} for name, action in zip(listed, actions, strict=True)})
        filters.append(f"#action IN ({', '.join(listed)})")
    return filters, names, values


def find(
    *,
    account_id: str,
    chain: str | None,
    equals: Mapping[str, str | int],
    actions: Sequence[str] = (),
    start_at: str | None = None,
    end_at: str | None = None,
    limit: int,
    after: Mapping[str, str] | None = None,
    max_queries: int = 10,
) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
    """A page of events, newest first, and the position to continue from (None: nothing more).

    ``chain`` (a patient's): read that chain, else the account's index by time. ``start_at`` and
    ``end_at`` (stored times) bound the index's key, or filter a chain. ``equals`` (attribute: value)
    and ``actions`` (any of) filter: DynamoDB applies them after reading, so a filtered call reads at
    most ``max_queries`` pages of 100 events and then hands back where it stopped.
    """
    time_key, time_filters, values = _time_bounds(chain, start_at, end_at)
    filters, names, filter_values = _filters(equals, actions)
    filters = time_filters + filters
    values.update(filter_values)
    if start_at or end_at:
        names["#at"] = "at"
    values[":chain" if chain else ":account"] = {"S": chain or account_id}
    request: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": ("chain = :chain" if chain else "account_id = :account") + time_key,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
        "Limit": 100 if filters else limit + 1,
    }
    if names:
        request["ExpressionAttributeNames"] = names
    if filters:
        request["FilterExpression"] = " AND ".join(filters)
    if not chain:
        request["IndexName"] = ACCOUNT_INDEX
    if after:
        request["ExclusiveStartKey"] = _start_key(after)
    return _read_page(request, limit, CHAIN_POSITION if chain else INDEX_POSITION, max_queries)


def _read_page(
    request: dict[str, Any], limit: int, keys: tuple[str, ...], max_queries: int
) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
    found: list[dict[str, Any]] = []
    last_key: dict[str, Any] | None = None
    for _ in range(max_queries):
        response = dynamodb().query(**request)
        found.extend(response.get("Items", []))
        last_key = response.get("LastEvaluatedKey")
        if len(found) > limit or not last_key:
            break
        request["ExclusiveStartKey"] = last_key
    page = found[:limit]
    if len(found) > limit or (len(found) == limit and last_key):
        return [decode(item) for item in page], _position(page[-1], keys)
    # The last page, or a sparse filter that read its quota: continue from where the reading stopped.
    return [decode(item) for item in page], _position(last_key, keys) if last_key else None


def chain_events(chain: str) -> list[dict[str, Any]]:
    """Every event of one chain, oldest first."""
    request: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "chain = :chain",
        "ExpressionAttributeValues": {":chain": {"S": chain}},
        "ConsistentRead": True,
    }
    events: list[dict[str, Any]] = []
    while True:
        response = dynamodb().query(**request)
        events.extend(decode(item) for item in response.get("Items", []))
        if not response.get("LastEvaluatedKey"):
            return events
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
