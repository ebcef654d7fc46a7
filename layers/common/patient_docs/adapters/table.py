"""The one DynamoDB table's layout, shared by every record module: keys, encoding and failed conditions.

Every item has ``PK``/``SK`` (and, where it is listed, ``GSI1PK``/``GSI1SK``) plus an ``entity`` name;
the other attributes are the record's fields. Times are stored as fixed-width UTC strings, so string
order is time order in conditions and sort keys. Which items live where is written at the top of
each record module (``documents_table``, ``patients_table``, ``file_requests_table``,
``patient_page_table``, ``account_settings_table``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel

from patient_docs.adapters.aws import dynamodb
from patient_docs.settings import get_settings

Key = dict[str, str]
Item = dict[str, Any]  # attribute name -> DynamoDB-typed value ({"S": ...}, {"N": ...})
KEY_ATTRIBUTES = ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "entity")
# A position in GSI1 (where a page ended): the attributes of its last item's keys.
INDEX_POSITION = ("PK", "SK", "GSI1PK", "GSI1SK")
_BATCH_ATTEMPTS = 5
_CONDITION_FAILURES = ("ConditionalCheckFailedException", "TransactionCanceledException")

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def table_name() -> str:
    return get_settings().table_name


def stored_time(moment: datetime) -> str:
    """Fixed-width UTC timestamps, so that string order is time order in conditions and sort keys."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def typed_key(key: Key) -> Item:
    return {name: {"S": value} for name, value in key.items()}


def serialize(value: Any) -> dict[str, Any]:
    serialized: dict[str, Any] = _serializer.serialize(value)  # type: ignore[assignment]
    return serialized


def encode(values: Mapping[str, Any]) -> Item:
    """Plain values (str, int, bool, ...) as a DynamoDB item."""
    return {name: _serializer.serialize(value) for name, value in values.items()}


def record_values(model: BaseModel) -> dict[str, Any]:
    """A record's fields as stored: times as ``stored_time``, no None, nested records left out (items of their own)."""
    values: dict[str, Any] = {}
    for name, value in model:
        if value is None or isinstance(value, BaseModel | list):
            continue
        values[name] = stored_time(value) if isinstance(value, datetime) else value
    return values


def record_item(model: BaseModel, keys: Key, entity: str) -> Item:
    return encode({**record_values(model), **keys, "entity": entity})


def decode(item: Mapping[str, Any]) -> dict[str, Any]:
    """A stored item's record fields (keys and entity left out)."""
    return {name: _deserializer.deserialize(value) for name, value in item.items() if name not in KEY_ATTRIBUTES}


def decode_position(item: Mapping[str, Any]) -> Key:
    return {name: str(_deserializer.deserialize(item[name])) for name in INDEX_POSITION}


def is_conditional_failure(exc: ClientError) -> bool:
    """A condition did not hold. A cancelled transaction is a failed condition or a concurrent
    transaction on the same items; either way the caller reads again and retries."""
    return exc.response.get("Error", {}).get("Code") in _CONDITION_FAILURES


def cancellation_reasons(exc: ClientError) -> list[str | None]:
    """Per item of a cancelled transaction, why (``ConditionalCheckFailed``, ``None``, ...)."""
    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    reasons: list[dict[str, Any]] = exc.response.get("CancellationReasons", [])  # type: ignore[assignment]
    return [reason.get("Code") for reason in reasons]


def put_new(item: Item) -> dict[str, Any]:
    """A transaction write that creates ``item`` only if its key is free."""
    return {"Put": {"TableName": table_name(), "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}}


def get(key: Key) -> dict[str, Any] | None:
    """One item's record fields (strongly consistent), or None."""
    response = dynamodb().get_item(TableName=table_name(), Key=typed_key(key), ConsistentRead=True)
    item = response.get("Item")
    return decode(item) if item else None


def _identity(key: Key) -> tuple[str, str]:
    return key["PK"], key["SK"]


def batch_get(keys: list[Key]) -> list[Item | None]:
    """The stored items at ``keys`` (strongly consistent, as DynamoDB encodes them), in their order; None where none.

    One BatchGetItem; DynamoDB may leave keys unprocessed under load, which are asked for again.
    """
    table = table_name()
    found: dict[tuple[str, str], Item] = {}
    pending: list[Key] = list({_identity(key): key for key in keys}.values())
    for _ in range(_BATCH_ATTEMPTS):
        response = dynamodb().batch_get_item(
            RequestItems={table: {"Keys": [typed_key(key) for key in pending], "ConsistentRead": True}}
        )
        for item in response.get("Responses", {}).get(table, []):
            found[item["PK"]["S"], item["SK"]["S"]] = item
        unprocessed: dict[str, Any] = dict(response.get("UnprocessedKeys") or {})
        left: list[dict[str, Any]] = unprocessed.get(table, {}).get("Keys", [])
        if not left:
            return [found.get(_identity(key)) for key in keys]
        pending = [{name: value["S"] for name, value in key.items()} for key in left]
    raise RuntimeError("DynamoDB left keys unprocessed; try again")
