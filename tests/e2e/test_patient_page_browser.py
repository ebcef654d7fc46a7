"""The whole door C loop in a real browser, in each language: SMS link -> date of birth -> photos ->
staff see them; axe-core on every state of the page; reflow at 320 px and at 200% text.

Headless Chromium (Debian's package) driven by Playwright, against ``make run``'s server. One
browser session per language covers the flows (the browser is the slow part).
"""

from __future__ import annotations

import io
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from patient_docs.messages import text
from tests.e2e.server import RunningServer, local_server
from tests.images import BLUE, RED, gps_heic, metadata_of, rotated_jpeg, same_pixels, top_and_bottom
from tests.integration.page_helpers import SEED_REQUEST
from tests.integration.test_images import assert_clean_upright_jpeg, near
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
# The browser's language (Accept-Language) per page language; the account itself is in English.
LOCALES = {"en": "en-GB", "es": "es-ES", "cy": "cy-GB"}
MOBILES = {"en": "+447777123456", "es": "+447911123411", "cy": "+447911123412"}
PHONE_PHOTOS_MOBILE = "+447911123431"
LOCKED_MOBILES = {"en": "+447911123421", "es": "+447911123422", "cy": "+447911123423"}
PRACTICE_PHONE = "+442920000000"
# What may not pass: the WCAG rules axe-core checks, at these impacts.
BLOCKING = {"serious", "critical"}


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with local_server(tmp_path_factory.mktemp("browser")) as running:
        admin = {"Authorization": f"Bearer {running.token('--role', 'admin', '--account', '12')}"}
        settings = {
            "smsSenderId": "Bridge",
            "linkLifetimeHours": 72,
            "practiceName": "Bridge Street Surgery",
            "practicePhone": PRACTICE_PHONE,
        }
        changed = requests.put(f"{running.base_url}/v1/account-settings", json=settings, headers=admin, timeout=30)
        assert changed.status_code == 200, changed.text
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _accessible(page: Any, state: str) -> None:
    """axe-core finds no serious or critical violation in the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    blocking = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]
    assert not blocking, f"{state}: {blocking}"


def _reflows(page: Any, state: str) -> None:
    """No sideways scrolling at this width, at the reader's text size and at 200% of it."""
    for size in ("100%", "200%"):
        page.evaluate("size => { document.documentElement.style.fontSize = size; }", size)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{state} at {size} text: {overflow}px wider than the screen"
    page.evaluate("() => { document.documentElement.style.fontSize = ''; }")


def _request(server: RunningServer, staff: dict[str, str], mobile: str) -> tuple[str, str]:
    body = {**SEED_REQUEST, "patientMobile": mobile}
    created = requests.post(f"{server.base_url}/v1/file-requests", json=body, headers=staff, timeout=30)
    assert created.status_code == 201, created.text
    (sms,) = [m for m in requests.get(f"{server.base_url}/_local/sms", timeout=30).json() if m["to"] == mobile]
    return created.json()["id"], re.search(r"https?://\S+/r/[A-Za-z0-9_-]+", sms["body"]).group(0)


@pytest.mark.parametrize("language", ["en", "es", "cy"])
def test_a_patient_answers_from_the_sms_link_in_their_language(server, browser, tmp_path, language):
    from playwright.sync_api import expect

    def say(key: str, **values: Any) -> str:
        return text(language, key, **values)  # type: ignore[arg-type]

    staff = {"Authorization": f"Bearer {server.token('--role', 'staff', '--account', '12')}"}
    request_id, link = _request(server, staff, MOBILES[language])
    jpeg, png, extra = tmp_path / "IMG_0292.jpg", tmp_path / "scan.png", tmp_path / "IMG_0293.png"
    jpeg.write_bytes(_jpeg())
    png.write_bytes(png_bytes(6, 4))
    extra.write_bytes(png_bytes(5, 5))
    ARTIFACTS.mkdir(exist_ok=True)

    context = browser.new_context(
        viewport={"width": 320, "height": 700}, is_mobile=True, has_touch=True, locale=LOCALES[language]
    )
    page = context.new_page()
    # Given the link from the SMS, opened on a 320 px wide phone in the patient's language
    page.goto(link)
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_have_text(say("asks.heading", staff_name="Dr Rachel Williams"))
    # Before the date of birth: who asks and how to reach them, nothing of what they ask for
    expect(page.get_by_role("link", name="+44 29 2000 0000")).to_have_attribute("href", f"tel:{PRACTICE_PHONE}")
    assert "Bridge Street Surgery" in page.locator(".from").inner_text()
    assert "rash" not in page.content()
    expect(page.locator("#prompt")).to_be_hidden()
    _accessible(page, "date of birth")
    _reflows(page, "date of birth")

    # When they send nothing, then a wrong date: each error is announced and marks the fields
    error = page.locator("#verify-error")
    expect(error).to_have_attribute("aria-live", "assertive")
    page.get_by_role("button", name=say("verify.button")).click()
    expect(error).to_have_text(say("js.dob_missing"))
    expect(page.get_by_label(say("dob.day"), exact=True)).to_be_focused()
    page.get_by_label(say("dob.day"), exact=True).fill("18")
    page.get_by_label(say("dob.month"), exact=True).fill("6")
    page.get_by_label(say("dob.year"), exact=True).fill("1980")
    page.get_by_role("button", name=say("verify.button")).click()
    expect(error).to_contain_text(say("js.tries_left", count=4))
    expect(page.get_by_label(say("dob.day"), exact=True)).to_have_attribute("aria-invalid", "true")
    _accessible(page, "a wrong date of birth")
    page.screenshot(path=str(ARTIFACTS / f"patient-page-{language}-320-date-of-birth.png"), full_page=True)

    # And then the right one: the prompt comes with the upload session
    page.get_by_label(say("dob.day"), exact=True).fill("17")
    page.get_by_role("button", name=say("verify.button")).click()
    expect(page.get_by_role("heading", name=say("upload.heading"))).to_be_visible()
    expect(page.locator("#prompt")).to_contain_text("rash on the back of your right hand")

    # And they pick one photo, then two at once, see previews, and remove one
    page.set_input_files("#camera", str(jpeg))
    page.set_input_files("#gallery", [str(png), str(extra)])
    expect(page.locator("#files li")).to_have_count(3)
    expect(page.get_by_role("img", name=say("js.preview_alt", name="scan.png"))).to_be_visible()
    page.get_by_role("button", name=say("js.remove_label", name="IMG_0293.png")).click()
    expect(page.locator("#files li")).to_have_count(2)
    expect(page.locator("#files-status")).to_have_text(say("js.removed", name="IMG_0293.png", count=2))
    _accessible(page, "photos chosen")
    _reflows(page, "photos chosen")
    page.screenshot(path=str(ARTIFACTS / f"patient-page-{language}-320.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / f"patient-page-{language}-390.png"), full_page=True)

    # And send them: a clear confirmation
    page.get_by_role("button", name=say("upload.send")).click()
    expect(page.locator("#done-text")).to_have_text(say("js.sent", count=2), timeout=20_000)
    _accessible(page, "sent")

    # And a link locked by wrong answers says so in their language, with the practice's number to call
    _, locked = _request(server, staff, LOCKED_MOBILES[language])
    short = locked.rsplit("/", 1)[1]
    for _ in range(5):
        requests.post(f"{server.base_url}/r/{short}/verify", json={"date_of_birth": "1999-01-01"}, timeout=30)
    assert page.goto(locked).status == 423
    expect(page.get_by_role("heading", level=1)).to_have_text(say("locked.heading"))
    expect(page.get_by_role("link", name="+44 29 2000 0000")).to_have_attribute("href", f"tel:{PRACTICE_PHONE}")
    _accessible(page, "locked")
    context.close()

    # Then staff find both files, with the right sizes and types, on the request and as documents
    if language != "en":
        return
    deadline = time.monotonic() + 30
    while True:
        answer = requests.get(f"{server.base_url}/v1/file-requests/{request_id}", headers=staff, timeout=30).json()
        # the malware scan cleared each, and its clean copy is made
        scanned = all(f["scan_status"] == "clean" and f.get("download_url") for f in answer["files"])
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
    assert same_pixels(downloaded.content, png.read_bytes())  # its clean copy: re-encoded, the same pixels


def _answered(server: RunningServer, staff: dict[str, str], request_id: str, count: int) -> dict[str, Any]:
    """The request as staff see it once its ``count`` files are scanned clean and their clean copies made
    (the server's scanner stand-in decides a moment after each upload; the image processor follows)."""
    deadline = time.monotonic() + 30
    while True:
        answer = requests.get(f"{server.base_url}/v1/file-requests/{request_id}", headers=staff, timeout=30).json()
        ready = all(
            f["scan_status"] == "clean" and f.get("download_url") and f.get("preview_url") for f in answer["files"]
        )
        if (len(answer["files"]) == count and ready) or time.monotonic() > deadline:
            return dict(answer)
        time.sleep(0.3)


def _served(url: str) -> tuple[bytes, Any]:
    from PIL import Image

    reply = requests.get(url, timeout=30)
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"] == "image/jpeg"
    return reply.content, Image.open(io.BytesIO(reply.content))


def test_an_iphone_heic_with_gps_and_a_sideways_jpeg_reach_staff_as_clean_upright_jpegs(server, browser, tmp_path):
    from playwright.sync_api import expect

    def say(key: str, **values: Any) -> str:
        return text("en", key, **values)  # type: ignore[arg-type]

    staff = {"Authorization": f"Bearer {server.token('--role', 'staff', '--account', '12')}"}
    request_id, link = _request(server, staff, PHONE_PHOTOS_MOBILE)
    # Given a phone's two photos: a HEIC that carries where it was taken, and a JPEG stored sideways
    heic, sideways = tmp_path / "IMG_0001.HEIC", tmp_path / "IMG_0002.JPG"
    heic.write_bytes(gps_heic())
    sideways.write_bytes(rotated_jpeg(64, 32))

    # When the patient opens the SMS link, gives their date of birth, picks both and sends them
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="en-GB"
    )
    page = context.new_page()
    page.goto(link)
    page.get_by_label(say("dob.day"), exact=True).fill("17")
    page.get_by_label(say("dob.month"), exact=True).fill("6")
    page.get_by_label(say("dob.year"), exact=True).fill("1980")
    page.get_by_role("button", name=say("verify.button")).click()
    expect(page.get_by_role("heading", name=say("upload.heading"))).to_be_visible()
    page.set_input_files("#camera", str(heic))
    page.set_input_files("#gallery", str(sideways))
    # Then both are listed with no error; the JPEG with its preview, the HEIC (browsers cannot draw it) by name
    expect(page.locator("#files li")).to_have_count(2)
    expect(page.locator("#upload-error")).to_have_text("")
    expect(page.locator("#files li").first).to_contain_text("IMG_0001.HEIC")
    expect(page.get_by_role("img", name=say("js.preview_alt", name="IMG_0002.JPG"))).to_be_visible()
    page.get_by_role("button", name=say("upload.send")).click()
    expect(page.locator("#done-text")).to_have_text(say("js.sent", count=2), timeout=20_000)
    context.close()

    # Then staff, once both are scanned and processed, download JPEGs without EXIF, GPS or XMP
    files = {f["original_name"]: f for f in _answered(server, staff, request_id, 2)["files"]}
    assert set(files) == {"IMG_0001.jpg", "IMG_0002.JPG"}, files
    for file in files.values():
        assert file["mime_type"] == "image/jpeg" and file["scan_status"] == "clean"
    photo, image = _served(files["IMG_0001.jpg"]["download_url"])
    assert_clean_upright_jpeg(photo, (96, 64))
    assert near(image.convert("RGB").getpixel((2, 32)), RED) and near(image.convert("RGB").getpixel((93, 32)), BLUE)
    # And the sideways one upright: red on top
    upright, _ = _served(files["IMG_0002.JPG"]["download_url"])
    assert_clean_upright_jpeg(upright, (32, 64))
    top, bottom, _ = top_and_bottom(upright)
    assert near(top, RED) and near(bottom, BLUE)
    # And each has a clean thumbnail of at most 256 px and a preview of at most 1600 px
    for file in files.values():
        for key, most in (("thumbnail_url", 256), ("preview_url", 1600)):
            data, rendition = _served(file[key])
            assert data.startswith(b"\xff\xd8") and metadata_of(data) == {} and b"Exif" not in data, key
            assert rendition.format == "JPEG" and 0 < max(rendition.size) <= most, (key, rendition.size)
