"""The README's walkthrough, run as written against ``make run``: the README cannot drift from the code.

The ```sh blocks of the README's "Walkthrough" section are joined in order into one bash script
(``set -euo pipefail``), as a reader pastes them into one terminal, and run with ``BASE`` pointing
at a server started like ``make run``. The walkthrough moves to a scratch folder (``mktemp -d``);
``TMPDIR`` puts that folder inside the test's own temporary directory, where the test reads the
files it left.

``make -s token`` is what a reader types in the checkout. The script runs elsewhere, so it gets a
``make`` shell function that runs the real Makefile target from the repository root
(``make -C <repo>``) with the server's environment: ``PATIENT_DOCS_LOCAL_DIR`` names the server's
signing key, so the token the Makefile prints is one the server accepts. ``-o .venv/bin/.installed``
keeps make from reinstalling the virtualenv this test already runs in.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import ROOT, RunningServer, local_server
from tests.images import same_pixels

pytestmark = pytest.mark.server
README = ROOT / "README.md"
# Error bodies of the three dialects and of the gateway: a walkthrough step must never print one.
ERROR_BODY = re.compile(
    r'"error":\s*\{|"code":\s*[45]\d{3}\b|"message":\s*"(Unauthorized|Not Found|Internal Server Error)"'
)


def walkthrough_blocks(markdown: str) -> list[str]:
    """The ```sh blocks of the section headed "## Walkthrough", in order."""
    section = markdown.split("\n## Walkthrough\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```sh\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)


def script_of(blocks: list[str]) -> str:
    lines = [
        "set -euo pipefail",
        'make() { command make -C "$REPO" -o .venv/bin/.installed "$@"; }',
        "trap 'echo \"walkthrough block $BLOCK failed (script line $LINENO)\" >&2' ERR",
    ]
    for number, block in enumerate(blocks, 1):
        lines += [f"BLOCK={number}", block]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with local_server(tmp_path_factory.mktemp("walkthrough-server")) as running:
        yield running


def test_the_blocks_are_pasteable_as_they_stand():
    blocks = walkthrough_blocks(README.read_text())
    text = "\n".join(blocks)
    assert len(blocks) >= 4
    # BASE honours a value already set, so that this test (or a reader on another port) can point it elsewhere.
    assert blocks[0].splitlines()[0] == "BASE=${BASE:-http://127.0.0.1:3000}"
    # No <placeholder> left for the reader to fill in.
    assert re.findall(r"<[A-Za-z_ -]+>", text) == []
    # Every curl stops on an HTTP error status (and shows its body), so an unexpected 4xx/5xx fails the run.
    curl_lines = [line for line in text.splitlines() if re.search(r"\bcurl\b", line)]
    assert curl_lines and all("--fail-with-body" in line for line in curl_lines), curl_lines


def test_the_walkthrough_runs_top_to_bottom(server: RunningServer, tmp_path: Path):
    # Given the README's walkthrough as one script, and an empty temporary directory
    script = tmp_path / "walkthrough.sh"
    script.write_text(script_of(walkthrough_blocks(README.read_text())))
    scratch = tmp_path / "tmp"
    scratch.mkdir()

    # When it runs against the local server
    env = {**server.env, "BASE": server.base_url, "REPO": str(ROOT), "TMPDIR": str(scratch)}
    run = subprocess.run(
        ["bash", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180, check=False
    )

    # Then every step succeeded and none printed an error body
    report = f"stdout:\n{run.stdout[-4000:]}\nstderr:\n{run.stderr[-4000:]}\nrun: bash {shlex.quote(str(script))}"
    assert run.returncode == 0, report
    assert not ERROR_BODY.search(run.stdout), report
    [work] = scratch.iterdir()  # the walkthrough's scratch folder
    # The document downloaded through door A's presigned URL is the file posted inline
    assert (work / "downloaded.pdf").read_bytes() == (work / "card.pdf").read_bytes()
    # The patient's photo went through storage, the register step and the image processor, and came back
    # as its clean copy: the same picture (docs/images.md)
    request = json.loads((work / "request.json").read_text())
    assert request["status"] == "responded"
    [photo] = request["files"]
    assert photo["original_name"] == "rash.png" and photo["mime_type"] == "image/png"
    assert same_pixels((work / "rash-downloaded.png").read_bytes(), (work / "rash.png").read_bytes())
    # The last step lists the patient's documents, where the photo is a document of that patient
    documents = json.loads(run.stdout.strip().splitlines()[-1])["docs"]
    assert photo["document_id"] in [doc["id"] for doc in documents]
    # Door B's record was saved with the vendor's fields
    saved = json.loads((work / "saved.json").read_text())["data"]
    assert saved["document_category"] == "INSURANCE_CARD" and saved["name"] == "PEHP Insurance Card"
