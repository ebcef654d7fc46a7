"""Which file types the service stores, and what the bytes really are.

The declared type is never trusted: the first bytes decide.
"""

from __future__ import annotations

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
    """Whether a request body is read as JSON (Powertools' rule): no Content-Type, or application/json..."""
    base = media_type(content_type)
    return not base or base.startswith("application/json")


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


def matches(declared: str, data: bytes) -> bool:
    """True when ``data`` really is of the (normalised) ``declared`` type."""
    if declared == "text/plain":
        return is_plain_text(data)
    found = sniff(data[:SNIFF_BYTES])
    if found is None:
        return False
    return found == declared or _EQUIVALENT.get(found, found) == _EQUIVALENT.get(declared)


def extension_for(mime_type: str, file_name: str) -> str:
    """The file name's own extension when it fits the type, else the type's canonical one."""
    allowed = DOCUMENT_TYPES.get(mime_type, ("bin",))
    _, dot, ext = file_name.rpartition(".")
    ext = ext.lower()
    return ext if dot and ext in allowed else allowed[0]
