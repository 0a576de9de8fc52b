"""The first line of an address and whether two streets are one (pure)."""

from __future__ import annotations

import pytest

from maxim.resolve.addresses import FirstLine, first_line, same_street
from maxim.resolve.identified import org_name_key, registration_key


@pytest.mark.parametrize(
    ("text", "postcode", "expected"),
    [
        ("Flat 3, 12 Example Road, London SE1 7XX", "SE1 7XX", FirstLine("3", "12", "example", "road")),
        ("flat 3 12 exampel rd london se17xx", "SE1 7XX", FirstLine("3", "12", "exampel", "road")),
        ("12a Stockwell Park Road", None, FirstLine("", "12A", "stockwell park", "road")),
        ("Apartment 4B, 7-9 St John's Hill, London", None, FirstLine("4B", "7-9", "st john s", "hill")),
        ("12 Acre Lane", None, FirstLine("", "12", "acre", "lane")),
        ("The Old Dairy, Example Road, London", None, None),
        ("Unit 4, Industrial Estate", None, None),
    ],
)
def test_first_line(text: str, postcode: str | None, expected: FirstLine | None) -> None:
    assert first_line(text, postcode) == expected


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("12 Example Road", "12 Exampel Rd", True),
        ("12 Coldharbour Lane", "12 Cold Harbour Lane", True),
        ("12 Acre Lane", "12 Akre Lane", True),
        ("12 Brixton Road", "12 Brixton Hill", False),
        ("12 Brixton Road", "12 Stockwell Road", False),
        ("12 Example", "12 Example Road", True),
    ],
)
def test_same_street(a: str, b: str, same: bool) -> None:
    x, y = first_line(a), first_line(b)
    assert x is not None and y is not None
    assert same_street(x, y) is same


def test_company_names_and_numbers_lose_their_formatting() -> None:
    assert org_name_key("The A.B.C. Trading Co. Ltd") == "a b c trading"
    assert org_name_key("Smith & Sons Limited") == "smith and sons"
    assert registration_key("0123 4567") == registration_key("1234567") == "1234567"
    assert registration_key("SC-012345") == "SC012345"
