"""Object keys are chosen by the server: account and patient area, then a random name.

No client-supplied text (file names are PHI) ever becomes part of a key.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

_DOCUMENT_KEY = re.compile(
    r"^accounts/(?P<account>[A-Za-z0-9_-]{1,64})/patients/(?P<patient>[0-9]{1,16})/documents/[0-9a-f]{32}(\.[a-z0-9]{1,5})?$"
)


def patient_prefix(account_id: str, patient_id: int) -> str:
    return f"accounts/{account_id}/patients/{patient_id}/documents/"


def new_document_key(account_id: str, patient_id: int, extension: str) -> str:
    return f"{patient_prefix(account_id, patient_id)}{uuid.uuid4().hex}.{extension}"


@dataclass(frozen=True)
class DocumentKey:
    account_id: str
    patient_id: int
    key: str


def parse_document_key(key: str) -> DocumentKey | None:
    match = _DOCUMENT_KEY.match(key)
    if not match:
        return None
    return DocumentKey(match["account"], int(match["patient"]), key)


def object_url(bucket: str, region: str, key: str) -> str:
    """The canonical (private, not fetchable without a signature) URL of an object."""
    return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"


def key_from_object_url(url: str, bucket: str, region: str) -> str | None:
    """The key when ``url`` names an object of ``bucket``; None for any other URL."""
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.query or parts.fragment:
        return None
    host = (parts.hostname or "").lower()
    path = unquote(parts.path)
    virtual_hosts = {f"{bucket}.s3.{region}.amazonaws.com", f"{bucket}.s3.amazonaws.com"}
    path_hosts = {f"s3.{region}.amazonaws.com", "s3.amazonaws.com"}
    if host in virtual_hosts:
        key = path.lstrip("/")
    elif host in path_hosts and path.startswith(f"/{bucket}/"):
        key = path[len(bucket) + 2 :]
    else:
        return None
    return key or None
