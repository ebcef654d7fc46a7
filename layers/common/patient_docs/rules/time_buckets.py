"""Counting a patient's documents in a time range from counts kept per UTC day and per UTC hour.

Every create and delete changes, in its own transaction, the patient's count of the UTC day and of the
UTC hour of the document's ``created_at`` (adapters/documents_table.py). A range ``start``..``end``
(both included, either may be open) is then cut into:

- whole UTC days inside it: one count each;
- whole UTC hours inside it but not in a whole day: at most 23 before the first whole day and 23 after
  the last (46 when no whole day is inside);
- what is left at its two ends, each less than an hour: counted document by document.

So counting a range reads its days' counts, at most 46 hours' counts and the documents of at most two
partial hours, however many documents lie in between. UTC has no daylight saving: every day has 24 hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)
# Every document is created at the server's clock, inside these years: a range bound beyond them (a client's
# 0001-01-01 or 9999-12-31 for "open") is moved to them, which changes no answer and keeps the hours and days
# worked out from it inside the calendar (datetime ends at year 9999) and at four-digit years (how they sort).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC) - _MICROSECOND


def in_calendar(moment: datetime | None) -> datetime | None:
    """A range bound moved into ``EARLIEST``..``LATEST`` (None stays open)."""
    return None if moment is None else min(max(moment, EARLIEST), LATEST)


def day_of(moment: datetime) -> str:
    """The UTC day a moment falls in, as its count is named: ``2026-12-01``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def hour_of(moment: datetime) -> str:
    """The UTC hour a moment falls in, as its count is named: ``2026-12-01T09``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H")


@dataclass(frozen=True)
class RangeParts:
    """A range cut into what is counted from kept counts and what is counted document by document.

    ``days``: the first and last whole day (both included; None: open on that side), or None when no
    whole day is inside. ``hours``: runs of whole hours (first and last, both included). ``moments``:
    the spans ``[since, until)`` whose documents are counted one by one (each inside at most two hours).
    """

    days: tuple[str | None, str | None] | None = None
    hours: list[tuple[str, str]] = field(default_factory=list)
    moments: list[tuple[datetime, datetime]] = field(default_factory=list)


def _floor(moment: datetime, unit: timedelta) -> datetime:
    if unit == DAY:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(minute=0, second=0, microsecond=0)


def _ceil(moment: datetime, unit: timedelta) -> datetime:
    floor = _floor(moment, unit)
    return floor if floor == moment else floor + unit


def split_range(start: datetime | None, end: datetime | None) -> RangeParts:
    """``start``..``end`` (both included, microseconds; None: open) cut into whole days, whole hours and
    the partial hours at its ends. With both open it is every day (a caller has the patient's total)."""
    # Half-open [low, high) in UTC: a stored time has microseconds, so "at most end" is "before end + 1 µs".
    low = start.astimezone(UTC) if start is not None else None
    high = end.astimezone(UTC) + _MICROSECOND if end is not None else None
    if low is not None and high is not None:
        if low >= high:
            return RangeParts()
        if _ceil(low, HOUR) >= _floor(high, HOUR):  # no whole hour inside: counted document by document
            return RangeParts(moments=[(low, high)])
    low_hour = _ceil(low, HOUR) if low is not None else None
    high_hour = _floor(high, HOUR) if high is not None else None
    moments: list[tuple[datetime, datetime]] = []
    if low is not None and low_hour is not None and low < low_hour:
        moments.append((low, low_hour))
    if high is not None and high_hour is not None and high_hour < high:
        moments.append((high_hour, high))
    if low_hour is not None and high_hour is not None and _ceil(low_hour, DAY) >= _floor(high_hour, DAY):
        # No whole day inside: one run of whole hours (at most 23 + 23).
        return RangeParts(hours=[(hour_of(low_hour), hour_of(high_hour - HOUR))], moments=moments)
    low_day = _ceil(low_hour, DAY) if low_hour is not None else None
    high_day = _floor(high_hour, DAY) if high_hour is not None else None
    hours: list[tuple[str, str]] = []
    if low_hour is not None and low_day is not None and low_hour < low_day:
        hours.append((hour_of(low_hour), hour_of(low_day - HOUR)))
    if high_hour is not None and high_day is not None and high_day < high_hour:
        hours.append((hour_of(high_day), hour_of(high_hour - HOUR)))
    days = (day_of(low_day) if low_day is not None else None, day_of(high_day - DAY) if high_day is not None else None)
    return RangeParts(days=days, hours=hours, moments=moments)


@dataclass(frozen=True)
class Span:
    """One part of a cut range, ``[since, until)`` in UTC (None: open), with how its documents are counted:
    ``moments`` one by one, ``hours`` or ``days`` from the kept counts of ``first``..``last`` (their names)."""

    kind: str  # "moments", "hours" or "days"
    since: datetime | None
    until: datetime | None
    first: str | None = None
    last: str | None = None


def _hour_start(name: str) -> datetime:
    return datetime.strptime(name, "%Y-%m-%dT%H").replace(tzinfo=UTC)


def _day_start(name: str) -> datetime:
    return datetime.strptime(name, "%Y-%m-%d").replace(tzinfo=UTC)


def hour_span(name: str) -> tuple[datetime, datetime]:
    """The instants of a kept hour count, ``[start, end)``."""
    start = _hour_start(name)
    return start, start + HOUR


def spans_in_order(parts: RangeParts, newest_first: bool) -> list[Span]:
    """The parts of a cut range as spans that tile it, in time order (or newest first): walking them and
    summing their counts finds where the n-th document of the range lies without reading the documents."""
    spans = [Span("moments", since, until) for since, until in parts.moments]
    spans += [Span("hours", _hour_start(first), _hour_start(last) + HOUR, first, last) for first, last in parts.hours]
    if parts.days is not None:
        first_day, last_day = parts.days
        spans.append(
            Span(
                "days",
                _day_start(first_day) if first_day is not None else None,
                _day_start(last_day) + DAY if last_day is not None else None,
                first_day,
                last_day,
            )
        )
    earliest = datetime.min.replace(tzinfo=UTC)
    spans.sort(key=lambda span: span.since or earliest, reverse=newest_first)
    return spans
