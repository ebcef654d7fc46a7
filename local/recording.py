"""The embedded AWS's memory across restarts: moto's request recorder, replayed and compacted.

While ``make run`` serves, moto's recorder (``MOTO_RECORDER_FILEPATH``) appends every request
the embedded AWS receives to ``.local/aws-requests.jsonl``, one JSON line each, written before
the request is handled: a killed process loses nothing it had answered. At the next start the
requests that changed something are sent again, in order, to the fresh emulator (recording
paused); reads, queue traffic and SMS sends are skipped. Then the log is compacted: the table
items become a snapshot (lines of up to 25 items, loaded with ``BatchWriteItem``), so that
item writes, and moto's transactions in particular (each copies the whole table), are not
replayed again at every start; the other requests (S3 uploads, deletes) stay as recorded.

Everything here goes through moto's documented recorder, its HTTP API and boto3; nothing in
moto is replaced or patched.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import requests

Entry = dict[str, Any]
SNAPSHOT = "dynamodb-items"  # a compacted line: {"snapshot": SNAPSHOT, "table": ..., "items": [...]}
SNAPSHOT_BATCH = 25  # BatchWriteItem's limit
# DynamoDB requests whose effect the snapshot of the items holds.
ITEM_WRITES = {
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "ExecuteStatement",
    "BatchExecuteStatement",
    "ExecuteTransaction",
}

# Operations that read: replaying them changes nothing.
READ_PREFIXES = (
    "Get",
    "List",
    "Describe",
    "Query",
    "Scan",
    "BatchGet",
    "TransactGet",
    "Check",
    "Receive",
    "Head",
    "Search",
)
# Requests that move messages along rather than store data: replaying them would send the SMS
# again or refill the queues with uploads already registered. (The SMS log is kept apart.)
TRANSIENT = {
    "sns": {"Publish", "PublishBatch"},
    "events": {"PutEvents"},
}
TRANSIENT_SERVICES = {"sts"}
# Set again by the HTTP client that replays the request.
DROPPED_HEADERS = {"host", "content-length", "transfer-encoding", "expect", "connection"}
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")


def _header(entry: Entry, name: str) -> str:
    for key, value in (entry.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return ""


def _body(entry: Entry) -> bytes:
    body = entry.get("body") or ""
    return base64.b64decode(body) if entry.get("body_encoded") else str(body).encode()


def describe(entry: Entry) -> tuple[str, str | None]:
    """(service, operation) of a recorded request; operation is None for S3's REST requests."""
    found = _CREDENTIAL_SCOPE.search(_header(entry, "authorization"))
    # Presigned S3 requests carry the scope in the query string or the form; only S3 is reached so.
    service = found.group(1) if found else "s3"
    target = _header(entry, "x-amz-target")
    if target:
        return service, target.rsplit(".", 1)[-1]
    if service != "s3" and _header(entry, "content-type").startswith("application/x-www-form-urlencoded"):
        action = parse_qs(_body(entry).decode("utf-8", "replace")).get("Action")
        if action:
            return service, action[0]
    return service, None


def is_mutation(entry: Entry) -> bool:
    """Whether replaying this request rebuilds state (True) or would only read or resend (False)."""
    if urlsplit(str(entry.get("url", ""))).path.startswith("/moto-api"):
        return False
    service, operation = describe(entry)
    if service in TRANSIENT_SERVICES:
        return False
    if operation is None:
        return str(entry.get("method", "")).upper() in ("PUT", "POST", "DELETE")
    if operation.startswith(READ_PREFIXES) or operation in TRANSIENT.get(service, set()):
        return False
    # Messages on queues are in flight, not stored: the queues themselves are made at start-up.
    return not (service == "sqs" and ("Message" in operation or operation == "PurgeQueue"))


def read_entries(path: Path) -> tuple[list[Entry], int]:
    """The recorded requests, and how many lines could not be read (a write cut short by a kill).

    Two requests recorded at once by different threads may share a line; each is still read.
    """
    entries: list[Entry] = []
    unreadable = 0
    if not path.exists():
        return entries, unreadable
    decoder = json.JSONDecoder()
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            text, position = line.strip(), 0
            while position < len(text):
                try:
                    entry, position = decoder.raw_decode(text, position)
                except ValueError:
                    unreadable += 1
                    break
                if isinstance(entry, dict):
                    entries.append(entry)
    return entries, unreadable


def is_item_write(entry: Entry) -> bool:
    service, operation = describe(entry)
    return service == "dynamodb" and operation in ITEM_WRITES


@dataclass(frozen=True)
class Restored:
    replayed: int  # requests sent again
    items: int  # table items now in the emulator
    unreadable: int  # lines that could not be read (a write cut short)
    snapshot_taken: bool  # whether the items were written to the log as a new snapshot


def restore(path: Path, endpoint: str, dynamodb: Any) -> Restored:
    """Rebuild the emulator at ``endpoint`` from the log at ``path``, then compact the log.

    Reads and other requests that change nothing are always dropped from the log. The table
    items are written as a new snapshot only when that is cheaper than replaying the item writes
    recorded since the last one, start after start: moto answers a Scan slowly (about 10 ms an
    item here), but copies the whole table for each transaction it replays.
    """
    entries, unreadable = read_entries(path)
    replayed = 0
    target = urlsplit(endpoint)
    with requests.Session() as session:
        for entry in entries:
            if entry.get("snapshot") == SNAPSHOT:
                _load_items(dynamodb, entry["table"], entry["items"])
            elif is_mutation(entry):
                _send(session, target.scheme, target.netloc, entry)
                replayed += 1
    kept = [e for e in entries if "snapshot" not in e and is_mutation(e) and not is_item_write(e)]
    old_snapshot = [e for e in entries if e.get("snapshot") == SNAPSHOT]
    writes = [e for e in entries if "snapshot" not in e and is_item_write(e)]
    items = _count_items(dynamodb)
    snapshot_taken = worth_a_snapshot(items, writes)
    if snapshot_taken:
        _write_atomically(path, [*kept, *_snapshot(dynamodb)])
    else:  # the same state, without the reads: the snapshot, then the writes made since, in order
        _write_atomically(path, [*kept, *old_snapshot, *writes])
    return Restored(replayed, items, unreadable, snapshot_taken)


def worth_a_snapshot(items: int, writes: list[Entry]) -> bool:
    """Whether scanning ``items`` costs less than replaying ``writes`` at every start until the next snapshot.

    Measured on moto here: a Scan about 10 ms an item, a replayed write about 15 ms, and a
    replayed transaction a copy of the whole table (about 0.3 ms an item).
    """
    transactions = sum(1 for entry in writes if describe(entry)[1] in ("TransactWriteItems", "ExecuteTransaction"))
    return 15 * len(writes) + 0.3 * items * transactions >= 10 * items


def _count_items(dynamodb: Any) -> int:
    tables = dynamodb.get_paginator("list_tables").paginate().build_full_result().get("TableNames", [])
    return sum(int(dynamodb.describe_table(TableName=table)["Table"].get("ItemCount", 0)) for table in tables)


def _send(session: requests.Session, scheme: str, netloc: str, entry: Entry) -> None:
    parts = urlsplit(str(entry["url"]))
    url = urlunsplit((scheme, netloc, parts.path, parts.query, ""))
    headers = {k: str(v) for k, v in (entry.get("headers") or {}).items() if k.lower() not in DROPPED_HEADERS}
    session.request(str(entry["method"]), url, headers=headers, data=_body(entry), timeout=60)


def _load_items(dynamodb: Any, table: str, items: list[dict[str, Any]]) -> None:
    request = {table: [{"PutRequest": {"Item": _binary(item, base64.b64decode)}} for item in items]}
    while request:
        request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def _snapshot(dynamodb: Any) -> Iterator[Entry]:
    for table in dynamodb.get_paginator("list_tables").paginate().build_full_result().get("TableNames", []):
        batch: list[dict[str, Any]] = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page.get("Items", []):
                batch.append(_binary(item, lambda data: base64.b64encode(data).decode()))
                if len(batch) == SNAPSHOT_BATCH:
                    yield {"snapshot": SNAPSHOT, "table": table, "items": batch}
                    batch = []
        if batch:
            yield {"snapshot": SNAPSHOT, "table": table, "items": batch}


def _binary(item: dict[str, Any], convert: Callable[[Any], Any]) -> dict[str, Any]:
    """An item with its binary values (``B``, ``BS``) converted: base64 in the JSON log, bytes for boto3."""
    return {name: _binary_value(value, convert) for name, value in item.items()}


def _binary_value(value: dict[str, Any], convert: Callable[[Any], Any]) -> dict[str, Any]:
    if "B" in value:
        return {"B": convert(value["B"])}
    if "BS" in value:
        return {"BS": [convert(one) for one in value["BS"]]}
    if "M" in value:
        return {"M": _binary(value["M"], convert)}
    if "L" in value:
        return {"L": [_binary_value(one, convert) for one in value["L"]]}
    return value


def _write_atomically(path: Path, entries: list[Entry]) -> None:
    temporary = path.with_suffix(".compacting")
    with temporary.open("w", encoding="utf-8") as handle:
        for entry in entries:
            handle.write(json.dumps(entry) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


def set_recording(endpoint: str, on: bool) -> None:
    action = "start-recording" if on else "stop-recording"
    requests.post(f"{endpoint}/moto-api/recorder/{action}", timeout=10).raise_for_status()
