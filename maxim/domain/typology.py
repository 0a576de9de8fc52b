"""Kinds of exploitation: the Home Office typology (DOMAIN §5.6) and MSA 2015 s3, from reference data.

Routing tests the category of a kind (SEXUAL, LABOUR, ...) rather than each code, so a change to
the typology (the unconfirmed 17th type, for one) needs no change to the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from maxim.reference import ReferenceDataError


@dataclass(frozen=True, slots=True)
class Kind:
    code: str
    name: str
    category: str
    provisional: bool = False


@dataclass(frozen=True, slots=True)
class Typology:
    version: str
    categories: dict[str, str]
    kinds: dict[str, Kind]

    def category_of(self, code: str) -> str | None:
        kind = self.kinds.get(code)
        return kind.category if kind else None


def parse_typology(data: Any, name: str = "typology.yaml") -> Typology:
    if not isinstance(data, dict) or "version" not in data:
        raise ReferenceDataError(f"{name}: expected a mapping with a 'version' key")
    categories = {str(k): str(v) for k, v in (data.get("categories") or {}).items()}
    kinds: dict[str, Kind] = {}
    for section in ("typology", "msa_s3"):
        for code, row in (data.get(section) or {}).items():
            if not isinstance(row, dict) or row.get("category") not in categories:
                raise ReferenceDataError(f"{name}: {section}.{code}: category must be one of {sorted(categories)}")
            if code in kinds:
                raise ReferenceDataError(f"{name}: {section}.{code}: duplicate code")
            kinds[str(code)] = Kind(
                str(code), str(row.get("name", code)), str(row["category"]), bool(row.get("provisional", False))
            )
    if not kinds:
        raise ReferenceDataError(f"{name}: no kinds")
    return Typology(str(data["version"]), categories, kinds)


@cache
def load_typology() -> Typology:
    """The shipped typology, validated once per process."""
    text = resources.files("maxim.reference").joinpath("typology.yaml").read_text(encoding="utf-8")
    return parse_typology(yaml.safe_load(text))
