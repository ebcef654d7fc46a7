"""``python -m bench.imports``: what importing each function's module costs, next to the libraries alone.

Each number is the median of fresh processes (``bench/worker.py``: ``imports`` imports the function's
module and makes nothing else; ``libs`` with no clients imports boto3, Powertools' validating resolver,
its Logger and a first pydantic model, as the ``libs`` column of ``make bench`` does). Their ratio is
what this project's own modules add at import (docs/performance.md, "Own code at import"). No AWS
is needed: no function calls AWS at import.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

from bench.run import WorkerFailed, run_worker
from local.template import ROOT, functions
from scripts.slim_layer import compile_bytecode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated logical ids (default: every function)")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    for source in (ROOT / "layers" / "common", ROOT / "functions"):
        compile_bytecode(source, invalidation="timestamp")
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    env.setdefault("POWERTOOLS_SERVICE_NAME", "patient-docs")
    for variable in ("TABLE_NAME", "BUCKET_NAME"):  # a module that reads its settings at import needs them
        env.setdefault(variable, "bench")
    chosen = [f for f in functions() if not only or f.logical_id in only]
    times: dict[str, list[float]] = {f.logical_id: [] for f in chosen}
    libs: list[float] = []
    for attempt in range(args.runs):  # rounds: a slow stretch of the machine falls on both sides
        libs.append(run_worker("libs", {"services": []}, f"imports-libs-{attempt}", env)["total_ms"])
        for function in chosen:
            spec = {"module": function.module, "handler": function.handler_name}
            try:
                times[function.logical_id].append(
                    run_worker("imports", spec, f"{function.logical_id}-imports", env)["total_ms"]
                )
            except WorkerFailed:
                print(f"  {function.logical_id}: import failed", file=sys.stderr)
    base = statistics.median(libs)
    print(f"{args.runs} processes each, median wall time · load average {os.getloadavg()[0]:.1f}\n")
    print(f"| function | import ms | libs ms | ratio |\n|---|--:|--:|--:|\n| (libs alone) | | {base:.0f} | 1.00 |")
    for name, values in times.items():
        if values:
            median = statistics.median(values)
            print(f"| {name} | {median:.0f} | {base:.0f} | {median / base:.2f} |")


if __name__ == "__main__":
    main()
