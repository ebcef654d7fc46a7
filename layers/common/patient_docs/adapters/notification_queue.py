"""The queue between a file request and its notification: create and resend add, the sender consumes.

A message carries the request's id only; the sender reads everything else from the table.
"""

from __future__ import annotations

import contextlib
import json

from botocore.exceptions import BotoCoreError, ClientError

from patient_docs.adapters.aws import sqs
from patient_docs.errors import NotificationFailed
from patient_docs.settings import get_settings


def enqueue(file_request_id: str) -> None:
    try:
        sqs().send_message(
            QueueUrl=get_settings().notifications_queue_url,
            MessageBody=json.dumps({"file_request_id": file_request_id}),
        )
    except ClientError as exc:
        raise NotificationFailed(str(exc.response.get("Error", {}).get("Code") or "ClientError")) from exc
    except BotoCoreError as exc:
        raise NotificationFailed(type(exc).__name__) from exc


def delay(receipt_handle: str, seconds: int) -> None:
    """The message's next try waits ``seconds`` (backoff); if this fails, the queue's own timeout applies."""
    with contextlib.suppress(ClientError, BotoCoreError):
        sqs().change_message_visibility(
            QueueUrl=get_settings().notifications_queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )
