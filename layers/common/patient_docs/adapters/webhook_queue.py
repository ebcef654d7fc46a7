"""The webhooks queue: services announce events on it, the deliver function fans them out to the account's
endpoints (one message per delivery) and sends each. Messages carry ids only."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from patient_docs.adapters.aws import sqs
from patient_docs.errors import NotificationFailed
from patient_docs.settings import get_settings


def _reason(exc: ClientError | BotoCoreError) -> str:
    """What a refused or failed call to the queue says, for ``NotificationFailed``."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


def _send(body: dict[str, Any]) -> None:
    _send_body(json.dumps(body))


def _send_body(body: str) -> None:
    try:
        sqs().send_message(QueueUrl=get_settings().webhook_queue_url, MessageBody=body)
    except (ClientError, BotoCoreError) as exc:
        raise NotificationFailed(_reason(exc)) from exc


def _event_message(event: dict[str, Any], once: bool) -> str:
    """``once`` (an event announced once-only) rides on the message, beside the event receivers get."""
    return json.dumps({"kind": "event", "event": event, "once": True} if once else {"kind": "event", "event": event})


def announce(events: list[dict[str, Any]], once: bool = False) -> None:
    """Events (``id``, ``type``, ``created_at``, ``account_id``, ``data``) for the account's endpoints: one
    message each, in one call (SQS takes up to 10 a call). ``once``: they were announced once-only, and the
    fan-out makes one delivery per endpoint however often each is announced (logic/webhooks.fan_out)."""
    if len(events) == 1:
        _send_body(_event_message(events[0], once))
        return
    failed: str | None = None
    for start in range(0, len(events), 10):  # every batch is tried, whatever an earlier one did
        entries: list[Any] = [
            {"Id": str(index), "MessageBody": _event_message(event, once)}
            for index, event in enumerate(events[start : start + 10])
        ]
        try:
            answer = sqs().send_message_batch(QueueUrl=get_settings().webhook_queue_url, Entries=entries)
        except (ClientError, BotoCoreError) as exc:
            failed = _reason(exc)
            continue
        if answer.get("Failed"):
            failed = str(answer["Failed"][0].get("Code") or "BatchEntryFailed")
    if failed is not None:
        raise NotificationFailed(failed)


def deliver(account_id: str, delivery_id: str) -> None:
    _send({"kind": "delivery", "account_id": account_id, "delivery_id": delivery_id})


def delay(receipt_handle: str, seconds: int) -> None:
    """The message's next try waits ``seconds`` (backoff); if this fails, the queue's own timeout applies."""
    with contextlib.suppress(ClientError, BotoCoreError):
        sqs().change_message_visibility(
            QueueUrl=get_settings().webhook_queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )
