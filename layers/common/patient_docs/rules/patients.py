"""Patient facts a file request relies on: the date of birth the patient will be asked for."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

MAX_AGE_YEARS = 130
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The earliest time zone (UTC+14) reaches a new day 14 hours before UTC does.
_EARLIEST_ZONE = timedelta(hours=14)


def check_date_of_birth(value: str, now: datetime | None = None) -> str:
    """``YYYY-MM-DD``, a real date, not in the future, at most 130 years ago."""
    text = value.strip()
    if not _ISO_DATE.fullmatch(text):
        raise ValueError("must be a date in ISO 8601 format, e.g. 1980-06-17")
    try:
        born = date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("is not a real calendar date") from exc
    today = ((now or datetime.now(UTC)) + _EARLIEST_ZONE).date()
    if born > today:
        raise ValueError("must not be in the future")
    try:
        oldest = today.replace(year=today.year - MAX_AGE_YEARS)
    except ValueError:  # 29 February
        oldest = today.replace(year=today.year - MAX_AGE_YEARS, day=28)
    if born < oldest:
        raise ValueError(f"must be at most {MAX_AGE_YEARS} years ago")
    return text
