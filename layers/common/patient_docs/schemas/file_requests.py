"""Door C (seed 002): ``/v1/file-requests`` and its companions.

As in the seed, request bodies use camelCase names and responses snake_case.
Limits: prompt 1-1000 characters, staff and patient names 1-200.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StrictInt, model_validator
from pydantic.alias_generators import to_camel

from patient_docs.models.account_settings import AccountSettings
from patient_docs.models.file_requests import FileRequest, RequestFile
from patient_docs.rules.emails import EMAIL_MAX_LENGTH, normalise_email
from patient_docs.rules.file_requests import (
    LINK_LIFETIME_HOURS_MAX,
    LINK_LIFETIME_HOURS_MIN,
    SENDER_ID_MAX_LENGTH,
    SENDER_ID_REGEX,
    SMS_DAILY_QUOTA_CEILING,
    SMS_DAILY_QUOTA_MAXIMUM,
    check_sender_id,
    effective_status,
    short_link_url,
)
from patient_docs.rules.languages import DEFAULT_LANGUAGE, Language
from patient_docs.rules.names import FREE_TEXT_PATTERN, NAME_PATTERN, check_free_text, check_name
from patient_docs.rules.patients import check_date_of_birth
from patient_docs.rules.phone_numbers import normalise_mobile, normalise_practice_phone
from patient_docs.rules.scanning import ScanStatus
from patient_docs.rules.timestamps import iso_with_offset
from patient_docs.schemas.common import Day, JsonInt, Timestamp, refuse_server_owned, whole_number
from patient_docs.schemas.deferred import Schema

MAX_PROMPT_LENGTH = 1000
MAX_PERSON_NAME_LENGTH = 200
MAX_PRACTICE_NAME_LENGTH = 100
FileRequestType = Literal["photo"]


def _string_or_integer(value: Any) -> Any:
    """The seed's table says String but its example sends numbers: accept both, keep a string."""
    if isinstance(value, bool):
        raise ValueError("must be a string or an integer")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("must not be negative")
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _prompt(value: str) -> str:
    return check_free_text(value, MAX_PROMPT_LENGTH)


def _person_name(value: str) -> str:
    return check_name(value, MAX_PERSON_NAME_LENGTH)


def _optional_person_name(value: str | None) -> str | None:
    # Practice systems send "" for an unknown name: that is no name, not an invalid one.
    if value is None or not value.strip():
        return None
    return _person_name(value)


ExternalId = Annotated[
    str,
    BeforeValidator(_string_or_integer, json_schema_input_type=str | int),
    Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$"),
]
# The rules of every stored display text (rules/names.py): the prompt is free text, names are one line.
Prompt = Annotated[
    str, Field(max_length=MAX_PROMPT_LENGTH, json_schema_extra={"pattern": FREE_TEXT_PATTERN}), AfterValidator(_prompt)
]
PersonName = Annotated[
    str,
    Field(max_length=MAX_PERSON_NAME_LENGTH, json_schema_extra={"pattern": NAME_PATTERN}),
    AfterValidator(_person_name),
]
OptionalPersonName = Annotated[
    str | None, Field(max_length=MAX_PERSON_NAME_LENGTH), AfterValidator(_optional_person_name)
]
Mobile = Annotated[str, Field(max_length=64), AfterValidator(normalise_mobile)]
Email = Annotated[str, Field(max_length=EMAIL_MAX_LENGTH), AfterValidator(normalise_email)]


def _practice_name(value: str | None) -> str | None:
    return None if value is None else check_name(value, MAX_PRACTICE_NAME_LENGTH)


def _practice_phone(value: str | None) -> str | None:
    return None if value is None else normalise_practice_phone(value)


PracticeName = Annotated[
    str | None,
    Field(max_length=MAX_PRACTICE_NAME_LENGTH, json_schema_extra={"pattern": NAME_PATTERN}),
    AfterValidator(_practice_name),
]
PracticePhone = Annotated[
    str | None,
    Field(max_length=64, json_schema_extra={"pattern": r"^\+[0-9][0-9 ().-]*$"}),
    AfterValidator(_practice_phone),
]
DateOfBirth = Annotated[Day, Field(max_length=32), AfterValidator(check_date_of_birth)]
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
Uuid = Annotated[str, Field(pattern=UUID_PATTERN), AfterValidator(str.lower)]


class _CamelBody(Schema):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, frozen=True)


class CreateFileRequestBody(_CamelBody):
    """The seed's "Create a File Request" body."""

    prompt: Prompt = Field(description=f"Shown to the patient; at most {MAX_PROMPT_LENGTH} characters")
    type: FileRequestType = Field(description='The only type is "photo"')
    staff_id: Uuid | None = Field(default=None, description="UUID of a staff user known to this service")
    account_user_id: ExternalId | None = Field(
        default=None, description="The account's own user id; required when staffId is absent"
    )
    account_id: ExternalId = Field(description="Must be the caller's account")
    staff_name: PersonName = Field(description="Shown to the patient")
    patient_mobile: Mobile = Field(description="E.164, e.g. +447777123456")
    patient_date_of_birth: DateOfBirth = Field(description="YYYY-MM-DD; the patient is asked for it")
    patient_first_name: OptionalPersonName = None
    patient_last_name: OptionalPersonName = None
    patient_email: Email | None = Field(
        default=None,
        description="An addition: where the link goes by email when SMS cannot reach the patient"
        " (opted out, or refused); never shown in answers",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_server_fields(cls, data: Any) -> Any:
        return refuse_server_owned(data, SERVER_OWNED)


class FileOut(Schema):
    id: str
    created_at: Timestamp
    expires_at: Timestamp
    mime_type: str
    original_name: str
    size: int
    file_request_id: str
    # Additions
    document_id: int | None = Field(default=None, description="The same file as a document (doors A and B)")
    download_url: str | None = Field(
        default=None, description="Short-lived presigned GET URL; only for a file whose scan_status allows serving it"
    )
    scan_status: ScanStatus = Field(default="pending", description="pending, clean, infected, unsupported or failed")
    scanned_at: Timestamp | None = Field(default=None, description="When the scan's result came; null while pending")
    thumbnail_url: str | None = Field(
        default=None, description="A served image's thumbnail (JPEG, at most 256 px): a short-lived presigned GET URL"
    )
    preview_url: str | None = Field(
        default=None, description="A served image's preview (JPEG, at most 1600 px): a short-lived presigned GET URL"
    )

    @classmethod
    def of(
        cls,
        file: RequestFile,
        download_url: str | None = None,
        scan_status: ScanStatus = "pending",
        scanned_at: datetime | None = None,
        thumbnail_url: str | None = None,
        preview_url: str | None = None,
    ) -> "FileOut":
        return cls(
            id=file.id,
            created_at=iso_with_offset(file.created_at),
            expires_at=iso_with_offset(file.expires_at),
            mime_type=file.mime_type,
            original_name=file.original_name,
            size=file.size,
            file_request_id=file.file_request_id,
            document_id=file.document_id,
            download_url=download_url,
            scan_status=scan_status,
            scanned_at=_iso(scanned_at),
            thumbnail_url=thumbnail_url,
            preview_url=preview_url,
        )


def _iso(moment: datetime | None) -> str | None:
    return iso_with_offset(moment) if moment is not None else None


class FileRequestOut(Schema):
    """The seed's FileRequest, field for field, followed by this service's additions."""

    id: str
    account_id: str
    created_at: Timestamp
    files: list[FileOut]
    patient_id: str
    prompt: str
    short_link_expires_at: Timestamp | None
    short_link_id: str
    staff_id: str
    staff_name: str
    type: str
    # Additions: never a renamed seed field.
    patient_number: int = Field(description="The patient's id in doors A and B (/api/v2/patients/{number})")
    short_link_url: str
    status: str = Field(description="created, notified, opened, verified, responded, expired or cancelled")
    notified_at: Timestamp | None
    opened_at: Timestamp | None
    verified_at: Timestamp | None
    responded_at: Timestamp | None
    expired_at: Timestamp | None
    cancelled_at: Timestamp | None
    updated_at: Timestamp
    notification_channel: str | None = Field(description="sms or push")
    notification_status: str = Field(
        description="queued (the sender has not finished with it yet), sent, opted_out or failed;"
        " pending on requests stored before notifications were queued"
    )
    last_notification_at: Timestamp | None
    resend_count: int

    @classmethod
    def of(
        cls, request: FileRequest, public_base_url: str, now: datetime, files: list[FileOut] | None = None
    ) -> "FileRequestOut":
        status = effective_status(request.status, request.short_link_expires_at, now)
        return cls(
            id=request.id,
            account_id=request.account_id,
            created_at=iso_with_offset(request.created_at),
            files=files if files is not None else [FileOut.of(f) for f in request.files],
            patient_id=request.patient_id,
            prompt=request.prompt,
            short_link_expires_at=_iso(request.short_link_expires_at),
            short_link_id=request.short_link_id,
            staff_id=request.staff_id,
            staff_name=request.staff_name,
            type=request.type,
            patient_number=request.patient_number,
            short_link_url=short_link_url(public_base_url, request.short_link_id),
            status=status,
            notified_at=_iso(request.notified_at),
            opened_at=_iso(request.opened_at),
            verified_at=_iso(request.verified_at),
            responded_at=_iso(request.responded_at),
            expired_at=_iso(request.short_link_expires_at) if status == "expired" else None,
            cancelled_at=_iso(request.cancelled_at),
            updated_at=iso_with_offset(request.updated_at),
            notification_channel=request.notification_channel,
            # "sending" is the sender's claim, held for the moment of one send: to readers it is still queued.
            notification_status="queued" if request.notification_status == "sending" else request.notification_status,
            last_notification_at=_iso(request.last_notification_at),
            resend_count=request.resend_count,
        )


# What the server sets on a request (every FileRequest field a create does not take), in the
# response's spelling and in the request's camelCase: refused on create, never silently dropped.
SERVER_OWNED = tuple(
    sorted(
        {
            spelling
            for name in FileRequestOut.model_fields
            if name not in CreateFileRequestBody.model_fields
            for spelling in (name, to_camel(name))
        }
    )
)


class FileRequestPage(Schema):
    file_requests: list[FileRequestOut] = Field(
        description="Newest first. Entries list no files: GET a request for its files and download links"
    )
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page")


# --- patient devices -------------------------------------------------------------------


class RegisterDeviceBody(_CamelBody):
    device_token: str = Field(
        min_length=1, max_length=4096, pattern=r"^[\x21-\x7e]+$", description="APNs/FCM token from the app"
    )


class DeviceOut(Schema):
    patient_id: str
    patient_number: int
    registered_at: Timestamp


# --- account settings ------------------------------------------------------------------


# The schema states the ceiling no deployment exceeds; the deployment's own maximum (SmsDailyQuotaMaximum,
# at most the ceiling) is checked by logic/account_settings.py with the same field name.
SmsDailyQuota = Annotated[StrictInt, Field(ge=1, le=SMS_DAILY_QUOTA_CEILING), BeforeValidator(whole_number)]


class AccountSettingsBody(_CamelBody):
    # The rule is checked by check_sender_id (for its message) and stated in the schema for clients.
    sms_sender_id: Annotated[str, AfterValidator(check_sender_id)] = Field(
        description="Alphanumeric sender ID: 1-11 letters or digits, at least one letter",
        json_schema_extra={"pattern": SENDER_ID_REGEX, "minLength": 1, "maxLength": SENDER_ID_MAX_LENGTH},
    )
    link_lifetime_hours: JsonInt = Field(
        ge=LINK_LIFETIME_HOURS_MIN, le=LINK_LIFETIME_HOURS_MAX, description="How long a short link works"
    )
    email_sender: Email | None = Field(
        default=None,
        description="Sender of the email fallback, an address SES has verified (null: the deployment's default)",
    )
    reminders_enabled: bool = Field(
        default=True, description="One reminder before an unanswered request's link expires"
    )
    reminder_lead_hours: JsonInt = Field(
        default=24, ge=1, le=LINK_LIFETIME_HOURS_MAX, description="How long before the link expires the reminder goes"
    )
    sms_daily_quota: SmsDailyQuota | None = Field(
        default=None,
        description="Notifications (creates, resends, reminders) the account may send per UTC day; omitted: the"
        f" deployment's default. At most the deployment's SmsDailyQuotaMaximum (default {SMS_DAILY_QUOTA_MAXIMUM:,}),"
        f" never above {SMS_DAILY_QUOTA_CEILING:,}",
    )
    # How the practice appears on the patient page, and in which language its patients are written to.
    # Omitted: no name (the page shows the SMS sender ID), no number, English.
    practice_name: PracticeName = Field(default=None, description="The practice's name as patients know it")
    practice_phone: PracticePhone = Field(
        default=None, description="The number patients call, in international format; stored as E.164"
    )
    language: Language = Field(
        default=DEFAULT_LANGUAGE,
        description="The language of the SMS and the email, and of the patient page unless the browser's"
        " Accept-Language names another the service speaks (en, es, cy)",
    )


class AccountSettingsOut(Schema):
    account_id: str
    sms_sender_id: str
    link_lifetime_hours: int
    email_sender: str | None
    practice_name: str | None
    practice_phone: str | None = Field(description="E.164")
    language: Language
    reminders_enabled: bool
    reminder_lead_hours: int
    sms_daily_quota: int | None = Field(
        default=None,
        description="Notifications the account may send per UTC day (a create or a resend is one); null: the default",
    )
    updated_at: Timestamp | None = Field(description="null: the deployment's defaults apply")

    @classmethod
    def of(cls, settings: AccountSettings) -> "AccountSettingsOut":
        return cls(
            account_id=settings.account_id,
            sms_sender_id=settings.sms_sender_id,
            link_lifetime_hours=settings.link_lifetime_hours,
            email_sender=settings.email_sender,
            practice_name=settings.practice_name,
            practice_phone=settings.practice_phone,
            language=settings.language,
            reminders_enabled=settings.reminders_enabled,
            reminder_lead_hours=settings.reminder_lead_hours,
            sms_daily_quota=settings.sms_daily_quota,
            updated_at=_iso(settings.updated_at),
        )
