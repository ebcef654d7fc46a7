"""``make run`` keeps its data in ``.local/`` across restarts, ``make reset`` forgets it, a busy port
is one line, and ``make invoke`` works on the same data — each through the real server process.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.server import ROOT, RunningServer, free_ports, local_server, when_served
from tests.images import same_pixels
from tests.utils import png_bytes

pytestmark = pytest.mark.server
PATIENT = 1172416
FILE_REQUEST = json.loads(json.loads((ROOT / "events" / "file_requests_create.json").read_text())["body"])


def staff_headers(server: RunningServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token('--role', 'staff', '--account', '12')}"}


def create_inline_document(server: RunningServer, staff: dict[str, str]) -> int:
    doc = {"document_name": "scan.png", "data": base64.b64encode(png_bytes()).decode(), "mime_type": "image/png"}
    url = f"{server.base_url}/api/v2/patients/{PATIENT}/documents"
    created = requests.post(url, json={"doc": {**doc, "record_type": "Patient Record"}}, headers=staff, timeout=30)
    assert created.status_code == 201, created.text
    return int(created.json()["doc"]["id"])


def upload_photo_from_the_patient_page(server: RunningServer, link: str) -> None:
    base = server.base_url
    dob = {"date_of_birth": FILE_REQUEST["patientDateOfBirth"]}
    verified = requests.post(f"{base}/r/{link}/verify", json=dob, timeout=30)
    assert verified.status_code == 200, verified.text
    session = {"x-upload-session": verified.json()["upload_session"]}
    body = {"file_name": "IMG_0292.png", "content_type": "image/png", "size_bytes": len(png_bytes())}
    form = requests.post(f"{base}/r/{link}/uploads", json=body, headers=session, timeout=30).json()
    posted = requests.post(
        form["url"], data=form["fields"], files={"file": ("IMG_0292.png", png_bytes(), "image/png")}, timeout=30
    )
    assert posted.status_code in (200, 204), posted.text


def wait_for_files(server: RunningServer, staff: dict[str, str], request_id: str) -> dict[str, Any]:
    """The file request once the queue consumer has registered its upload, the malware scan cleared it and its
    clean copy is made (each file then has a download URL)."""
    deadline = time.monotonic() + 30
    while True:
        reply = requests.get(f"{server.base_url}/v1/file-requests/{request_id}", headers=staff, timeout=30)
        assert reply.status_code == 200, (reply.text, server.output[-3000:])
        found = reply.json()
        scanned = found["files"] and all(file.get("download_url") for file in found["files"])
        if scanned or time.monotonic() > deadline:
            return dict(found)
        time.sleep(0.3)


def make(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def test_everything_made_before_a_kill_is_there_after_a_restart(tmp_path: Path):
    # Given a server on fixed ports holding a document, a file request with its SMS and an uploaded photo,
    # and a presigned download URL printed before the restart
    port, aws_port = free_ports(2)
    ports = (port, aws_port)
    with local_server(tmp_path, ports=ports) as first:
        staff = staff_headers(first)
        doc_id = create_inline_document(first, staff)
        doc_url = f"{first.base_url}/api/v2/patients/{PATIENT}/documents/{doc_id}"
        download_url = when_served(doc_url, staff).json()["doc"]["download_url"]  # once scanned clean
        request = requests.post(f"{first.base_url}/v1/file-requests", json=FILE_REQUEST, headers=staff, timeout=30)
        assert request.status_code == 201, request.text
        upload_photo_from_the_patient_page(first, request.json()["short_link_id"])
        before = wait_for_files(first, staff, request.json()["id"])
        assert len(before["files"]) == 1
        sms_before = requests.get(f"{first.base_url}/_local/sms", timeout=30).json()

        # When the server is killed outright (no chance to save anything) and started again
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=30)
    with local_server(tmp_path, ports=ports) as second:
        # Then the document, its file, the request, its photo and the SMS log are all back
        assert "table items" in second.output and "requests replayed" in second.output
        fetched = requests.get(doc_url, headers=staff, timeout=30)
        assert fetched.status_code == 200, (fetched.text, second.output[-3000:])
        assert fetched.json()["doc"]["id"] == doc_id
        downloaded = requests.get(download_url, timeout=30)
        assert downloaded.status_code == 200 and same_pixels(downloaded.content, png_bytes())  # its clean copy
        after = wait_for_files(second, staff, before["id"])
        assert after["status"] == before["status"] and [f["id"] for f in after["files"]] == [
            f["id"] for f in before["files"]
        ]
        assert same_pixels(requests.get(after["files"][0]["download_url"], timeout=30).content, png_bytes())
        sms_after = requests.get(f"{second.base_url}/_local/sms", timeout=30).json()
        assert sms_after == sms_before and len(sms_after) == 1
        assert request.json()["short_link_id"] in sms_after[0]["body"]
        # ... and the link still opens the patient page
        page = requests.get(f"{second.base_url}/r/{request.json()['short_link_id']}", timeout=30)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]


def test_make_reset_forgets_the_data_but_not_the_signing_key(tmp_path: Path):
    env = {**os.environ, "PATIENT_DOCS_LOCAL_DIR": str(tmp_path)}
    port, aws_port = free_ports(2)
    ports = (port, aws_port)
    with local_server(tmp_path, ports=ports) as first:
        # Given a document, and a token issued before the reset
        staff = staff_headers(first)
        doc_id = create_inline_document(first, staff)
        # When make reset runs while the server is up, it refuses and changes nothing
        refused = make("reset", env=env)
        assert refused.returncode != 0 and "in use" in refused.stderr
        # ... and Ctrl-C stops the server cleanly
        assert first.interrupt() == 0
        assert not (tmp_path / "server.json").exists()
    reset = make("reset", env=env)
    assert reset.returncode == 0, reset.stderr
    assert "aws-requests.jsonl" in reset.stdout and (tmp_path / "jwt-signing-key.pem").exists()
    with local_server(tmp_path, ports=ports) as second:
        # Then the store is empty, and the old token is still accepted
        listed = requests.get(f"{second.base_url}/api/v2/patients/{PATIENT}/documents", headers=staff, timeout=30)
        assert listed.status_code == 200 and doc_id not in [d["id"] for d in listed.json()["docs"]]
        assert listed.json()["docs"] == []
        assert requests.get(f"{second.base_url}/_local/sms", timeout=30).json() == []


@contextmanager
def listening(port: int) -> Iterator[None]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        yield


@pytest.mark.parametrize("busy", ["api", "aws"])
def test_a_busy_port_is_one_line_that_says_how_to_choose_another(tmp_path: Path, busy: str):
    # Given something already listening on the API's port, or on the embedded AWS's
    port, aws_port = free_ports(2)
    env = {**os.environ, "PYTHONPATH": f"layers/common{os.pathsep}.", "PATIENT_DOCS_LOCAL_DIR": str(tmp_path)}
    env["LOCAL_AWS_PORT"] = str(aws_port)
    env.pop("AWS_ENDPOINT_URL", None)
    with listening(port if busy == "api" else aws_port):
        # When make run's server starts
        started = subprocess.run(
            [sys.executable, "-m", "local", "--port", str(port)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    # Then it exits non-zero with one line naming the port and the variable that moves it
    output = (started.stdout + started.stderr).strip()
    assert started.returncode == 1
    assert len(output.splitlines()) == 1, output
    assert "Traceback" not in output
    if busy == "api":
        assert f"port {port} is already in use" in output and "PORT=" in output and "make run" in output
    else:
        assert f"port {aws_port} (the embedded AWS) is already in use" in output and "LOCAL_AWS_PORT=" in output


def invoke(function: str, env: dict[str, str], event: Path | None = None) -> dict[str, Any]:
    args = ["invoke", f"FN={function}", *([f"EVENT={event}"] if event else [])]
    ran = make(*args, env=env)
    assert ran.returncode == 0, ran.stderr[-3000:]
    result: dict[str, Any] = json.loads(ran.stdout.strip().splitlines()[-1])  # the last line is the JSON alone
    return result


def test_make_invoke_reads_and_writes_the_data_make_run_serves(tmp_path: Path):
    port, aws_port = free_ports(2)
    env = {**os.environ, "PATIENT_DOCS_LOCAL_DIR": str(tmp_path), "PORT": str(port), "LOCAL_AWS_PORT": str(aws_port)}
    env.pop("AWS_ENDPOINT_URL", None)
    with local_server(tmp_path, ports=(port, aws_port)) as server:
        # Given make run is up
        staff = staff_headers(server)
        # When make invoke runs the create function with its default event, and the request function
        created = invoke("InlineDocumentsCreateFunction", env)
        invoke("FileRequestsCreateFunction", env)
        # Then make run serves what the functions wrote, and lists the SMS sent
        assert created["statusCode"] == 201
        doc_id = json.loads(created["body"])["doc"]["id"]
        listed = requests.get(f"{server.base_url}/api/v2/patients/{PATIENT}/documents", headers=staff, timeout=30)
        assert doc_id in [d["id"] for d in listed.json()["docs"]]
        assert len(requests.get(f"{server.base_url}/_local/sms", timeout=30).json()) == 1
        # Given a document made through make run
        served_id = create_inline_document(server, staff)
    # When make invoke runs with make run stopped
    listed_by_invoke = invoke("InlineDocumentsListFunction", env, ROOT / "events" / "inline_documents_list.json")
    # Then it reads the stored state
    ids = [d["id"] for d in json.loads(listed_by_invoke["body"])["docs"]]
    assert doc_id in ids and served_id in ids
