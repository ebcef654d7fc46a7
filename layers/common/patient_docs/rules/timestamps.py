"""Timestamps: stored in UTC, rendered per door."""

from __future__ import annotations

from datetime import UTC, datetime

# Documented shapes (JSON Schema patterns in /openapi.json) of the dates the parsers below accept:
# real calendar days (29 February aside), years 1000-2999 so that no offset leaves the calendar.
_DAY = r"[12][0-9]{3}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
_TIME = r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?(?:Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9])?"
DATETIME_PATTERN = f"^{_DAY}{_TIME}$"
RANGE_BOUND_PATTERN = f"^{_DAY}(?:{_TIME})?$"


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
    text = value.strip()
    if len(text) < 19 or text[10] != "T":
        raise ValueError("must be a datetime like 2026-04-01T09:00:00")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError) as exc:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise ValueError("must be a datetime like 2026-04-01T09:00:00") from exc
    return parsed.isoformat(timespec="seconds")


def parse_range_bound(value: str, end: bool = False) -> datetime:
    """A list filter bound: a date (whole day) or a datetime; naive means UTC."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return day.replace(hour=23, minute=59, second=59, microsecond=999999) if end else day
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # an offset can push year 1 or 9999 out of range
        raise ValueError("must be a date (2026-04-01) or a datetime (2026-04-01T09:00:00)") from exc
