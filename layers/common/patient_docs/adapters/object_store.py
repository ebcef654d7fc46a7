"""File bytes in the private S3 bucket: writes, metadata and presigned URLs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from botocore.exceptions import ClientError

from patient_docs.adapters.aws import s3, s3_addressing
from patient_docs.settings import get_settings

ORIGINAL_NAME_META = "original-name"  # percent-encoded: S3 metadata must be ASCII


@dataclass(frozen=True)
class StoredObject:
    key: str
    size_bytes: int
    content_type: str
    original_name: str | None


def put_object(key: str, data: bytes, content_type: str, original_name: str) -> None:
    s3().put_object(
        Bucket=get_settings().bucket_name,
        Key=key,
        Body=data,
        ContentType=content_type,
        Metadata={ORIGINAL_NAME_META: quote(original_name, safe="")},
    )


def head_object(key: str) -> StoredObject | None:
    try:
        response = s3().head_object(Bucket=get_settings().bucket_name, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    original = response.get("Metadata", {}).get(ORIGINAL_NAME_META)
    return StoredObject(
        key=key,
        size_bytes=int(response.get("ContentLength", 0)),
        content_type=response.get("ContentType", "application/octet-stream"),
        original_name=unquote(original) if original else None,
    )


def delete_object(key: str) -> None:
    s3().delete_object(Bucket=get_settings().bucket_name, Key=key)


def presign_download(key: str, file_name: str, content_type: str) -> str:
    settings = get_settings()
    disposition = f"attachment; filename*=UTF-8''{quote(file_name, safe='')}"
    url: str = s3().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings.bucket_name,
            "Key": key,
            "ResponseContentType": content_type,
            "ResponseContentDisposition": disposition,
        },
        ExpiresIn=settings.download_ttl_seconds,
    )
    return url


def presign_view(key: str, content_type: str) -> str:
    """A short-lived GET of an image shown in a page or app (a thumbnail or preview): inline, not an attachment."""
    settings = get_settings()
    url: str = s3().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings.bucket_name,
            "Key": key,
            "ResponseContentType": content_type,
            "ResponseContentDisposition": "inline",
        },
        ExpiresIn=settings.download_ttl_seconds,
    )
    return url


def read_object(key: str) -> tuple[StoredObject, bytes] | None:
    """Metadata and the whole object (None when absent)."""
    try:
        response = s3().get_object(Bucket=get_settings().bucket_name, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    data = response["Body"].read()
    original = response.get("Metadata", {}).get(ORIGINAL_NAME_META)
    stored = StoredObject(
        key=key,
        size_bytes=len(data),
        content_type=response.get("ContentType", "application/octet-stream"),
        original_name=unquote(original) if original else None,
    )
    return stored, data


def put_derived(key: str, data: bytes, content_type: str, tags: dict[str, str]) -> None:
    """Write an object made from another (an image's rendition), with the tags it carries from birth."""
    s3().put_object(
        Bucket=get_settings().bucket_name, Key=key, Body=data, ContentType=content_type, Tagging=urlencode(tags)
    )


def add_tag(key: str, name: str, value: str) -> None:
    """Add one tag to an object, keeping those it has (the malware scanner's verdict among them)."""
    bucket = get_settings().bucket_name
    tags = s3().get_object_tagging(Bucket=bucket, Key=key).get("TagSet", [])
    if any(tag["Key"] == name and tag["Value"] == value for tag in tags):
        return
    kept = [tag for tag in tags if tag["Key"] != name]
    s3().put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": [*kept, {"Key": name, "Value": value}]})


def presign_upload(
    key: str, content_type: str, min_bytes: int, max_bytes: int, original_name: str
) -> tuple[str, dict[str, str]]:
    """A presigned POST whose policy pins the key, the Content-Type and the size range."""
    settings = get_settings()
    encoded_name = quote(original_name, safe="")
    fields: dict[str, Any] = {"Content-Type": content_type, f"x-amz-meta-{ORIGINAL_NAME_META}": encoded_name}
    conditions: list[Any] = [
        {"Content-Type": content_type},
        {f"x-amz-meta-{ORIGINAL_NAME_META}": encoded_name},
        ["content-length-range", min_bytes, max_bytes],
    ]
    post = s3().generate_presigned_post(
        Bucket=settings.bucket_name,
        Key=key,
        Fields=fields,
        Conditions=conditions,
        ExpiresIn=settings.presign_ttl_seconds,
    )
    return post["url"], {name: str(value) for name, value in post["fields"].items()}


def read_head(key: str, length: int) -> tuple[StoredObject, bytes] | None:
    """Metadata and the first ``length`` bytes in one ranged GET (None when absent)."""
    try:
        response = s3().get_object(Bucket=get_settings().bucket_name, Key=key, Range=f"bytes=0-{length - 1}")
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in ("404", "NoSuchKey", "NotFound"):
            return None
        if code == "InvalidRange":  # a zero-byte object
            return StoredObject(key, 0, "application/octet-stream", None), b""
        raise
    head = response["Body"].read()
    content_range = response.get("ContentRange", "")
    size = int(content_range.rsplit("/", 1)[1]) if "/" in content_range else int(response.get("ContentLength", 0))
    original = response.get("Metadata", {}).get(ORIGINAL_NAME_META)
    stored = StoredObject(
        key=key,
        size_bytes=size,
        content_type=response.get("ContentType", "application/octet-stream"),
        original_name=unquote(original) if original else None,
    )
    return stored, head


def quarantine(key: str, quarantined_key: str) -> None:
    """Move an object that failed its checks out of reach: copy under the quarantine prefix, then delete.

    The copy leaves the object's tags behind (the malware scanner's among them): copying them would
    need tag permissions on both objects, and nothing under the prefix is ever served."""
    bucket = get_settings().bucket_name
    s3().copy_object(
        Bucket=bucket, Key=quarantined_key, CopySource={"Bucket": bucket, "Key": key}, TaggingDirective="REPLACE"
    )
    s3().delete_object(Bucket=bucket, Key=key)


@cache
def upload_origin() -> str:
    """The origin browsers POST files to (for the page's Content-Security-Policy), from the client's endpoint.

    Nothing is signed: the page's function may not write objects, and needs no URL to know the host.
    """
    endpoint = urlsplit(s3().meta.endpoint_url)
    if s3_addressing()["addressing_style"] == "path":
        return f"{endpoint.scheme}://{endpoint.netloc}"
    return f"{endpoint.scheme}://{get_settings().bucket_name}.{endpoint.netloc}"
