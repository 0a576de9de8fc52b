"""Passport numbers and the ICAO 9303 machine-readable zone (DOMAIN §7.2).

A failing MRZ check digit on a document presented as genuine is a fraud indicator, so
each failing digit is named in the reason rather than the line being refused whole.
"""

from __future__ import annotations

import re
from typing import ClassVar

from maxim.domain.identifiers.base import IdentifierType, InvalidIdentifier, compact

#: Current UK passports (9 digits) and the CJS legacy 7-character forms.
UK_PASSPORT = re.compile(r"[0-9]{9}|[A-Z][0-9]{6}|[0-9]{6}[A-Z]")
#: Home Office design system: 9 characters or fewer, letters and numbers only.
ANY_PASSPORT = re.compile(r"[A-Z0-9]{1,9}")
#: A TD3 (passport booklet) MRZ line 2: 44 characters of A-Z, 0-9 and the filler `<`.
TD3_LINE2 = re.compile(r"[A-Z0-9<]{44}")

_WEIGHTS = (7, 3, 1)


def _mrz_value(char: str) -> int:
    if "0" <= char <= "9":
        return ord(char) - ord("0")
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    raise ValueError(f"{char!r} cannot appear in a machine-readable zone")


def mrz_check_digit(field: str) -> int:
    """The ICAO 9303 check digit of an MRZ field: weights 7, 3, 1 repeating, sum mod 10.

    Raises ValueError for a character that cannot appear in an MRZ (only A-Z, 0-9, `<`).
    """
    return sum(_mrz_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(field)) % 10


def _check(name: str, field: str, digit: str, *, blank_ok: bool = False) -> str | None:
    if blank_ok and digit in "<0" and set(field) == {"<"}:
        return None
    expected = mrz_check_digit(field)
    if digit != str(expected):
        return f"{name} check digit is {digit}, expected {expected}"
    return None


def validate_td3_line2(line: str) -> list[str]:
    """Every failing check digit on a passport MRZ line 2; an empty list when all pass.

    Checks the document number, date of birth, expiry date, optional personal number
    (which may be left blank with `<`) and the composite digit over all of them.
    """
    if not TD3_LINE2.fullmatch(line):
        return ["not a passport MRZ line: 44 characters of A-Z, 0-9 and <"]
    checks = (
        _check("passport number", line[0:9], line[9]),
        _check("date of birth", line[13:19], line[19]),
        _check("expiry date", line[21:27], line[27]),
        _check("personal number", line[28:42], line[42], blank_ok=True),
        _check("composite", line[0:10] + line[13:20] + line[21:43], line[43]),
    )
    return [reason for reason in checks if reason is not None]


def passport_is_uk_format(value: str) -> bool:
    """Whether a canonical passport number has a UK form (9 digits, or legacy 7 characters)."""
    return UK_PASSPORT.fullmatch(value) is not None


class Passport(IdentifierType):
    """A passport number, uppercase without spaces; a full TD3 MRZ line 2 gives its number.

    Foreign numbers are accepted in the Home Office's general form, which every UK form
    also satisfies; `passport_is_uk_format` tells the two apart.
    """

    kind: ClassVar[str] = "passport"
    label: ClassVar[str] = "Passport number"
    strong: ClassVar[bool] = True

    def clean(self, text: str) -> str:
        number = compact(text)
        if len(number) == 44 and TD3_LINE2.fullmatch(number):
            failures = validate_td3_line2(number)
            if failures:
                raise InvalidIdentifier("MRZ " + "; ".join(failures))
            number = number[0:9].rstrip("<")
        if not ANY_PASSPORT.fullmatch(number):
            raise InvalidIdentifier("not a passport number: 9 or fewer letters and digits, or a 44-character MRZ line")
        return number
