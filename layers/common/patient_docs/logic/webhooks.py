"""Signed webhooks: an account's admins register HTTPS endpoints for some event types; the service
announces those events on the webhooks queue, and the deliver function (WebhookDeliverFunction) POSTs
each, signed, to every endpoint that asked for its type (docs/webhooks.md).

A delivery is one event for one endpoint, stored before it is sent and claimed before each try, so a
queue message that arrives twice sends once at a time. A try that gets no 2xx answer is tried again
after a longer wait each time (rules/webhooks.backoff_seconds); after the last try the delivery is
recorded ``failed`` and its message goes to the queue's dead-letter queue. An admin may deliver it
again by its id. Deliveries carry ids only; no answer of a receiver is kept beyond a short excerpt.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from patient_docs.adapters import webhook_http, webhook_queue, webhooks_table
from patient_docs.auth import Caller
from patient_docs.errors import Conflict, InvalidField, NotFound, NotificationFailed, RecordChanged, RecordTaken
from patient_docs.logic import audit_trail
from patient_docs.models.audit import Target
from patient_docs.models.webhooks import DeliveryAttempt, Webhook, WebhookDelivery, WebhookEvent
from patient_docs.observability import logger
from patient_docs.permissions import Action, account_target, require
from patient_docs.rules import webhooks as rules
from patient_docs.rules.cursors import decode_cursor, encode_cursor
from patient_docs.rules.timestamps import utc_now
from patient_docs.settings import get_settings

USER_AGENT = "patient-docs-webhooks/1"
# A claim older than this is a try that stopped (the deliver function's timeout, twice).
_STALE_CLAIM = timedelta(seconds=120)
# Creates of one account's endpoints that race each other: each lost race means another create landed.
_CREATE_TRIES = 5


# ------------------------------------------------------------------ the admin's API
def _webhook_of(caller: Caller, webhook_id: str) -> Webhook:
    """The caller's account's endpoint, if the caller may manage it: 404 outside the account, 403 for staff."""
    found = webhooks_table.get_webhook(caller.account_id, webhook_id) if webhook_id.isascii() else None
    if found is None:
        raise NotFound("webhook")
    require(caller, Action.MANAGE_WEBHOOKS, account_target(found.account_id, "webhook"))
    return found


def register_webhook(caller: Caller, url: str, event_types: list[str]) -> Webhook:
    """A new endpoint with a new secret (returned here, and never again).

    The account's endpoints are counted against the limit, and the new one claims the lowest slot they
    leave free, in the transaction that stores it: of two creates that counted the same endpoints only one
    gets the slot; the other counts again (now a 400 when the limit is reached) and chooses again."""
    require(caller, Action.MANAGE_WEBHOOKS, account_target(caller.account_id, "webhooks"))
    target = rules.target_url(url, get_settings().local_webhook_targets)
    for _ in range(_CREATE_TRIES):
        existing = webhooks_table.list_webhooks(caller.account_id)
        slot = rules.free_slot({webhook.slot for webhook in existing})
        if len(existing) >= rules.MAX_ENDPOINTS_PER_ACCOUNT or slot is None:
            raise InvalidField("url", f"an account may register at most {rules.MAX_ENDPOINTS_PER_ACCOUNT} webhooks")
        webhook = Webhook(
            id="wh_" + secrets.token_hex(12),
            account_id=caller.account_id,
            url=target,
            event_types=sorted(set(event_types)),
            created_at=utc_now(),
            created_by=caller.subject,
            secret=rules.new_secret(),
            slot=slot,
        )
        event = audit_trail.pending("webhook.created", audit_trail.actor_of(caller), Target(webhook_id=webhook.id))
        try:
            webhooks_table.put_webhook(webhook, event)
        except RecordTaken:
            continue  # another create took the slot (or, rarely, the id) first
        return webhook
    raise Conflict("the account's webhooks changed meanwhile; try again")


def list_webhooks(caller: Caller) -> list[Webhook]:
    require(caller, Action.MANAGE_WEBHOOKS, account_target(caller.account_id, "webhooks"))
    return webhooks_table.list_webhooks(caller.account_id)


def delete_webhook(caller: Caller, webhook_id: str) -> None:
    webhook = _webhook_of(caller, webhook_id)
    event = audit_trail.pending("webhook.deleted", audit_trail.actor_of(caller), Target(webhook_id=webhook.id))
    try:
        webhooks_table.delete_webhook(webhook.account_id, webhook.id, webhook.slot, event)
    except RecordChanged as exc:
        raise NotFound("webhook") from exc


def rotate_secret(caller: Caller, webhook_id: str) -> Webhook:
    """A new secret (returned once); the old one still signs beside it for rules.PREVIOUS_SECRET_HOURS."""
    webhook = _webhook_of(caller, webhook_id)
    now = utc_now()
    secret = rules.new_secret()
    until = now + timedelta(hours=rules.PREVIOUS_SECRET_HOURS)
    event = audit_trail.pending("webhook.secret_rotated", audit_trail.actor_of(caller), Target(webhook_id=webhook.id))
    try:
        webhooks_table.rotate_secret(webhook, secret, until, now, event)
    except RecordChanged as exc:
        raise Conflict("the webhook changed meanwhile (another rotation or a delete); try again") from exc
    return webhook.model_copy(
        update={"secret": secret, "previous_secret": webhook.secret, "previous_secret_until": until}
    )


def redeliver(caller: Caller, delivery_id: str) -> WebhookDelivery:
    """Send a delivered or failed delivery again, as it was (the same event id), with fresh tries; not one
    whose endpoint was deleted (it would only be skipped)."""
    found = webhooks_table.get_delivery(caller.account_id, delivery_id) if delivery_id.isascii() else None
    if found is None:
        raise NotFound("webhook delivery")
    require(caller, Action.MANAGE_WEBHOOKS, account_target(found.account_id, "webhook delivery"))
    if webhooks_table.get_webhook(found.account_id, found.webhook_id) is None:
        raise Conflict("the delivery's webhook was deleted; there is nothing to send it to")
    target = Target(webhook_id=found.webhook_id, webhook_delivery_id=found.id)
    event = audit_trail.pending("webhook_delivery.redelivered", audit_trail.actor_of(caller), target)
    try:
        webhooks_table.reopen_delivery(found.account_id, found.id, event)
    except RecordChanged as exc:
        raise Conflict("the delivery is still being tried; redeliver it once it is delivered or failed") from exc
    try:
        webhook_queue.deliver(found.account_id, found.id)
    except NotificationFailed as exc:
        logger.warning("redelivery not queued", extra={"webhook_delivery_id": found.id, "reason": exc.reason})
        webhooks_table.record_attempt(found.account_id, found.id, None, found.status)  # as it was
        raise Conflict("the redelivery could not be queued; try again") from exc
    return found.model_copy(update={"status": "pending"})


def list_deliveries(
    caller: Caller, webhook_id: str | None, status: str | None, limit: int, cursor: str | None
) -> tuple[list[WebhookDelivery], str | None]:
    """The account's deliveries, newest first, with their tries; a cursor to the next page, if any."""
    require(caller, Action.MANAGE_WEBHOOKS, account_target(caller.account_id, "webhook deliveries"))
    partition = f"ACCOUNT#{caller.account_id}"
    after = None
    if cursor is not None:
        try:
            after = decode_cursor(cursor, ("PK", "SK"), within=partition, partition_key="PK")
        except ValueError as exc:
            raise InvalidField("cursor", str(exc)) from exc
        # A starting key outside the query's key condition is refused by DynamoDB (a 500 here otherwise).
        if not webhooks_table.is_delivery_position(after["SK"]):
            raise InvalidField("cursor", "is not a valid cursor")
    found, position = webhooks_table.list_deliveries(caller.account_id, limit, after, webhook_id, status)
    return found, encode_cursor(position) if position else None


# ------------------------------------------------------------------ announcing events
def announce(
    event_type: rules.WebhookEventType, account_id: str, data: dict[str, Any], once_for: str | None = None
) -> None:
    """Tell the account's endpoints (if any asked) that ``event_type`` happened; ``data``: ids only.

    ``once_for`` names what the event can happen to only once (a file's object key for its quarantine):
    the event's id is then made from it, so a step that is retried announces the same event again, which
    the fan-out and the receivers (on ``Webhook-Id``) take once. Never fails its caller: what happened
    stands whether or not the announcement could be queued."""
    announce_all(account_id, [(event_type, data)], once_for)


def _event_id(now: datetime, account_id: str, event_type: str, once_for: str | None) -> str:
    if once_for is None:
        return f"evt_{int(now.timestamp() * 1000):012x}{secrets.token_hex(8)}"
    digest = hashlib.sha256(f"{account_id}\n{event_type}\n{once_for}".encode()).hexdigest()
    return f"evt_{digest[:28]}"


def announce_all(
    account_id: str, happened: list[tuple[rules.WebhookEventType, dict[str, Any]]], once_for: str | None = None
) -> None:
    """``announce`` for several events of one account at once (one call to the queue), in their order."""
    if not get_settings().webhook_queue_url or not happened:
        return
    now = utc_now()
    events: list[dict[str, Any]] = [
        {
            "id": _event_id(now, account_id, event_type, once_for),
            "type": event_type,
            "created_at": now.isoformat(timespec="milliseconds"),
            "account_id": account_id,
            "data": {name: value for name, value in data.items() if value is not None},
        }
        for event_type, data in happened
    ]
    try:
        webhook_queue.announce(events, once=once_for is not None)
    except NotificationFailed as exc:
        ids = ",".join(event["id"] for event in events)
        logger.warning("webhook event not queued", extra={"webhook_event_id": ids, "reason": exc.reason})


def announce_quarantined(account_id: str, target: Target, object_key: str) -> None:
    """``file.quarantined``: the ids of the file (its document, request and patient where known); once per
    object, whichever step quarantines it and however often that step is retried."""
    announce("file.quarantined", account_id, target.model_dump(), once_for=object_key)


def delivery_id(event: WebhookEvent, webhook_id: str) -> str:
    """The same event and endpoint always make the same delivery (a repeated message adds none)."""
    digest = hashlib.sha256(f"{event.id}|{webhook_id}".encode()).hexdigest()[:16]
    return f"whd_{int(event.created_at.timestamp() * 1000):012x}{digest}"


def fan_out(event: WebhookEvent, once: bool = False) -> int:
    """One delivery per endpoint of the account that asked for the event's type; how many were queued.

    ``once``: the event was announced once-only (``announce(..., once_for=...)``) and may be announced again,
    each time with its own ``created_at``. Its first fan-out's time is recorded (one write, made only when an
    endpoint wants the event) and every fan-out of it uses that time, so each makes the same deliveries, with
    the same ids and bodies: one delivery per endpoint, however often the event is announced."""
    wanted = [
        webhook for webhook in webhooks_table.list_webhooks(event.account_id) if event.type in webhook.event_types
    ]
    if wanted and once:
        first = webhooks_table.first_fanned_out(event.account_id, event.id, event.created_at)
        event = event.model_copy(update={"created_at": first})
    queued = 0
    for webhook in wanted:
        delivery = WebhookDelivery(
            id=delivery_id(event, webhook.id),
            account_id=event.account_id,
            webhook_id=webhook.id,
            event=event,
            status="pending",
            created_at=utc_now(),
        )
        if not webhooks_table.put_delivery(delivery):
            stored = webhooks_table.get_delivery(delivery.account_id, delivery.id)
            if stored is None or stored.status != "pending" or stored.attempts:
                continue  # queued by the first copy of this message, or the first announcement
        webhook_queue.deliver(delivery.account_id, delivery.id)
        queued += 1
    return queued


# ------------------------------------------------------------------ delivering
class TryAgainLater(Exception):
    """No 2xx answer: the message comes back after ``seconds`` (its visibility already put off)."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"not delivered; next try in {seconds} s")
        self.seconds = seconds


class DeliveryFailed(Exception):
    """The last try failed: the message goes to the dead-letter queue (the delivery says ``failed``)."""


def payload(event: WebhookEvent) -> bytes:
    body = {
        "id": event.id,
        "type": event.type,
        "created_at": event.created_at.isoformat(timespec="milliseconds"),
        "account_id": event.account_id,
        "data": event.data,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def signing_secrets(webhook: Webhook, now: datetime) -> list[str]:
    keep = webhook.previous_secret and webhook.previous_secret_until and webhook.previous_secret_until > now
    return [webhook.secret, webhook.previous_secret] if keep else [webhook.secret]  # type: ignore[list-item]


def _post(webhook: Webhook, delivery: WebhookDelivery, now: datetime) -> webhook_http.Answer:
    allow_local = get_settings().local_webhook_targets
    try:
        url = rules.target_url(webhook.url, allow_local)
    except InvalidField:
        return webhook_http.Answer(None, b"", "the target is not allowed")
    body = payload(delivery.event)
    # The receiver compares the timestamp with its own clock: the real time of this try.
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Webhook-Id": delivery.event.id,
        "Webhook-Delivery-Id": delivery.id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": rules.signature_header(signing_secrets(webhook, now), timestamp, body),
    }
    return webhook_http.post(url, headers, body, local=rules.is_local_target(url))


def send_delivery(account_id: str, delivery_id: str, attempt: int, receipt_handle: str, now: datetime) -> str:
    """One try of one delivery. ``attempt``: its queue message's receive count (from 1).

    Returns ``delivered`` or ``skipped``; raises TryAgainLater (backoff set) or, after the last try,
    DeliveryFailed (the message goes to the dead-letter queue)."""
    try:
        delivery = webhooks_table.claim_delivery(account_id, delivery_id, now, now - _STALE_CLAIM)
    except RecordChanged:
        return "skipped"  # delivered, failed, or being tried by another copy of the message
    webhook = webhooks_table.get_webhook(account_id, delivery.webhook_id)
    if webhook is None:
        webhooks_table.record_attempt(account_id, delivery_id, None, "skipped")
        return "skipped"  # the endpoint was deleted meanwhile
    answer = _post(webhook, delivery, now)
    tried = DeliveryAttempt(
        at=now,
        status_code=answer.status_code,
        error=answer.error,
        excerpt=rules.excerpt(answer.body) if answer.body else None,
        duration_ms=answer.duration_ms,
    )
    ids = {"webhook_delivery_id": delivery_id, "attempt": attempt, "status_code": answer.status_code}
    if answer.status_code is not None and 200 <= answer.status_code < 300:
        webhooks_table.record_attempt(account_id, delivery_id, tried, "delivered")
        logger.info("webhook delivered", extra=ids)
        return "delivered"
    if attempt >= rules.WEBHOOK_TRIES:
        webhooks_table.record_attempt(account_id, delivery_id, tried, "failed")
        logger.warning("webhook failed on its last try", extra=ids)
        webhook_queue.delay(receipt_handle, 0)  # to the dead-letter queue at once
        raise DeliveryFailed(delivery_id)
    webhooks_table.record_attempt(account_id, delivery_id, tried, "pending")
    seconds = rules.backoff_seconds(attempt)
    webhook_queue.delay(receipt_handle, seconds)
    logger.info("webhook not delivered; will try again", extra={**ids, "wait_seconds": seconds})
    raise TryAgainLater(seconds)


def handle_message(body: dict[str, Any], attempt: int, receipt_handle: str) -> str:
    """One message of the webhooks queue: an event to fan out, or a delivery to try."""
    if body.get("kind") == "event":
        queued = fan_out(WebhookEvent.model_validate(body["event"]), once=body.get("once") is True)
        return f"fanned out to {queued}"
    return send_delivery(str(body["account_id"]), str(body["delivery_id"]), attempt, receipt_handle, utc_now())
