"""The remembered normaliser gives what the registry gives, and never remembers a dated reading."""

from __future__ import annotations

import pytest

from maxim.domain.identifiers import REGISTRY, normalise, normalise_cached
from maxim.domain.identifiers.registry import _remembered


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("phone", "07700 900123"),
        ("phone", "not a phone"),
        ("postcode", "se17xx"),
        ("vrm", "AB12 CDE"),
        ("iban", "GB82 WEST 1234 5698 7654 32"),
        ("email", "Someone@Example.COM"),
        ("passport", "123"),
    ],
)
def test_the_remembered_result_is_the_registrys(kind: str, text: str) -> None:
    assert normalise_cached(kind, text) == normalise(kind, text) == REGISTRY[kind].normalise(text)
    assert normalise_cached(kind, text) is normalise_cached(kind, text)  # remembered, and immutable


def test_a_pnc_id_is_read_afresh_as_its_year_depends_on_today() -> None:
    before = _remembered.cache_info().currsize
    assert normalise_cached("pnc_id", "99/123456X") == normalise("pnc_id", "99/123456X")
    assert _remembered.cache_info().currsize == before


def test_an_unknown_kind_is_still_refused() -> None:
    with pytest.raises(ValueError, match="unknown identifier kind"):
        normalise_cached("shoe_size", "9")
