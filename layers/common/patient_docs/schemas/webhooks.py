"""Webhooks' API (door C's conventions): camelCase bodies, snake_case answers, RFC 3339 times.

The signing secret is in the answers of create and rotate-secret only; nothing reads it back.
"""

from datetime import UTC, datetime

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from patient_docs.models.webhooks import DeliveryAttempt, Webhook, WebhookDelivery
from patient_docs.rules.webhooks import MAX_URL_LENGTH, WebhookEventType
from patient_docs.schemas.common import Timestamp
from patient_docs.schemas.deferred import Schema

WEBHOOK_ID_PATTERN = r"^wh_[0-9a-f]{24}$"
DELIVERY_ID_PATTERN = r"^whd_[0-9a-f]{28}$"


def _time(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


class WebhookBody(Schema):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, frozen=True, extra="forbid")

    url: str = Field(
        max_length=MAX_URL_LENGTH,
        description="https URL of a public host (private, loopback and link-local addresses are refused)",
    )
    event_types: list[WebhookEventType] = Field(min_length=1, max_length=3, description="The events to receive")


class WebhookOut(Schema):
    id: str
    url: str
    event_types: list[str]
    created_at: Timestamp
    secret_rotated_at: Timestamp | None = None
    previous_secret_expires_at: Timestamp | None = Field(
        default=None, description="Until then deliveries also carry a signature made with the previous secret"
    )

    @classmethod
    def of(cls, webhook: Webhook) -> "WebhookOut":
        return cls(
            id=webhook.id,
            url=webhook.url,
            event_types=webhook.event_types,
            created_at=_time(webhook.created_at) or "",
            secret_rotated_at=_time(webhook.secret_rotated_at),
            previous_secret_expires_at=_time(webhook.previous_secret_until),
        )


class WebhookWithSecret(WebhookOut):
    secret: str = Field(description="The signing secret: shown here once, never again (rotate it if lost)")

    @classmethod
    def with_secret(cls, webhook: Webhook) -> "WebhookWithSecret":
        return cls(**WebhookOut.of(webhook).model_dump(), secret=webhook.secret)


class WebhookList(Schema):
    webhooks: list[WebhookOut] = Field(description="Oldest first; secrets are never listed")


class DeliveryAttemptOut(Schema):
    at: Timestamp
    status_code: int | None = Field(description="The receiver's HTTP status; null when it gave none")
    error: str | None = Field(default=None, description="Why there was no answer (timeout, refused target)")
    excerpt: str | None = Field(default=None, description="The first 200 characters of the receiver's answer")
    duration_ms: int | None = None

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> "DeliveryAttemptOut":
        return cls(**{**attempt.model_dump(), "at": _time(attempt.at)})


class WebhookDeliveryOut(Schema):
    id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: str = Field(description="pending, sending, delivered, failed or skipped (its endpoint was deleted)")
    created_at: Timestamp
    attempts: list[DeliveryAttemptOut]

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> "WebhookDeliveryOut":
        return cls(
            id=delivery.id,
            webhook_id=delivery.webhook_id,
            event_id=delivery.event.id,
            event_type=delivery.event.type,
            status=delivery.status,
            created_at=_time(delivery.created_at) or "",
            attempts=[DeliveryAttemptOut.of(attempt) for attempt in delivery.attempts],
        )


class WebhookDeliveryPage(Schema):
    deliveries: list[WebhookDeliveryOut] = Field(description="Newest first")
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null when nothing more matches. With a filter a page"
        " may be short, or empty, and still have a next_cursor"
    )
