"""The SMS log behind ``GET /_local/sms``: every ``sns.Publish`` to a phone number the functions make,
with the number, the text and the time (``local.outbox``; ``.local/sms.jsonl`` under ``make run``)."""

from __future__ import annotations

from typing import Any

from local.outbox import Outbox


def mask_number(number: str) -> str:
    return "*" * max(0, len(number) - 3) + number[-3:]


class SmsLog(Outbox):
    operation = "sns.Publish"
    fields = ("to", "body", "sent_at")

    def message_of(self, params: dict[str, Any]) -> dict[str, str] | None:
        if not params.get("PhoneNumber"):
            return None  # a push to a device endpoint, not an SMS
        return {"to": str(params["PhoneNumber"]), "body": str(params.get("Message", ""))}

    def announce(self, message: dict[str, str]) -> str:
        return f"SMS to {mask_number(message['to'])}: {message['body']}"
