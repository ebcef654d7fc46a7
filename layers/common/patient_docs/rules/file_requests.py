"""Door C rules with no I/O: short links, the request lifecycle, resend limits, SMS text."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Literal

from patient_docs.messages import text
from patient_docs.rules.languages import DEFAULT_LANGUAGE, Language

# 9 random bytes -> 12 URL-safe characters, 72 bits: unguessable, and short enough for an SMS.
SHORT_LINK_BYTES = 9
SHORT_LINK_PATTERN = re.compile(r"[A-Za-z0-9_-]{12}")

Status = Literal["created", "notified", "opened", "verified", "responded", "expired", "cancelled"]
# While a request is in one of these, its link works (until it expires) and it can be resent.
OPEN_STATUSES: tuple[Status, ...] = ("created", "notified", "opened", "verified")

# Resend: at most one notification a minute, and at most 5 resends per request.
RESEND_MIN_INTERVAL = timedelta(seconds=60)
RESEND_MAX = 5

# Queued notifications: SNS throttling is tried again up to this many times in all, each try waiting
# twice as long as the one before (30 s, 1, 2, 4 min); the last try records ``failed`` instead. The
# queue's maxReceiveCount (template.yaml) is one more, so only a message whose handling itself keeps
# failing reaches the dead-letter queue.
NOTIFICATION_TRIES = 5
NOTIFICATION_BACKOFF_SECONDS = 30

# Account SMS settings: AWS allows 1-11 letters and digits with at least one letter.
# 1 to 11 letters or digits, at least one letter (all digits would read as a phone number).
# Written without look-ahead, so JSON Schema (the OpenAPI document) states exactly the same rule.
SENDER_ID_REGEX = r"^[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*$"
SENDER_ID_MAX_LENGTH = 11
SENDER_ID_PATTERN = re.compile(SENDER_ID_REGEX)
LINK_LIFETIME_HOURS_MIN = 1
LINK_LIFETIME_HOURS_MAX = 720  # 30 days
# An account's own daily SMS quota may be set up to the deployment's SmsDailyQuotaMaximum (default
# 5,000: fifty times the stated load's 100 links per account a day, a tenth of the deployment's whole day),
# which may be raised up to this ceiling: the whole stated day, 50,000 links (docs/capacity.md, "SMS spend").
SMS_DAILY_QUOTA_CEILING = 50_000
SMS_DAILY_QUOTA_MAXIMUM = 5_000


def new_short_link_id() -> str:
    return secrets.token_urlsafe(SHORT_LINK_BYTES)


def is_short_link_id(value: str) -> bool:
    return SHORT_LINK_PATTERN.fullmatch(value) is not None


def short_link_url(public_base_url: str, short_link_id: str) -> str:
    return f"{public_base_url.rstrip('/')}/r/{short_link_id}"


def link_expiry(created_at: datetime, lifetime_hours: int) -> datetime:
    return created_at + timedelta(hours=lifetime_hours)


def effective_status(stored: str, short_link_expires_at: datetime | None, now: datetime) -> Status:
    """The status a reader sees: an open request whose link has expired is ``expired``."""
    if stored in OPEN_STATUSES and short_link_expires_at is not None and now >= short_link_expires_at:
        return "expired"
    return stored  # type: ignore[return-value]


def notification_backoff(attempt: int) -> int:
    """Seconds before try ``attempt + 1`` of a throttled notification (``attempt`` counts from 1)."""
    return int(min(900, NOTIFICATION_BACKOFF_SECONDS * 2 ** max(0, attempt - 1)))


def reminder_time(expires_at: datetime, lead_hours: int, now: datetime) -> datetime | None:
    """When the reminder goes: ``lead_hours`` before the link expires; None if that is not in the future."""
    at = (expires_at - timedelta(hours=lead_hours)).replace(microsecond=0)
    return at if at > now else None


def check_sender_id(value: str) -> str:
    if len(value) > SENDER_ID_MAX_LENGTH or not SENDER_ID_PATTERN.fullmatch(value):
        raise ValueError("must be 1 to 11 letters or digits, with at least one letter")
    return value


def notification_text(
    kind: str, link: str, expires_at: datetime | None, language: Language = DEFAULT_LANGUAGE, reminder: bool = False
) -> str:
    """The SMS or push text, in the account's language (the request keeps the one it was sent in).
    It never carries the patient's name, date of birth or the prompt."""
    message = text(language, f"sms.{kind}", link=link)
    if reminder:
        message = text(language, "sms.reminder") + message
    if expires_at is not None:
        at = expires_at.astimezone(UTC)
        month = text(language, f"month.{at.month}")
        message += text(language, "sms.valid_until", day=f"{at:%d}", month=month, time=f"{at:%H:%M}")
    return message
