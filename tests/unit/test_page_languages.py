"""The message catalogue, the choice of a page's language, and pages and SMS in English, Spanish and Welsh."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest

from patient_docs.messages import catalogue, text
from patient_docs.rules.emails import email_notice
from patient_docs.rules.file_requests import new_short_link_id, notification_text, short_link_url
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


# GSM 03.38: the basic set (one septet each) and its extension table (two: an escape, then the character).
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"
# The longest origin the SMS budget is worded for: PublicBaseUrl of 40 characters (docs/api-file-requests.md).
PUBLIC_BASE_URL_BUDGET = 40
LONGEST_LINK = short_link_url(
    "https://" + "p" * (PUBLIC_BASE_URL_BUDGET - len("https://.nhs.uk")) + ".nhs.uk", "a" * 12
)
# Every month: the expiry's month name is the one part of the text whose length varies.
EXPIRIES = [datetime(2026, month, 22, 23, 59, tzinfo=UTC) for month in range(1, 13)]


def sms_encoding(message: str) -> tuple[str, int]:
    """The encoding an SMS goes in and its length in that encoding's units: GSM-7 septets (an extension
    character takes two) when every character is GSM-7, else UCS-2 code units (one character outside GSM-7,
    a Welsh ŵ or ŷ, a Spanish í, makes the whole message UCS-2)."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in message):
        return "GSM-7", sum(2 if ch in GSM7_EXTENSION else 1 for ch in message)
    return "UCS-2", len(message.encode("utf-16-le")) // 2


def sms_segments(message: str) -> int:
    """Segments an SMS takes: one of 160 septets or 70 UCS-2 units; longer, parts of 153 or 67 (each part
    carries a concatenation header)."""
    encoding, units = sms_encoding(message)
    single, part = (160, 153) if encoding == "GSM-7" else (70, 67)
    return 1 if units <= single else -(-units // part)


def test_segments_are_counted_as_carriers_count_them():
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2 and sms_segments("a" * 307) == 3
    # An extension character costs two septets
    assert sms_encoding("{link}") == ("GSM-7", 8) and sms_segments("€" * 80) == 1 and sms_segments("€" * 81) == 2
    # One Welsh ŵ (or a Spanish í) makes the message UCS-2: 70 characters, then parts of 67
    assert sms_encoding("Dŵr") == ("UCS-2", 3)
    assert sms_segments("ŵ" + "a" * 69) == 1 and sms_segments("ŵ" + "a" * 70) == 2
    assert sms_segments("í" + "a" * 134) == 3


# The SMS carries no practice name (the sender ID, at most 11 characters, names the practice and is not part
# of the text), no patient name and no prompt: only the words below, the link and the expiry. A resend
# sends the first notice's text again; a reminder puts "Reminder: " (in the language) before it.
KINDS = {"first notice": False, "resend": False, "reminder": True}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_sms_is_one_gsm7_segment_in_every_language_with_the_longest_link(language, kind):
    # Given the longest origin budgeted and each month's name in the expiry
    for expires_at in EXPIRIES:
        message = notification_text("photo", LONGEST_LINK, expires_at, language, reminder=KINDS[kind])
        assert LONGEST_LINK in message
        # Then it is GSM-7 (no ŵ, í or other character that would make it UCS-2) and one segment of 160
        encoding, units = sms_encoding(message)
        assert (encoding, sms_segments(message)) == ("GSM-7", 1), (language, kind, units, message)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_reminder_sms_is_the_first_notice_after_the_reminder_word(language):
    message = notification_text("photo", LINK, NOW, language, reminder=True)
    assert message == text(language, "sms.reminder") + notification_text("photo", LINK, NOW, language)


def test_the_budget_has_room_to_spare_for_the_longest_text():
    # The longest SMS of any language, month and kind, with the budgeted link: how many septets are left
    longest = max(
        sms_encoding(notification_text("photo", LONGEST_LINK, at, language, reminder=True))[1]
        for language in LANGUAGES
        for at in EXPIRIES
    )
    assert len(LONGEST_LINK) == PUBLIC_BASE_URL_BUDGET + len("/r/") + len(new_short_link_id())
    assert longest <= 160, longest


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
