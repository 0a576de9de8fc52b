"""The first line of a UK address, normalised for deterministic linking. Pure.

Two reports name the same premises when they give the same postcode, the same flat (or none)
and the same house number, and streets that are spellings of one street. A postcode alone is
shared by a dozen or so households and a street name is misspelt all the time, so neither is
enough on its own; a house number and postcode together almost are, and the street check is
there for the postcodes that span two streets.

Street names are case-folded, stripped of punctuation and have their common abbreviations
expanded (`Rd` -> `road`), then split into a stem and a street type: two streets agree when
their types do not differ and their stems are equal, equal without spaces, or a near spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jellyfish

#: Postal abbreviations of street types, and the type each stands for.
STREET_TYPES: dict[str, str] = {
    "road": "road",
    "rd": "road",
    "street": "street",
    "st": "street",
    "avenue": "avenue",
    "ave": "avenue",
    "av": "avenue",
    "lane": "lane",
    "ln": "lane",
    "close": "close",
    "cl": "close",
    "crescent": "crescent",
    "cres": "crescent",
    "drive": "drive",
    "dr": "drive",
    "gardens": "gardens",
    "gdns": "gardens",
    "place": "place",
    "pl": "place",
    "square": "square",
    "sq": "square",
    "terrace": "terrace",
    "ter": "terrace",
    "terr": "terrace",
    "court": "court",
    "ct": "court",
    "grove": "grove",
    "gr": "grove",
    "park": "park",
    "pk": "park",
    "way": "way",
    "mews": "mews",
    "hill": "hill",
    "row": "row",
    "walk": "walk",
    "parade": "parade",
    "pde": "parade",
    "highway": "highway",
    "hwy": "highway",
    "green": "green",
    "yard": "yard",
    "wharf": "wharf",
    "rise": "rise",
    "vale": "vale",
}

# A near spelling of a stem: Jaro-Winkler at least this, or one edit on a stem of four letters or more.
STEM_SIMILARITY = 0.9

_FLAT = re.compile(r"^(?:flat|apartment|apt|unit|room|suite)\s*\.?\s*(?:no\.?\s*)?([0-9]+[a-z]?|[a-z])\b[\s,]*", re.I)
_HOUSE = re.compile(r"^([0-9]+\s?[a-z]?(?:\s*-\s*[0-9]+\s?[a-z]?)?)\b[\s,]+(.+)$", re.I)
_PUNCT = re.compile(r"[^\w\s]")


@dataclass(frozen=True, slots=True)
class FirstLine:
    """Flat (empty when none), house number and street of one address, normalised."""

    flat: str
    number: str
    stem: str
    street_type: str | None

    @property
    def street(self) -> str:
        return f"{self.stem} {self.street_type}" if self.street_type else self.stem


def _compact_number(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def street_parts(street: str) -> tuple[str, str | None]:
    """(stem, type) of a street name; words after the street type (a town) are dropped.

    The type is the last of the first run of type words, so `Stockwell Park Road` is a road
    whose stem is `stockwell park`; a first word is never a type (`St John's Road`, `Park Lane`).
    """
    words = _PUNCT.sub(" ", street.casefold()).split()
    start = next((i for i in range(1, len(words)) if words[i] in STREET_TYPES), None)
    if start is None:
        return " ".join(words), None
    end = start
    while end + 1 < len(words) and words[end + 1] in STREET_TYPES:
        end += 1
    return " ".join(words[:end]), STREET_TYPES[words[end]]


def first_line(text: str, postcode: str | None = None) -> FirstLine | None:
    """The flat, house number and street in `text` (a street line or a full address), or None.

    `postcode`, when known, is cut out first so it is not read as part of the street.
    """
    if postcode:
        pattern = r"\s*".join(re.escape(part) for part in postcode.split())
        text = re.sub(pattern, " ", text, flags=re.I)
    flat = ""
    for segment in (s.strip() for s in text.split(",")):
        if not segment:
            continue
        found_flat = _FLAT.match(segment)
        if found_flat:
            flat = _compact_number(found_flat.group(1))
            segment = segment[found_flat.end() :].strip()
        house = _HOUSE.match(segment)
        if house:
            stem, street_type = street_parts(house.group(2))
            if not stem:
                return None
            return FirstLine(flat, _compact_number(house.group(1)), stem, street_type)
    return None


def same_street(a: FirstLine, b: FirstLine) -> bool:
    """Whether two streets are spellings of one: types agree (or one is missing), stems near."""
    if a.street_type and b.street_type and a.street_type != b.street_type:
        return False
    x, y = a.stem, b.stem
    if x == y or x.replace(" ", "") == y.replace(" ", ""):
        return True
    if jellyfish.jaro_winkler_similarity(x, y) >= STEM_SIMILARITY:
        return True
    return min(len(x), len(y)) >= 4 and jellyfish.levenshtein_distance(x, y) <= 1
