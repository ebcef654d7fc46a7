"""Start ``make run``'s server in a subprocess on a free port, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """Ports free now, all different (each socket is held until all are chosen)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class RunningServer:
    base_url: str
    env: dict[str, str]
    process: subprocess.Popen[str]
    log_path: Path

    @property
    def output(self) -> str:
        return self.log_path.read_text()

    def token(self, *args: str) -> str:
        """What ``make token ...`` prints: the last line is the token."""
        out = subprocess.run(
            [sys.executable, "-m", "local.tokens", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return out.stdout.strip().splitlines()[-1]

    def interrupt(self, timeout: float = 120) -> int:
        """Ctrl-C, and its exit status. A server still running after ``timeout`` is made to print every
        thread's stack (faulthandler, on SIGABRT) into the failure, so a hang says where it hangs."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGABRT)
            self.process.wait(timeout=10)
            raise AssertionError(f"still running {timeout} s after Ctrl-C:\n{self.output[-12000:]}") from None


@contextmanager
def local_server(
    key_dir: Path,
    extra_env: dict[str, str] | None = None,
    ports: tuple[int, int] | None = None,
    startup_seconds: float = 60,
) -> Iterator[RunningServer]:
    """``make run`` keeping its state (and signing key) in ``key_dir``, on ``ports`` (API, embedded AWS)."""
    port, aws_port = ports or free_ports(2)
    env = {
        **os.environ,
        "PYTHONPATH": f"layers/common{os.pathsep}.",
        "PATIENT_DOCS_LOCAL_DIR": str(key_dir),
        "LOCAL_AWS_PORT": str(aws_port),
        "PYTHONFAULTHANDLER": "1",  # RunningServer.interrupt: a hung server prints its threads
    }
    for name in ("AWS_ENDPOINT_URL", "TABLE_NAME", "BUCKET_NAME"):
        env.pop(name, None)
    # Files are scanned a moment after they land, not the 2 s make run waits by default: tests go faster.
    env.setdefault("LOCAL_SCAN_DELAY_SECONDS", "0.2")
    env.update(extra_env or {})
    log_path = key_dir / f"server-{port}.log"
    log = log_path.open("a")
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            try:
                if requests.get(f"{base_url}/_local/sms", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or busy starting
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log_path.read_text())
            time.sleep(0.2)
        yield RunningServer(base_url, env, process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def when_served(url: str, headers: dict[str, str], seconds: float = 30) -> requests.Response:
    """GET ``url`` again while it answers 409 with Retry-After: the file's malware scan is pending
    (the server's scanner stand-in decides a few seconds after an upload, ``local/scanner.py``)."""
    deadline = time.monotonic() + seconds
    while True:
        reply = requests.get(url, headers=headers, timeout=30)
        if reply.status_code != 409 or "Retry-After" not in reply.headers or time.monotonic() > deadline:
            return reply
        time.sleep(0.2)
