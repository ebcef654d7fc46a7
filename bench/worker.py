"""One measured process of ``make bench``: ``python bench/worker.py MODE SPEC.json OUT.json``.

A script, so that only the standard library is loaded before the clock starts; like the Lambda
runtime, it reads the event before importing the function. Modes: cold, imports, split, floor, libs, warm.
"""

from __future__ import annotations

import fcntl
import gc
import importlib
import json
import os
import sys
import time
from typing import Any


class Context:
    """Enough of Lambda's context object for Powertools (nothing extra to import)."""

    function_name = log_group_name = log_stream_name = aws_request_id = "bench"
    memory_limit_in_mb, function_version = 1024, "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def _memory_kb(field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process."""
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith(field + ":"))


def _status(result: Any) -> str:
    """The HTTP status, for an SQS batch whether every message passed, for a scan result its outcome."""
    if not isinstance(result, dict):
        return type(result).__name__
    if "statusCode" in result:
        return str(result["statusCode"])
    if "outcome" in result:
        return str(result["outcome"])
    failures = result.get("batchItemFailures")
    return "None" if failures is None else f"batch: {len(failures)} failed" if failures else "batch ok"


def _handler(spec: dict[str, Any]) -> Any:
    return getattr(importlib.import_module(spec["module"]), spec["handler"])


def cold(spec: dict[str, Any]) -> dict[str, Any]:
    """The import and the first request, timed apart; the request's time inside AWS calls too (CPU: botocore's
    serialising and parsing; wall: that and the wait for the answer), which is no code of this project's."""
    event, cpu, start = spec["event"], time.process_time(), time.perf_counter()
    handler = _handler(spec)
    import_cpu = time.process_time() - cpu
    meter = _session_meter()  # the function's clients are made on first use, after this: they copy its hooks
    result = handler(event, Context())
    total = (time.perf_counter() - start) * 1000
    return {
        "total_ms": total,
        "cpu_ms": (time.process_time() - cpu) * 1000,
        "import_cpu_ms": import_cpu * 1000,
        "aws_cpu_ms": meter.cpu_seconds * 1000 if meter else None,
        "aws_wall_ms": meter.wall_seconds * 1000 if meter else None,
        "status": _status(result),
    }


def _session_meter() -> AwsMeter | None:
    """A meter on boto3's default session, if the function uses boto3 and made no client while importing
    (a client copies the session's hooks when it is made; one made earlier would go unmeasured)."""
    boto3 = sys.modules.get("boto3")
    if boto3 is None or boto3.DEFAULT_SESSION is not None:
        return None
    boto3.setup_default_session()
    return AwsMeter(boto3.DEFAULT_SESSION.events)  # type: ignore[attr-defined]


OWN = ("patient_docs", "functions")  # this project's packages; everything else a function loads is a library


def imports(spec: dict[str, Any]) -> dict[str, Any]:
    """Only the import of the function's module: this project's code and the libraries it loads, no request.
    Also names the modules it loaded that are not this project's (in the order they were loaded)."""
    loaded = set(sys.modules)
    cpu, start = time.process_time(), time.perf_counter()
    _handler(spec)
    total, cpu_ms = (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000
    libraries = [name for name in sys.modules if name not in loaded and name.split(".", 1)[0] not in OWN]
    return {"total_ms": total, "cpu_ms": cpu_ms, "libraries": libraries}


def floor(spec: dict[str, Any], libs: bool = False) -> dict[str, Any]:
    """boto3 and the function's clients; with ``libs``, also what any function on this stack pays:
    Powertools' validating resolver, its Logger and pydantic's first model."""
    cpu, start = time.process_time(), time.perf_counter()
    import boto3

    for service in spec["services"]:
        boto3.client(service)
    if libs:
        from aws_lambda_powertools import Logger
        from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
        from aws_lambda_powertools.event_handler.openapi.params import Path  # noqa: F401 - for its cost
        from pydantic import BaseModel

        class Probe(BaseModel):
            value: int

        Logger(service="bench")
        APIGatewayHttpResolver(enable_validation=True)
        Probe(value=1)
    return {"total_ms": (time.perf_counter() - start) * 1000, "cpu_ms": (time.process_time() - cpu) * 1000}


class AwsMeter:
    """Counts AWS calls and this thread's CPU time inside them (botocore's own serialising and
    parsing included), the clients made, and object bytes sent to or read from S3."""

    def __init__(self, events: Any) -> None:
        self.services: list[str] = []
        self.reset()
        events.register("creating-client-class", self._client_created)
        events.register("before-parameter-build", self._starts)
        events.register("before-call", self._sent)
        events.register("after-call", self._done)

    def reset(self) -> None:
        self.calls: list[str] = []
        self.cpu_seconds = self.wall_seconds = 0.0
        self.file_bytes = 0
        self._started: float | None = None
        self._started_wall = 0.0

    def _client_created(self, event_name: str, **_: Any) -> None:
        service = {"eventbridge": "events"}.get(event_name.rsplit(".", 1)[-1], event_name.rsplit(".", 1)[-1])
        if service not in self.services:
            self.services.append(service)

    def _starts(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self._started = time.thread_time()  # presigning starts here too, but never sends
        self._started_wall = time.perf_counter()
        body = params.get("Body", b"") if model.name == "PutObject" else b""  # bytes arrive in a BytesIO
        self.file_bytes += len(body.getbuffer()) if hasattr(body, "getbuffer") else len(body)

    def _sent(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def _done(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        if model.name == "GetObject":
            self.file_bytes += int(parsed.get("ContentLength") or 0)
        if self._started is not None:
            self.cpu_seconds += time.thread_time() - self._started
            self.wall_seconds += time.perf_counter() - self._started_wall
            self._started = None


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def warm(spec: dict[str, Any]) -> dict[str, Any]:
    import boto3

    from bench.replay import Tape

    boto3.setup_default_session()
    events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]
    meter, tape = AwsMeter(events), Tape(events)  # before any client: each client copies the hooks
    handler = _handler(spec)
    first, event = spec["events"]
    with open(spec["lock"], "w") as lock:  # one process at a time talks to the emulator
        fcntl.flock(lock, fcntl.LOCK_EX)
        handler(first, Context())  # clients made, connections open
        meter.reset()
        tape.record()
        recorded = handler(event, Context())
    calls, file_bytes = meter.calls, meter.file_bytes
    tape.play()
    statuses: dict[str, int] = {}
    overhead_ms: list[float] = []
    warmup, count = spec["warmup"], spec["invocations"]
    rss: dict[int, int] = {}
    for index in range(warmup + count):
        if index in (warmup, warmup + count // 2):
            gc.collect()
            rss[index] = _memory_kb("VmRSS")
        meter.reset()
        tape.rewind()
        start = time.thread_time()
        status = _status(handler(event, Context()))
        elapsed = time.thread_time() - start
        statuses[status] = statuses.get(status, 0) + 1
        if index >= warmup:
            overhead_ms.append((elapsed - meter.cpu_seconds) * 1000)
    gc.collect()
    if tape.refused:
        raise RuntimeError(f"calls not made while recording: {sorted(set(tape.refused))}")
    return {
        "services": meter.services,
        "status": _status(recorded),
        "replayed": statuses,
        "calls": calls,
        "file_bytes": file_bytes,
        "overhead_median_ms": _percentile(overhead_ms, 0.5),
        "overhead_p99_ms": _percentile(overhead_ms, 0.99),
        "rss_kb": _memory_kb("VmRSS") - rss[warmup],
        "rss_half_kb": _memory_kb("VmRSS") - rss[warmup + count // 2],
        "peak_rss_kb": _memory_kb("VmHWM"),
    }


def split(spec: dict[str, Any]) -> dict[str, Any]:
    """In one process, the CPU time of three steps: ``libs``; then the libraries the function's import
    loads (``spec["libraries"]``, from an ``imports`` run); then the function's module, which now loads
    only this project's code. Each step is a difference within one process: the share of this project's
    code does not ride on the noise between two processes' totals."""
    cpu = time.process_time()
    floor({"services": []}, libs=True)
    libs_done = time.process_time()
    for name in spec["libraries"]:
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except ImportError:
                continue
    deps_done = time.process_time()
    _handler(spec)
    return {
        "libs_cpu_ms": (libs_done - cpu) * 1000,
        "deps_cpu_ms": (deps_done - libs_done) * 1000,
        "own_cpu_ms": (time.process_time() - deps_done) * 1000,
    }


MODES = {
    "cold": cold,
    "imports": imports,
    "split": split,
    "floor": floor,
    "libs": lambda spec: floor(spec, libs=True),
    "warm": warm,
}


def main() -> None:
    mode, spec_path, out_path = sys.argv[1:4]
    with open(spec_path) as handle:
        spec = json.load(handle)
    result = MODES[mode](spec)
    with open(out_path, "w") as handle:
        json.dump(result, handle)
    # Tearing down an interpreter that loaded boto3 takes 0.2-0.3 s here and is no part of any
    # measurement: leave at once, as Lambda would.
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
