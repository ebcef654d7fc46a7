"""Patient mobile numbers: parsed and normalised to E.164 with Google's libphonenumber.

The normalised form is what the service stores, compares and sends SMS to, so
``+44 7777 123456`` and ``+447777123456`` are the same patient.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from patient_docs import warmup

if TYPE_CHECKING:
    import phonenumbers

# libphonenumber (about 0.1 s to import) is imported where a number is parsed, not by every module
# that names a phone field: most functions never parse one.

MAX_INPUT_LENGTH = 32
# One leading +, then digits with the usual separators; libphonenumber alone would also read
# letters as keypad digits ("+44 7777 FLOWER") and forgive a doubled "+".
_WRITTEN_NUMBER = re.compile(r"\+[0-9][0-9 ().-]*")


def _parse_valid(value: str, format_message: str) -> phonenumbers.PhoneNumber:
    """A valid number written in international form, or ValueError (``format_message`` when it is not so written)."""
    import phonenumbers  # see the top of this module

    text = value.strip()
    if len(text) > MAX_INPUT_LENGTH or not _WRITTEN_NUMBER.fullmatch(text):
        raise ValueError(format_message)
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(format_message) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("is not a valid phone number")
    return parsed


def normalise_mobile(value: str) -> str:
    """The E.164 form of an international mobile number, or ValueError saying what is wrong."""
    import phonenumbers  # see the top of this module

    parsed = _parse_valid(value, "must be a mobile number in E.164 format, e.g. +447777123456")
    # Types that can receive an SMS; some countries (US, CA) do not tell mobiles from landlines.
    if phonenumbers.number_type(parsed) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValueError("must be a mobile number that can receive SMS")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_practice_phone(value: str) -> str:
    """The E.164 form of a practice's phone number (any valid number patients can call), or ValueError."""
    import phonenumbers  # see the top of this module

    parsed = _parse_valid(value, "must be a phone number in international format, e.g. +442920000000")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """A stored number as people read and dial it from anywhere: ``+44 29 2000 0000``."""
    import phonenumbers  # see the top of this module

    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@warmup.register
def _parse_once() -> None:
    """Before a SnapStart snapshot: the library and its first metadata loaded."""
    normalise_mobile("+447777123456")  # the example the errors give
