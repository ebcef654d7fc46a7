"""Integer document ids without a counter item.

An id is the milliseconds since 2024-01-01 (41 bits, good for 69 years) followed by
12 random bits: time-ordered, at most 2**53 - 1 so it survives JavaScript, and
created without touching any shared item. A clash (two ids in one millisecond
drawing the same 12 bits) is caught by the conditional write, which retries.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

EPOCH_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
RANDOM_BITS = 12
MAX_ID = 2**53 - 1
# How an integer is written in a URL: one spelling per number.
CANONICAL_DIGITS = re.compile(r"0|[1-9][0-9]*", re.ASCII)


def new_document_id(now_ms: int | None = None) -> int:
    millis = (now_ms if now_ms is not None else time.time_ns() // 1_000_000) - EPOCH_MS
    value = (millis << RANDOM_BITS) | secrets.randbits(RANDOM_BITS)
    return value & MAX_ID


def new_patient_number(now_ms: int | None = None) -> int:
    """A shell patient's number, made like a document id: doors A and B address patients by it.

    Numbers from this clock are far above the small practice-system ids clients use
    (1172416 is about 2**20; a new number, about 2**48), and the conditional write that
    records a patient refuses a number already taken.
    """
    return new_document_id(now_ms)


def digits_only(value: Any) -> Any:
    """An integer in a URL (a path id or a query parameter) as it must be spelled: the digits 0-9, without
    a leading zero (``0`` alone aside).

    The integer would otherwise take what Python's int() and pydantic take from text: ``12.0``, ``+12``,
    `` 12``, ``012`` and ``1_2`` (which is 12) would all name the same record or page. ``schemas.common``'s
    ``PathId`` and ``QueryInt`` run it before the integer's own checks."""
    if isinstance(value, str) and not CANONICAL_DIGITS.fullmatch(value):
        raise ValueError("must be a whole number written in the digits 0-9, without sign, spaces or leading zeros")
    return value
