"""Each account's notifications per UTC day, against its daily SMS quota: ``ACCOUNT#<account> / SMS#<day>``.

The count is one conditional write inside the transaction that records the create, resend or reminder it is for:
two creates at quota - 1 cannot both pass (one transaction's condition fails and nothing of it is written),
and a refused create or resend counts nothing. One item per account and day: no key is shared between
accounts. The table's TTL removes a day's item two days later.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from botocore.exceptions import ClientError

from patient_docs.adapters.table import Item, cancellation_reasons, table_name, typed_key

_KEPT_FOR = timedelta(days=2)


def day_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def next_day_starts(moment: datetime) -> datetime:
    return datetime.combine(day_of(moment) + timedelta(days=1), time(0), tzinfo=UTC)


def count_key(account_id: str, day: date) -> dict[str, str]:
    return {"PK": f"ACCOUNT#{account_id}", "SK": f"SMS#{day.isoformat()}"}


def count_write(account_id: str, at: datetime, quota: int) -> Item:
    """The transaction write that counts one notification of ``account_id`` on ``at``'s day, if under ``quota``."""
    expires = int((next_day_starts(at) + _KEPT_FOR).timestamp())
    update: dict[str, Any] = {
        "TableName": table_name(),
        "Key": typed_key(count_key(account_id, day_of(at))),
        "UpdateExpression": "SET entity = :entity, #ttl = :ttl ADD sent :one",
        "ConditionExpression": "attribute_not_exists(sent) OR sent < :quota",
        "ExpressionAttributeNames": {"#ttl": "ttl"},
        "ExpressionAttributeValues": {
            ":entity": {"S": "sms_count"},
            ":ttl": {"N": str(expires)},
            ":one": {"N": "1"},
            ":quota": {"N": str(quota)},
        },
    }
    return {"Update": update}


def refused_by_quota(exc: ClientError, position: int) -> bool:
    """Whether the count write at ``position`` of a cancelled transaction found the quota used up."""
    reasons = cancellation_reasons(exc)
    return len(reasons) > position and reasons[position] == "ConditionalCheckFailed"
