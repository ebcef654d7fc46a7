"""``make build`` installs only what ``sam build`` needs: the SAM virtualenv, not checkov or the security tools."""

from __future__ import annotations

import subprocess

from local.template import ROOT


def test_make_build_installs_only_the_sam_virtualenv():
    # Given every tool's requirements changed since its virtualenv was made (-W), make prints what build would run
    planned = subprocess.run(
        [
            "make",
            "-n",
            "--no-print-directory",
            "-W",
            "requirements-sam.txt",
            "-W",
            "requirements-checkov.txt",
            "-W",
            "requirements-security.txt",
            "-W",
            "requirements-dev.txt",
            "build",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    # Then it installs SAM and builds, and installs nothing else
    assert "-r requirements-sam.txt" in planned and "sam build" in planned
    assert "checkov" not in planned and "requirements-security.txt" not in planned
    assert "requirements-dev.txt" not in planned
