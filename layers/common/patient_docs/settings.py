"""Runtime settings, read from the environment in one place.

Functions never read ``os.environ`` themselves: they ask for ``get_settings()``,
which validates every value once per container.
"""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, Field

MiB = 1024 * 1024


class Settings(BaseModel):
    table_name: str = Field(min_length=1)
    bucket_name: str = Field(min_length=1)
    region: str = "us-east-1"
    # Largest file accepted inline (door A base64, door B multipart). 4 MiB decoded is
    # 5,592,408 characters of base64: with headers and JSON it stays under Lambda's
    # 6 MB synchronous request limit, the tighter of the two (HTTP API allows 10 MB).
    inline_max_bytes: int = Field(default=4 * MiB, ge=1)
    # Largest file accepted through a presigned POST (door B).
    upload_max_bytes: int = Field(default=50 * MiB, ge=1)
    presign_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    download_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    # Door C. The patient page lives at {public_base_url}/r/{short_link_id}.
    public_base_url: str = "http://127.0.0.1:3000"
    # Account defaults until an admin stores the account's own settings.
    default_sms_sender_id: str = Field(default="PatientDocs", min_length=1, max_length=11)
    default_link_lifetime_hours: int = Field(default=72, ge=1, le=720)
    # SNS platform application for app push; empty: push is not configured, everyone gets SMS.
    push_platform_application_arn: str = ""
    # The patient page: photos per request, bytes per photo, how long staff can open a file,
    # how long a date-of-birth check lasts, and the bus that hears about answered requests.
    photo_max_files: int = Field(default=10, ge=1, le=50)
    photo_max_bytes: int = Field(default=15 * MiB, ge=1)
    file_access_hours: int = Field(default=720, ge=1)
    upload_session_minutes: int = Field(default=15, ge=1, le=120)
    event_bus_name: str = ""
    # A custom S3 endpoint (the local server's embedded AWS): presigned URLs use path-style addressing
    # there; on AWS they name the bucket's regional virtual host.
    s3_endpoint_url: str = ""


class ClaimNames(BaseModel):
    """What the identity provider calls each claim the service reads (template parameters JwtClaim*)."""

    account: str = Field(default="account_id", min_length=1)
    role: str = Field(default="role", min_length=1)
    patient: str = Field(default="patient_id", min_length=1)
    user_id: str = Field(default="user_id", min_length=1)
    name: str = Field(default="name", min_length=1)


@cache
def get_settings() -> Settings:
    env = os.environ
    return Settings(
        table_name=env.get("TABLE_NAME", ""),
        bucket_name=env.get("BUCKET_NAME", ""),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        inline_max_bytes=int(env.get("INLINE_MAX_BYTES", 4 * MiB)),
        upload_max_bytes=int(env.get("UPLOAD_MAX_BYTES", 50 * MiB)),
        presign_ttl_seconds=int(env.get("PRESIGN_TTL_SECONDS", 300)),
        download_ttl_seconds=int(env.get("DOWNLOAD_TTL_SECONDS", 300)),
        public_base_url=(env.get("PUBLIC_BASE_URL") or "http://127.0.0.1:3000").rstrip("/"),
        default_sms_sender_id=env.get("DEFAULT_SMS_SENDER_ID") or "PatientDocs",
        default_link_lifetime_hours=int(env.get("DEFAULT_LINK_LIFETIME_HOURS") or 72),
        push_platform_application_arn=env.get("PUSH_PLATFORM_APPLICATION_ARN", ""),
        photo_max_files=int(env.get("PHOTO_MAX_FILES") or 10),
        photo_max_bytes=int(env.get("PHOTO_MAX_BYTES") or 15 * MiB),
        file_access_hours=int(env.get("FILE_ACCESS_HOURS") or 720),
        upload_session_minutes=int(env.get("UPLOAD_SESSION_MINUTES") or 15),
        event_bus_name=env.get("EVENT_BUS_NAME", ""),
        s3_endpoint_url=env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or "",
    )


@cache
def get_claim_names() -> ClaimNames:
    """The claim names, apart from the other settings: ``make token`` needs them without a table or bucket."""
    env = os.environ
    return ClaimNames(
        account=env.get("JWT_CLAIM_ACCOUNT") or "account_id",
        role=env.get("JWT_CLAIM_ROLE") or "role",
        patient=env.get("JWT_CLAIM_PATIENT") or "patient_id",
        user_id=env.get("JWT_CLAIM_USER_ID") or "user_id",
        name=env.get("JWT_CLAIM_NAME") or "name",
    )
