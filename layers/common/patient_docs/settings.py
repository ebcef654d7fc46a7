"""Runtime settings, read from the environment in one place.

Functions never read ``os.environ`` themselves: they ask for ``get_settings()``,
which validates every value once per container.
"""

import os
from functools import cache

from pydantic import BaseModel, Field

from patient_docs.rules.file_requests import SMS_DAILY_QUOTA_CEILING, SMS_DAILY_QUOTA_MAXIMUM
from patient_docs.rules.scanning import ScanningSwitch, UnscannedFilePolicy

MiB = 1024 * 1024


class Settings(BaseModel):
    table_name: str = Field(min_length=1)
    bucket_name: str = Field(min_length=1)
    region: str = "us-east-1"
    # Largest file accepted inline (door A base64, door B multipart). 4 MiB decoded is
    # 5,592,408 characters of base64: with headers and JSON it stays under Lambda's
    # 6 MB synchronous request limit, the tighter of the two (HTTP API allows 10 MB).
    inline_max_bytes: int = Field(default=4 * MiB, ge=1, le=4 * MiB)
    # Largest file accepted through a presigned POST (door B).
    upload_max_bytes: int = Field(default=50 * MiB, ge=1)
    presign_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    download_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    # Door C. The patient page lives at {public_base_url}/r/{short_link_id}.
    public_base_url: str = "http://127.0.0.1:3000"
    # Account defaults until an admin stores the account's own settings.
    default_sms_sender_id: str = Field(default="PatientDocs", min_length=1, max_length=11)
    default_link_lifetime_hours: int = Field(default=72, ge=1, le=720)
    # The email fallback's sender (an SES-verified address) for accounts without their own; empty: only
    # accounts that set a sender send email. Bounces and complaints come back through this configuration set.
    default_email_sender: str = ""
    email_configuration_set: str = ""
    # Notifications (file request creates, resends and reminders) an account may send per UTC day, and the
    # most an admin may set as the account's own quota (docs/capacity.md, "SMS spend").
    default_sms_daily_quota: int = Field(default=1000, ge=1, le=SMS_DAILY_QUOTA_CEILING)
    sms_daily_quota_maximum: int = Field(default=SMS_DAILY_QUOTA_MAXIMUM, ge=1, le=SMS_DAILY_QUOTA_CEILING)
    # SNS platform application for app push; empty: push is not configured, everyone gets SMS.
    push_platform_application_arn: str = ""
    # The patient page: photos per request, bytes per photo, how long staff can open a file,
    # how long a date-of-birth check lasts, and the bus that hears about answered requests.
    photo_max_files: int = Field(default=10, ge=1, le=50)
    photo_max_bytes: int = Field(default=15 * MiB, ge=1)
    file_access_hours: int = Field(default=720, ge=1)
    upload_session_minutes: int = Field(default=15, ge=1, le=120)
    event_bus_name: str = ""
    # Where create and resend queue the patient's notification (NotificationSendFunction sends it).
    notifications_queue_url: str = ""
    # Reminders: one-time EventBridge Scheduler schedules in this group send a message to the notifications
    # queue (its ARN) through this role.
    notifications_queue_arn: str = ""
    reminder_schedule_group: str = ""
    reminder_role_arn: str = ""
    # The access-audit trail: its own table (functions may only add to it) and how long events are kept.
    audit_table_name: str = ""
    audit_retention_days: int = Field(default=2190, ge=2190)
    # File safety (rules/scanning.py): whether GuardDuty scans the bucket, and whether files it skipped
    # (unsupported) or could not scan (failed) are served anyway.
    malware_scanning: ScanningSwitch = "Enabled"
    unscanned_file_policy: UnscannedFilePolicy = "withhold"
    # A custom S3 endpoint (the local server's embedded AWS): presigned URLs use path-style addressing
    # there; on AWS they name the bucket's regional virtual host.
    s3_endpoint_url: str = ""
    # Where services announce events for the accounts' webhooks (WebhookDeliverFunction delivers them).
    webhook_queue_url: str = ""
    # Only the local server sets this (LOCAL_WEBHOOK_TARGETS=127.0.0.1): webhooks may then also call
    # http://127.0.0.1:<port>. Never a template parameter, never deployed.
    local_webhook_targets: bool = False


class ClaimNames(BaseModel):
    """What the identity provider calls each claim the service reads (template parameters JwtClaim*)."""

    account: str = Field(default="account_id", min_length=1)
    role: str = Field(default="role", min_length=1)
    patient: str = Field(default="patient_id", min_length=1)
    user_id: str = Field(default="user_id", min_length=1)
    name: str = Field(default="name", min_length=1)


# The environment variable of each setting (template.yaml's Globals set them from its parameters).
ENVIRONMENT = {
    "table_name": "TABLE_NAME",
    "bucket_name": "BUCKET_NAME",
    "inline_max_bytes": "INLINE_MAX_BYTES",
    "upload_max_bytes": "UPLOAD_MAX_BYTES",
    "presign_ttl_seconds": "PRESIGN_TTL_SECONDS",
    "download_ttl_seconds": "DOWNLOAD_TTL_SECONDS",
    "public_base_url": "PUBLIC_BASE_URL",
    "default_sms_sender_id": "DEFAULT_SMS_SENDER_ID",
    "default_link_lifetime_hours": "DEFAULT_LINK_LIFETIME_HOURS",
    "default_email_sender": "DEFAULT_EMAIL_SENDER",
    "email_configuration_set": "EMAIL_CONFIGURATION_SET",
    "default_sms_daily_quota": "DEFAULT_SMS_DAILY_QUOTA",
    "sms_daily_quota_maximum": "SMS_DAILY_QUOTA_MAXIMUM",
    "push_platform_application_arn": "PUSH_PLATFORM_APPLICATION_ARN",
    "photo_max_files": "PHOTO_MAX_FILES",
    "photo_max_bytes": "PHOTO_MAX_BYTES",
    "file_access_hours": "FILE_ACCESS_HOURS",
    "upload_session_minutes": "UPLOAD_SESSION_MINUTES",
    "event_bus_name": "EVENT_BUS_NAME",
    "notifications_queue_url": "NOTIFICATIONS_QUEUE_URL",
    "notifications_queue_arn": "NOTIFICATIONS_QUEUE_ARN",
    "webhook_queue_url": "WEBHOOK_QUEUE_URL",
    "reminder_schedule_group": "REMINDER_SCHEDULE_GROUP",
    "reminder_role_arn": "REMINDER_ROLE_ARN",
    "audit_table_name": "AUDIT_TABLE_NAME",
    "audit_retention_days": "AUDIT_RETENTION_DAYS",
    "malware_scanning": "MALWARE_SCANNING",
    "unscanned_file_policy": "UNSCANNED_FILE_POLICY",
}
# Set by the local server only (local/server.py): webhooks may call http://127.0.0.1:<port>.
LOCAL_WEBHOOK_TARGETS = "LOCAL_WEBHOOK_TARGETS"
CLAIM_ENVIRONMENT = {
    "account": "JWT_CLAIM_ACCOUNT",
    "role": "JWT_CLAIM_ROLE",
    "patient": "JWT_CLAIM_PATIENT",
    "user_id": "JWT_CLAIM_USER_ID",
    "name": "JWT_CLAIM_NAME",
}


def _set_in_environment(names: dict[str, str]) -> dict[str, str]:
    """The settings whose variable is set and not empty. An unset one takes the model's default: the
    only default in the code, which tests/infrastructure/test_settings_defaults.py holds to the template's."""
    return {field: os.environ[variable] for field, variable in names.items() if os.environ.get(variable)}


@cache
def get_settings() -> Settings:
    env = os.environ
    values: dict[str, str] = {"table_name": "", "bucket_name": "", **_set_in_environment(ENVIRONMENT)}
    if "public_base_url" in values:
        values["public_base_url"] = values["public_base_url"].rstrip("/")
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        values["region"] = region
    values["s3_endpoint_url"] = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or ""
    values["local_webhook_targets"] = env.get(LOCAL_WEBHOOK_TARGETS) == "127.0.0.1"  # type: ignore[assignment]
    return Settings.model_validate(values)


@cache
def get_claim_names() -> ClaimNames:
    """The claim names, apart from the other settings: ``make token`` needs them without a table or bucket."""
    return ClaimNames.model_validate(_set_in_environment(CLAIM_ENVIRONMENT))
