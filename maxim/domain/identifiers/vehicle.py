"""UK vehicle registration marks (DOMAIN §7.1): styles, age identifiers, confusable letters."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import ClassVar

from maxim.domain.identifiers.base import IdentifierType, InvalidIdentifier, compact

#: Styles in the order they are tried (spaces removed). Northern Ireland comes before
#: dateless because every NI mark would also pass as a dateless one.
VRM_STYLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("current", re.compile(r"[A-HJ-PR-Y]{2}[0-9]{2}[A-HJ-PR-Z]{3}")),
    ("prefix", re.compile(r"[A-HJ-NPR-TV-Y][0-9]{1,3}[A-Z]{3}")),
    ("suffix", re.compile(r"[A-Z]{3}[0-9]{1,3}[A-HJ-NPR-TV-Y]")),
    ("northern_ireland", re.compile(r"[A-Z]?(?:[A-Z]I|[A-Z]Z|I[A-Z]|Z[A-Z])[0-9]{1,4}")),
    ("q_plate", re.compile(r"Q[0-9]{1,3}[A-Z]{3}")),
    ("dateless", re.compile(r"[A-Z]{1,3}[0-9]{1,4}|[0-9]{1,4}[A-Z]{1,3}")),
)

_CURRENT_FROM = date(2001, 9, 1)
_CURRENT_UNTIL = date(2051, 3, 1)

#: Characters a plate can be made to resemble (INF104: plates must not misrepresent them).
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "S": "5", "B": "8", "Z": "2"})


def vrm_style(value: str) -> str | None:
    """The registration style a compact uppercase mark follows, or None for none of them."""
    for style, pattern in VRM_STYLES:
        if pattern.fullmatch(value):
            return style
    return None


def expected_age_identifier(first_registered: date) -> str:
    """The two-digit age identifier a current-style mark first registered on a date carries.

    1 Mar-31 Aug: the year's last two digits; 1 Sep-end Feb: the September year's + 50.
    A mismatch with the recorded first registration suggests a cloned or ringed vehicle.
    Raises ValueError outside Sep 2001-Feb 2051, when the current style does not apply.
    """
    day = first_registered.date() if isinstance(first_registered, datetime) else first_registered
    if not _CURRENT_FROM <= day < _CURRENT_UNTIL:
        raise ValueError(f"{day.isoformat()} is outside the current registration style (Sep 2001-Feb 2051)")
    if 3 <= day.month <= 8:
        return f"{day.year % 100:02d}"
    september_year = day.year if day.month >= 9 else day.year - 1
    return f"{(september_year % 100 + 50) % 100:02d}"


def age_identifier_mismatch(value: str, first_registered: date) -> str | None:
    """Why a current-style mark does not fit its first-registration date, or None if it does.

    Marks of other styles, and dates outside the current style, are never a mismatch here.
    """
    mark = compact(value)
    if vrm_style(mark) != "current":
        return None
    try:
        expected = expected_age_identifier(first_registered)
    except ValueError:
        return None
    if mark[2:4] == expected:
        return None
    return (
        f"age identifier {mark[2:4]} does not match first registration "
        f"{first_registered.isoformat()} (expected {expected})"
    )


def vrm_confusable_key(value: str) -> str:
    """A matching key with look-alike characters folded (0/O, 1/I, 5/S, 8/B, 2/Z).

    For fuzzy matching of sightings (ANPR misreads, doctored plates); never for display.
    """
    return compact(value).translate(_CONFUSABLE)


class Vrm(IdentifierType):
    """A UK vehicle registration mark, uppercase without spaces (`AB12CDE`)."""

    kind: ClassVar[str] = "vrm"
    label: ClassVar[str] = "Vehicle registration mark"
    strong: ClassVar[bool] = True

    def clean(self, text: str) -> str:
        mark = compact(text)
        if len(mark) > 8 or vrm_style(mark) is None:
            raise InvalidIdentifier("not a UK vehicle registration mark")
        return mark
