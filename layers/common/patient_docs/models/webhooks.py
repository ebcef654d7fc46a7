"""Webhook endpoints an account registered, and the deliveries made to them (ids only, never PHI)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

DeliveryStatus = Literal["pending", "sending", "delivered", "failed", "skipped"]


class Webhook(BaseModel):
    id: str
    account_id: str
    url: str
    event_types: list[str]
    created_at: datetime
    created_by: str | None = None
    # Never returned by the API after create and rotate: the deliver function signs with them.
    secret: str
    previous_secret: str | None = None
    previous_secret_until: datetime | None = None
    secret_rotated_at: datetime | None = None
    # The account's endpoint slot it holds (0 .. rules/webhooks.MAX_ENDPOINTS_PER_ACCOUNT - 1), claimed with
    # it: adapters/webhooks_table.py. None for an endpoint stored before slots (it still counts toward the limit).
    slot: int | None = None


class DeliveryAttempt(BaseModel):
    at: datetime
    status_code: int | None = None  # None: no answer (refused target, timeout, connection error)
    error: str | None = None  # what went wrong, in the service's words (never the receiver's body)
    excerpt: str | None = None  # at most rules/webhooks.EXCERPT_CHARS of the receiver's answer
    duration_ms: int | None = None


class WebhookEvent(BaseModel):
    """What happened: the body a receiver gets (``data`` holds ids only)."""

    id: str
    type: str
    created_at: datetime
    account_id: str
    data: dict[str, str | int]


class WebhookDelivery(BaseModel):
    id: str
    account_id: str
    webhook_id: str
    event: WebhookEvent
    status: DeliveryStatus
    created_at: datetime
    claimed_at: datetime | None = None
    attempts: list[DeliveryAttempt] = []
