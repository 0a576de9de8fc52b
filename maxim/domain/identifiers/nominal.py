"""Person identifiers: PNC ID and CRO number (Modulus 23) and National Insurance number.

Rules and test vectors from DOMAIN §7.5, after the CJS Data Standards Catalogue and the
MoJ's `PNCIdentifier.kt` / `CROIdentifier.kt`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import ClassVar

from maxim.domain.identifiers.base import IdentifierType, InvalidIdentifier, compact

#: Remainder-to-letter table of the Modulus 23 check character (I, O and S are unused).
MOD23_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"

_PNC = re.compile(r"([0-9]{2}|[0-9]{4})/?([0-9]{1,7})([A-Z])")
_CRO = re.compile(r"([0-9]{1,6})/([0-9]{2})([A-Z])")
_CRO_SF = re.compile(r"SF([0-9]{2})/([0-9]{1,6})([A-Z])")

# DOMAIN §7.5 (HMRC NIM39110): prefix letters D, F, I, Q, U, V are never used, O never
# second, and some pairs are not allocated; the suffix is A-D.
_NINO = re.compile(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]")
NINO_UNUSED_PREFIXES = frozenset({"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"})


def mod23_check(digits: str) -> str:
    """The Modulus 23 check letter of a string of ASCII digits."""
    return MOD23_ALPHABET[int(digits) % 23]


def _wrong_check(given: str, expected: str) -> InvalidIdentifier:
    return InvalidIdentifier(f"check letter is {given}, expected {expected}")


def pnc_display(value: str) -> str:
    """The display form `YY/NC` of a canonical PNC ID (century and serial zeros dropped)."""
    year, rest = value.split("/")
    return f"{year[-2:]}/{int(rest[:-1])}{rest[-1]}"


class PncId(IdentifierType):
    """A Police National Computer ID, canonically `YYYY/NNNNNNNC` (`1999/0123456X`).

    Accepts `YY/N…C` and `YYYY/N…C`, slash optional. A two-digit year up to the reference
    year's is taken as 20YY, later ones as 19YY (the MoJ rule); pass `reference_year` to
    pin it (tests, replaying an old decision), otherwise the current UTC year is used.
    """

    kind: ClassVar[str] = "pnc_id"
    label: ClassVar[str] = "PNC ID"
    strong: ClassVar[bool] = True

    def __init__(self, reference_year: int | None = None) -> None:
        self.reference_year = reference_year

    def clean(self, text: str) -> str:
        match = _PNC.fullmatch(compact(text))
        if match is None:
            raise InvalidIdentifier("not a PNC ID: year/serial and check letter, e.g. 99/123456X")
        year, serial, given = match.groups()
        this_year = self.reference_year
        if this_year is None:
            this_year = datetime.now(UTC).year
        if len(year) == 2:
            century = 20 if int(year) <= this_year % 100 else 19
            year = f"{century}{year}"
        elif int(year) > this_year:
            raise InvalidIdentifier(f"PNC ID year {year} is in the future")
        serial = serial.zfill(7)
        expected = mod23_check(year[-2:] + serial)
        if given != expected:
            raise _wrong_check(given, expected)
        return f"{year}/{serial}{given}"


class Cro(IdentifierType):
    """A Criminal Records Office number: `NNNNNN/YYC`, or fingerprint-only `SFYY/N…C`.

    The standard form pads its serial to six digits. The SF form's check follows the MoJ
    code, over the serial as entered, so the serial is kept unpadded (⚠ DOMAIN §8.10).
    """

    kind: ClassVar[str] = "cro"
    label: ClassVar[str] = "CRO number"
    strong: ClassVar[bool] = True

    def clean(self, text: str) -> str:
        number = compact(text)
        match = _CRO.fullmatch(number)
        if match is not None:
            serial, year, given = match.groups()
            serial = serial.zfill(6)
            expected = mod23_check(year + serial)
            if given != expected:
                raise _wrong_check(given, expected)
            return f"{serial}/{year}{given}"
        match = _CRO_SF.fullmatch(number)
        if match is not None:
            year, serial, given = match.groups()
            expected = mod23_check(year + serial)
            if given != expected:
                raise _wrong_check(given, expected)
            return f"SF{year}/{serial}{given}"
        raise InvalidIdentifier("not a CRO number: NNNNNN/YYC or SFYY/NNNNNNC")


class Nino(IdentifierType):
    """A UK National Insurance number, compact uppercase (`AB123456C`).

    python-stdnum has no NINO module, so the HMRC format rule is applied here (⚠ DOMAIN
    §8.10). Temporary reference numbers (TN prefix) are refused with the rest.
    """

    kind: ClassVar[str] = "nino"
    label: ClassVar[str] = "National Insurance number"
    strong: ClassVar[bool] = True

    def clean(self, text: str) -> str:
        number = compact(text)
        if not _NINO.fullmatch(number):
            raise InvalidIdentifier("not a National Insurance number, e.g. AB123456C")
        if number[:2] in NINO_UNUSED_PREFIXES:
            raise InvalidIdentifier(f"prefix {number[:2]} is never allocated")
        return number
