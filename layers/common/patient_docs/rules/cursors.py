"""Opaque list cursors: a position in an index, URL-safe, checked on the way back in."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

MAX_CURSOR_LENGTH = 1024


def encode_cursor(position: dict[str, str]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str, keys: tuple[str, ...], within: str | None = None, partition_key: str = "GSI1PK"
) -> dict[str, str]:
    """The position a cursor holds, or ValueError when it is not one this service issued.

    ``within``: the index partition (``partition_key``) the list reads; a cursor of another list is refused.
    """
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise ValueError("is not a valid cursor")
    try:
        decoded: Any = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("is not a valid cursor") from exc
    if not isinstance(decoded, dict) or set(decoded) != set(keys):
        raise ValueError("is not a valid cursor")
    if not all(isinstance(value, str) and 0 < len(value) <= 256 for value in decoded.values()):
        raise ValueError("is not a valid cursor")
    if within is not None and decoded.get(partition_key) != within:
        raise ValueError("is not a valid cursor")
    return decoded
