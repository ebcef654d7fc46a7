"""The webhook delivery log behind ``GET /_local/webhooks``, recorded where the deliveries are made.

The deliver function's HTTP adapter (``patient_docs.adapters.webhook_http``) tells its observers of
every try: URL, headers (the signature included), body and the receiver's status (null when there was
no answer). Like ``local.email``: kept in memory, or with a file (``.local/webhooks.jsonl``) across
restarts. The local server alone also lets webhooks call ``http://127.0.0.1:<port>``
(``enable_local_targets``), so a receiver on this machine can be tried. A developer tool: never deployed.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from patient_docs.adapters import webhook_http
from patient_docs.settings import LOCAL_WEBHOOK_TARGETS


def enable_local_targets() -> None:
    """Webhooks in this process may target http://127.0.0.1:<port> (the setting only the local server sets)."""
    os.environ[LOCAL_WEBHOOK_TARGETS] = "127.0.0.1"


class WebhookLog:
    def __init__(self, path: Path | None = None, quiet: bool = True) -> None:
        self.path = path
        self.quiet = quiet
        self._attempts: list[dict[str, Any]] = []
        self._offset = 0
        self._lock = threading.Lock()

    def attach(self) -> WebhookLog:
        """Record the tries the deliver function makes from now on (in this process)."""
        webhook_http.attempt_observers[:] = [self.record]
        return self

    def record(self, attempt: dict[str, Any]) -> None:
        entry = {**attempt, "sent_at": datetime.now(UTC).isoformat(timespec="seconds")}
        with self._lock:
            if self.path is None:
                self._attempts.append(entry)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(entry) + "\n")
        if not self.quiet:
            print(f"  webhook: {entry['url']} -> {entry['status']}", flush=True)

    def attempts(self) -> list[dict[str, Any]]:
        """Every try so far, oldest first, as ``[{"url", "headers", "body", "status", "sent_at"}]``."""
        with self._lock:
            if self.path is not None and self.path.exists():
                with self.path.open("rb") as handle:
                    handle.seek(self._offset)
                    data = handle.read()
                complete = data[: data.rfind(b"\n") + 1]
                self._offset += len(complete)
                for line in complete.splitlines():
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(entry, dict):
                        self._attempts.append(entry)
            return list(self._attempts)
