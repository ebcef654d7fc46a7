"""Per-account settings: ``ACCOUNT#<account> / SETTINGS`` in the one table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from patient_docs.adapters import audit_log
from patient_docs.adapters.audit_log import EventValues
from patient_docs.adapters.aws import dynamodb
from patient_docs.adapters.table import Key, stored_time
from patient_docs.models.account_settings import AccountSettings
from patient_docs.settings import get_settings

_deserializer = TypeDeserializer()


def settings_key(account_id: str) -> Key:
    return {"PK": f"ACCOUNT#{account_id}", "SK": "SETTINGS"}


def _key(account_id: str) -> dict[str, dict[str, str]]:
    return {name: {"S": value} for name, value in settings_key(account_id).items()}


def settings_from_item(item: Mapping[str, Any] | None) -> AccountSettings | None:
    """The settings stored in ``item`` (as read from DynamoDB), or None when the account has none."""
    if not item:
        return None
    values = {name: _deserializer.deserialize(value) for name, value in item.items() if name not in ("PK", "SK")}
    return AccountSettings.model_validate(values)


def get_account_settings(account_id: str) -> AccountSettings | None:
    response = dynamodb().get_item(TableName=get_settings().table_name, Key=_key(account_id))
    return settings_from_item(response.get("Item"))


def put_account_settings(settings: AccountSettings, event: EventValues) -> None:
    """Store the settings with their audit event, in one transaction."""
    item = {
        **_key(settings.account_id),
        "entity": {"S": "account_settings"},
        "account_id": {"S": settings.account_id},
        "sms_sender_id": {"S": settings.sms_sender_id},
        "link_lifetime_hours": {"N": str(settings.link_lifetime_hours)},
        "language": {"S": settings.language},
        "reminders_enabled": {"BOOL": settings.reminders_enabled},
        "reminder_lead_hours": {"N": str(settings.reminder_lead_hours)},
    }
    if settings.email_sender is not None:
        item["email_sender"] = {"S": settings.email_sender}
    if settings.practice_name is not None:
        item["practice_name"] = {"S": settings.practice_name}
    if settings.practice_phone is not None:
        item["practice_phone"] = {"S": settings.practice_phone}
    if settings.sms_daily_quota is not None:
        item["sms_daily_quota"] = {"N": str(settings.sms_daily_quota)}
    if settings.updated_at is not None:
        item["updated_at"] = {"S": stored_time(settings.updated_at)}
    if settings.updated_by is not None:
        item["updated_by"] = {"S": settings.updated_by}
    audit_log.append(event, [{"Put": {"TableName": get_settings().table_name, "Item": item}}])
