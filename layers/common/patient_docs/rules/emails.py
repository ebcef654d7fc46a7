"""Email addresses and the email notice, with no I/O.

An address is checked for the shape SES will send to (a local part and a dotted domain, ASCII,
at most 254 characters) and kept with its domain lower-cased. The email, like the SMS, carries only
the link and its expiry: no name, date of birth or prompt. It speaks
the account's language (the request keeps the one it was sent in), from the message catalogue.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from patient_docs.messages import text
from patient_docs.rules.languages import Language

EMAIL_MAX_LENGTH = 254
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_REGEX = rf"^{_LOCAL}@{_LABEL}(?:\.{_LABEL})+$"
_EMAIL = re.compile(EMAIL_REGEX)


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
    language: Language, kind: str, link: str, expires_at: datetime | None, reminder: bool = False
) -> tuple[str, str]:
    """The subject and plain-text body of the email notice (or reminder), in ``language``, from the one
    message catalogue the SMS and the patient page use."""
    body = text(language, f"email.body.{kind}", link=link)
    if expires_at is not None:
        body += text(language, "email.valid_until", at=f"{expires_at.astimezone(UTC):%Y-%m-%d %H:%M}")
    subject = text(language, f"email.subject.{kind}")
    return (text(language, "email.reminder", subject=subject) if reminder else subject), body
