"""The whole door C loop in a real browser: SMS link -> date of birth -> two photos -> staff see them.

Headless Chromium (Debian's package) driven by Playwright, against ``make run``'s server.
"""

from __future__ import annotations

import io
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.server import RunningServer, local_server
from tests.integration.page_helpers import SEED_REQUEST
from tests.utils import png_bytes

pytestmark = [pytest.mark.server, pytest.mark.browser]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with local_server(tmp_path_factory.mktemp("browser")) as running:
        yield running


def test_a_patient_answers_from_the_sms_link_and_staff_see_the_photos(server, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import expect, sync_playwright

    staff = {"Authorization": f"Bearer {server.token('--role', 'staff', '--account', '12')}"}
    created = requests.post(f"{server.base_url}/v1/file-requests", json=SEED_REQUEST, headers=staff, timeout=30)
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]

    # Given the link from the SMS the patient received
    (sms,) = [m for m in requests.get(f"{server.base_url}/_local/sms", timeout=30).json() if m["to"] == "+447777123456"]
    link = re.search(r"https?://\S+/r/[A-Za-z0-9_-]+", sms["body"]).group(0)
    jpeg, png = tmp_path / "IMG_0292.jpg", tmp_path / "scan.png"
    jpeg.write_bytes(_jpeg())
    png.write_bytes(png_bytes(6, 4))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page.goto(link)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Dr Rachel Williams")
        # Before the date of birth: who asks, and nothing of what they ask for
        expect(page.locator(".from")).to_contain_text("Dr Rachel Williams at")
        assert "rash" not in page.content()
        expect(page.locator("#prompt")).to_be_hidden()

        # When they get the date of birth wrong once
        page.get_by_label("Your date of birth").fill("1980-06-18")
        page.get_by_role("button", name="Continue").click()
        expect(page.locator("#verify-error")).to_contain_text("4 tries left")

        # And then right: the prompt comes with the upload session
        page.get_by_label("Your date of birth").fill("1980-06-17")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Add your photos")).to_be_visible()
        expect(page.locator("#prompt")).to_contain_text("rash on the back of your right hand")

        # And send two photos
        page.set_input_files("#gallery", [str(jpeg), str(png)])
        expect(page.locator("#files li")).to_have_count(2)
        page.get_by_role("button", name="Send photos").click()

        # Then they see a clear confirmation
        expect(page.locator("#done-text")).to_contain_text("2 photos were sent", timeout=20_000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "patient-page-390x844.png"))
        browser.close()

    # And staff find both files, with the right sizes and types, on the request and as documents
    deadline = time.monotonic() + 30
    while True:
        answer = requests.get(f"{server.base_url}/v1/file-requests/{request_id}", headers=staff, timeout=30).json()
        scanned = all(f["scan_status"] == "clean" for f in answer["files"])  # the malware scan cleared each
        if (len(answer["files"]) == 2 and scanned) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    files = {f["original_name"]: f for f in answer["files"]}
    assert set(files) == {"IMG_0292.jpg", "scan.png"}
    assert files["IMG_0292.jpg"]["size"] == jpeg.stat().st_size and files["IMG_0292.jpg"]["mime_type"] == "image/jpeg"
    assert files["scan.png"]["size"] == png.stat().st_size and files["scan.png"]["mime_type"] == "image/png"
    assert answer["status"] == "responded"
    docs = requests.get(
        f"{server.base_url}/api/v2/patients/{answer['patient_number']}/documents", headers=staff, timeout=30
    ).json()["docs"]
    assert sorted(d["document_name"] for d in docs) == ["IMG_0292.jpg", "scan.png"]
    downloaded = requests.get(files["scan.png"]["download_url"], timeout=30)
    assert downloaded.content == png.read_bytes()
