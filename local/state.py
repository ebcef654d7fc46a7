"""Where ``make run`` keeps what it holds between restarts: the ignored folder ``.local/``.

``.local/`` (or ``$PATIENT_DOCS_LOCAL_DIR``) holds:

- ``jwt-signing-key.pem``  the key local tokens are signed with (kept by ``make reset``);
- ``aws-requests.jsonl``   every request the embedded AWS received (moto's recorder), the
                           mutating ones replayed at start-up: documents, files, file requests,
                           links, sessions;
- ``sms.jsonl``            the SMS log behind ``GET /_local/sms``;
- ``server.json``          while ``make run`` is up: its base URL and embedded AWS endpoint;
- ``lock``                 held (flock) by the one process that owns the state: ``make run``, or
                           ``make invoke`` when no server is up. The kernel drops it when that
                           process ends, however it ends.

``python -m local.state --reset`` (``make reset``) removes everything but the signing key, so
tokens printed earlier stay valid.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import socket
import sys
from pathlib import Path
from typing import IO, Any

from local.template import ROOT

RECORDING = "aws-requests.jsonl"
SMS_LOG = "sms.jsonl"
EMAIL_LOG = "email.jsonl"
WEBHOOK_LOG = "webhooks.jsonl"
SERVER_FILE = "server.json"
LOCK_FILE = "lock"
SIGNING_KEY = "jwt-signing-key.pem"
DEFAULT_PORT = 3000


def state_dir() -> Path:
    return Path(os.environ.get("PATIENT_DOCS_LOCAL_DIR", ROOT / ".local"))


def api_port() -> int:
    return int(os.environ.get("PORT") or DEFAULT_PORT)


def aws_port(port: int) -> int:
    """The embedded AWS's port: ``LOCAL_AWS_PORT``, else the API's port + 1 (3001 beside 3000).

    It is fixed so that presigned URLs (and any URL the functions stored) stay valid across restarts.
    """
    return int(os.environ.get("LOCAL_AWS_PORT") or port + 1)


class PortInUse(Exception):
    def __init__(self, port: int, what: str, hint: str) -> None:
        super().__init__(f"port {port} ({what}) is already in use: {hint}")


def check_port_free(port: int, what: str, hint: str) -> None:
    """Raise ``PortInUse`` if nothing could listen on 127.0.0.1:``port`` (as a server with SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise PortInUse(port, what, hint) from exc


class StateBusy(Exception):
    pass


class StateLock:
    """The exclusive lock on ``.local/``: one owner at a time, released by the kernel at exit."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._handle: IO[str] | None = None

    def try_acquire(self) -> bool:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle = (self.directory / LOCK_FILE).open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._handle = handle
        return True

    def acquire(self) -> None:
        if not self.try_acquire():
            raise StateBusy(
                f"{self.directory} is in use by another `make run` (or `make invoke`): stop it first, "
                "or give this one its own folder with PATIENT_DOCS_LOCAL_DIR=..."
            )

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def write_server_file(directory: Path, base_url: str, aws_endpoint: str) -> None:
    path = directory / SERVER_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"base_url": base_url, "aws_endpoint": aws_endpoint, "pid": os.getpid()}))
    temporary.replace(path)


def read_server_file(directory: Path) -> dict[str, Any] | None:
    try:
        loaded: dict[str, Any] = json.loads((directory / SERVER_FILE).read_text())
    except (OSError, ValueError):
        return None
    return loaded


def remove_server_file(directory: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (directory / SERVER_FILE).unlink()


def reset(directory: Path) -> list[str]:
    """Remove the stored data (not the signing key); the names removed."""
    lock = StateLock(directory)
    lock.acquire()
    try:
        removed = []
        for path in sorted(directory.iterdir()):
            if path.name in (SIGNING_KEY, LOCK_FILE) or not path.is_file():
                continue
            path.unlink()
            removed.append(path.name)
        return removed
    finally:
        lock.release()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The local server's stored state (.local/).")
    parser.add_argument("--reset", action="store_true", help="forget every document, file, request and SMS")
    args = parser.parse_args(argv)
    directory = state_dir()
    if not args.reset:
        print(directory)
        return 0
    if not directory.exists():
        print(f"{directory} holds nothing: nothing to reset")
        return 0
    try:
        removed = reset(directory)
    except StateBusy as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"reset {directory}: removed {', '.join(removed) or 'nothing'} (the token signing key is kept)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
