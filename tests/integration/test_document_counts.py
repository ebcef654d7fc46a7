"""A patient's kept document counts (total, per UTC day, per UTC hour) through the real handlers against moto.

Every path that creates or deletes a document changes them in its own transaction, so they always equal
what the stored documents add up to; door B's list answers a start/end range's ``total`` from them,
exactly as a count of every document in the range would.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import quote

from tests.authz_fixtures import inline_document, saved_document
from tests.integration.page_helpers import create_request, jpeg_bytes, queued_events, register, session_for, upload
from tests.integration.test_fhir import fhir_post, new_reference
from tests.utils import STAFF_12, call

PATIENT = 1172416
BUCKET = "local-documentsbucket"
LIST = f"/apis/v1/patient-document/{PATIENT}"


def documents_of(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for item in items if item.get("entity", {}).get("S") == "document"]


def stored_documents(aws: Any) -> list[dict[str, Any]]:
    return documents_of(aws.all_items())


def created_times(aws: Any, patient: int = PATIENT) -> list[datetime]:
    """The exact ``created_at`` of each of the patient's stored documents (account 12)."""
    return [
        datetime.fromisoformat(item["created_at"]["S"])
        for item in stored_documents(aws)
        if item["account_id"]["S"] == "12" and item["patient_id"]["N"] == str(patient)
    ]


def counts_from_documents(items: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """What every patient's counts must be: (count partition, sort key) -> documents, from the documents."""
    expected: Counter[tuple[str, str]] = Counter()
    for item in documents_of(items):
        partition = f"DOCCOUNT#{item['account_id']['S']}#{item['patient_id']['N']}"
        created = datetime.fromisoformat(item["created_at"]["S"]).astimezone(UTC)
        expected[partition, "COUNT"] += 1
        expected[partition, f"D#{created:%Y-%m-%d}"] += 1
        expected[partition, f"H#{created:%Y-%m-%dT%H}"] += 1
    return dict(expected)


def kept_counts(items: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """The counts the table keeps (those at zero left out: a day whose documents were all deleted)."""
    kept = {
        (item["PK"]["S"], item["SK"]["S"]): int(item["documents"]["N"])
        for item in items
        if item["PK"]["S"].startswith("DOCCOUNT#")
    }
    return {key: value for key, value in kept.items() if value}


def test_every_path_that_creates_or_deletes_a_document_keeps_the_day_and_hour_counts(api, aws, clock):
    # Given documents added through door A, door B's save, door D and the patient page, hours and days apart
    doors = [
        lambda: inline_document(api, PATIENT, STAFF_12)["id"],
        lambda: saved_document(api, BUCKET, PATIENT, STAFF_12)["id"],
        lambda: fhir_post(api, new_reference()).json["id"],
    ]
    added: list[Any] = []
    for step in range(6):
        added.append(doors[step % 3]())
        clock.advance(7 * 3600 + 1234)  # across hours and, every few steps, midnight
    created = create_request(api)
    session = session_for(api, created["short_link_id"])
    queued_events(aws)  # S3's test event, sent when the notification was configured
    upload(api, created["short_link_id"], session, jpeg_bytes(), "a.jpg", "image/jpeg")
    assert register(queued_events(aws)) == {"batchItemFailures": []}
    # Then the counts kept are what the stored documents add up to, per patient, day and hour
    assert len(stored_documents(aws)) == 7
    assert kept_counts(aws.all_items()) == counts_from_documents(aws.all_items())
    # When some are deleted (door A's delete serves every door's documents), the photo among them
    photo = next(int(item["id"]["N"]) for item in stored_documents(aws) if "file_request_id" in item)
    owner = next(item["patient_id"]["N"] for item in stored_documents(aws) if "file_request_id" in item)
    for patient, document in ((PATIENT, added[0]), (PATIENT, added[4]), (int(owner), photo)):
        reply = call(api, "DELETE", f"/api/v2/patients/{patient}/documents/{document}", caller=STAFF_12)
        assert reply.status == 204, reply.body
    # Then the counts follow
    assert len(stored_documents(aws)) == 4
    assert kept_counts(aws.all_items()) == counts_from_documents(aws.all_items())


# ------------------------------------------------------------------ range totals against a brute-force count


def _spelled(moment: datetime, rng: random.Random) -> str:
    """A bound as a client may write it: UTC with Z, another offset, or naive (UTC); fractions as they fall."""
    way = rng.choice(("Z", "offset", "naive"))
    if way == "offset":
        return moment.astimezone(
            timezone(rng.choice((timedelta(hours=5, minutes=30), timedelta(hours=-8))))
        ).isoformat()
    utc = moment.astimezone(UTC).replace(tzinfo=None).isoformat()
    return utc + "Z" if way == "Z" else utc


def _bound(rng: random.Random, times: list[datetime], is_end: bool) -> tuple[str | None, datetime | None]:
    """A random bound: (what the query says, the instant it means); None: open."""
    kind = rng.choice(("open", "document", "just off a document", "whole second", "any", "date"))
    if kind == "open":
        return None, None
    if kind == "date":
        day: date = rng.choice(times).astimezone(UTC).date() + timedelta(days=rng.randint(-1, 1))
        meant = datetime.combine(day, time.max if is_end else time.min, tzinfo=UTC)
        return day.isoformat(), meant
    moment = rng.choice(times)
    if kind == "just off a document":
        moment += timedelta(microseconds=rng.choice((-1, 1)))
    elif kind == "whole second":
        moment = moment.replace(microsecond=0) + timedelta(seconds=rng.randint(0, 1))
    elif kind == "any":
        moment += timedelta(seconds=rng.uniform(-3 * 3600, 3 * 3600))
    return _spelled(moment, rng), moment


def _list(api: Any, start: str | None, end: str | None) -> dict[str, Any]:
    query = "&".join(f"{name}={quote(value)}" for name, value in (("start", start), ("end", end)) if value)
    reply = call(api, "GET", f"{LIST}?size=1&{query}", caller=STAFF_12)  # small pages: moto answers faster
    assert reply.status == 200, reply.body
    return dict(reply.json["data"])


def _check_ranges(api: Any, aws: Any, rng: random.Random, ranges: int) -> None:
    times = created_times(aws)
    for _ in range(ranges):
        (start, since), (end, until) = _bound(rng, times, False), _bound(rng, times, True)
        inside = [t for t in times if (since is None or t >= since) and (until is None or t <= until)]
        data = _list(api, start, end)
        assert data["total"] == len(inside), (start, end)
        newest = max(inside, default=None)
        shown = [datetime.fromisoformat(d["created_at"] + "+00:00") for d in data["documents"]]
        assert shown == ([newest.replace(microsecond=0)] if newest else []), (start, end)


def _check_fhir_dates(api: Any, aws: Any, rng: random.Random, searches: int) -> None:
    """Door D's date search (whole seconds, compared at whole seconds) against a brute-force count."""
    times = created_times(aws)
    for _ in range(searches):
        low, high = sorted(rng.choice(times).replace(microsecond=0) for _ in range(2))
        prefixes = rng.choice((("ge", "le"), ("gt", "lt"), ("ge", "lt")))
        dates = [f"{prefix}{moment:%Y-%m-%dT%H:%M:%SZ}" for prefix, moment in zip(prefixes, (low, high), strict=True)]
        # Shown at whole seconds: ge/gt admit from low or the second after; le/lt up to the second after high, or high
        since = low + timedelta(seconds=prefixes[0] == "gt")
        until = high + timedelta(seconds=prefixes[1] == "le")
        expected = sum(1 for t in times if since <= t.replace(microsecond=0) < until)
        query = f"patient={PATIENT}&_count=1&" + "&".join(f"date={quote(value)}" for value in dates)
        reply = call(api, "GET", f"/fhir/R4/DocumentReference?{query}", caller=STAFF_12)
        assert reply.status == 200, reply.body
        assert reply.json["total"] == expected, dates


def test_a_ranges_total_equals_a_brute_force_count_before_and_after_deletes(api, aws, clock):
    # Given 30 documents of the patient at random moments over about four days, some in the same second
    rng = random.Random(20261202)
    ids: list[int] = []
    for _ in range(30):
        ids.append(inline_document(api, PATIENT, STAFF_12)["id"])
        clock.advance(rng.choice((0, 0.001, rng.uniform(0, 600), rng.uniform(0, 4 * 3600), rng.uniform(0, 9 * 3600))))
    # When door B lists random start/end ranges (open, on a document's exact instant or a microsecond off,
    # whole seconds, anywhere, dates; Z, offsets or naive), then each total is what counting every document finds
    _check_ranges(api, aws, rng, 40)
    _check_fhir_dates(api, aws, rng, 10)  # and door D's date search, from the same counts
    # And after a third of the documents are deleted, still
    for document in rng.sample(ids, 10):
        reply = call(api, "DELETE", f"/api/v2/patients/{PATIENT}/documents/{document}", caller=STAFF_12)
        assert reply.status == 204, reply.body
    assert kept_counts(aws.all_items()) == counts_from_documents(aws.all_items())
    _check_ranges(api, aws, rng, 40)
    _check_fhir_dates(api, aws, rng, 10)
