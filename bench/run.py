"""``make bench``: cold start, AWS calls, warm overhead, memory and size of every function.

Functions come from ``template.yaml``. AWS is a moto server in its own process (so that
moto's import is never counted; ``bench/moto_server.py``), provisioned from the template.
Every measurement runs in a fresh ``python`` process (``bench/worker.py``); this process
only seeds data, starts the workers and writes the table to stdout and ``bench/results.md``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.examples import EXAMPLES, Example, Seeder, example_for, provision_push, reset_clients
from bench.sizes import build_common_layer, build_deps_layer, top_level_sizes, tree_bytes
from bench.table import Layer, Row, render
from local.local_aws import LocalAws
from local.template import ROOT, Function, Route, functions, http_routes
from scripts.slim_layer import compile_bytecode, prune

WORK = ROOT / "bench" / ".work"
WORKER = ROOT / "bench" / "worker.py"
RESULTS = ROOT / "bench" / "results.md"
WARMUP = 20
LIBS_RUNS = 5  # the libs column explains the cold ratio; five runs per set of clients are enough for that
WORKER_SECONDS: dict[str, float] = {}  # time spent in each kind of worker, for the progress lines


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


def run_worker(mode: str, spec: dict[str, Any], name: str, env: dict[str, str]) -> dict[str, Any]:
    spec_path = WORK / "specs" / f"{name}.json"
    out_path = WORK / "out" / f"{name}.json"
    spec_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(json.dumps(spec))
    out_path.unlink(missing_ok=True)
    started = time.monotonic()
    # The function's log lines go where Lambda's would; they are not the bench's output.
    completed = subprocess.run(  # noqa: S603 - our own interpreter and worker script
        [sys.executable, str(WORKER), mode, str(spec_path), str(out_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{mode} worker for {name} failed:\n{completed.stderr.decode()[-3000:]}")
    result: dict[str, Any] = json.loads(out_path.read_text())
    WORKER_SECONDS[mode] = WORKER_SECONDS.get(mode, 0.0) + time.monotonic() - started
    return result


def measure_warm(
    row: Row, module: str, handler: str, example: Example, args: argparse.Namespace, env: dict[str, str]
) -> list[str]:
    """The warm loop: calls, overhead, memory, file bytes. The clients it created (for the floor)."""
    warm_total = WARMUP + args.invocations
    events = example.events
    warm = run_worker(
        "warm",
        {
            "module": module,
            "handler": handler,
            "events": events[:warm_total] if len(events) > 1 else events,
            "warmup": WARMUP,
            "invocations": args.invocations,
        },
        f"{row.function}-warm",
        env,
    )
    row.status = ",".join(sorted(warm["statuses"]))
    row.calls, row.call_count = warm["calls"], warm["call_count"]
    row.overhead_median_ms, row.overhead_p99_ms = warm["overhead_median_ms"], warm["overhead_p99_ms"]
    row.peak_rss_kb = warm["peak_rss_kb"]
    row.rss_growth_kb = warm["rss_after_kb"] - warm["rss_before_kb"]
    row.rss_second_half_kb = warm["rss_after_kb"] - warm["rss_middle_kb"]
    row.file_bytes = warm["file_bytes"]
    services: list[str] = warm["services"]
    return services


def measure_cold(jobs: list[Job], args: argparse.Namespace) -> None:
    """Cold starts, and the floor and libs of each set of clients, one process at a time.

    The floor depends only on the clients a function creates, so it is measured once per
    set of them (five sets for 21 functions) rather than once per function: in each round,
    every function of the set starts cold once, then the set's floor (and, in the first
    ``LIBS_RUNS`` rounds, its libs: explanatory, not a target) run once, so
    that a slow stretch of the machine falls on both sides of the ratio. No unmeasured first
    round: the warm loops have just imported every module these processes read.
    """
    sets: dict[tuple[str, ...], list[Job]] = {}
    for job in jobs:
        sets.setdefault(tuple(sorted(job.services)), []).append(job)
    warm_total = WARMUP + args.invocations
    for client_set, members in sets.items():
        spec = {"services": list(client_set)}
        name = "+".join(client_set)
        floors: list[dict[str, Any]] = []
        libraries: list[dict[str, Any]] = []
        for attempt in range(args.cold_runs):
            for job in members:
                events = job.example.events
                index = warm_total + attempt if len(events) > warm_total else attempt % len(events)
                cold = run_worker(
                    "cold",
                    {"module": job.module, "handler": job.handler, "event": events[index]},
                    f"{job.row.function}-cold-{attempt}",
                    job.env,
                )
                job.row.cold_ms.append(cold["total_ms"])
                job.row.cold_cpu_ms.append(cold["cpu_ms"])
            env = members[0].env
            floors.append(run_worker("floor", spec, f"{name}-floor-{attempt}", env))
            if attempt < LIBS_RUNS:
                libraries.append(run_worker("libraries", spec, f"{name}-libraries-{attempt}", env))
        for job in members:
            job.row.floor_ms = [floor["total_ms"] for floor in floors]
            job.row.floor_cpu_ms = [floor["cpu_ms"] for floor in floors]
            job.row.libraries_ms = [run["total_ms"] for run in libraries]


@dataclass
class Lane:
    """A moto server with the functions measured against it (their data is seeded there)."""

    moto: subprocess.Popen[bytes]
    endpoint: str
    functions: list[Function] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def provision(self) -> None:
        """The template's resources and an SNS platform application; the functions' environment."""
        local = LocalAws(self.endpoint)
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
        self.env = dict(os.environ)  # the functions' own settings (log level INFO, as deployed)


@dataclass
class Job:
    row: Row
    module: str
    handler: str
    example: Example
    lane: Lane
    services: list[str] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return self.lane.env


def _lane_examples(
    env: dict[str, str], chosen: list[Function], routes: list[Route], count: int
) -> list[Example | None]:
    """One lane's examples, seeded in its server by this process (a child: the lanes seed at once)."""
    os.environ.clear()
    os.environ.update(env)
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # seeding here stays quiet
    reset_clients()
    seeder = Seeder(routes)
    return [example_for(function, routes, seeder, count) for function in chosen]


def _seed(
    lanes: list[Lane], routes: list[Route], chosen: list[Function], args: argparse.Namespace
) -> tuple[list[Row], list[Job]]:
    """Each lane's examples, seeded in its own server; a row per function, in the template's order.

    A lane's seeding is mostly its server's work, so the lanes seed at once, each from a
    process of its own (forked now, before any thread: the seeding points boto3 at its lane
    through the environment).
    """
    count = WARMUP + args.invocations + args.cold_runs
    with multiprocessing.get_context("fork").Pool(len(lanes)) as pool:
        seeded = [pool.apply_async(_lane_examples, (lane.env, lane.functions, routes, count)) for lane in lanes]
        examples = [result.get() for result in seeded]
    rows: list[Row] = []
    jobs: list[Job] = []
    for lane, lane_examples in zip(lanes, examples, strict=True):
        for function, example in zip(lane.functions, lane_examples, strict=True):
            route = next((r for r in routes if r.function == function.logical_id), None)
            row = Row(
                function=function.logical_id,
                route=route.route_key if route else "(no HTTP route)",
                example=example.source if example else "none: add events/<function_dir>.json",
                code_bytes=tree_bytes(function.directory),
            )
            if example is not None:
                row.minimum, row.why = example.minimum, example.why
                jobs.append(Job(row, function.module, function.handler_name, example, lane))
            rows.append(row)
    order = [function.logical_id for function in chosen]
    rows.sort(key=lambda row: order.index(row.function))
    jobs.sort(key=lambda job: order.index(job.row.function))
    return rows, jobs


def _balanced(chosen: list[Function], routes: list[Route], lanes: list[Lane]) -> list[tuple[Lane, Function]]:
    """Functions spread over the lanes by AWS calls per invocation, which is most of a warm loop's time."""
    by_function = {route.function: route.route_key for route in routes}

    def weight(function: Function) -> int:
        known = EXAMPLES.get(by_function.get(function.logical_id, ""))
        return known.weight if known else 5

    load = [0] * len(lanes)
    placed: list[tuple[Lane, Function]] = []
    for function in sorted(chosen, key=weight, reverse=True):
        index = load.index(min(load))
        load[index] += weight(function)
        placed.append((lanes[index], function))
    return placed


def _progress(what: str, started: float) -> None:
    spent = ", ".join(f"{mode} {seconds:.0f} s" for mode, seconds in WORKER_SECONDS.items())
    WORKER_SECONDS.clear()
    print(f"  {what} ({time.monotonic() - started:.0f} s in; workers: {spent or 'none'})", file=sys.stderr, flush=True)


def layers() -> list[Layer]:
    built = [("common (patient_docs)", build_common_layer()), ("deps (requirements.txt)", build_deps_layer())]
    found = []
    for name, path in built:
        prune(path)  # as make build does
        compile_bytecode(path)
        found.append(Layer(name, tree_bytes(path), top_level_sizes(path), tree_bytes(path, with_bytecode=True)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold-runs", type=int, default=9)
    parser.add_argument("--invocations", type=int, default=1000)
    parser.add_argument("--only", default="", help="comma-separated logical ids (default: every function)")
    parser.add_argument("--parallel", type=int, default=2, help="moto servers, each with its warm loops (default: 2)")
    args = parser.parse_args()
    started = time.monotonic()

    layer_rows = layers()
    # Deployed code carries .pyc (make build); measure the same even under PYTHONDONTWRITEBYTECODE.
    for source in (ROOT / "layers" / "common", ROOT / "functions"):
        compile_bytecode(source, invalidation="timestamp")
    wanted = {name for name in args.only.split(",") if name}
    routes = http_routes()
    chosen = [function for function in functions() if not wanted or function.logical_id in wanted]
    lanes = [Lane(*start_moto()) for _ in range(max(1, args.parallel))]
    try:
        for lane, function in _balanced(chosen, routes, lanes):
            lane.functions.append(function)
        for lane in lanes:
            lane.provision()
        rows, jobs = _seed(lanes, routes, chosen, args)
        _progress(f"examples for {len(rows)} functions", started)

        # Warm loops, one lane at a time per moto server: a loop is a worker and its server
        # taking turns, about one core between them, so two lanes use the machine's two cores.
        # Their overhead is CPU time, which a neighbour does not stretch as it does wall time.
        def run_lane(lane: Lane) -> None:
            for job in jobs:
                if job.lane is lane:
                    job.services = measure_warm(job.row, job.module, job.handler, job.example, args, job.env)

        with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
            list(pool.map(run_lane, lanes))
        _progress(f"{len(jobs)} warm loops, {len(lanes)} at a time", started)
        # Cold starts one process at a time, so that no other work shares the machine with them.
        measure_cold(jobs, args)
        _progress(f"cold starts of {len(jobs)} functions", started)
    finally:
        for lane in lanes:
            lane.moto.terminate()
            lane.moto.wait(timeout=10)

    header = [
        "# make bench — results",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs · {args.cold_runs} cold processes per function, {args.cold_runs} floor and "
        f"{min(LIBS_RUNS, args.cold_runs)} libs processes per set of clients, "
        f"{args.invocations} warm invocations after {WARMUP} warm-up ones, {args.parallel} loops at a time · "
        "AWS: moto server in its own process "
        f"· bench took {time.monotonic() - started:.0f} s",
        "",
        "cold = import the function module and serve its example once, in a fresh process (median); "
        "floor = a fresh process that only imports boto3 and creates the same clients "
        "(measured per set of clients, in the same rounds as the set's functions); "
        "libs = the floor plus Powertools' validating resolver, its Logger and a first pydantic model "
        "(what any function on this stack pays; cold minus libs is this project's own code). "
        "CPU ratio = the same medians in CPU time, which other load on the machine disturbs less than wall time. "
        "warm = the handler's CPU time minus CPU time inside AWS calls (botocore hooks; botocore's own "
        "serialising and parsing count as AWS time). "
        "RSS growth = over the warm invocations, after the warm-up (in brackets: over their second half alone). "
        "file bytes = object bytes the function itself sends to or reads from S3 per request.",
    ]
    report = render(rows, layer_rows, header)
    RESULTS.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
