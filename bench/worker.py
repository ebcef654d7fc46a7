"""One measured process of ``make bench``: cold start, floor or warm loop of one function.

Run as a script (``python bench/worker.py MODE SPEC.json OUT.json``) so that nothing but
the standard library is loaded before the clock starts. Like the Lambda runtime, it
reads its input (the event) with ``json`` before importing the function.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import sys
import time
from typing import Any


class Context:
    """Enough of Lambda's context object for Powertools (no dataclasses: nothing extra to import)."""

    function_name = "bench"
    memory_limit_in_mb = 1024
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    log_group_name = "/bench"
    log_stream_name = "bench"

    def __init__(self, request_id: str) -> None:
        self.aws_request_id = request_id

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def _memory_kb(field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process; ru_maxrss would carry the parent's peak over exec."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def _status(result: dict[str, Any]) -> str:
    """The HTTP status, or for an SQS batch whether every message passed."""
    if "statusCode" in result:
        return str(result["statusCode"])
    failures = result.get("batchItemFailures")
    if failures is None:
        return "None"
    return f"batch: {len(failures)} failed" if failures else "batch ok"


def _handler(spec: dict[str, Any]) -> Any:
    module = importlib.import_module(spec["module"])
    return getattr(module, spec["handler"])


def cold(spec: dict[str, Any]) -> dict[str, Any]:
    event = spec["event"]
    context = Context("cold")
    cpu = time.process_time()
    start = time.perf_counter()
    handler = _handler(spec)
    imported = time.perf_counter()
    result = handler(event, context)
    done = time.perf_counter()
    return {
        "import_ms": (imported - start) * 1000,
        "first_ms": (done - imported) * 1000,
        "total_ms": (done - start) * 1000,
        "cpu_ms": (time.process_time() - cpu) * 1000,
        "status": _status(result),
    }


def floor(spec: dict[str, Any]) -> dict[str, Any]:
    cpu = time.process_time()
    start = time.perf_counter()
    import boto3

    for service in spec["services"]:
        boto3.client(service)
    return {"total_ms": (time.perf_counter() - start) * 1000, "cpu_ms": (time.process_time() - cpu) * 1000}


def libraries(spec: dict[str, Any]) -> dict[str, Any]:
    """The floor plus what any function on this stack pays: Powertools' validating resolver,
    its Logger and pydantic's first model. The gap between this and cold is this project's code."""
    cpu = time.process_time()
    start = time.perf_counter()
    import boto3

    for service in spec["services"]:
        boto3.client(service)
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.event_handler.openapi.params import Path  # noqa: F401 - imported for its cost
    from pydantic import BaseModel

    class Probe(BaseModel):
        value: int

    Logger(service="bench")
    APIGatewayHttpResolver(enable_validation=True)
    Probe(value=1)
    return {"total_ms": (time.perf_counter() - start) * 1000, "cpu_ms": (time.process_time() - cpu) * 1000}


class AwsMeter:
    """Counts and times AWS calls with botocore's event hooks on the default boto3 session.

    A call's time runs from parameter building to the parsed response, so botocore's own
    work (serialising, signing, parsing) counts as AWS time, not as the handler's. Both
    clocks are kept: wall time, and this thread's CPU time (which waiting for AWS does not
    use, and which other processes on the machine do not stretch).
    """

    def __init__(self) -> None:
        import boto3

        boto3.setup_default_session()
        events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]
        self.services: list[str] = []
        self._service_names: dict[str, str] = {}  # service id (creating-client-class) -> name boto3 takes
        self.reset()
        events.register("creating-client-class", self._client_created)
        events.register("before-parameter-build", self._call_starts)
        events.register("before-call", self._call_sent)
        events.register("after-call", self._call_done)
        events.register("after-call-error", self._call_failed)

    def reset(self) -> None:
        self.calls: list[str] = []
        self.aws_seconds = 0.0
        self.aws_cpu_seconds = 0.0
        self.file_bytes = 0
        self._pending: float | None = None
        self._pending_cpu = 0.0

    def _client_created(self, event_name: str, **_: Any) -> None:
        service = event_name.rsplit(".", 1)[-1]
        if service not in self.services:
            self.services.append(service)

    def client_names(self) -> list[str]:
        """The services as ``boto3.client`` names them (EventBridge's id is eventbridge, its name events)."""
        return [self._service_names.get(service, service) for service in self.services]

    def _call_starts(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self._pending = time.perf_counter()  # presigning starts here too, but never sends
        self._pending_cpu = time.thread_time()
        service = model.service_model
        self._service_names[service.service_id.hyphenize()] = service.service_name
        if model.name in ("PutObject", "UploadPart"):
            self.file_bytes += _body_size(params.get("Body"))

    def _call_sent(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def _call_done(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        if model.name == "GetObject":
            self.file_bytes += int(parsed.get("ContentLength") or 0)
        self._stop()

    def _call_failed(self, **_: Any) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._pending is not None:
            self.aws_seconds += time.perf_counter() - self._pending
            self.aws_cpu_seconds += time.thread_time() - self._pending_cpu
            self._pending = None


def _body_size(body: Any) -> int:
    if isinstance(body, bytes | bytearray | str):
        return len(body)
    if hasattr(body, "seek") and hasattr(body, "tell"):  # botocore wraps bytes in a BytesIO
        position = body.tell()
        size: int = body.seek(0, 2)
        body.seek(position)
        return size
    return 0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def warm(spec: dict[str, Any]) -> dict[str, Any]:
    meter = AwsMeter()
    handler = _handler(spec)
    events: list[dict[str, Any]] = spec["events"]
    warmup, count = spec["warmup"], spec["invocations"]
    statuses: dict[str, int] = {}
    calls_seen: dict[str, int] = {}
    overhead_ms: list[float] = []
    overhead_wall_ms: list[float] = []
    total_ms: list[float] = []
    file_bytes: list[int] = []
    rss_before = rss_middle = 0
    for index in range(warmup + count):
        if index == warmup:
            gc.collect()
            rss_before = _memory_kb("VmRSS")
        elif index == warmup + count // 2:
            gc.collect()
            rss_middle = _memory_kb("VmRSS")
        meter.reset()
        context = Context(f"warm-{index}")
        start, start_cpu = time.perf_counter(), time.thread_time()
        result = handler(events[index % len(events)], context)
        elapsed, elapsed_cpu = time.perf_counter() - start, time.thread_time() - start_cpu
        status = _status(result)
        statuses[status] = statuses.get(status, 0) + 1
        if index >= warmup:
            total_ms.append(elapsed * 1000)
            overhead_ms.append((elapsed_cpu - meter.aws_cpu_seconds) * 1000)
            overhead_wall_ms.append((elapsed - meter.aws_seconds) * 1000)
            calls = "+".join(meter.calls) or "-"
            calls_seen[calls] = calls_seen.get(calls, 0) + 1
            file_bytes.append(meter.file_bytes)
    gc.collect()
    rss_after = _memory_kb("VmRSS")
    typical_calls = max(calls_seen, key=lambda key: calls_seen[key])
    return {
        "services": meter.client_names(),
        "statuses": statuses,
        "calls": typical_calls,
        "call_count": 0 if typical_calls == "-" else len(typical_calls.split("+")),
        "calls_seen": calls_seen,
        "overhead_median_ms": _percentile(overhead_ms, 0.5),
        "overhead_p99_ms": _percentile(overhead_ms, 0.99),
        "overhead_wall_median_ms": _percentile(overhead_wall_ms, 0.5),
        "overhead_wall_p99_ms": _percentile(overhead_wall_ms, 0.99),
        "total_median_ms": _percentile(total_ms, 0.5),
        "file_bytes": max(file_bytes),
        "rss_before_kb": rss_before,
        "rss_middle_kb": rss_middle,
        "rss_after_kb": rss_after,
        "peak_rss_kb": _memory_kb("VmHWM"),
        "invocations": count,
    }


MODES = {"cold": cold, "floor": floor, "libraries": libraries, "warm": warm}


def main() -> None:
    mode, spec_path, out_path = sys.argv[1:4]
    with open(spec_path) as handle:
        spec = json.load(handle)
    result = MODES[mode](spec)
    with open(out_path, "w") as handle:
        json.dump(result, handle)
    # Tearing down the interpreter (every module and object freed one by one) takes 0.2-0.3 s
    # of a cold process here and is no part of any measurement: leave as Lambda would, at once.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
