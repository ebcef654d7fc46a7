"""Unzipped sizes of each function's code and each layer, built locally for the Lambda platform.

The dependencies layer is installed the way ``sam build`` would for ``python3.13`` on
``arm64`` (aarch64 wheels only, no byte-code), into ``bench/.work`` and reused while
``layers/deps/requirements.txt`` is unchanged. ``sam build`` itself is not needed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from local.template import ROOT

WORK = ROOT / "bench" / ".work" / "layers"
SKIPPED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache"}


def tree_bytes(path: Path, with_bytecode: bool = False) -> int:
    skipped = SKIPPED_DIRS - {"__pycache__"} if with_bytecode else SKIPPED_DIRS
    total = 0
    for item in path.rglob("*"):
        if item.is_file() and not skipped.intersection(item.relative_to(path).parts):
            total += item.stat().st_size
    return total


def top_level_sizes(path: Path, limit: int = 4) -> list[tuple[str, int]]:
    sizes: dict[str, int] = {}
    for child in path.iterdir():
        name = child.name.split("-", 1)[0] if child.name.endswith(".dist-info") else child.name
        sizes[name] = sizes.get(name, 0) + (tree_bytes(child) if child.is_dir() else child.stat().st_size)
    return sorted(sizes.items(), key=lambda item: -item[1])[:limit]


def build_deps_layer(requirements: Path = ROOT / "layers" / "deps" / "requirements.txt") -> Path:
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    target = WORK / f"deps-{digest}" / "python"
    marker = target.parent / ".complete"
    if marker.exists():
        return target
    shutil.rmtree(target.parent, ignore_errors=True)
    target.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--platform",
        "manylinux2014_aarch64",
        "--implementation",
        "cp",
        "--python-version",
        "3.13",
        "--only-binary=:all:",
        "--target",
        str(target),
        "-r",
        str(requirements),
    ]
    subprocess.run(command, check=True)  # noqa: S603 - fixed arguments, our own interpreter
    marker.touch()
    return target


def build_common_layer(source: Path = ROOT / "layers" / "common") -> Path:
    target = WORK / "common" / "python"
    shutil.rmtree(target.parent, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*SKIPPED_DIRS, "*.pyc"))
    return target
