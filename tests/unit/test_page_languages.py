"""The message catalogue, the choice of a page's language, and pages and SMS in English, Spanish and Welsh."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest

from patient_docs.messages import catalogue, text
from patient_docs.rules.emails import email_notice
from patient_docs.rules.file_requests import notification_text
from patient_docs.rules.languages import LANGUAGES, page_language, preferred_ranges
from patient_docs.web.render import Practice, message_page, request_page

WEB = Path(__file__).resolve().parents[2] / "layers/common/patient_docs/web"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
LINK = "https://p.example/r/a49ekq3jXYZ_"
PRACTICE = Practice("Bridge Street Surgery", "+442920000000")


# ------------------------------------------------------------------ the catalogue
def test_every_key_has_every_language_with_the_same_placeholders():
    for key, by_language in catalogue().items():
        # Then each key speaks exactly the service's languages, none empty
        assert set(by_language) == set(LANGUAGES), key
        assert all(by_language[language].strip() for language in LANGUAGES), key
        # And every translation takes the same values (a missing one would show "{name}" to a patient)
        placeholders = {language: sorted(PLACEHOLDER.findall(by_language[language])) for language in LANGUAGES}
        assert placeholders["es"] == placeholders["en"] == placeholders["cy"], key


def test_every_text_the_pages_script_asks_for_is_in_the_catalogue():
    script = (WEB / "page.js").read_text(encoding="utf-8")
    # t("name") calls, and the one built from a field's id: t("dob_missing_" + "day")
    asked = set(re.findall(r'\bt\("(\w+)"\s*[,)]', script)) | {f"dob_missing_{p}" for p in ("day", "month", "year")}
    known = {key.removeprefix("js.") for key in catalogue() if key.startswith("js.")}
    known |= {"locked_heading", "locked_text", "expired_heading", "expired_text", "cancelled_text"}
    assert asked and asked <= known, asked - known


def _foreign_texts(language: str) -> set[str]:
    """Texts (their fixed parts) of the other languages that this language says differently."""
    found = set()
    for by_language in catalogue().values():
        for other in LANGUAGES:
            if other != language and by_language[other] != by_language[language]:
                found |= {part.strip() for part in PLACEHOLDER.split(by_language[other]) if len(part.strip()) >= 12}
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_page_speaks_one_language_only(language):
    # Given the page of a live request, and the pages of a locked and an unknown link, in one language
    pages = [
        request_page(language, "a49ekq3jXYZ_", "Dr Rachel Williams", PRACTICE, 10, 15 * 1024 * 1024, ["image/png"]),
        message_page(language, "locked.heading", "locked.text", PRACTICE),
        message_page(language, "unknown.heading", "unknown.text"),
    ]
    for page in pages:
        # Then it declares that language, and holds no text of another (its script's texts included)
        assert f'<html lang="{language}">' in page
        foreign = [part for part in _foreign_texts(language) if part in page]
        assert not foreign, foreign
        assert "$" not in re.sub(r"<script>.*?</script>", "", page, flags=re.S)  # every template value filled


def test_the_practice_phone_is_shown_and_callable_and_its_name_escaped():
    practice = Practice("<b>Bridge</b> & Co", "+442920000000")
    page = request_page("en", "a49ekq3jXYZ_", "Dr Rachel Williams", practice, 10, 1024 * 1024, ["image/png"])
    assert '<a href="tel:+442920000000">+44 29 2000 0000</a>' in page
    assert "&lt;b&gt;Bridge&lt;/b&gt; &amp; Co" in page and "<b>Bridge" not in page
    # Without a number the page still names whom to contact
    assert "contact Bridge" in message_page("en", "locked.heading", "locked.text", Practice("Bridge"))


# ------------------------------------------------------------------ which language
@pytest.mark.parametrize(
    ("accept_language", "account", "expected"),
    [
        ("es-MX,es;q=0.9,en;q=0.8", "en", "es"),  # the browser's first language the service speaks
        ("fr-FR,fr;q=0.9,cy;q=0.5", "en", "cy"),  # French is not spoken: the next one is
        ("en-GB,en;q=0.9", "cy", "en"),  # the patient's device beats the account
        ("fr-FR,de;q=0.8", "cy", "cy"),  # none spoken: the account's
        ("de, *;q=0.5", "es", "es"),  # anything will do: the account's
        (None, "cy", "cy"),
        ("", None, "en"),
        ("en;q=0.2, es;q=0.9", "cy", "es"),  # quality, not order
        ("es;q=0, en;q=0.1", "cy", "en"),  # q=0: not acceptable
        ("CY", "en", "cy"),
        ("x" * 600 + ",es", "cy", "cy"),  # read no further than a browser's header
        ("es;q=abc, en-;q=1, ;;", "cy", "cy"),  # malformed ranges are skipped
    ],
)
def test_the_page_language_is_the_browsers_then_the_accounts_then_english(accept_language, account, expected):
    assert page_language(accept_language, account) == expected


def test_ranges_keep_the_order_sent_among_equal_qualities():
    assert preferred_ranges("cy, es;q=0.9, en") == ["cy", "en", "es"]


# ------------------------------------------------------------------ the SMS
@pytest.mark.parametrize(
    ("language", "words", "until"),
    [
        ("en", "You have been asked to send a photo", "22 Nov 12:00 UTC"),
        ("es", "Le han pedido que mande una foto", "22 nov 12:00 UTC"),
        ("cy", "Gofynnwyd i chi anfon llun", "22 Tach 12:00 UTC"),
    ],
)
def test_the_sms_is_written_in_the_accounts_language(language, words, until):
    message = notification_text("photo", LINK, NOW, language)
    assert message.startswith(words) and LINK in message and until in message
    # No other language's words in it
    for other in LANGUAGES:
        if other != language:
            assert text(other, "sms.photo", link="").strip() not in message


def _gsm7(message: str) -> bool:
    basic = (
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
        "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )
    return all(ch in basic for ch in message)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sms_fits_the_segments_budget(language):
    # An SMS is 160 GSM-7 characters, or 70 when any character is outside GSM-7 (UCS-2: an "í" or a "ŵ"
    # would triple the cost). Every language's text is worded within GSM-7 and one segment.
    message = notification_text("photo", LINK, NOW, language)
    assert _gsm7(message) and len(message) <= 160, (language, len(message))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_reminder_sms_fits_the_segments_budget_too(language):
    message = notification_text("photo", LINK, NOW, language, reminder=True)
    assert message.startswith(text(language, "sms.reminder"))
    assert _gsm7(message) and len(message) <= 160, (language, len(message))


# ------------------------------------------------------------------ the email
@pytest.mark.parametrize(
    ("language", "subject", "words", "until"),
    [
        ("en", "A request for a photo", "You have been asked to send a photo", "2026-11-22 12:00 UTC"),
        ("es", "Solicitud de una foto", "Le han pedido que mande una foto", "2026-11-22 12:00 UTC"),
        ("cy", "Cais am lun", "Gofynnwyd i chi anfon llun", "2026-11-22 12:00 UTC"),
    ],
)
def test_the_email_is_written_in_the_same_language_as_the_sms(language, subject, words, until):
    title, body = email_notice(language, "photo", LINK, NOW)
    assert title == subject
    assert body.startswith(words) and LINK in body and until in body
    # The SMS in that language says the same words
    assert notification_text("photo", LINK, NOW, language).startswith(words)
    reminder_title, _ = email_notice(language, "photo", LINK, NOW, reminder=True)
    assert reminder_title == text(language, "email.reminder", subject=subject) != subject


def test_templates_name_only_values_the_renderer_fills():
    # A $name left in a template would be a KeyError at the first page view
    for name in ("request_content.html", "message_content.html", "page.html"):
        template = string.Template((WEB / name).read_text(encoding="utf-8"))
        assert template.is_valid(), name
