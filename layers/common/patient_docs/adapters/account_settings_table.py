"""Per-account SMS settings: ``ACCOUNT#<account> / SETTINGS`` in the one table."""

from __future__ import annotations

from boto3.dynamodb.types import TypeDeserializer

from patient_docs.adapters.aws import dynamodb
from patient_docs.adapters.file_requests_table import stored_time
from patient_docs.models.file_requests import AccountSettings
from patient_docs.settings import get_settings

_deserializer = TypeDeserializer()


def _key(account_id: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": f"ACCOUNT#{account_id}"}, "SK": {"S": "SETTINGS"}}


def get_account_settings(account_id: str) -> AccountSettings | None:
    response = dynamodb().get_item(TableName=get_settings().table_name, Key=_key(account_id))
    item = response.get("Item")
    if not item:
        return None
    values = {name: _deserializer.deserialize(value) for name, value in item.items() if name not in ("PK", "SK")}
    return AccountSettings.model_validate(values)


def put_account_settings(settings: AccountSettings) -> None:
    item = {
        **_key(settings.account_id),
        "entity": {"S": "account_settings"},
        "account_id": {"S": settings.account_id},
        "sms_sender_id": {"S": settings.sms_sender_id},
        "link_lifetime_hours": {"N": str(settings.link_lifetime_hours)},
    }
    if settings.updated_at is not None:
        item["updated_at"] = {"S": stored_time(settings.updated_at)}
    if settings.updated_by is not None:
        item["updated_by"] = {"S": settings.updated_by}
    dynamodb().put_item(TableName=get_settings().table_name, Item=item)
