"""Webhook endpoints and their deliveries, in the one table, under their account.

Layout:
  ACCOUNT#<account> / WEBHOOK#<id>             an endpoint: URL, event types, signing secret(s)
  ACCOUNT#<account> / WEBHOOK_DELIVERY#<id>    one event for one endpoint: status and its tries
  ACCOUNT#<account> / WEBHOOK_SLOT#<n>         endpoint slot n (0 .. MAX_ENDPOINTS_PER_ACCOUNT - 1): its holder
  ACCOUNT#<account> / WEBHOOK_EVENT#<event>    an event announced once only: when it was first fanned out

An endpoint is created with its slot (both on condition that they are new) and deleted with it, in one
transaction: DynamoDB lets one create hold a slot, so concurrent creates cannot pass the account's limit
(rules/webhooks.free_slot). Lists read ``WEBHOOK#`` and ``WEBHOOK_DELIVERY#`` by prefix (begins_with),
which neither a slot's nor an event's key begins with.

Delivery ids begin with their event's time, so an account's deliveries read newest first by key.
A delivery is claimed (``pending`` -> ``sending``) before its POST, so two copies of its queue message
never send at once; a claim older than the deliver function's timeout is taken over. Deliveries expire
(TTL) 30 days after they were made.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from patient_docs.adapters import audit_log
from patient_docs.adapters.audit_log import EventValues
from patient_docs.adapters.aws import dynamodb
from patient_docs.adapters.table import (
    Item,
    Key,
    decode,
    encode,
    is_conditional_failure,
    stored_time,
    table_name,
    typed_key,
)
from patient_docs.errors import RecordChanged, RecordTaken
from patient_docs.models.webhooks import DeliveryAttempt, Webhook, WebhookDelivery

DELIVERY_DAYS = 30
_WEBHOOK = "WEBHOOK#"
_DELIVERY = "WEBHOOK_DELIVERY#"
_SLOT = "WEBHOOK_SLOT#"
_ONCE = "WEBHOOK_EVENT#"


def webhook_key(account_id: str, webhook_id: str) -> Key:
    return {"PK": f"ACCOUNT#{account_id}", "SK": f"{_WEBHOOK}{webhook_id}"}


def delivery_key(account_id: str, delivery_id: str) -> Key:
    return {"PK": f"ACCOUNT#{account_id}", "SK": f"{_DELIVERY}{delivery_id}"}


def slot_key(account_id: str, slot: int) -> Key:
    return {"PK": f"ACCOUNT#{account_id}", "SK": f"{_SLOT}{slot}"}


def once_key(account_id: str, event_id: str) -> Key:
    return {"PK": f"ACCOUNT#{account_id}", "SK": f"{_ONCE}{event_id}"}


def _values(model: Webhook | WebhookDelivery) -> dict[str, Any]:
    """Times as stored_time (sortable strings), nested values as maps, no None."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return stored_time(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return {name: plain(value) for name, value in model.model_dump().items() if value is not None}


def _write_with_event(event: EventValues, write: Item | list[Item], refused: RecordTaken | RecordChanged) -> None:
    """Conditional writes and their audit event, together; ``refused`` when a write's condition fails."""
    try:
        audit_log.append(event, write if isinstance(write, list) else [write])
    except ClientError as exc:
        if is_conditional_failure(exc):
            raise refused from exc
        raise


# ------------------------------------------------------------------ endpoints
def put_webhook(webhook: Webhook, event: EventValues) -> None:
    """A new endpoint, with its slot (when it has one) and its audit event; RecordTaken when its id or its
    slot is taken (read the endpoints again and choose again)."""
    item = encode({**_values(webhook), **webhook_key(webhook.account_id, webhook.id), "entity": "webhook"})
    writes: list[Item] = [
        {"Put": {"TableName": table_name(), "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}}
    ]
    if webhook.slot is not None:
        slot = encode(
            {**slot_key(webhook.account_id, webhook.slot), "entity": "webhook_slot", "webhook_id": webhook.id}
        )
        writes.append(
            {"Put": {"TableName": table_name(), "Item": slot, "ConditionExpression": "attribute_not_exists(PK)"}}
        )
    _write_with_event(event, writes, RecordTaken("webhook id or slot in use"))


def list_webhooks(account_id: str) -> list[Webhook]:
    """Every endpoint of the account (at most a few: rules/webhooks.MAX_ENDPOINTS_PER_ACCOUNT), oldest first."""
    response = dynamodb().query(
        TableName=table_name(),
        KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues={":pk": {"S": f"ACCOUNT#{account_id}"}, ":prefix": {"S": _WEBHOOK}},
        ConsistentRead=True,
    )
    found = [Webhook.model_validate(decode(item)) for item in response.get("Items", [])]
    return sorted(found, key=lambda webhook: webhook.created_at)


def get_webhook(account_id: str, webhook_id: str) -> Webhook | None:
    response = dynamodb().get_item(
        TableName=table_name(), Key=typed_key(webhook_key(account_id, webhook_id)), ConsistentRead=True
    )
    item = response.get("Item")
    return Webhook.model_validate(decode(item)) if item else None


def delete_webhook(account_id: str, webhook_id: str, slot: int | None, event: EventValues) -> None:
    """The endpoint, its slot (``slot``: the one it holds, if any) and the audit event, together;
    RecordChanged when the endpoint is gone."""
    writes: list[Item] = [
        {
            "Delete": {
                "TableName": table_name(),
                "Key": typed_key(webhook_key(account_id, webhook_id)),
                "ConditionExpression": "attribute_exists(PK)",
            }
        }
    ]
    if slot is not None:
        writes.append(
            {
                "Delete": {
                    "TableName": table_name(),
                    "Key": typed_key(slot_key(account_id, slot)),
                    # Never another endpoint's: only this one's, or none (nothing to free).
                    "ConditionExpression": "attribute_not_exists(PK) OR webhook_id = :webhook",
                    "ExpressionAttributeValues": {":webhook": {"S": webhook_id}},
                }
            }
        )
    _write_with_event(event, writes, RecordChanged("webhook gone"))


def rotate_secret(webhook: Webhook, secret: str, keep_until: datetime, now: datetime, event: EventValues) -> None:
    """The new secret signs from now on; the one it replaces still signs beside it until ``keep_until``."""
    update = {
        "TableName": table_name(),
        "Key": typed_key(webhook_key(webhook.account_id, webhook.id)),
        "UpdateExpression": "SET secret = :new, previous_secret = :old, previous_secret_until = :until,"
        " secret_rotated_at = :now",
        "ConditionExpression": "secret = :old",
        "ExpressionAttributeValues": encode(
            {":new": secret, ":old": webhook.secret, ":until": stored_time(keep_until), ":now": stored_time(now)}
        ),
    }
    _write_with_event(event, {"Update": update}, RecordChanged("webhook changed or gone"))


# ------------------------------------------------------------------ deliveries
def first_fanned_out(account_id: str, event_id: str, at: datetime) -> datetime:
    """When the once-only event ``event_id`` was first fanned out: ``at`` if this is the first time, else the
    time the first fan-out recorded (one UpdateItem; kept as long as deliveries are)."""
    expires = int((at + timedelta(days=DELIVERY_DAYS)).timestamp())
    response = dynamodb().update_item(
        TableName=table_name(),
        Key=typed_key(once_key(account_id, event_id)),
        UpdateExpression="SET first_at = if_not_exists(first_at, :at), #ttl = if_not_exists(#ttl, :ttl),"
        " entity = :entity",
        ExpressionAttributeNames={"#ttl": "ttl"},
        ExpressionAttributeValues=encode({":at": stored_time(at), ":ttl": expires, ":entity": "webhook_event"}),
        ReturnValues="ALL_NEW",
    )
    return datetime.fromisoformat(response["Attributes"]["first_at"]["S"])


def _delivery_of(item: dict[str, Any]) -> WebhookDelivery:
    values = decode(item)
    values.pop("ttl", None)
    return WebhookDelivery.model_validate(values)


def put_delivery(delivery: WebhookDelivery) -> bool:
    """Store a new delivery; False when it exists already (its event was fanned out before)."""
    expires = int((delivery.created_at + timedelta(days=DELIVERY_DAYS)).timestamp())
    item = encode(
        {
            **_values(delivery),
            **delivery_key(delivery.account_id, delivery.id),
            "entity": "webhook_delivery",
            "ttl": expires,
        }
    )
    try:
        dynamodb().put_item(TableName=table_name(), Item=item, ConditionExpression="attribute_not_exists(PK)")
    except ClientError as exc:
        if is_conditional_failure(exc):
            return False
        raise
    return True


def get_delivery(account_id: str, delivery_id: str) -> WebhookDelivery | None:
    response = dynamodb().get_item(
        TableName=table_name(), Key=typed_key(delivery_key(account_id, delivery_id)), ConsistentRead=True
    )
    item = response.get("Item")
    return _delivery_of(item) if item else None


def is_delivery_position(sort_key: str) -> bool:
    """A sort key a list of deliveries may go on from: a delivery's, not another record's of the account."""
    return sort_key.startswith(_DELIVERY) and len(sort_key) > len(_DELIVERY)


def list_deliveries(
    account_id: str, limit: int, after: Key | None, webhook_id: str | None, status: str | None
) -> tuple[list[WebhookDelivery], Key | None]:
    """The account's deliveries, newest first, from after ``after``; the position to go on from, if any.
    Filters apply after DynamoDB's ``Limit``, so a filtered page may be short (or empty) with more to come."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {":pk": f"ACCOUNT#{account_id}", ":prefix": _DELIVERY}
    filters = []
    if webhook_id is not None:
        filters.append("webhook_id = :webhook")
        values[":webhook"] = webhook_id
    if status is not None:
        filters.append("#status = :status")
        names["#status"] = "status"
        values[":status"] = status
    request: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
        "ExpressionAttributeValues": encode(values),
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if filters:
        request["FilterExpression"] = " AND ".join(filters)
    if names:
        request["ExpressionAttributeNames"] = names
    if after is not None:
        request["ExclusiveStartKey"] = typed_key(after)
    response = dynamodb().query(**request)
    last = response.get("LastEvaluatedKey")
    position = {"PK": last["PK"]["S"], "SK": last["SK"]["S"]} if last else None
    return [_delivery_of(item) for item in response.get("Items", [])], position


def claim_delivery(account_id: str, delivery_id: str, now: datetime, stale_before: datetime) -> WebhookDelivery:
    """``pending`` (or a ``sending`` claim older than ``stale_before``) -> ``sending``; RecordChanged otherwise."""
    try:
        response = dynamodb().update_item(
            TableName=table_name(),
            Key=typed_key(delivery_key(account_id, delivery_id)),
            UpdateExpression="SET #status = :sending, claimed_at = :now",
            ConditionExpression="#status = :pending OR (#status = :sending AND claimed_at < :stale)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=encode(
                {
                    ":sending": "sending",
                    ":pending": "pending",
                    ":now": stored_time(now),
                    ":stale": stored_time(stale_before),
                }
            ),
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if is_conditional_failure(exc):
            raise RecordChanged("delivery not pending") from exc
        raise
    return _delivery_of(response["Attributes"])


def record_attempt(account_id: str, delivery_id: str, attempt: DeliveryAttempt | None, status: str) -> None:
    """The try's outcome (if it made one) and the delivery's status after it."""
    values: dict[str, Any] = {":status": status}
    expression = "SET #status = :status REMOVE claimed_at"
    if attempt is not None:
        values[":attempt"] = [_values_of_attempt(attempt)]
        values[":none"] = []
        expression = "SET #status = :status, attempts = list_append(if_not_exists(attempts, :none), :attempt)"
        expression += " REMOVE claimed_at"
    dynamodb().update_item(
        TableName=table_name(),
        Key=typed_key(delivery_key(account_id, delivery_id)),
        UpdateExpression=expression,
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues=encode(values),
    )


def _values_of_attempt(attempt: DeliveryAttempt) -> dict[str, Any]:
    values = attempt.model_dump()
    values["at"] = stored_time(attempt.at)
    return {name: value for name, value in values.items() if value is not None}


def reopen_delivery(account_id: str, delivery_id: str, event: EventValues) -> None:
    """A delivered or failed delivery goes again (``pending``), with its audit event; RecordChanged while it
    is still being tried."""
    update = {
        "TableName": table_name(),
        "Key": typed_key(delivery_key(account_id, delivery_id)),
        "UpdateExpression": "SET #status = :pending",
        "ConditionExpression": "#status IN (:delivered, :failed, :skipped)",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": encode(
            {":pending": "pending", ":delivered": "delivered", ":failed": "failed", ":skipped": "skipped"}
        ),
    }
    _write_with_event(event, {"Update": update}, RecordChanged("delivery in progress"))
