"""The patient page's links and upload sessions in the one table.

Layout (PK / SK):
  LINK#<short_link_id>              / LINK      short link -> file request (written with the request)
  UPLOADSESSION#<sha256 of token>   / SESSION   an upload session after a right date of birth (expires with ``ttl``)

Only the hash of a session token is stored: the token itself lives in the patient's browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from patient_docs.adapters.table import Item, Key, batch_get, decode, encode, get, stored_time

# Session items outlive their expiry by an hour before DynamoDB's TTL removes them.
_SESSION_TTL_GRACE_SECONDS = 3600


def _link_key(short_link_id: str) -> Key:
    return {"PK": f"LINK#{short_link_id}", "SK": "LINK"}


def _session_key(token_hash: str) -> Key:
    return {"PK": f"UPLOADSESSION#{token_hash}", "SK": "SESSION"}


def link_item(short_link_id: str, file_request_id: str) -> Item:
    """The link item, written in the file request's own transaction."""
    return encode({**_link_key(short_link_id), "entity": "short_link", "file_request_id": file_request_id})


def get_link(short_link_id: str) -> str | None:
    """The id of the request a short link points to, whatever its state."""
    link = get(_link_key(short_link_id))
    return str(link["file_request_id"]) if link else None


@dataclass(frozen=True)
class StoredSession:
    """An upload session: its request, until when it works, and (sessions written since the audit
    trail) the request's account and patient, so that an upload needs no read of the request."""

    file_request_id: str
    expires_at: datetime
    account_id: str | None = None
    patient_number: int | None = None


def session_item(
    token_hash: str, file_request_id: str, expires_at: datetime, account_id: str, patient_number: int
) -> Item:
    """The session item, written in the transaction that confirms the date of birth."""
    return encode(
        {
            **_session_key(token_hash),
            "entity": "upload_session",
            "file_request_id": file_request_id,
            "account_id": account_id,
            "patient_number": patient_number,
            "expires_at": stored_time(expires_at),
            "ttl": int(expires_at.timestamp()) + _SESSION_TTL_GRACE_SECONDS,
        }
    )


def get_link_and_session(short_link_id: str, token_hash: str | None) -> tuple[str | None, StoredSession | None]:
    """The request a short link names and the upload session ``token_hash`` names, in one read."""
    keys = [_link_key(short_link_id)] + ([_session_key(token_hash)] if token_hash else [])
    found = batch_get(keys)
    link = decode(found[0]) if found[0] else None
    session = decode(found[1]) if len(found) > 1 and found[1] else None
    stored = None
    if session:
        number = session.get("patient_number")
        stored = StoredSession(
            file_request_id=str(session["file_request_id"]),
            expires_at=datetime.fromisoformat(str(session["expires_at"])),
            account_id=str(session["account_id"]) if session.get("account_id") else None,
            patient_number=int(number) if number is not None else None,
        )
    return (str(link["file_request_id"]) if link else None), stored
