"""``make run`` stops on Ctrl-C however it was started: a background command of a shell without job control
(a CI runner, ``(make run &)``) inherits SIGINT ignored, and Python then leaves it ignored; a process whose
thread blocked SIGINT passes its signal mask on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.server import ROOT, free_ports


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _block_sigint() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


@pytest.mark.parametrize("started_with", [_ignore_sigint, _block_sigint], ids=["ignored", "blocked"])
def test_ctrl_c_stops_the_server_however_sigint_was_inherited(tmp_path: Path, started_with):
    port, aws_port = free_ports(2)
    env = {
        **os.environ,
        "PYTHONPATH": f"layers/common{os.pathsep}.",
        "PATIENT_DOCS_LOCAL_DIR": str(tmp_path),
        "LOCAL_AWS_PORT": str(aws_port),
    }
    for name in ("AWS_ENDPOINT_URL", "TABLE_NAME", "BUCKET_NAME"):
        env.pop(name, None)
    # Given the server started with SIGINT ignored (as such a shell starts it), or blocked
    server = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", str(port), "--quiet"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        preexec_fn=started_with,  # one call, in the child before it runs Python
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/_local/sms", timeout=2).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        # When it gets Ctrl-C
        server.send_signal(signal.SIGINT)
        # Then it stops cleanly, and says so
        assert server.wait(timeout=30) == 0
        assert not (tmp_path / "server.json").exists()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
