"""By hand: is ``make run`` as fast with 10,000 documents as with none, and how long does it take to start?

    .venv/bin/python -m tests.e2e.measure_local_speed [--documents 10000] [--repeat 20]
    .venv/bin/python -m tests.e2e.measure_local_speed --cpu [--documents 10000] [--repeat 20]

It starts the server of ``make run`` (own temporary ``.local``, own ports), times each request
below ``--repeat`` times on the empty store, seeds ``--documents`` door A documents over 1,000
patients, times the same requests again (for a patient of the same size), restarts the server
(timing the replay of the stored requests) and times them once more. Not a test: timings
depend on the machine; this prints them for a person to read.

On a shared, busy machine wall-clock times swing with everyone else's work. ``--cpu`` measures
the CPU time each request costs instead: the same handlers through the same router
(``LocalApi``) against moto in-process, timed with ``time.thread_time()``, with no HTTP hops.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from tests.e2e.server import RunningServer, free_ports, local_server
from tests.utils import pdf_bytes, png_bytes

ROOT = Path(__file__).resolve().parents[2]
Timed = Callable[[int], float]


class Client:
    def __init__(self, server: RunningServer) -> None:
        self.base = server.base_url
        self.http = requests.Session()
        self.http.headers["authorization"] = f"Bearer {server.token('--role', 'staff', '--account', '12')}"
        self.png = {"document_name": "scan.png", "data": base64.b64encode(png_bytes()).decode()}
        self.png |= {"mime_type": "image/png", "record_type": "Patient Record"}
        self.failures: list[str] = []
        self.request_body = json.loads(json.loads((ROOT / "events" / "file_requests_create.json").read_text())["body"])

    def _timed(self, method: str, path: str, expected: int, **kwargs: object) -> float:
        """Milliseconds; an unexpected answer is reported and counted, and its time kept."""
        started = time.perf_counter()
        response = self.http.request(method, f"{self.base}{path}", timeout=120, **kwargs)  # type: ignore[arg-type]
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != expected:
            self.failures.append(f"{method} {path}: {response.status_code} after {elapsed:.0f} ms")
        return elapsed

    def door_a_create(self, patient: int) -> float:
        return self._timed("POST", f"/api/v2/patients/{patient}/documents", 201, json={"doc": self.png})

    def door_a_list(self, patient: int) -> float:
        return self._timed("GET", f"/api/v2/patients/{patient}/documents", 200)

    def door_b_save(self, patient: int) -> float:
        presign = {"patient_id": patient, "file_name": "card.pdf", "content_type": "application/pdf"}
        presigned = self.http.post(
            f"{self.base}/apis/v1/file/upload/presigned", json={**presign, "size_bytes": len(pdf_bytes())}, timeout=60
        ).json()["data"]
        files = {"file": ("card.pdf", pdf_bytes(), "application/pdf")}
        requests.post(presigned["url"], data=presigned["fields"], files=files, timeout=60).raise_for_status()
        document = {"patient_id": patient, "name": "Insurance Card", "document_url": presigned["file_url"]}
        document |= {"bucket_name": presigned["bucket_name"], "document_category": "INSURANCE_CARD"}
        return self._timed("POST", "/apis/v1/patient-document", 200, json=document)

    def door_b_list(self, patient: int) -> float:
        return self._timed("GET", f"/apis/v1/patient-document/{patient}?document_category=INSURANCE_CARD", 200)

    def door_c_create(self, patient: int) -> float:
        body = {**self.request_body, "patientMobile": f"+4477771{patient % 100000:05d}"}
        return self._timed("POST", "/v1/file-requests", 201, json=body)


class InProcessClient:
    """The requests of ``Client``, through ``LocalApi`` against moto in this thread; CPU milliseconds."""

    def __init__(self, api: Any, bucket: str) -> None:
        from tests.utils import STAFF_12, call

        self.api, self.bucket, self.staff, self.call = api, bucket, STAFF_12, call
        self.png = {"document_name": "scan.png", "data": base64.b64encode(png_bytes()).decode()}
        self.png |= {"mime_type": "image/png", "record_type": "Patient Record"}
        self.failures: list[str] = []
        self.request_body = json.loads(json.loads((ROOT / "events" / "file_requests_create.json").read_text())["body"])

    def _timed(self, method: str, path: str, expected: int, body: Any = None) -> float:
        started = time.thread_time()
        reply = self.call(self.api, method, path, body, self.staff)
        elapsed = (time.thread_time() - started) * 1000
        if reply.status != expected:
            self.failures.append(f"{method} {path}: {reply.status}")
        return elapsed

    def door_a_create(self, patient: int) -> float:
        return self._timed("POST", f"/api/v2/patients/{patient}/documents", 201, {"doc": self.png})

    def door_a_list(self, patient: int) -> float:
        return self._timed("GET", f"/api/v2/patients/{patient}/documents", 200)

    def door_b_save(self, patient: int) -> float:
        import boto3

        presign = {"patient_id": patient, "file_name": "card.pdf", "content_type": "application/pdf"}
        presign["size_bytes"] = len(pdf_bytes())
        presigned = self.call(self.api, "POST", "/apis/v1/file/upload/presigned", presign, self.staff).json["data"]
        # The browser's POST to S3, in-process: the object under the key the form names.
        boto3.client("s3", region_name="us-east-1").put_object(
            Bucket=self.bucket, Key=presigned["fields"]["key"], Body=pdf_bytes(), ContentType="application/pdf"
        )
        document = {"patient_id": patient, "name": "Insurance Card", "document_url": presigned["file_url"]}
        document |= {"bucket_name": presigned["bucket_name"], "document_category": "INSURANCE_CARD"}
        return self._timed("POST", "/apis/v1/patient-document", 200, document)

    def door_b_list(self, patient: int) -> float:
        return self._timed("GET", f"/apis/v1/patient-document/{patient}?document_category=INSURANCE_CARD", 200)

    def door_c_create(self, patient: int) -> float:
        body = {**self.request_body, "patientMobile": f"+4477771{patient % 100000:05d}"}
        return self._timed("POST", "/v1/file-requests", 201, body)


def measure_cpu(documents: int, repeat: int) -> None:
    import boto3
    from moto import mock_aws

    from local.local_aws import REGION, provision
    from local.server import LocalApi
    from tests.conftest import _TEMPLATE, BASE_URL, NAMES, ORIGINS, _reset_cached_clients

    with mock_aws():
        provision(_TEMPLATE, NAMES, lambda service: boto3.client(service, region_name=REGION), ORIGINS)
        _reset_cached_clients()
        client = InProcessClient(LocalApi(BASE_URL, quiet=True), NAMES["DocumentsBucket"])
        measure(client, 900_000, 2)
        columns = {"empty": measure(client, 900_001, repeat)}
        print(f"seeding {documents} documents ...", flush=True)
        seed(client, documents)
        columns[f"{documents} docs"] = measure(client, 900_002, repeat)
    _print_table(columns, repeat, "CPU ms", client.failures)


def measure(client: Any, patient: int, repeat: int) -> dict[str, float]:
    """Median milliseconds of each request, for one patient who ends up with ``repeat`` of each."""
    operations: dict[str, Timed] = {
        "door A create": client.door_a_create,
        "door A list": client.door_a_list,
        "door B save": client.door_b_save,
        "door B list": client.door_b_list,
        "door C create": client.door_c_create,
    }
    times: dict[str, list[float]] = {name: [] for name in operations}
    for _ in range(repeat):
        for name, operation in operations.items():
            times[name].append(operation(patient))
    return {name: statistics.median(values) for name, values in times.items()}


def seed(client: Any, documents: int) -> float:
    started = time.perf_counter()
    for number in range(documents):
        client.door_a_create(100_000 + number % 1000)
        if (number + 1) % 1000 == 0:
            print(f"  seeded {number + 1} documents ({time.perf_counter() - started:.0f} s)", flush=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--state", type=Path, help="a store seeded before: only restart it and measure")
    parser.add_argument("--cpu", action="store_true", help="CPU time per request, in-process (no server)")
    args = parser.parse_args()
    if args.cpu:
        measure_cpu(args.documents, args.repeat)
        return
    api_port, aws_port = free_ports(2)
    ports = (api_port, aws_port)
    columns: dict[str, dict[str, float]] = {}
    failures: list[str] = []
    state = args.state
    if state is None:
        state = Path(tempfile.mkdtemp(prefix="patient-docs-speed-"))
        with local_server(state, ports=ports) as server:
            client = Client(server)
            measure(client, 900_000, 2)  # every function imported once (a cold start each)
            columns["empty"] = measure(client, 900_001, args.repeat)
            print(f"seeding {args.documents} documents ...", flush=True)
            seeded = seed(client, args.documents)
            columns[f"{args.documents} docs"] = measure(client, 900_002, args.repeat)
            failures += client.failures
        print(f"seeded in {seeded:.0f} s; {state / 'aws-requests.jsonl'}: {_size(state / 'aws-requests.jsonl')}")
    started = time.perf_counter()
    with local_server(state, ports=ports, startup_seconds=3600) as server:
        ready = time.perf_counter() - started
        replayed = next(line for line in server.output.splitlines()[::-1] if "replayed" in line).strip()
        client = Client(server)
        measure(client, 900_003, 2)
        columns["after restart"] = measure(client, 900_004, args.repeat)
        failures += client.failures
    print(f"restart: ready in {ready:.1f} s ({replayed})")
    print(f"compacted log: {_size(state / 'aws-requests.jsonl')}")
    _print_table(columns, args.repeat, "median ms", failures)


def _print_table(columns: dict[str, dict[str, float]], repeat: int, unit: str, failures: list[str]) -> None:
    names = list(columns)
    ratio = f" | {names[1]} / {names[0]}" if len(names) > 1 else ""
    print(f"\n{unit} (median of {repeat}) | " + " | ".join(names) + ratio)
    for operation in columns[names[0]]:
        values = [columns[name][operation] for name in names]
        times = " | ".join(f"{value:7.1f}" for value in values)
        print(f"{operation:14} | {times}" + (f" | {values[1] / values[0]:.2f}x" if len(values) > 1 else ""))
    print(f"\n{len(failures)} unexpected answers" + "".join(f"\n  {failure}" for failure in failures[:20]))


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.1f} MB, {sum(1 for _ in path.open('rb'))} requests"


if __name__ == "__main__":
    main()
