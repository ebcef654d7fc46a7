"""Test helpers: callers, requests through the local router, and seed documents."""

from __future__ import annotations

import base64
import json
import struct
import urllib.parse
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local import tokens

# The vendors' examples the doors must match field for field: requests and responses, copied verbatim.
SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def bearer(role: str = "staff", account: str = "12", patient: int | None = None, **extra: Any) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens.issue(role, account, patient, **extra)}"}


STAFF_12 = {"role": "staff", "account": "12"}
STAFF_13 = {"role": "staff", "account": "13"}


def call(
    api: Any,
    method: str,
    path: str,
    body: Any = None,
    caller: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> Reply:
    """One request through the local API router (routing, JWT check, event, handler)."""
    sent = {"host": "127.0.0.1:3000"}
    if caller is not None:
        sent.update(bearer(**caller))
    if body is not None:
        sent["content-type"] = "application/json"
        raw = json.dumps(body).encode()
    sent.update(headers or {})
    status, out_headers, data, _ = api.handle(method, path, sent, raw or b"")
    return Reply(status, out_headers, data)


def seed_example(name: str) -> Any:
    """A request or response example of a vendor's API document, kept as a fixture (``tests/fixtures/seeds``)."""
    return json.loads((SEEDS / f"{name}.json").read_text())


def key_of_presigned_url(url: str, bucket: str) -> str:
    parts = urllib.parse.urlsplit(url)
    path = urllib.parse.unquote(parts.path)
    if (parts.hostname or "").startswith(bucket + "."):
        return path.lstrip("/")
    return path.split("/", 2)[2]


# ------------------------------------------------------------------ real file bytes
def png_bytes(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
