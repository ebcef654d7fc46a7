"""``make bench``: cold start, AWS calls, warm overhead, memory and size of every function.

Functions come from ``template.yaml``. AWS is an unmodified moto server in its own process,
provisioned from the template. Every measurement runs in a fresh ``python`` process
(``bench/worker.py``): cold starts against the moto server; warm loops replay in-process the
AWS answers they recorded from it (``bench/replay.py``). Method and columns:
``docs/performance.md``. Writes the table to stdout and ``bench/results.md``.
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.examples import EXAMPLES, Seeder, generic, provision_push
from bench.sizes import layers, tree_bytes
from bench.table import Row, render
from local.local_aws import LocalAws
from local.template import ROOT, functions, http_routes
from scripts.slim_layer import compile_bytecode

WORK = ROOT / "bench" / ".work"
RESULTS = ROOT / "bench" / "results.md"
WARMUP = 20
LIBS_RUNS = 5  # the libs column explains the cold ratio; five runs per set of clients are enough for that


class WorkerFailed(RuntimeError):
    pass


@dataclass
class Job:
    row: Row
    module: str
    handler: str
    events: list[dict[str, Any]] = field(default_factory=list)  # the first two warm, the rest cold
    services: list[str] = field(default_factory=list)


def run_worker(mode: str, spec: dict[str, Any], name: str, env: dict[str, str]) -> dict[str, Any]:
    spec_path, out_path = WORK / "specs" / f"{name}.json", WORK / "out" / f"{name}.json"
    for path in (spec_path, out_path):
        path.parent.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(json.dumps(spec))
    out_path.unlink(missing_ok=True)
    # The function's log lines go where Lambda's would; they are not the bench's output.
    command = [sys.executable, str(ROOT / "bench" / "worker.py"), mode, str(spec_path), str(out_path)]
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT, check=False)  # noqa: S603
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines() or ["no output"]
        print(f"  {mode} worker for {name} failed:\n" + "\n".join(lines[-15:]), file=sys.stderr)
        raise WorkerFailed(lines[-1][:80])
    result: dict[str, Any] = json.loads(out_path.read_text())
    return result


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto server did not start")


def provision(endpoint: str) -> dict[str, str]:
    """The template's resources and an SNS platform application; the functions' environment."""
    local = LocalAws(endpoint)
    local.configure_environment({"CorsAllowedOrigins": "http://127.0.0.1:3000"})
    os.environ.update({"AWS_SESSION_TOKEN": "testing", "AWS_EC2_METADATA_DISABLED": "true"})
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "patient-docs")
    local.provision(["http://127.0.0.1:3000"])
    os.environ.update(provision_push(local.client))
    env = dict(os.environ)  # the functions' own settings (log level as deployed)
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the seeding, in this process, stays quiet
    return env


def seed(count: int, only: set[str]) -> tuple[list[Row], list[Job]]:
    """A row per function, in the template's order; a job per function with an example."""
    seeder, routes = Seeder(), {route.function: route for route in http_routes()}
    rows: list[Row] = []
    jobs: list[Job] = []
    for function in functions():
        if only and function.logical_id not in only:
            continue
        known = EXAMPLES.get(function.logical_id)
        route = routes.get(function.logical_id)
        source = "bench/examples.py" if known else "events/ file or generic event from the route"
        row = Row(function.logical_id, route.route_key if route else "(no HTTP route)", source)
        row.code_bytes = tree_bytes(function.directory)
        rows.append(row)
        try:
            if known:
                row.minimum, row.why = known.minimum, known.why
                events = known.build(seeder, count)
            else:
                one = generic(seeder, function)
                events = [one] if one else []
        except Exception as error:  # a function that cannot be seeded still gets its row
            row.status = f"seeding failed: {type(error).__name__}"
            print(f"  seeding {function.logical_id} failed: {error!r}", file=sys.stderr)
            continue
        if not events:
            row.status, row.example = "no example", "none: add events/<function_dir>.json"
            continue
        jobs.append(Job(row, function.module, function.handler_name, events))
    return rows, jobs


def measure_warm(job: Job, args: argparse.Namespace, env: dict[str, str]) -> None:
    """Calls, file bytes, services and status from a recorded invocation; overhead and memory over the replays."""
    spec = {
        "module": job.module,
        "handler": job.handler,
        "events": [job.events[0], job.events[1 % len(job.events)]],
        "warmup": WARMUP,
        "invocations": args.invocations,
    }
    warm = run_worker("warm", spec, f"{job.row.function}-warm", env)
    job.services = warm["services"]
    row = job.row
    row.status = warm["status"] + (
        "" if set(warm["replayed"]) == {warm["status"]} else f" (replayed: {warm['replayed']})"
    )
    row.calls, row.file_bytes, row.peak_rss_kb = warm["calls"], warm["file_bytes"], warm["peak_rss_kb"]
    row.overhead_median_ms, row.overhead_p99_ms = warm["overhead_median_ms"], warm["overhead_p99_ms"]
    row.rss_growth_kb, row.rss_second_half_kb = warm["rss_growth_kb"], warm["rss_second_half_kb"]


def measure_cold(jobs: list[Job], args: argparse.Namespace, env: dict[str, str]) -> None:
    """Cold starts against the moto server, with the floor and libs of each set of clients, one process at a time.

    The floor depends only on the clients a function makes, so it is measured per set of them:
    in each round every function of the set starts once, then the set's floor (and, in the
    first ``LIBS_RUNS`` rounds, its libs), so a slow stretch of the machine falls on both sides.
    """
    sets: dict[tuple[str, ...], list[Job]] = {}
    for job in jobs:
        sets.setdefault(tuple(sorted(job.services)), []).append(job)
    for services, members in sets.items():
        name = "+".join(services) or "none"
        for attempt in range(args.cold_runs):
            for job in list(members):
                cold_events = job.events[2:] or job.events
                event = cold_events[attempt % len(cold_events)]
                try:
                    cold = run_worker(
                        "cold",
                        {"module": job.module, "handler": job.handler, "event": event},
                        f"{job.row.function}-cold-{attempt}",
                        env,
                    )
                except WorkerFailed as failed:
                    job.row.status = f"cold failed: {failed}"
                    members.remove(job)
                    continue
                job.row.cold_ms.append(cold["total_ms"])
                job.row.cold_cpu_ms.append(cold["cpu_ms"])
            floor = run_worker("floor", {"services": services}, f"{name}-floor-{attempt}", env)
            libs = (
                run_worker("libs", {"services": services}, f"{name}-libs-{attempt}", env)
                if attempt < LIBS_RUNS
                else None
            )
            for job in members:
                job.row.floor_ms.append(floor["total_ms"])
                job.row.floor_cpu_ms.append(floor["cpu_ms"])
                if libs:
                    job.row.libs_ms.append(libs["total_ms"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold-runs", type=int, default=9)
    parser.add_argument("--invocations", type=int, default=1000)
    parser.add_argument("--only", default="", help="comma-separated logical ids (default: every function)")
    args = parser.parse_args()
    started = time.monotonic()

    def progress(what: str) -> None:
        print(f"  {what} ({time.monotonic() - started:.0f} s in)", file=sys.stderr, flush=True)

    layer_rows = layers()
    # Deployed code carries .pyc (make build); measure the same even under PYTHONDONTWRITEBYTECODE.
    for source in (ROOT / "layers" / "common", ROOT / "functions"):
        compile_bytecode(source, invalidation="timestamp")
    progress("layers built")
    moto, endpoint = start_moto()
    try:
        env = provision(endpoint)
        rows, jobs = seed(args.cold_runs + 2, {name for name in args.only.split(",") if name})
        progress(f"examples for {len(jobs)} of {len(rows)} functions seeded")
        for job in list(jobs):
            try:
                measure_warm(job, args, env)
            except WorkerFailed as failed:
                job.row.status = f"warm failed: {failed}"
                jobs.remove(job)
        progress(f"{len(jobs)} warm loops")
        measure_cold(jobs, args, env)
        progress(f"cold starts of {len(jobs)} functions")
    finally:
        moto.terminate()
        moto.wait(timeout=10)

    header = [
        "# make bench — results",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs · {args.cold_runs} cold processes per function against a moto server, "
        f"{args.cold_runs} floor and {min(LIBS_RUNS, args.cold_runs)} libs processes per set of clients · "
        f"warm: {args.invocations} invocations after {WARMUP} warm-up ones, AWS answers recorded from moto and "
        f"replayed in-process · bench took {time.monotonic() - started:.0f} s",
        "",
        "Columns and method: [docs/performance.md](../docs/performance.md).",
    ]
    report = render(rows, layer_rows, header)
    RESULTS.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
