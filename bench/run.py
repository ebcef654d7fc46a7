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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import images, list_scale, stores
from bench.examples import EXAMPLES, Seeder, generic, provision_push
from bench.sizes import layers, tree_bytes
from bench.table import Row, render
from local.local_aws import LocalAws
from local.template import ROOT, functions
from scripts.slim_layer import compile_bytecode

WORK = ROOT / "bench" / ".work"
RESULTS = ROOT / "bench" / "results.md"
WARMUP = 20
SECTIONS = ("functions", "list")  # the per-function table (with layers and images); door B's list at scale
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


def run_worker(mode: str, spec: dict[str, Any], name: str, env: dict[str, str], cwd: Path = ROOT) -> dict[str, Any]:
    """One measured process; ``cwd``: the checkout whose modules it imports (``PYTHONPATH`` is relative)."""
    spec_path, out_path = WORK / "specs" / f"{name}.json", WORK / "out" / f"{name}.json"
    for path in (spec_path, out_path):
        path.parent.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(json.dumps(spec))
    out_path.unlink(missing_ok=True)
    # The function's log lines go where Lambda's would; they are not the bench's output.
    command = [sys.executable, str(ROOT / "bench" / "worker.py"), mode, str(spec_path), str(out_path)]
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd, check=False)  # noqa: S603
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
    os.environ["UPLOAD_SESSION_MINUTES"] = "120"  # the setting's maximum: seeded page sessions outlive the run
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "patient-docs")
    local.provision(["http://127.0.0.1:3000"])
    os.environ.update(provision_push(local.client))
    env = dict(os.environ)  # the functions' own settings (log level as deployed)
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the seeding, in this process, stays quiet
    return env


def seed(count: int, only: set[str]) -> tuple[list[Row], list[Job]]:
    """A row per example (a function may have several: ``"<LogicalId> <what>"``), in the template's order."""
    seeder, rows, jobs = Seeder(), list[Row](), list[Job]()
    for function in (f for f in functions() if not only or f.logical_id in only):
        route = seeder.routes.get(function.logical_id)
        for name in [key for key in EXAMPLES if key.split()[0] == function.logical_id] or [function.logical_id]:
            row = Row(name, route.route_key if route else "(no HTTP route)", "bench/examples.py")
            row.code_bytes, known = tree_bytes(function.directory), EXAMPLES.get(name)
            rows.append(row)
            try:
                if known:
                    row.minimum, row.why, events = known.minimum, known.why, known.build(seeder, count)
                else:
                    row.example, events = generic(seeder, function)
            except Exception as error:  # a function that cannot be seeded still gets its row
                row.status = f"seeding failed: {type(error).__name__}"
                print(f"  seeding {name} failed: {error!r}", file=sys.stderr)
                continue
            if events:
                jobs.append(Job(row, function.module, function.handler_name, events))
    return rows, jobs


def measure_warm(job: Job, args: argparse.Namespace, env: dict[str, str]) -> Job | None:
    """Calls, file bytes and status of the recorded invocation; overhead and memory over the replayed ones."""
    events = [job.events[0], job.events[1 % len(job.events)]]
    spec = {"module": job.module, "handler": job.handler, "events": events, "warmup": WARMUP}
    spec |= {"invocations": args.invocations, "lock": str(WORK / "emulator.lock")}
    try:
        warm = run_worker("warm", spec, f"{job.row.function}-warm", env)
    except WorkerFailed as failed:
        job.row.status = f"warm failed: {failed}"
        return None
    job.services, row = warm["services"], job.row
    replayed = "" if set(warm["replayed"]) == {warm["status"]} else f" (replayed: {warm['replayed']})"
    row.status, row.calls, row.file_bytes = warm["status"] + replayed, warm["calls"], warm["file_bytes"]
    row.overhead_median_ms, row.overhead_p99_ms = warm["overhead_median_ms"], warm["overhead_p99_ms"]
    row.peak_rss_kb, row.rss_growth_kb, row.rss_second_half_kb = (
        warm["peak_rss_kb"],
        warm["rss_kb"],
        warm["rss_half_kb"],
    )
    return job


def measure_cold(jobs: list[Job], args: argparse.Namespace, env: dict[str, str]) -> None:
    """Cold starts against the moto server, and the floor and libs of each set of clients, one process at a time.

    The floor depends only on the clients a function makes, so it is measured per set of them:
    in each round every function of the set starts once, then the set's floor (and, in the
    first ``LIBS_RUNS`` rounds, its libs), so a slow stretch of the machine falls on both sides.
    """
    sets: dict[tuple[str, ...], list[Job]] = {}
    for job in jobs:
        sets.setdefault(tuple(sorted(job.services)), []).append(job)
    for services, members in sets.items():
        for attempt in range(args.cold_runs):
            for job in list(members):
                events = job.events[2:] or job.events
                spec = {"module": job.module, "handler": job.handler, "event": events[attempt % len(events)]}
                try:
                    cold = run_worker("cold", spec, f"{job.row.function}-cold-{attempt}", env)
                except WorkerFailed as failed:
                    job.row.status = f"cold failed: {failed}"
                    members.remove(job)
                    continue
                job.row.cold_ms.append(cold["total_ms"])
                job.row.cold_cpu_ms.append(cold["cpu_ms"])
                job.row.cold_import_cpu_ms.append(cold["import_cpu_ms"])
                if cold.get("aws_cpu_ms") is not None:
                    job.row.cold_aws_cpu_ms.append(cold["aws_cpu_ms"])
                other = f" (cold: {cold['status']})"  # a cold start that measured another path
                if not job.row.status.startswith(cold["status"]) and other not in job.row.status:
                    job.row.status += other
            kinds = ("floor", "libs") if attempt < LIBS_RUNS else ("floor",)
            runs = {
                kind: run_worker(kind, {"services": services}, f"{'+'.join(services)}-{kind}-{attempt}", env)
                for kind in kinds
            }
            for job in members:
                job.row.floor_ms.append(runs["floor"]["total_ms"])
                job.row.floor_cpu_ms.append(runs["floor"]["cpu_ms"])
                job.row.libs_ms += [runs["libs"]["total_ms"]] if "libs" in runs else []
                job.row.libs_cpu_ms += [runs["libs"]["cpu_ms"]] if "libs" in runs else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold-runs", type=int, default=7)
    parser.add_argument("--invocations", type=int, default=1000)
    parser.add_argument("--only", default="", help="comma-separated logical ids (default: every function)")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help="comma-separated, of: functions, list (default: both); bench/results.md keeps the others as they were",
    )
    args = parser.parse_args()
    sections = set(filter(None, args.sections.split(",")))
    if not sections or sections - set(SECTIONS):
        parser.error(f"--sections: choose from {', '.join(SECTIONS)}")
    started = time.monotonic()

    def progress(what: str) -> None:
        print(f"  {what} ({time.monotonic() - started:.0f} s in)", file=sys.stderr, flush=True)

    layer_rows = layers() if "functions" in sections else []
    # Deployed code carries .pyc (make build); measure the same even under PYTHONDONTWRITEBYTECODE.
    for source in (ROOT / "layers" / "common", ROOT / "functions"):
        compile_bytecode(source, invalidation="timestamp")
    progress("layers built")
    moto, endpoint = start_moto()
    rows: list[Row] = []
    scale: list[list_scale.Measured] = []
    scale_note = ""
    try:
        env = provision(endpoint)
        if "functions" in sections:
            rows, jobs = seed(args.cold_runs + 2, set(filter(None, args.only.split(","))))
            progress(f"examples for {len(jobs)} of {len(rows)} functions seeded")
            with ThreadPoolExecutor(max_workers=2) as pool:  # two loops at a time: they use no emulator
                jobs = [job for job in pool.map(lambda job: measure_warm(job, args, env), jobs) if job]
            progress(f"{len(jobs)} warm loops, two at a time")
            measure_cold(jobs, args, env)
            progress(f"cold starts of {len(jobs)} functions")
        # Last: its 10,100 documents make every later call of the emulator slower (moto's Query and
        # transactions walk or copy the whole table), enough to time out the functions' seeding.
        if "list" in sections:
            scale = list_scale.measure("moto")
            progress("door B's list at 100 and 10,000 documents, on moto")
            try:
                with stores.dynalite(endpoint):
                    scale += list_scale.measure("dynalite")
                progress("the same on dynalite")
            except stores.Unavailable as why:
                scale_note = f"Not measured on dynalite: {why}."
                progress(scale_note)
    finally:
        moto.terminate()
        try:
            moto.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a loaded machine: the measurements are done, do not lose them
            moto.kill()
            moto.wait()
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC at load average {os.getloadavg()[0]:.0f}"
    report = RESULTS.read_text() if RESULTS.exists() else "# make bench — results\n"
    if "functions" in sections:
        header = [
            "# make bench — results",
            "",
            f"{when} · Python {platform.python_version()} on {platform.machine()}, "
            f"{os.cpu_count()} CPUs · cold: {args.cold_runs} processes per function against a moto server, as many "
            f"floor and {min(LIBS_RUNS, args.cold_runs)} libs processes per set of clients · warm: {args.invocations} "
            f"invocations after {WARMUP} warm-up ones, replaying AWS answers recorded from moto · took "
            f"{time.monotonic() - started:.0f} s · columns and method: [docs/performance.md](../docs/performance.md)",
        ]
        progress("image processing")
        report = with_section(render(rows, layer_rows, header, images.table()), "list", section_of(report, "list"))
    if "list" in sections:
        text = f"## Door B's list at scale\n\n{when} (section `list`; method: bench/list_scale.py)\n\n"
        report = with_section(
            report, "list", text + list_scale.table(scale) + "\n" + (f"\n{scale_note}\n" * bool(scale_note))
        )
    RESULTS.write_text(report)
    print(report)


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- section {name}: written by make bench -->", f"<!-- end of section {name} -->"


def section_of(report: str, name: str) -> str | None:
    """The section ``name`` of a results file, without its markers (None when it has none)."""
    first, last = _markers(name)
    if first not in report or last not in report:
        return None
    return report[report.index(first) + len(first) : report.index(last)].strip("\n") + "\n"


def with_section(report: str, name: str, text: str | None) -> str:
    """``report`` with its section ``name`` replaced by ``text`` (added at the end when missing; None: left as is)."""
    if text is None:
        return report
    first, last = _markers(name)
    block = f"{first}\n{text.rstrip()}\n{last}\n"
    if first in report and last in report:
        return report[: report.index(first)] + block + report[report.index(last) + len(last) :].lstrip("\n")
    return report.rstrip("\n") + "\n\n" + block


if __name__ == "__main__":
    main()
