"""Timestamps: stored in UTC, rendered per door."""

from __future__ import annotations

from datetime import UTC, datetime


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
    except ValueError as exc:
        raise ValueError("must be a datetime like 2026-04-01T09:00:00") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.isoformat(timespec="seconds")


def parse_range_bound(value: str, end: bool = False) -> datetime:
    """A list filter bound: a date (whole day) or a datetime; naive means UTC."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return day.replace(hour=23, minute=59, second=59, microsecond=999999) if end else day
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError("must be a date (2026-04-01) or a datetime (2026-04-01T09:00:00)") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
