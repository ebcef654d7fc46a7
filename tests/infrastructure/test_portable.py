"""A clone with nothing beside it passes ``make test``: no tracked file reaches outside the checkout.

``.ci/run`` proves it by running the suite from a clone in a fresh temporary directory; this test
names the offending file and line sooner, during any run.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A sibling folder of the checkout, or this machine's own layout.
OUTSIDE = re.compile(r"\.\./shared|/work/shared|parents\[[3-9]\]")


def _tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / name for name in listed.splitlines()]


def test_no_tracked_file_reads_a_path_outside_the_checkout():
    # Given every file the repository tracks (this test itself excluded: it names the patterns)
    offending = []
    for path in _tracked_files():
        if path == Path(__file__).resolve() or not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        # When it is searched for paths that leave the checkout
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                offending.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    # Then there are none
    assert offending == []


def test_ci_runs_make_test_from_a_clone_standing_alone():
    script = (ROOT / ".ci" / "run").read_text()
    assert "git clone" in script and "mktemp -d" in script
    assert re.search(r"^make test$", script, re.M)
