"""``python -m bench.imports``: what importing each function's module costs, next to the libraries alone.

Each number is the median of fresh processes (``bench/worker.py``). ``imports`` imports the function's
module and makes nothing else; ``libs`` with no clients imports boto3, Powertools' validating resolver,
its Logger and a first pydantic model, as the ``libs`` column of ``make bench`` does. ``split`` times,
as steps of one process, ``libs``, then every other library module the function's import loaded
(``deps``: the standard library's included, nothing of this project), then the function's module,
which now runs only this project's code (``own``); a difference within one process is steadier than
one between two processes' totals. ``÷ libs`` is (libs + deps + own) ÷ libs: what a function costs at
import beyond what every function pays; ``÷ libs+deps`` counts the libraries that function needs as
libraries: what this project's own modules add (docs/performance.md, "Own code at import").
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
        self.values: dict[str, list[float]] = {}

    def add(self, result: dict[str, Any]) -> None:
        for key, value in result.items():
            if isinstance(value, int | float):
                self.values.setdefault(key, []).append(value)

    def median(self, key: str) -> float:
        return statistics.median(self.values[key])


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
    samples = {(tree, f.logical_id): Samples() for tree in trees for f in chosen}
    libs, split_libs, loads = Samples(), Samples(), [0.0, 0.0]
    for attempt in range(args.runs):  # rounds: a slow stretch of the machine falls on every column
        libs.add(run_worker("libs", {"services": []}, f"imports-libs-{attempt}", env))
        for index, function in enumerate(chosen):
            order = trees if (attempt + index) % 2 == 0 else trees[::-1]
            for number, tree in enumerate(order):
                spec = {"module": function.module, "handler": function.handler_name}
                name = f"{function.logical_id}-{number}"
                try:
                    result = run_worker("imports", spec, f"{name}-imports", env, tree)
                    parts = run_worker("split", {**spec, "libraries": result["libraries"]}, f"{name}-split", env, tree)
                except WorkerFailed:
                    print(f"  {function.logical_id} ({tree}): import failed", file=sys.stderr)
                    continue
                samples[tree, function.logical_id].add({**result, **parts})
                split_libs.add(parts)
        load = os.getloadavg()[0]
        loads = [min(loads[0], load) if attempt else load, max(loads[1], load)]
    base_wall, base_cpu = libs.median("total_ms"), libs.median("cpu_ms")
    base = split_libs.median("libs_cpu_ms")
    print(
        f"{args.runs} processes each, median · load average {loads[0]:.1f}-{loads[1]:.1f} · libs alone: "
        f"{base_wall:.0f} ms wall, {base_cpu:.0f} ms CPU; libs in the split processes: {base:.0f} ms CPU\n"
    )
    header = ["import ms (÷ libs)", "import CPU ms (÷ libs)", "deps ms", "own ms", "÷ libs", "÷ libs+deps"]
    labels = ["", *[f" ({tree.name})" for tree in trees[1:]]]
    columns = " | ".join(f"{part}{label}" for label in labels for part in header)
    print(f"| function | {columns} |\n|---|" + "--:|" * (len(header) * len(trees)))
    for function in chosen:
        cells = []
        for tree in trees:
            found = samples[tree, function.logical_id]
            if not found.values:
                cells += ["failed"] * len(header)
                continue
            wall, cpu = found.median("total_ms"), found.median("cpu_ms")
            deps, own = found.median("deps_cpu_ms"), found.median("own_cpu_ms")
            cells += [
                f"{wall:.0f} ({wall / base_wall:.2f})",
                f"{cpu:.0f} ({cpu / base_cpu:.2f})",
                f"{deps:.0f}",
                f"{own:.0f}",
                f"{(base + deps + own) / base:.2f}",
                f"{(base + deps + own) / (base + deps):.2f}",
            ]
        print(f"| {function.logical_id} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
