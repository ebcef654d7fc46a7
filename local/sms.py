"""The SMS log behind ``GET /_local/sms``, recorded where the messages are sent.

A botocore event hook on boto3's default session sees every ``sns.Publish`` the functions make
in this process (to the embedded AWS, to another endpoint, or to moto in-process in the tests)
and records the number, the text and the time. Reading the log costs the same however much the
store holds. With a file (``.local/sms.jsonl``) the log outlives the process, and messages that
another process (``make invoke``) appended to it are read in too.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

_UNIQUE_ID = "patient-docs-local-sms"
_CONTEXT_KEY = "patient_docs_local_sms"


def mask_number(number: str) -> str:
    return "*" * max(0, len(number) - 3) + number[-3:]


class SmsLog:
    def __init__(self, path: Path | None = None, quiet: bool = True) -> None:
        self.path = path
        self.quiet = quiet
        self._messages: list[dict[str, str]] = []
        self._offset = 0  # bytes of the file read into _messages
        self._lock = threading.Lock()
        if path is not None and path.exists() and path.stat().st_size:
            with path.open("rb+") as handle:  # a line cut short by a kill must not swallow the next one
                handle.seek(-1, 2)
                if handle.read(1) != b"\n":
                    handle.write(b"\n")

    # ------------------------------------------------------------------ capture
    def attach(self) -> SmsLog:
        """Record the SMS that boto3 clients made from now on (in this process) publish."""
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]
        for name, handler in (
            ("before-parameter-build.sns.Publish", self._remember_request),
            ("after-call.sns.Publish", self._record_if_sent),
        ):
            events.unregister(name, unique_id=f"{_UNIQUE_ID}-{name}")  # a newer log replaces an older one
            events.register(name, handler, unique_id=f"{_UNIQUE_ID}-{name}")
        return self

    def _remember_request(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if params.get("PhoneNumber"):
            context[_CONTEXT_KEY] = (str(params["PhoneNumber"]), str(params.get("Message", "")))

    def _record_if_sent(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        sms = context.get(_CONTEXT_KEY)
        if sms and getattr(http_response, "status_code", 500) < 300:
            self.record(*sms)

    # ------------------------------------------------------------------ the log
    def record(self, to: str, body: str) -> None:
        message = {"to": to, "body": body, "sent_at": datetime.now(UTC).isoformat(timespec="seconds")}
        with self._lock:
            if self.path is None:
                self._messages.append(message)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as handle:  # one append per line: O_APPEND
                    handle.write(json.dumps(message) + "\n")
        if not self.quiet:
            print(f"  SMS to {mask_number(to)}: {body}", flush=True)

    def messages(self) -> list[dict[str, str]]:
        """Every SMS sent so far, oldest first, as ``[{"to", "body", "sent_at"}]``."""
        with self._lock:
            self._read_new_lines()
            return list(self._messages)

    def _read_new_lines(self) -> None:
        if self.path is None or not self.path.exists():
            return
        with self.path.open("rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line still being written is read next time
        self._offset += len(complete)
        for line in complete.splitlines():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict):
                self._messages.append({key: str(message.get(key, "")) for key in ("to", "body", "sent_at")})
