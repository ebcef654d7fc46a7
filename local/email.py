"""The email log behind ``GET /_local/email``: every ``ses.SendEmail`` the functions make, with sender,
recipient, subject, text and time (``local.outbox``; ``.local/email.jsonl`` under ``make run``)."""

from __future__ import annotations

from typing import Any

from local.outbox import Outbox


class EmailLog(Outbox):
    operation = "ses.SendEmail"
    fields = ("to", "from", "subject", "body", "sent_at")

    def message_of(self, params: dict[str, Any]) -> dict[str, str] | None:
        message = params.get("Message") or {}
        return {
            "to": ", ".join((params.get("Destination") or {}).get("ToAddresses") or []),
            "from": str(params.get("Source", "")),
            "subject": str((message.get("Subject") or {}).get("Data", "")),
            "body": str(((message.get("Body") or {}).get("Text") or {}).get("Data", "")),
        }

    def announce(self, message: dict[str, str]) -> str:
        return f"email: {message['subject']}"
