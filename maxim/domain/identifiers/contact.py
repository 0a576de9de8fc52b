"""Phone numbers, email addresses and UK postcodes (DOMAIN §7.3, §7.4)."""

from __future__ import annotations

import re
from typing import ClassVar

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from maxim.domain.identifiers.base import IdentifierType, InvalidIdentifier, squash

#: UK numbers are written nationally ("07700 900123"); foreign ones need their `+` prefix.
DEFAULT_REGION = "GB"

#: Ofcom ranges reserved for drama (E.164 prefix, digits that follow). libphonenumber
#: marks these invalid, but test data and training material use them, so they are
#: accepted; every other drama range is already valid in libphonenumber's metadata.
OFCOM_DRAMA_RANGES: tuple[tuple[str, int], ...] = (
    ("+447700900", 3),  # mobile 07700 900000-900999
    ("+441632960", 3),  # geographic 01632 960000-960999
)

# Digits and the punctuation people put in numbers, with an optional extension. Letters
# are refused because libphonenumber would read "0800 FLOWERS" as a vanity number.
_PHONE_SHAPE = re.compile(
    r"\s*(?:tel:)?[0-9+().\-/\s]+(?:(?:ext\.?|extn\.?|x|#)\s*[0-9]{1,6})?\s*",
    re.IGNORECASE | re.ASCII,
)

_POSSIBLE_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country calling code",
    ValidationResult.TOO_SHORT: "too short to be a phone number",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "too short to be a phone number with its area code",
    ValidationResult.TOO_LONG: "too long to be a phone number",
    ValidationResult.INVALID_LENGTH: "wrong number of digits for its country",
}


def is_drama_number(e164: str) -> bool:
    """Whether an E.164 number is in an Ofcom range reserved for fiction and test data."""
    return any(
        e164.startswith(prefix) and len(e164) == len(prefix) + tail and e164[1:].isdigit()
        for prefix, tail in OFCOM_DRAMA_RANGES
    )


class Phone(IdentifierType):
    """A telephone number in E.164 (`+447700900123`), via Google's libphonenumber.

    A number must be *valid* for its country (an allocated range), not just of a possible
    length, or be in an Ofcom drama range. Extensions are dropped from the value.
    """

    kind: ClassVar[str] = "phone"
    label: ClassVar[str] = "Phone number"
    strong: ClassVar[bool] = True

    def clean(self, text: str) -> str:
        if not _PHONE_SHAPE.fullmatch(text):
            raise InvalidIdentifier("contains characters that are not part of a phone number")
        try:
            number = phonenumbers.parse(text, DEFAULT_REGION)
        except NumberParseException as exc:
            raise InvalidIdentifier("not a phone number") from exc
        possible = phonenumbers.is_possible_number_with_reason(number)
        if possible in _POSSIBLE_REASONS:
            raise InvalidIdentifier(_POSSIBLE_REASONS[possible])
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        if phonenumbers.is_valid_number(number) or is_drama_number(e164):
            return str(e164)
        region = phonenumbers.region_code_for_country_code(number.country_code or 0)
        raise InvalidIdentifier(f"not in an allocated {region} number range")


# Dot-atom local part (any non-space, non-special character, so international mail works)
# and a domain of LDH labels with an alphabetic or punycode top-level label.
_LOCAL = re.compile(r"[^\s@<>()\[\],;:\"\\.]+(?:\.[^\s@<>()\[\],;:\"\\.]+)*")
_DOMAIN = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})",
    re.ASCII,
)


class Email(IdentifierType):
    """An email address, trimmed, with its domain lowercased (local parts are case-sensitive)."""

    kind: ClassVar[str] = "email"
    label: ClassVar[str] = "Email address"
    strong: ClassVar[bool] = True

    def clean(self, text: str) -> str:
        address = text.strip()
        if address.lower().startswith("mailto:"):
            address = address[len("mailto:") :]
        local, at, domain = address.rpartition("@")
        if not at:
            raise InvalidIdentifier("no @ in an email address")
        if len(local) > 64 or not _LOCAL.fullmatch(local):
            raise InvalidIdentifier("not a valid mailbox name before the @")
        domain = domain.lower().rstrip(".")
        if not domain.isascii():
            try:
                domain = domain.encode("idna").decode("ascii")
            except UnicodeError as exc:
                raise InvalidIdentifier(f"not a valid email domain: {domain}") from exc
        if len(domain) > 253 or not _DOMAIN.fullmatch(domain):
            raise InvalidIdentifier(f"not a valid email domain: {domain}")
        return f"{local}@{domain}"


#: DOMAIN §7.3: the Home Office regex with its anchors grouped, on normalised input.
POSTCODE = re.compile(
    r"GIR 0AA|(?:[A-Z][0-9]{1,2}|[A-Z][A-HJ-Y][0-9]{1,2}|[A-Z][0-9][A-Z]|[A-Z][A-HJ-Y][0-9]?[A-Z])"
    r" [0-9][A-Z]{2}"
)
#: British Overseas Territories that use one UK-style postcode each.
OVERSEAS_POSTCODES = frozenset(
    {
        "ASCN 1ZZ",  # Ascension Island
        "BBND 1ZZ",  # British Indian Ocean Territory
        "BIQQ 1ZZ",  # British Antarctic Territory
        "FIQQ 1ZZ",  # Falkland Islands
        "PCRN 1ZZ",  # Pitcairn Islands
        "SIQQ 1ZZ",  # South Georgia and the South Sandwich Islands
        "STHL 1ZZ",  # Saint Helena
        "TDCU 1ZZ",  # Tristan da Cunha
        "TKCA 1ZZ",  # Turks and Caicos Islands
    }
)
_BFPO = re.compile(r"BFPO ?([0-9]{1,4})")


class Postcode(IdentifierType):
    """A UK postcode (`SW1A 2AA`), an overseas-territory postcode, or a BFPO number.

    Format-valid is not the same as existing: existence needs the ONS Postcode Directory.
    A postcode is shared by many households, so it is not a strong identifier.
    """

    kind: ClassVar[str] = "postcode"
    label: ClassVar[str] = "Postcode"
    strong: ClassVar[bool] = False

    def clean(self, text: str) -> str:
        code = squash(text)
        bfpo = _BFPO.fullmatch(code)
        if bfpo:
            return f"BFPO {int(bfpo.group(1))}"
        code = code.replace(" ", "")
        if 5 <= len(code) <= 8:
            code = f"{code[:-3]} {code[-3:]}"
            if POSTCODE.fullmatch(code) or code in OVERSEAS_POSTCODES:
                return code
        raise InvalidIdentifier("not a valid UK postcode")
