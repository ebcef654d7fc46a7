"""Door B's list at 100 and 10,000 documents: time and DynamoDB items read per request.

Part of ``make bench`` (``python -m bench.run --sections list`` runs it alone). On each of two DynamoDB
stores, the bench's moto server and dynalite (``bench/stores.py``: its Query reads only the key range, as
DynamoDB's does, where moto's walks the whole table), a patient with 100 documents and one with 10,000
(written straight to the table as the adapter stores them, with the patient's maintained counts: saving
10,000 through the handlers would take the run's whole budget); then the real PatientDocumentListFunction
handler, in this process, serves each query ``RUNS`` times after ``WARMUP`` warm-up requests. Items read
are what DynamoDB answered to the request's reads (a Query's ``ScannedCount``, one per item a GetItem or BatchGetItem
found): the page's Query, the patient's count and the audit trail's tail. Method: docs/performance.md.
"""

from __future__ import annotations

import importlib
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.examples import CLAIMS, Seeder
from local.events import LambdaContext
from patient_docs.adapters.aws import dynamodb
from patient_docs.adapters.documents_table import count_changes, document_item
from patient_docs.models.documents import Document
from patient_docs.settings import get_settings

SIZES = (100, 10_000)
RUNS = 11
WARMUP = 3  # clients made, route validation built, and the store's own warm-up (dynalite's JIT)
FIRST_PATIENT = 1_000_100  # patients of their own: no other example reads or writes them
FIRST_ID = 7_000_000_000  # document ids no handler makes (they are 53-bit time-ordered)
START = datetime(2025, 1, 1, tzinfo=UTC)
# (what, query string): the default sort (newest first), a start/end range in the middle of the documents, and
# the last page by page number (5 of 100 documents, read from the top; 500 of 10,000, found from the counts).
QUERIES = (
    ("default sort, page 1 of 20", "page=1&size=20"),
    ("start/end range, page 1 of 20", "page=1&size=20&start={start}&end={end}"),
    ("the last page of 20, by number", "page={last}&size=20"),
)


@dataclass
class Measured:
    store: str  # the DynamoDB it ran against: "moto" or "dynalite"
    documents: int
    query: str
    status: int
    median_ms: float
    median_aws_ms: float  # of median_ms: waiting for DynamoDB (the store), median of the runs
    items_read: int
    calls: list[str]


class ItemsRead:
    """Counts the items DynamoDB reports read for each call of the client's, and the time the calls take
    (from the request's making to its answer parsed: the emulator's share of a request's time)."""

    def __init__(self, client: Any) -> None:
        self.items, self.calls, self.seconds, self._began = 0, list[str](), 0.0, 0.0
        client.meta.events.register("before-call.dynamodb", self._calling)
        client.meta.events.register("after-call.dynamodb", self._done)

    def reset(self) -> None:
        self.items, self.calls, self.seconds = 0, [], 0.0

    def _calling(self, **_: Any) -> None:
        self._began = time.perf_counter()

    def _done(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        self.seconds += time.perf_counter() - self._began
        self.calls.append(model.name)
        if "ScannedCount" in parsed:
            self.items += int(parsed["ScannedCount"])
        elif model.name == "GetItem":
            self.items += 1 if parsed.get("Item") else 0
        elif model.name == "BatchGetItem":
            self.items += sum(len(found) for found in parsed.get("Responses", {}).values())


def _document(patient: int, number: int) -> Document:
    created = START + timedelta(minutes=number)
    return Document(
        id=FIRST_ID + patient % 1000 * 100_000 + number,
        account_id=str(CLAIMS["account_id"]),
        patient_id=patient,
        name=f"scan {number}",
        original_file_name=f"scan-{number}.pdf",
        mime_type="application/pdf",
        extension="pdf",
        size_bytes=100_000,
        object_key=f"bench/{patient}/{number}.pdf",
        source="upload",
        uploaded_by=int(str(CLAIMS["user_id"])),
        uploaded_by_name=str(CLAIMS["name"]),
        created_at=created,
        updated_at=created,
        document_type="Lab",
        document_category="DIAGNOSTIC_TESTS",
        author_role="staff",
        author_subject=str(CLAIMS["sub"]),
    )


def seed(patient: int, count: int) -> None:
    """``count`` documents as the adapter writes them (BatchWriteItem, 25 at a time), and the patient's
    counts (total, per UTC day and hour) by the adapter's own ``count_changes``, one hour's documents at a time."""
    table, client = get_settings().table_name, dynamodb()
    documents = [_document(patient, number) for number in range(count)]
    items = [document_item(doc) for doc in documents]
    for first in range(0, len(items), 25):
        batch: list[Any] = [{"PutRequest": {"Item": item}} for item in items[first : first + 25]]
        while batch:
            unprocessed = client.batch_write_item(RequestItems={table: batch}).get("UnprocessedItems", {})
            batch = unprocessed.get(table, [])
    per_hour = Counter(doc.created_at.replace(minute=0, second=0, microsecond=0) for doc in documents)
    for hour, documents_then in per_hour.items():
        for change in count_changes(str(CLAIMS["account_id"]), patient, hour, documents_then):
            client.update_item(**change["Update"])


def measure(store: str = "moto") -> list[Measured]:
    """Every query at each size against the DynamoDB this process's client calls now (named ``store``)."""
    seeder, counter = Seeder(), ItemsRead(dynamodb())
    function = seeder.functions["PatientDocumentListFunction"]
    handler = getattr(importlib.import_module(function.module), function.handler_name)
    found: list[Measured] = []
    for index, count in enumerate(SIZES):
        patient = FIRST_PATIENT + index
        seed(patient, count)
        # The range holds the middle half of the patient's documents (one a minute from START).
        start = (START + timedelta(minutes=count // 4)).strftime("%Y-%m-%dT%H:%M:%SZ")
        end = (START + timedelta(minutes=3 * count // 4)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for what, query in QUERIES:
            event = seeder.event(
                "PatientDocumentListFunction",
                (patient,),
                query=query.format(start=start, end=end, last=-(-count // 20)).replace(":", "%3A"),
            )
            for _ in range(WARMUP):
                handler(event, LambdaContext())
            times: list[float] = []
            waits: list[float] = []
            for _ in range(RUNS):
                counter.reset()
                began = time.perf_counter()
                result = handler(event, LambdaContext())
                times.append((time.perf_counter() - began) * 1000)
                waits.append(counter.seconds * 1000)
            found.append(
                Measured(
                    store=store,
                    documents=count,
                    query=what,
                    status=int(result["statusCode"]),
                    median_ms=statistics.median(times),
                    median_aws_ms=statistics.median(waits),
                    items_read=counter.items,
                    calls=list(counter.calls),
                )
            )
    return found


def table(found: list[Measured]) -> str:
    lines = [
        "| store | documents | query | status | median ms | of which DynamoDB ms | DynamoDB items read | calls |",
        "|---|--:|---|--:|--:|--:|--:|---|",
    ]
    lines += [
        f"| {m.store} | {m.documents:,} | {m.query} | {m.status} | {m.median_ms:.1f} | {m.median_aws_ms:.1f} "
        f"| {m.items_read} | {'+'.join(m.calls)} |"
        for m in found
    ]
    for store, what in dict.fromkeys((m.store, m.query) for m in found):  # in the order measured
        sized = {m.documents: m for m in found if m.store == store and m.query == what}
        if not all(size in sized for size in SIZES):
            continue
        small, large = sized[SIZES[0]], sized[SIZES[-1]]
        own_small, own_large = small.median_ms - small.median_aws_ms, large.median_ms - large.median_aws_ms
        lines.append("")
        lines.append(
            f"{store}, {what}: {SIZES[-1]:,} documents take {large.median_ms / small.median_ms:.2f}× the time of "
            f"{SIZES[0]} (target ≤ 2×), {own_large / own_small:.2f}× outside DynamoDB calls ({own_small:.1f} → "
            f"{own_large:.1f} ms), and read {large.items_read} items against {small.items_read} "
            f"({large.items_read / small.items_read:.2f}×)."
        )
    return "\n".join(lines)
