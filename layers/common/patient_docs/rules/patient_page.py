"""The patient page's rules: who may answer, with what, and where the bytes go."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from patient_docs.rules.file_requests import effective_status

# The fifth wrong date of birth locks the link for good.
MAX_WRONG_ANSWERS = 5
# A request's photos live under their own prefix: the bucket notifies the register function of these only.
REQUEST_FILES_PREFIX = "file-requests/"
QUARANTINE_PREFIX = "quarantine/"
_REQUEST_FILE_KEY = re.compile(
    r"^file-requests/(?P<account>[A-Za-z0-9_-]{1,64})/(?P<request>[0-9a-f-]{36})/(?P<file>[0-9a-f-]{36})\.(?P<ext>[a-z0-9]{1,5})$"
)

PageState = Literal["open", "expired", "cancelled", "locked"]


def page_state(
    status: str, short_link_expires_at: datetime | None, failed_verifications: int, now: datetime
) -> PageState:
    """What the link shows. Answered requests stay open for more photos until the link expires."""
    if failed_verifications >= MAX_WRONG_ANSWERS:
        return "locked"
    shown = effective_status(status, short_link_expires_at, now)
    if shown == "cancelled":
        return "cancelled"
    if shown == "expired" or (short_link_expires_at is not None and now >= short_link_expires_at):
        return "expired"
    return "open"


# YYYY-MM-DD in ASCII digits: ``\d`` would also match the digits of other scripts.
_DATE_OF_BIRTH = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def parse_date_of_birth(value: str) -> date:
    text = value.strip()
    if not _DATE_OF_BIRTH.fullmatch(text):
        raise ValueError("must be a date like 1980-06-17")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("must be a real date like 1980-06-17") from exc


def new_session_token() -> str:
    """256 bits, handed to the page once; only its hash is stored."""
    return secrets.token_urlsafe(32)


def session_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_file_key(account_id: str, file_request_id: str, file_id: str, extension: str) -> str:
    return f"{REQUEST_FILES_PREFIX}{account_id}/{file_request_id}/{file_id}.{extension}"


@dataclass(frozen=True)
class RequestFileKey:
    account_id: str
    file_request_id: str
    file_id: str
    extension: str


def parse_request_file_key(key: str) -> RequestFileKey | None:
    match = _REQUEST_FILE_KEY.match(key)
    if not match:
        return None
    return RequestFileKey(match["account"], match["request"], match["file"], match["ext"])


def quarantine_key(key: str) -> str:
    return QUARANTINE_PREFIX + key
