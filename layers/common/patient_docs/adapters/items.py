"""What every record module of the one table shares: time encoding and reading several items at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from patient_docs.adapters.aws import dynamodb
from patient_docs.settings import get_settings

Key = dict[str, str]
_BATCH_ATTEMPTS = 5


def stored_time(moment: datetime) -> str:
    """Fixed-width UTC timestamps, so that string order is time order in conditions and sort keys."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _identity(key: Key) -> tuple[str, str]:
    return key["PK"], key["SK"]


def batch_get(keys: list[Key]) -> list[dict[str, Any] | None]:
    """The stored items at ``keys`` (strongly consistent, as DynamoDB encodes them), in their order; None where none.

    One BatchGetItem; DynamoDB may leave keys unprocessed under load, which are asked for again.
    """
    table = get_settings().table_name
    found: dict[tuple[str, str], dict[str, Any]] = {}
    pending: list[Key] = list({_identity(key): key for key in keys}.values())
    for _ in range(_BATCH_ATTEMPTS):
        response = dynamodb().batch_get_item(
            RequestItems={
                table: {
                    "Keys": [{name: {"S": value} for name, value in key.items()} for key in pending],
                    "ConsistentRead": True,
                }
            }
        )
        for item in response.get("Responses", {}).get(table, []):
            found[item["PK"]["S"], item["SK"]["S"]] = item
        unprocessed: dict[str, Any] = dict(response.get("UnprocessedKeys") or {})
        left: list[dict[str, Any]] = unprocessed.get(table, {}).get("Keys", [])
        if not left:
            return [found.get(_identity(key)) for key in keys]
        pending = [{name: value["S"] for name, value in key.items()} for key in left]
    raise RuntimeError("DynamoDB left keys unprocessed; try again")
