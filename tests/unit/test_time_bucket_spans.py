"""rules/time_buckets.spans_in_order: the parts of a cut range tile it, in the order a page walks them."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from patient_docs.rules.time_buckets import hour_span, spans_in_order, split_range

BASE = datetime(2026, 3, 28, 21, 17, 5, 250_000, tzinfo=UTC)


def _random_bound(rng: random.Random) -> datetime | None:
    if rng.random() < 0.15:
        return None
    moment = BASE + timedelta(seconds=rng.uniform(-4 * 86400, 4 * 86400))
    return rng.choice((moment, moment.replace(microsecond=0), moment.replace(minute=0, second=0, microsecond=0)))


def test_spans_tile_the_range_without_gap_or_overlap_in_either_order() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        start, end = _random_bound(rng), _random_bound(rng)
        low = start
        high = end + timedelta(microseconds=1) if end is not None else None
        if low is not None and high is not None and low >= high:
            assert spans_in_order(split_range(start, end), True) == []
            continue
        oldest_first = spans_in_order(split_range(start, end), False)
        # Then consecutive spans meet, the first starts at the range's start and the last ends at its end
        assert oldest_first[0].since == low and oldest_first[-1].until == high, (start, end)
        for before, after in itertools.pairwise(oldest_first):
            assert before.until == after.since, (start, end)
        # And newest first is the same spans reversed
        assert spans_in_order(split_range(start, end), True) == oldest_first[::-1]
        # And hour and day runs name the counts their instants are kept under
        for span in oldest_first:
            if span.kind == "hours":
                assert span.first is not None and span.last is not None
                assert (hour_span(span.first)[0], hour_span(span.last)[1]) == (span.since, span.until)
            if span.kind == "days" and span.first is not None:
                assert span.since == datetime.fromisoformat(span.first).replace(tzinfo=UTC)


def test_a_range_open_on_both_sides_is_one_run_of_days() -> None:
    (only,) = spans_in_order(split_range(None, None), True)
    assert (only.kind, only.since, only.until, only.first, only.last) == ("days", None, None, None, None)
