"""The offence catalogue and POCA result kinds outcomes are coded with (DOMAIN §0.4, §5, §6).

Legacy offences (SOA 2003 ss57-59, AI(ToC)A 2004 s4) stay in the catalogue with the period they
were in force, so old records code correctly and a charge dated outside that period is refused
with a reason instead of being silently accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import yaml

from maxim.reference import ReferenceDataError


@dataclass(frozen=True, slots=True)
class Offence:
    code: str
    name: str
    act: str
    section: str
    group: str
    in_force_from: date | None
    in_force_to: date | None
    lifestyle: bool
    max_years: int | None = None

    def in_force_on(self, day: date) -> bool:
        return (self.in_force_from is None or day >= self.in_force_from) and (
            self.in_force_to is None or day <= self.in_force_to
        )


@dataclass(frozen=True, slots=True)
class OffenceCatalogue:
    version: str
    offences: dict[str, Offence]
    poca_results: dict[str, str]

    def check(self, code: str, committed_on: date | None = None) -> str | None:
        """Why `code` cannot be used (unknown, or not in force on the date), or None when it can."""
        offence = self.offences.get(code)
        if offence is None:
            return f"unknown offence code {code!r}: see maxim/reference/offences.yaml"
        if committed_on is not None and not offence.in_force_on(committed_on):
            return (
                f"{code} ({offence.name}) was not in force on {committed_on.isoformat()} "
                f"(in force {offence.in_force_from} to {offence.in_force_to or 'now'})"
            )
        return None


def _day(value: Any) -> date | None:
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def parse_offences(data: Any, name: str = "offences.yaml") -> OffenceCatalogue:
    if not isinstance(data, dict) or "version" not in data:
        raise ReferenceDataError(f"{name}: expected a mapping with a 'version' key")
    offences: dict[str, Offence] = {}
    for i, row in enumerate(data.get("offences") or []):
        try:
            span = row.get("in_force") or [None, None]
            offence = Offence(
                code=str(row["code"]),
                name=str(row["name"]),
                act=str(row["act"]),
                section=str(row["section"]),
                group=str(row["group"]),
                in_force_from=_day(span[0]),
                in_force_to=_day(span[1]),
                lifestyle=bool(row.get("lifestyle", False)),
                max_years=int(row["max_years"]) if row.get("max_years") is not None else None,
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ReferenceDataError(f"{name}: offences[{i}]: {exc!r}") from exc
        if offence.code in offences:
            raise ReferenceDataError(f"{name}: offences[{i}]: duplicate code {offence.code}")
        offences[offence.code] = offence
    poca = {str(k): str(v) for k, v in (data.get("poca_results") or {}).items()}
    if not offences or not poca:
        raise ReferenceDataError(f"{name}: needs offences and poca_results")
    return OffenceCatalogue(str(data["version"]), offences, poca)


@cache
def load_offences() -> OffenceCatalogue:
    """The shipped catalogue, validated once per process."""
    text = resources.files("maxim.reference").joinpath("offences.yaml").read_text(encoding="utf-8")
    return parse_offences(yaml.safe_load(text))
