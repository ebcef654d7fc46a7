"""Email addresses and the email notice, with no I/O.

An address is checked for the shape SES will send to (a local part and a dotted domain, ASCII,
at most 254 characters) and kept with its domain lower-cased. The email, like the SMS, carries only
the link and its expiry: no name, date of birth or prompt. It speaks the account's language.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

EMAIL_MAX_LENGTH = 254
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_REGEX = rf"^{_LOCAL}@{_LABEL}(?:\.{_LABEL})+$"
_EMAIL = re.compile(EMAIL_REGEX)

Language = Literal["en", "es", "fr", "de"]
LANGUAGES: tuple[Language, ...] = ("en", "es", "fr", "de")
DEFAULT_LANGUAGE: Language = "en"

_SUBJECT: dict[str, str] = {
    "en": "A request for a {kind}",
    "es": "Solicitud de una {kind}",
    "fr": "Demande de {kind}",
    "de": "Bitte um ein {kind}",
}
_BODY: dict[str, str] = {
    "en": "You have been asked to send a {kind}. Respond securely here:\n{link}\n",
    "es": "Se le ha pedido que envíe una {kind}. Responda de forma segura aquí:\n{link}\n",
    "fr": "On vous demande d'envoyer une {kind}. Répondez en toute sécurité ici :\n{link}\n",
    "de": "Sie wurden gebeten, ein {kind} zu senden. Antworten Sie sicher hier:\n{link}\n",
}
_EXPIRY: dict[str, str] = {
    "en": "The link is valid until {at} UTC.\n",
    "es": "El enlace es válido hasta el {at} UTC.\n",
    "fr": "Le lien est valable jusqu'au {at} UTC.\n",
    "de": "Der Link ist gültig bis {at} UTC.\n",
}
_REMINDER: dict[str, str] = {"en": "Reminder", "es": "Recordatorio", "fr": "Rappel", "de": "Erinnerung"}
_KIND: dict[str, dict[str, str]] = {"photo": {"en": "photo", "es": "foto", "fr": "photo", "de": "Foto"}}


def normalise_email(value: str) -> str:
    """The address as kept (domain lower-cased), or ValueError saying what is wrong."""
    address = value.strip()
    if not address:
        raise ValueError("must not be empty")
    if len(address) > EMAIL_MAX_LENGTH:
        raise ValueError(f"must be at most {EMAIL_MAX_LENGTH} characters")
    if not _EMAIL.fullmatch(address) or len(address.split("@", 1)[0]) > 64:
        raise ValueError("must be an email address such as patient@example.com")
    local, domain = address.split("@", 1)
    return f"{local}@{domain.lower()}"


def email_notice(
    language: str, kind: str, link: str, expires_at: datetime | None, reminder: bool = False
) -> tuple[str, str]:
    """The subject and plain-text body of the email notice (or reminder), in ``language`` (English if unknown)."""
    lang = language if language in _BODY else DEFAULT_LANGUAGE
    word = _KIND.get(kind, {}).get(lang, kind)
    body = _BODY[lang].format(kind=word, link=link)
    if expires_at is not None:
        body += _EXPIRY[lang].format(at=f"{expires_at:%Y-%m-%d %H:%M}")
    subject = _SUBJECT[lang].format(kind=word)
    return (f"{_REMINDER[lang]}: {subject}" if reminder else subject), body
