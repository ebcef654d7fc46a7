"""Unzipped sizes of each function's code and each layer, as ``make build`` ships them.

The dependencies layer is installed as ``sam build`` would for ``python3.13`` on ``arm64``
(aarch64 wheels, no byte-code) into ``bench/.work``, and reused while the lock is unchanged;
both layers then go through ``scripts/slim_layer.py`` as in ``make build``.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from bench.table import Layer
from local.template import ROOT
from scripts.slim_layer import compile_bytecode, prune

WORK = ROOT / "bench" / ".work" / "layers"
SKIPPED = {"__pycache__", ".pytest_cache", ".mypy_cache"}


def tree_bytes(path: Path, with_bytecode: bool = False) -> int:
    skipped = SKIPPED - {"__pycache__"} if with_bytecode else SKIPPED
    files = (item for item in path.rglob("*") if item.is_file())
    return sum(item.stat().st_size for item in files if not skipped.intersection(item.relative_to(path).parts))


def _largest(path: Path, limit: int = 4) -> list[tuple[str, int]]:
    sizes: dict[str, int] = {}
    for child in path.iterdir():
        name = child.name.split("-", 1)[0] if child.name.endswith(".dist-info") else child.name
        sizes[name] = sizes.get(name, 0) + (tree_bytes(child) if child.is_dir() else child.stat().st_size)
    return sorted(sizes.items(), key=lambda item: -item[1])[:limit]


def _deps_layer(requirements: Path = ROOT / "layers" / "deps" / "requirements.txt") -> Path:
    target = WORK / f"deps-{hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]}" / "python"
    if (target.parent / ".complete").exists():
        return target
    shutil.rmtree(target.parent, ignore_errors=True)
    # Lambda's python3.13 runs on Amazon Linux 2023 (glibc 2.34): manylinux_2_28 wheels (pi-heif's) run there too.
    platform = ["--platform", "manylinux2014_aarch64", "--platform", "manylinux_2_28_aarch64"]
    platform += ["--implementation", "cp", "--python-version", "3.13"]
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
    command += [*platform, "--only-binary=:all:", "--target", str(target), "-r", str(requirements)]
    subprocess.run(command, check=True)  # noqa: S603 - fixed arguments, our own interpreter
    (target.parent / ".complete").touch()
    return target


def _common_layer(source: Path = ROOT / "layers" / "common") -> Path:
    target = WORK / "common" / "python"
    shutil.rmtree(target.parent, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*SKIPPED, "*.pyc"))
    return target


def layers() -> list[Layer]:
    found = []
    images = _deps_layer(ROOT / "layers" / "images" / "requirements.txt")
    for name, path, api in (
        ("common (patient_docs)", _common_layer(), True),
        ("deps (requirements.txt)", _deps_layer(), True),
        ("images (ImageProcessFunction only)", images, False),
    ):
        if not (path.parent / ".compiled").exists():  # once per build of the layer
            prune(path)
            compile_bytecode(path)
            (path.parent / ".compiled").touch()
        found.append(Layer(name, tree_bytes(path), _largest(path), tree_bytes(path, with_bytecode=True), api))
    return found
