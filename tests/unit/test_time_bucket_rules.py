"""Counting a range from kept day and hour counts: how rules/time_buckets.py cuts ``start``..``end``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patient_docs.rules.time_buckets import RangeParts, day_of, hour_of, split_range

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
US = timedelta(microseconds=1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if "+" not in text else datetime.fromisoformat(text)


def test_names_of_a_moments_day_and_hour_are_utc():
    moment = datetime(2026, 12, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))  # 2026-11-30T23:30Z
    assert (day_of(moment), hour_of(moment)) == ("2026-11-30", "2026-11-30T23")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Within one hour: its documents are counted one by one, end included (+1 µs)
        (
            "2026-12-01T10:15:00",
            "2026-12-01T10:45:00",
            RangeParts(moments=[(at("2026-12-01T10:15:00"), at("2026-12-01T10:45:00") + US)]),
        ),
        # Across one hour's end without a whole hour inside: still one span of documents
        (
            "2026-12-01T10:15:00",
            "2026-12-01T11:14:59",
            RangeParts(moments=[(at("2026-12-01T10:15:00"), at("2026-12-01T11:14:59") + US)]),
        ),
        # Within one day: whole hours between two partial ones
        (
            "2026-12-01T10:15:00",
            "2026-12-01T15:30:00",
            RangeParts(
                hours=[("2026-12-01T11", "2026-12-01T14")],
                moments=[
                    (at("2026-12-01T10:15:00"), at("2026-12-01T11:00:00")),
                    (at("2026-12-01T15:00:00"), at("2026-12-01T15:30:00") + US),
                ],
            ),
        ),
        # Crossing midnight without a whole day: one run of hours over both days
        (
            "2026-12-01T22:30:00",
            "2026-12-02T01:30:00",
            RangeParts(
                hours=[("2026-12-01T23", "2026-12-02T00")],
                moments=[
                    (at("2026-12-01T22:30:00"), at("2026-12-01T23:00:00")),
                    (at("2026-12-02T01:00:00"), at("2026-12-02T01:30:00") + US),
                ],
            ),
        ),
        # Whole days (dates as the list reads them: 00:00 to 23:59:59.999999): days only
        (
            "2026-12-01T00:00:00",
            "2026-12-03T23:59:59.999999",
            RangeParts(days=("2026-12-01", "2026-12-03")),
        ),
        # Days with partial days on both sides: at most 23 hours before and 23 after
        (
            "2026-12-01T00:30:00",
            "2026-12-04T23:29:59.999999",
            RangeParts(
                days=("2026-12-02", "2026-12-03"),
                hours=[("2026-12-01T01", "2026-12-01T23"), ("2026-12-04T00", "2026-12-04T22")],
                moments=[
                    (at("2026-12-01T00:30:00"), at("2026-12-01T01:00:00")),
                    (at("2026-12-04T23:00:00"), at("2026-12-04T23:30:00")),
                ],
            ),
        ),
        # No whole day inside but almost two: the longest run of hours (46)
        (
            "2026-12-01T00:30:00",
            "2026-12-02T23:29:59.999999",
            RangeParts(
                hours=[("2026-12-01T01", "2026-12-02T22")],
                moments=[
                    (at("2026-12-01T00:30:00"), at("2026-12-01T01:00:00")),
                    (at("2026-12-02T23:00:00"), at("2026-12-02T23:30:00")),
                ],
            ),
        ),
        # start == end: the documents of that one microsecond
        (
            "2026-12-01T10:00:00",
            "2026-12-01T10:00:00",
            RangeParts(moments=[(at("2026-12-01T10:00:00"), at("2026-12-01T10:00:00") + US)]),
        ),
        # start after end: nothing
        ("2026-12-01T10:00:00", "2026-12-01T09:00:00", RangeParts()),
        # Fractions of seconds: a start inside a second; an end at a whole second includes only that instant
        (
            "2026-12-01T10:00:00.5",
            "2026-12-01T12:00:00",
            RangeParts(
                hours=[("2026-12-01T11", "2026-12-01T11")],
                moments=[
                    (at("2026-12-01T10:00:00.5"), at("2026-12-01T11:00:00")),
                    (at("2026-12-01T12:00:00"), at("2026-12-01T12:00:00") + US),
                ],
            ),
        ),
        # Open start: every day before the last whole one
        (
            None,
            "2026-12-03T05:30:00",
            RangeParts(
                days=(None, "2026-12-02"),
                hours=[("2026-12-03T00", "2026-12-03T04")],
                moments=[(at("2026-12-03T05:00:00"), at("2026-12-03T05:30:00") + US)],
            ),
        ),
        # Open end: every day after the first whole one
        (
            "2026-12-01T05:30:00",
            None,
            RangeParts(
                days=("2026-12-02", None),
                hours=[("2026-12-01T06", "2026-12-01T23")],
                moments=[(at("2026-12-01T05:30:00"), at("2026-12-01T06:00:00"))],
            ),
        ),
        # Open end from midnight: days only
        ("2026-12-01T00:00:00", None, RangeParts(days=("2026-12-01", None))),
        # Offsets are converted to UTC: 01:30+02:00 is 23:30 the day before
        (
            "2026-12-01T01:30:00+02:00",
            "2026-12-01T02:10:00+02:00",
            RangeParts(moments=[(at("2026-11-30T23:30:00"), at("2026-12-01T00:10:00") + US)]),
        ),
    ],
    ids=[
        "within an hour",
        "across an hour without a whole one",
        "within a day",
        "crossing midnight",
        "whole days",
        "days with partial days",
        "46 hours",
        "start equals end",
        "start after end",
        "fractions of seconds",
        "open start",
        "open end",
        "open end from midnight",
        "offsets",
    ],
)
def test_a_range_is_cut_into_whole_days_whole_hours_and_partial_hours(start, end, expected):
    assert split_range(at(start) if start else None, at(end) if end else None) == expected


def test_daylight_saving_does_not_matter_the_hours_are_utc():
    # London's clocks go forward at 01:00 UTC on 2026-03-29: local 00:30 GMT to 03:30 BST is 00:30Z to 02:30Z
    london = ZoneInfo("Europe/London")
    start, end = datetime(2026, 3, 29, 0, 30, tzinfo=london), datetime(2026, 3, 29, 3, 30, tzinfo=london)
    parts = split_range(start, end)
    assert parts.hours == [("2026-03-29T01", "2026-03-29T01")]
    assert parts.moments == [
        (at("2026-03-29T00:30:00"), at("2026-03-29T01:00:00")),
        (at("2026-03-29T02:00:00"), at("2026-03-29T02:30:00") + US),
    ]


# ------------------------------------------------------------------ against a brute-force count

_BASE = datetime(2026, 11, 28, tzinfo=UTC)
_SPAN_US = 6 * 24 * 3600 * 1_000_000  # six days, in microseconds


def _moment(offset: int, whole: bool) -> datetime:
    moment = _BASE + timedelta(microseconds=offset)
    return moment.replace(microsecond=0) if whole else moment


moments = st.builds(_moment, st.integers(0, _SPAN_US), st.booleans())


def _counted(parts: RangeParts, created: list[datetime]) -> int:
    """What the kept counts and the partial hours' documents add up to."""
    total = 0
    if parts.days is not None:
        first, last = parts.days
        total += sum(
            1 for t in created if (first is None or day_of(t) >= first) and (last is None or day_of(t) <= last)
        )
    total += sum(1 for first, last in parts.hours for t in created if first <= hour_of(t) <= last)
    total += sum(1 for since, until in parts.moments for t in created if since <= t < until)
    return total


@FAST
@given(
    created=st.lists(moments, max_size=60),
    start=st.none() | moments,
    end=st.none() | moments,
)
def test_the_parts_count_exactly_what_a_brute_force_count_finds(created, start, end):
    parts = split_range(start, end)
    expected = sum(1 for t in created if (start is None or t >= start) and (end is None or t <= end))
    assert _counted(parts, created) == expected
    # And what is read stays bounded: at most 46 hours' counts, two partial spans each within two hours
    hours = sum(
        (datetime.fromisoformat(last + ":00+00:00") - datetime.fromisoformat(first + ":00+00:00")) // timedelta(hours=1)
        + 1
        for first, last in parts.hours
    )
    assert hours <= 46 and len(parts.hours) <= 2 and len(parts.moments) <= 2
    assert all(until - since <= timedelta(hours=2) for since, until in parts.moments)
    assert all(until - since <= timedelta(hours=1) for since, until in parts.moments) or len(parts.moments) == 1
