"""``python -m bench.imports``: what importing each function's module costs, next to the libraries alone.

Each number is the median of fresh processes (``bench/worker.py``: ``imports`` imports the function's
module and makes nothing else; ``libs`` with no clients imports boto3, Powertools' validating resolver,
its Logger and a first pydantic model, as the ``libs`` column of ``make bench`` does; ``deps`` does
``libs`` and then imports every other library module the function's import loaded, nothing of this
project). ``import ÷ libs`` is what the function costs at import beyond the libraries every function
pays; ``import ÷ libs+deps`` what this project's own modules add, the libraries that function needs
(standard library included) counted as libraries (docs/performance.md, "Own code at import").
``--against DIR`` also imports each function from another checkout of the project (say, the commit
before a change) in the same rounds, the order alternating, so that a slow stretch of the shared
machine falls on both. No AWS is needed: no function calls AWS at import.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from bench.run import WorkerFailed, run_worker
from local.template import ROOT, functions
from scripts.slim_layer import compile_bytecode


def _environment() -> dict[str, str]:
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    env.setdefault("POWERTOOLS_SERVICE_NAME", "patient-docs")
    for variable in ("TABLE_NAME", "BUCKET_NAME"):  # a module that reads its settings at import needs them
        env.setdefault(variable, "bench")
    env["PYTHONPATH"] = "layers/common:."  # relative to the tree the worker runs in
    return env


class Samples:
    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def add(self, result: dict[str, Any]) -> None:
        self.wall.append(result["total_ms"])
        self.cpu.append(result["cpu_ms"])

    def median(self) -> tuple[float, float]:
        return statistics.median(self.wall), statistics.median(self.cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated logical ids (default: every function)")
    parser.add_argument("--against", type=Path, help="another checkout of the project, measured in the same rounds")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    trees = [ROOT, *([args.against.resolve()] if args.against else [])]
    for tree in trees:
        for source in (tree / "layers" / "common", tree / "functions"):
            compile_bytecode(source, invalidation="timestamp")
    env = _environment()
    chosen = [f for f in functions() if not only or f.logical_id in only]
    imports = {(tree, f.logical_id): Samples() for tree in trees for f in chosen}
    deps = {(tree, f.logical_id): Samples() for tree in trees for f in chosen}
    libs, loads = Samples(), [0.0, 0.0]
    for attempt in range(args.runs):  # rounds: a slow stretch of the machine falls on every column
        libs.add(run_worker("libs", {"services": []}, f"imports-libs-{attempt}", env))
        for index, function in enumerate(chosen):
            order = trees if (attempt + index) % 2 == 0 else trees[::-1]
            for number, tree in enumerate(order):
                spec = {"module": function.module, "handler": function.handler_name}
                name = f"{function.logical_id}-{number}"
                try:
                    result = run_worker("imports", spec, f"{name}-imports", env, tree)
                    imports[tree, function.logical_id].add(result)
                    deps[tree, function.logical_id].add(
                        run_worker("deps", {"libraries": result["libraries"]}, f"{name}-deps", env, tree)
                    )
                except WorkerFailed:
                    print(f"  {function.logical_id} ({tree}): import failed", file=sys.stderr)
        load = os.getloadavg()[0]
        loads = [min(loads[0], load) if attempt else load, max(loads[1], load)]
    base_wall, base_cpu = libs.median()
    print(
        f"{args.runs} processes each, median · load average {loads[0]:.1f}-{loads[1]:.1f} · "
        f"libs alone: {base_wall:.0f} ms wall, {base_cpu:.0f} ms CPU\n"
    )
    header = "import ms (÷ libs) | import CPU ms (÷ libs) | libs+deps CPU ms | import CPU ÷ libs+deps"
    names = ["", *[f" ({tree.name})" for tree in trees[1:]]]
    columns = " | ".join(f"{part}{label}" for label in names for part in header.split(" | "))
    print(f"| function | {columns} |\n|---|" + "--:|" * (4 * len(trees)))
    for function in chosen:
        cells = []
        for tree in trees:
            if not imports[tree, function.logical_id].cpu:
                cells += ["failed"] * 4
                continue
            wall, cpu = imports[tree, function.logical_id].median()
            _, with_deps = deps[tree, function.logical_id].median()
            cells += [
                f"{wall:.0f} ({wall / base_wall:.2f})",
                f"{cpu:.0f} ({cpu / base_cpu:.2f})",
                f"{with_deps:.0f}",
                f"{cpu / with_deps:.2f}",
            ]
        print(f"| {function.logical_id} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
