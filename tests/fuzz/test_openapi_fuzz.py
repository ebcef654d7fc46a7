"""Schemathesis against the local server of ``make run``: every operation of ``/openapi.json``, every check.

No 5xx, every response (errors included) matches the documented schema, schema-valid requests
are accepted. ``make test`` runs a bounded, seeded pass; ``make fuzz`` a long one with a fresh seed
(``FUZZ_EXAMPLES``, ``FUZZ_SEED``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from local import tokens
from local.local_aws import local_name
from local.template import ROOT
from tests.authz_fixtures import multipart
from tests.e2e.server import free_ports
from tests.utils import b64, png_bytes

CONFIG = Path(__file__).with_name("schemathesis.toml")
REPORT = ROOT / "tests" / "artifacts" / "fuzz-report.txt"  # the whole run, kept for reading failures
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
SEED = os.environ.get("FUZZ_SEED", "20261122")
# Expects 405 for a method a path does not declare. API Gateway HTTP APIs answer 404
# {"message": "Not Found"} there (no route matches), and so does the local server: the answer is
# the gateway's, not this code's, so no HTTP API can pass it.
UNSUPPORTED_METHOD = "unsupported_method"
PATIENT = 1172416
BUCKET = local_name("DocumentsBucket")


@pytest.fixture(scope="module")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``make run`` on free ports (its own and its embedded AWS's), in its own process, signing tokens with
    the tests' key."""
    port, aws_port = free_ports(2)
    base_url = f"http://127.0.0.1:{port}"
    log = (tmp_path_factory.mktemp("fuzz") / "server.log").open("w")
    env = {**os.environ, "PYTHONPATH": f"layers/common{os.pathsep}."}
    env.pop("AWS_ENDPOINT_URL", None)  # the server starts its own embedded AWS
    server = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", str(port), "--aws-port", str(aws_port), "--quiet"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                # The first request builds the document from every function's resolver: seconds on a busy machine.
                if requests.get(f"{base_url}/openapi.json", timeout=30).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            assert server.poll() is None, f"the local server exited: {Path(log.name).read_text()[-2000:]}"
            assert time.monotonic() < deadline, "the local server did not start within 60 s"
            time.sleep(0.3)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def _seed_documents(base_url: str, token: str) -> tuple[list[int], list[int]]:
    """A few real documents, so the fuzzer also reaches the code behind an existing id, not only 404."""
    headers = {"authorization": f"Bearer {token}"}
    door_a: list[int] = []
    door_b: list[int] = []
    for index in range(3):
        body = {
            "doc": {
                "document_name": f"seed-{index}.png",
                "data": b64(png_bytes()),
                "mime_type": "image/png",
                "record_type": "Test Result",
            }
        }
        created = requests.post(
            f"{base_url}/api/v2/patients/{PATIENT}/documents", json=body, headers=headers, timeout=20
        )
        assert created.status_code == 201, created.text
        door_a.append(created.json()["doc"]["id"])
        fields = {"bucket_name": BUCKET, "file_path": f"patients/{PATIENT}/documents", "file_name": f"seed-{index}.png"}
        raw, content_type = multipart(fields, f"seed-{index}.png", png_bytes(), "image/png")
        upload_headers = {**headers, "content-type": content_type}
        uploaded = requests.post(
            f"{base_url}/apis/v1/file/upload/unsigned", data=raw, headers=upload_headers, timeout=20
        )
        assert uploaded.status_code == 200, uploaded.text
        save = {
            "patient_id": PATIENT,
            "name": f"seed {index}",
            "document_url": uploaded.json()["data"]["file_url"],
            "bucket_name": BUCKET,
        }
        saved = requests.post(f"{base_url}/apis/v1/patient-document", json=save, headers=headers, timeout=20)
        assert saved.status_code == 200, saved.text
        door_b.append(saved.json()["data"]["id"])
    return door_a, door_b


def _config_with_known_ids(directory: Path, door_a: list[int], door_b: list[int], token: str) -> Path:
    """The committed settings, plus: the callers' tokens, and half of the generated ids are ones that exist."""
    callers = f"""# Staff of account 12 call every operation, but those only an admin may call.
headers = {{ Authorization = "Bearer {token}" }}
"""
    admin = tokens.issue("admin", "12")
    known = f"""
# Only an admin reads the audit trail, changes settings or manages webhooks (staff get a 403 there, by design).
[[operations]]
include-name = "GET /v1/audit-events"
headers = {{ Authorization = "Bearer {admin}" }}
# cursor is opaque: only a next_cursor this API returned is one; any other string is a 400.
checks.positive_data_acceptance.expected-statuses = ["2XX", "400", "401", "404"]

[[operations]]
include-name = "PUT /v1/account-settings"
headers = {{ Authorization = "Bearer {admin}" }}
# practicePhone must be a number libphonenumber finds valid for its country: no pattern can say which.
checks.positive_data_acceptance.expected-statuses = ["2XX", "400", "401", "404"]

# Webhooks are the admin's (staff get a 403 there, by design).
[[operations]]
include-name = "POST /v1/webhooks"
headers = {{ Authorization = "Bearer {admin}" }}
# url must be https to a public host (every spelling of a private address refused): no pattern can say it.
checks.positive_data_acceptance.expected-statuses = ["2XX", "400", "401", "404"]

[[operations]]
include-name = "GET /v1/webhooks"
headers = {{ Authorization = "Bearer {admin}" }}

[[operations]]
include-name = "DELETE /v1/webhooks/{{webhookId}}"
headers = {{ Authorization = "Bearer {admin}" }}

[[operations]]
include-name = "POST /v1/webhooks/{{webhookId}}/rotate-secret"
headers = {{ Authorization = "Bearer {admin}" }}

[[operations]]
include-name = "GET /v1/webhook-deliveries"
headers = {{ Authorization = "Bearer {admin}" }}
# cursor is opaque: only a next_cursor this API returned is one; any other is a 400.
checks.positive_data_acceptance.expected-statuses = ["2XX", "400", "401", "404"]

[[operations]]
include-name = "POST /v1/webhook-deliveries/{{deliveryId}}/redeliver"
headers = {{ Authorization = "Bearer {admin}" }}

[dictionaries.patients]
values = [{PATIENT}]

[dictionaries.fhir_patients]
values = ["{PATIENT}"]

[dictionaries.door_a_documents]
values = {door_a}

[dictionaries.door_b_documents]
values = {door_b}

[parameters]
"path.patient_id" = {{ dictionary = "patients", probability = 0.5 }}
"path.document_id" = {{ dictionary = "door_a_documents", probability = 0.5 }}

# Door B's one path variable: the patient's id to list, the document's id to update.
[[operations]]
include-name = "GET /apis/v1/patient-document/{{id}}"
parameters = {{ "path.id" = {{ dictionary = "patients", probability = 0.5 }} }}
# Its repeatable string filters (document_type, case_title): whatever value the fuzzer means to be
# "schema-violating" (a number, an object, a nested list), a query string carries it as a list of
# strings, which is what these filters take: such a request is valid when it arrives, so 200 is a
# right answer to it too. Every other check, and every other status, stays as for all operations.
checks.negative_data_rejection.expected-statuses = ["200", "400", "401", "403", "404", "422"]
# cursor is opaque (only a next_cursor this API returned is one) and goes with the default sort only.
checks.positive_data_acceptance.expected-statuses = ["2XX", "400", "401", "404"]

[[operations]]
include-name = "POST /apis/v1/patient-document/{{id}}"
parameters = {{ "path.id" = {{ dictionary = "door_b_documents", probability = 0.5 }} }}

# Door D reads the documents of doors A and B by the same ids, and searches the known patient.
[dictionaries.documents]
values = {door_a + door_b}

[[operations]]
include-name = "GET /fhir/R4/DocumentReference/{{id}}"
parameters = {{ "path.id" = {{ dictionary = "documents", probability = 0.5 }} }}
# A known document another operation of the run deleted (door A's DELETE) is 410 Gone, as FHIR reads it.
checks.positive_data_acceptance.expected-statuses = ["2XX", "401", "403", "404", "410"]

[[operations]]
include-name = "GET /fhir/R4/Binary/{{id}}"
parameters = {{ "path.id" = {{ dictionary = "documents", probability = 0.5 }} }}
# A known file answers by redirect (302), or 409 while its malware scan is pending; 410 once deleted.
checks.positive_data_acceptance.expected-statuses = ["2XX", "302", "401", "404", "409", "410"]

[[operations]]
include-name = "GET /fhir/R4/DocumentReference"
parameters = {{ "query.patient" = {{ dictionary = "fhir_patients", probability = 0.5 }} }}
# _cursor is opaque: only the one in a next link this API returned is a cursor; any other is a 400.
checks.positive_data_acceptance.expected-statuses = ["2XX", "400", "401", "404"]

[[operations]]
include-name = "POST /fhir/R4/DocumentReference"
# attachment.data must be base64 of a real file of its contentType (the bytes are sniffed), and
# attachment.url a file_url uploaded here for that patient: no JSON Schema can say either.
checks.positive_data_acceptance.expected-statuses = ["2XX", "400", "401", "404", "409", "413"]
"""
    path = directory / "schemathesis.toml"
    path.write_text(callers + CONFIG.read_text() + known)
    return path


@pytest.mark.server
def test_every_operation_survives_the_fuzzer_with_every_check(local_server: str, tmp_path: Path) -> None:
    # Given the local server, a staff token it accepts and a few documents of that staff's account
    token = tokens.issue("staff", "12")
    config = _config_with_known_ids(tmp_path, *_seed_documents(local_server, token), token)
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(config),
        "run",
        f"{local_server}/openapi.json",
        "--checks",
        "all",
        "--exclude-checks",
        UNSUPPORTED_METHOD,
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        SEED,
        "--request-timeout",
        "20",
        "--no-color",
    ]
    # When schemathesis runs every phase against every operation
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=3600, check=False)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(result.stdout + result.stderr)
    # Then it finds nothing
    assert result.returncode == 0, f"see {REPORT}\n" + result.stdout[-6000:] + result.stderr[-2000:]
