"""``make bench``: cold start, AWS calls, warm overhead, memory and size of every function.

Functions come from ``template.yaml``. AWS is a moto server in its own process (so that
moto's import is never counted; ``bench/moto_server.py``), provisioned from the template.
Every measurement runs in a fresh ``python`` process (``bench/worker.py``); this process
only seeds data, starts the workers and writes the table to stdout and ``bench/results.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.examples import Example, Seeder, example_for, provision_push
from bench.sizes import build_common_layer, build_deps_layer, compile_bytecode, top_level_sizes, tree_bytes
from bench.table import Layer, Row, render
from tests.devserver.local_aws import LocalAws
from tests.devserver.template import ROOT, functions, http_routes

WORK = ROOT / "bench" / ".work"
WORKER = ROOT / "bench" / "worker.py"
RESULTS = ROOT / "bench" / "results.md"
WARMUP = 20
WORKER_ENV: dict[str, str] = {}
LIBRARIES: dict[tuple[str, ...], list[float]] = {}  # libs runs per set of clients


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - our venv's moto_server (bench/moto_server.py)
        [sys.executable, "-m", "bench.moto_server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, endpoint
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto_server did not start")


def run_worker(mode: str, spec: dict[str, Any], name: str) -> dict[str, Any]:
    spec_path = WORK / "specs" / f"{name}.json"
    out_path = WORK / "out" / f"{name}.json"
    spec_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(json.dumps(spec))
    out_path.unlink(missing_ok=True)
    # The function's log lines go where Lambda's would; they are not the bench's output.
    completed = subprocess.run(  # noqa: S603 - our own interpreter and worker script
        [sys.executable, str(WORKER), mode, str(spec_path), str(out_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=WORKER_ENV,
        cwd=ROOT,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{mode} worker for {name} failed:\n{completed.stderr.decode()[-3000:]}")
    result: dict[str, Any] = json.loads(out_path.read_text())
    return result


def measure(row: Row, module: str, handler: str, example: Example, args: argparse.Namespace) -> None:
    warm_total = WARMUP + args.invocations
    events = example.events
    warm_events = events[:warm_total] if len(events) > 1 else events
    warm = run_worker(
        "warm",
        {
            "module": module,
            "handler": handler,
            "events": warm_events,
            "warmup": WARMUP,
            "invocations": args.invocations,
        },
        f"{row.function}-warm",
    )
    row.status = ",".join(sorted(warm["statuses"]))
    row.calls, row.call_count = warm["calls"], warm["call_count"]
    row.overhead_median_ms, row.overhead_p99_ms = warm["overhead_median_ms"], warm["overhead_p99_ms"]
    row.peak_rss_kb = warm["peak_rss_kb"]
    row.rss_growth_kb = warm["rss_after_kb"] - warm["rss_before_kb"]
    row.rss_second_half_kb = warm["rss_after_kb"] - warm["rss_middle_kb"]
    row.file_bytes = warm["file_bytes"]

    floor_spec = {"services": warm["services"]}
    services = tuple(sorted(warm["services"]))
    # One unmeasured run of each first (byte-code caches), then cold and floor alternate.
    for attempt in range(args.cold_runs + 1):
        index = warm_total + attempt if len(events) > warm_total else attempt % len(events)
        cold = run_worker(
            "cold",
            {"module": module, "handler": handler, "event": events[index]},
            f"{row.function}-cold-{attempt}",
        )
        floor = run_worker("floor", floor_spec, f"{row.function}-floor-{attempt}")
        if services not in LIBRARIES:  # explanatory only: measured with the first function of each client set
            libraries = run_worker("libraries", floor_spec, f"{row.function}-libraries-{attempt}")
            if attempt:
                row.libraries_ms.append(libraries["total_ms"])
        if attempt:
            row.cold_ms.append(cold["total_ms"])
            row.floor_ms.append(floor["total_ms"])
            row.cold_cpu_ms.append(cold["cpu_ms"])
            row.floor_cpu_ms.append(floor["cpu_ms"])
    row.libraries_ms = LIBRARIES.setdefault(services, row.libraries_ms)


def layers() -> list[Layer]:
    built = [("common (patient_docs)", build_common_layer()), ("deps (requirements.txt)", build_deps_layer())]
    found = []
    for name, path in built:
        compile_bytecode(path)
        found.append(Layer(name, tree_bytes(path), top_level_sizes(path), tree_bytes(path, with_bytecode=True)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold-runs", type=int, default=9)
    parser.add_argument("--invocations", type=int, default=1000)
    parser.add_argument("--only", default="", help="comma-separated logical ids (default: every function)")
    args = parser.parse_args()
    started = time.monotonic()

    layer_rows = layers()
    # Deployed code carries .pyc (make build); measure the same even under PYTHONDONTWRITEBYTECODE.
    for source in (ROOT / "layers" / "common", ROOT / "functions"):
        compile_bytecode(source, invalidation="timestamp")
    moto, endpoint = start_moto()
    try:
        local = LocalAws(endpoint)
        local.configure_environment({"CorsAllowedOrigins": "http://127.0.0.1:3000"})
        os.environ.update(
            {
                "AWS_SESSION_TOKEN": "testing",
                "AWS_EC2_METADATA_DISABLED": "true",
                "POWERTOOLS_SERVICE_NAME": "patient-docs",
            }
        )
        local.provision(["http://127.0.0.1:3000"])
        os.environ.update(provision_push(local.client))
        WORKER_ENV.update(os.environ)  # the functions' own settings (log level INFO, as deployed)
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # seeding here stays quiet
        routes = http_routes()
        seeder = Seeder(routes)
        wanted = {name for name in args.only.split(",") if name}
        rows: list[Row] = []
        for function in functions():
            if wanted and function.logical_id not in wanted:
                continue
            route = next((r for r in routes if r.function == function.logical_id), None)
            count = WARMUP + args.invocations + args.cold_runs + 1
            example = example_for(function, routes, seeder, count)
            row = Row(
                function=function.logical_id,
                route=route.route_key if route else "(no HTTP route)",
                example=example.source if example else "none: add events/<function_dir>.json",
                code_bytes=tree_bytes(function.directory),
            )
            if example is not None:
                row.minimum, row.why = example.minimum, example.why
                measure(row, function.module, function.handler_name, example, args)
            rows.append(row)
            print(f"  measured {function.logical_id}", file=sys.stderr, flush=True)
    finally:
        moto.terminate()
        moto.wait(timeout=10)

    header = [
        "# make bench — results",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs · {args.cold_runs} cold and floor processes per function, "
        f"{args.invocations} warm invocations after {WARMUP} warm-up ones · AWS: moto server in its own process "
        f"· bench took {time.monotonic() - started:.0f} s",
        "",
        "cold = import the function module and serve its example once, in a fresh process (median); "
        "floor = a fresh process that only imports boto3 and creates the same clients; "
        "libs = the floor plus Powertools' validating resolver, its Logger and a first pydantic model "
        "(what any function on this stack pays, measured once per set of clients; "
        "cold minus libs is this project's own code). "
        "CPU ratio = the same medians in CPU time, which other load on the machine disturbs less than wall time. "
        "warm = handler time minus time inside AWS calls (botocore hooks). "
        "RSS growth = over the warm invocations, after the warm-up (in brackets: over their second half alone). "
        "file bytes = object bytes the function itself sends to or reads from S3 per request.",
    ]
    report = render(rows, layer_rows, header)
    RESULTS.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
