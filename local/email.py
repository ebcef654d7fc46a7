"""The email log behind ``GET /_local/email``, recorded where the emails are sent.

Like ``local.sms``: a botocore hook on boto3's default session sees every ``ses.SendEmail`` the
functions make in this process and records sender, recipient, subject, text and time; with a file
(``.local/email.jsonl``) the log outlives the process.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

_UNIQUE_ID = "patient-docs-local-email"
_CONTEXT_KEY = "patient_docs_local_email"
FIELDS = ("to", "from", "subject", "body", "sent_at")


class EmailLog:
    def __init__(self, path: Path | None = None, quiet: bool = True) -> None:
        self.path = path
        self.quiet = quiet
        self._messages: list[dict[str, str]] = []
        self._offset = 0
        self._lock = threading.Lock()

    def attach(self) -> EmailLog:
        """Record the emails that boto3 clients made from now on (in this process) send."""
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]
        for name, handler in (
            ("before-parameter-build.ses.SendEmail", self._remember_request),
            ("after-call.ses.SendEmail", self._record_if_sent),
        ):
            events.unregister(name, unique_id=f"{_UNIQUE_ID}-{name}")
            events.register(name, handler, unique_id=f"{_UNIQUE_ID}-{name}")
        return self

    def _remember_request(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        message = params.get("Message") or {}
        context[_CONTEXT_KEY] = {
            "to": ", ".join((params.get("Destination") or {}).get("ToAddresses") or []),
            "from": str(params.get("Source", "")),
            "subject": str((message.get("Subject") or {}).get("Data", "")),
            "body": str(((message.get("Body") or {}).get("Text") or {}).get("Data", "")),
        }

    def _record_if_sent(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        email = context.get(_CONTEXT_KEY)
        if email and getattr(http_response, "status_code", 500) < 300:
            self.record(email)

    def record(self, email: dict[str, str]) -> None:
        message = {**email, "sent_at": datetime.now(UTC).isoformat(timespec="seconds")}
        with self._lock:
            if self.path is None:
                self._messages.append(message)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(message) + "\n")
        if not self.quiet:
            print(f"  email: {message['subject']}", flush=True)

    def messages(self) -> list[dict[str, str]]:
        """Every email sent so far, oldest first, as ``[{"to", "from", "subject", "body", "sent_at"}]``."""
        with self._lock:
            if self.path is not None and self.path.exists():
                with self.path.open("rb") as handle:
                    handle.seek(self._offset)
                    data = handle.read()
                complete = data[: data.rfind(b"\n") + 1]
                self._offset += len(complete)
                for line in complete.splitlines():
                    try:
                        message = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(message, dict):
                        self._messages.append({key: str(message.get(key, "")) for key in FIELDS})
            return list(self._messages)
