"""Timestamps: stored in UTC, rendered per door."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# Documented shapes (JSON Schema patterns in /openapi.json) of the dates the parsers below accept: real
# calendar days, 29 February of leap years included, in years 1000-2999 so that no offset leaves the
# calendar; times to the second, with a fraction after a dot (digits past the sixth are dropped), and
# an offset from -14:00 to +14:00 (Z: UTC). Every value of these shapes is accepted.
_LEAP_YEAR = r"(?:[12][0-9](?:0[48]|[2468][048]|[13579][26])|(?:12|16|20|24|28)00)"
_DAY = (
    r"(?:[12][0-9]{3}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
    rf"|{_LEAP_YEAR}-02-29)"
)
_OFFSET = r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
_FRACTION = r"(?:\.[0-9]{1,9})?"
_TIME = rf"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]{_FRACTION}{_OFFSET}?"
DATETIME_PATTERN = f"^{_DAY}{_TIME}$"
RANGE_BOUND_PATTERN = f"^{_DAY}(?:{_TIME})?$"
# What the parsers check before fromisoformat(), which decides the values (a real day, hour, minute):
# the same spelling, in ASCII digits, with any year from 0001 to 9999 (a list's 0001-01-01 or 9999-12-31
# is an open end). fromisoformat() itself also reads 20261202, 2026-W49-3, 2026-336, 2026-12-02T10,
# +0100, a comma before the fraction and a space or any other character for the T: none is one of these.
_DAY_SHAPE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIME_SHAPE = rf"T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}{_FRACTION}{_OFFSET}?"
_DATETIME = re.compile(_DAY_SHAPE + _TIME_SHAPE, re.ASCII)
_RANGE_BOUND = re.compile(f"{_DAY_SHAPE}(?:{_TIME_SHAPE})?", re.ASCII)


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_with_offset(moment: datetime) -> str:
    """Door A and C: ``2018-01-16T20:51:06+00:00``."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def iso_naive_utc(moment: datetime) -> str:
    """Door B: ``2026-04-01T12:00:00`` (UTC, no offset, as the vendor writes it)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def parse_door_b_datetime(value: str) -> str:
    """Accept ``YYYY-MM-DDTHH:mm:ss`` (optionally with fraction or offset); store naive UTC."""
    if not _DATETIME.fullmatch(value):
        raise ValueError("must be a datetime like 2026-04-01T09:00:00")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError) as exc:  # 2025-02-29; 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise ValueError("must be a datetime like 2026-04-01T09:00:00") from exc
    return parsed.isoformat(timespec="seconds")


def parse_range_bound(value: str, end: bool = False) -> datetime:
    """A list filter bound: a date (whole day) or a datetime; naive means UTC."""
    if not _RANGE_BOUND.fullmatch(value):
        raise ValueError("must be a date (2026-04-01) or a datetime (2026-04-01T09:00:00)")
    try:
        if len(value) == 10:
            day = datetime.fromisoformat(value).replace(tzinfo=UTC)
            return day.replace(hour=23, minute=59, second=59, microsecond=999999) if end else day
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # an offset can push year 1 or 9999 out of range
        raise ValueError("must be a date (2026-04-01) or a datetime (2026-04-01T09:00:00)") from exc
