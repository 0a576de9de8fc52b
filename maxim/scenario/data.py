"""Load the curated scenario data files (names, places) once."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class NamePart:
    """A name part: its canonical spelling and the variants seen in intelligence."""

    canonical: str
    variants: tuple[str, ...]


@dataclass(frozen=True)
class Culture:
    key: str
    nationality: str
    family_first: bool
    family: tuple[NamePart, ...]
    given_male: tuple[NamePart, ...]
    given_female: tuple[NamePart, ...]


@dataclass(frozen=True)
class NameBook:
    cultures: dict[str, Culture]
    nicknames: dict[str, tuple[str, ...]]
    street_aliases: tuple[str, ...]


def _part(item: Any) -> NamePart:
    if isinstance(item, list):
        return NamePart(str(item[0]), tuple(str(v) for v in item[1:]))
    return NamePart(str(item), ())


def _load(name: str) -> dict[str, Any]:
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


@functools.cache
def name_book() -> NameBook:
    raw = _load("names.yaml")
    cultures = {
        key: Culture(
            key=key,
            nationality=str(c["nationality"]),
            family_first=bool(c["family_first"]),
            family=tuple(_part(x) for x in c["family"]),
            given_male=tuple(_part(x) for x in c["given_male"]),
            given_female=tuple(_part(x) for x in c["given_female"]),
        )
        for key, c in raw["cultures"].items()
    }
    nicknames = {str(k): tuple(str(x) for x in v) for k, v in raw["nicknames"].items()}
    return NameBook(cultures, nicknames, tuple(str(x) for x in raw["street_aliases"]))


@dataclass(frozen=True)
class Borough:
    code: str  # e.g. LAMBETH (unit BOCU-LAMBETH)
    prefix: str  # reference prefix, e.g. LAM
    weight: int
    outward: tuple[str, ...]


@dataclass(frozen=True)
class World:
    boroughs: tuple[Borough, ...]
    street_stems: tuple[str, ...]
    street_endings: tuple[str, ...]
    vehicle_models: tuple[str, ...]
    vrm_prefixes: tuple[str, ...]
    vrm_age_identifiers: tuple[str, ...]
    banks: tuple[tuple[str, str], ...]
    front_companies: dict[str, tuple[str, ...]]
    precursor_items: tuple[str, ...]


@functools.cache
def world() -> World:
    raw = _load("world.yaml")
    boroughs = tuple(
        Borough(code, str(v[0]), int(v[1]), tuple(str(x) for x in v[2])) for code, v in raw["boroughs"].items()
    )
    return World(
        boroughs=boroughs,
        street_stems=tuple(raw["street_stems"]),
        street_endings=tuple(raw["street_endings"]),
        vehicle_models=tuple(raw["vehicle_models"]),
        vrm_prefixes=tuple(raw["vrm_prefixes"]),
        vrm_age_identifiers=tuple(str(x) for x in raw["vrm_age_identifiers"]),
        banks=tuple((str(b[0]), str(b[1])) for b in raw["banks"]),
        front_companies={k: tuple(v) for k, v in raw["front_companies"].items()},
        precursor_items=tuple(raw["precursor_items"]),
    )
