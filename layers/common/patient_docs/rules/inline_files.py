"""Files that arrive inside the request (door A base64, door B multipart)."""

from __future__ import annotations

import base64
import binascii

from patient_docs.errors import InvalidField, PayloadTooLarge

PRESIGNED_HINT = "use POST /apis/v1/file/upload/presigned for larger files"


def too_large(field: str, max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(field, f"file is larger than {max_bytes} bytes; {PRESIGNED_HINT}")


def decode_base64_file(data: str, field: str, max_bytes: int) -> bytes:
    text = data.strip()
    if text.startswith("data:") and "," in text[:200]:
        text = text.split(",", 1)[1]  # tolerate a data: URL prefix
    text = "".join(text.split())  # encoders wrap lines every 76 characters
    if len(text) > 4 * ((max_bytes + 2) // 3):
        raise too_large(field, max_bytes)
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidField(field, "is not valid base64") from exc
    check_size(decoded, field, max_bytes)
    return decoded


def check_size(content: bytes, field: str, max_bytes: int) -> None:
    if not content:
        raise InvalidField(field, "file is empty")
    if len(content) > max_bytes:
        raise too_large(field, max_bytes)
