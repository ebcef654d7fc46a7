"""A log of messages the functions send, recorded where they are sent: the base of ``local.sms`` and
``local.email`` (``GET /_local/sms``, ``GET /_local/email``).

A botocore event hook on boto3's default session sees every call of one operation (``sns.Publish``,
``ses.SendEmail``) that the functions make in this process (to the embedded AWS, to another endpoint,
or to moto in-process in the tests), and records the message once AWS has accepted it. Reading the
log costs the same however much the store holds. With a file (``.local/<name>.jsonl``) the log
outlives the process, and messages that another process (``make invoke``) appended to it are read in too.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Self

import boto3


class Outbox:
    """One operation's sent messages. A subclass names the operation (``service.Operation``), the
    fields a message has, how a request becomes a message and what ``make run`` prints of it."""

    operation: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]

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

    def message_of(self, params: dict[str, Any]) -> dict[str, str] | None:
        """The message a request sends (without ``sent_at``), or None for one this log does not keep."""
        raise NotImplementedError

    def announce(self, message: dict[str, str]) -> str:
        """The line ``make run`` prints for a message (no more of it than a developer needs)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ capture
    def attach(self) -> Self:
        """Record the messages that boto3 clients made from now on (in this process) send."""
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]
        unique_id = f"patient-docs-local-{self.operation}"
        stages = (("before-parameter-build", self._remember_request), ("after-call", self._record_if_sent))
        for stage, handler in stages:
            name = f"{stage}.{self.operation}"
            events.unregister(name, unique_id=f"{unique_id}-{name}")  # a newer log replaces an older one
            events.register(name, handler, unique_id=f"{unique_id}-{name}")
        return self

    @property
    def _context_key(self) -> str:
        return f"patient_docs_local_{self.operation}"

    def _remember_request(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        message = self.message_of(params)
        if message is not None:
            context[self._context_key] = message

    def _record_if_sent(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        message = context.get(self._context_key)
        if message and getattr(http_response, "status_code", 500) < 300:
            self.record(message)

    # ------------------------------------------------------------------ the log
    def record(self, message: dict[str, str]) -> None:
        message = {**message, "sent_at": datetime.now(UTC).isoformat(timespec="seconds")}
        with self._lock:
            if self.path is None:
                self._messages.append(message)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as handle:  # one append per line: O_APPEND
                    handle.write(json.dumps(message) + "\n")
        if not self.quiet:
            print(f"  {self.announce(message)}", flush=True)

    def messages(self) -> list[dict[str, str]]:
        """Every message sent so far, oldest first, each with ``fields``."""
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
                self._messages.append({key: str(message.get(key, "")) for key in self.fields})
