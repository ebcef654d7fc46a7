"""Which file types the service stores, and what the bytes really are.

The declared type is never trusted. One function, ``content_verdict``, decides for every door
(door A inline, door B's multipart upload and Save Document, the patient page's register step),
so the same bytes get the same verdict whichever way they came in. It reads what the format
needs (``bytes_needed``): the first ``SNIFF_BYTES`` of a binary format, every byte of text
(UTF-8 validated whole: a fixed prefix could end inside a character, or miss what follows it).
"""

from __future__ import annotations

from collections.abc import Collection

# MIME type -> accepted file name extensions (first one is canonical).
DOCUMENT_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
    "image/heic": ("heic",),
    "image/heif": ("heif",),
    "image/tiff": ("tiff", "tif"),
    "text/plain": ("txt",),
}
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/heic", "image/heif", "image/webp"})

_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"heif"}
_EQUIVALENT = {"image/heic": "heif-family", "image/heif": "heif-family"}
SNIFF_BYTES = 64


def media_type(content_type: str) -> str:
    """``type/subtype`` of a Content-Type value, in lower case (media types are case-insensitive)."""
    return content_type.split(";", 1)[0].strip().lower()


def canonical_media_type(content_type: str) -> str:
    """A Content-Type value spelled one way: type, subtype and parameter names in lower case.

    Parameter values keep their case (a multipart boundary is case-sensitive).
    """
    base, *parameters = content_type.split(";")
    spelled = [base.strip().lower()]
    for parameter in parameters:
        name, equals, value = parameter.strip().partition("=")
        if name:
            spelled.append(f"{name.strip().lower()}{equals}{value.strip()}")
    return "; ".join(spelled)


def is_json_media_type(content_type: str) -> bool:
    """Whether a request body is read as JSON: no Content-Type, or ``application/json`` (with parameters)."""
    base = media_type(content_type)
    return not base or base == "application/json"


def normalise(mime_type: str) -> str:
    base = media_type(mime_type)
    return _ALIASES.get(base, base)


def sniff(head: bytes) -> str | None:
    """The MIME type the leading bytes prove, or None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIC_BRANDS:
            return "image/heic"
        if brand in _HEIF_BRANDS:
            return "image/heif"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    return None


def is_plain_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


UNDECLARED = ("", "application/octet-stream")
TEXT = "text/plain"


def bytes_needed(declared: str, size_bytes: int, accepted: Collection[str]) -> int:
    """How many leading bytes ``content_verdict`` needs for a file of ``size_bytes`` declared as ``declared``."""
    return size_bytes if normalise(declared) == TEXT and TEXT in accepted else min(size_bytes, SNIFF_BYTES)


def _same_type(found: str, declared: str) -> bool:
    return found == declared or _EQUIVALENT.get(found, found) == _EQUIVALENT.get(declared)


def content_verdict(declared: str | None, data: bytes, accepted: Collection[str]) -> str:
    """The type the bytes really are, when it is ``accepted`` and agrees with ``declared``.

    ``data`` holds at least ``bytes_needed(declared, size)`` leading bytes of the file.
    ``declared`` None, empty or ``application/octet-stream``: the bytes alone decide (text cannot
    be recognised that way: it must be declared). Raises ValueError with the reason otherwise.
    """
    wanted = normalise(declared or "")
    if not data:
        raise ValueError("the file is empty")
    if wanted not in UNDECLARED and wanted not in accepted:
        raise ValueError(f"must be one of {', '.join(accepted)}")
    found = sniff(data[:SNIFF_BYTES])
    if found is not None:
        if wanted not in UNDECLARED and not _same_type(found, wanted):
            raise ValueError("the content does not match its declared type")
        verdict = found if wanted in UNDECLARED else wanted
    elif wanted == TEXT:
        if not is_plain_text(data):
            raise ValueError("the content is not UTF-8 text")
        verdict = TEXT
    elif wanted in UNDECLARED:
        raise ValueError(f"must be one of {', '.join(accepted)}")
    else:
        raise ValueError("the content does not match its declared type")
    if verdict not in accepted:
        raise ValueError(f"must be one of {', '.join(accepted)}")
    return verdict


def matches(declared: str, data: bytes) -> bool:
    """True when ``data`` really is of the (normalised) ``declared`` type: ``content_verdict``'s answer."""
    try:
        content_verdict(declared, data, DOCUMENT_TYPES)
    except ValueError:
        return False
    return normalise(declared) not in UNDECLARED


def extension_for(mime_type: str, file_name: str) -> str:
    """The file name's own extension when it fits the type, else the type's canonical one."""
    allowed = DOCUMENT_TYPES.get(mime_type, ("bin",))
    _, dot, ext = file_name.rpartition(".")
    ext = ext.lower()
    return ext if dot and ext in allowed else allowed[0]
