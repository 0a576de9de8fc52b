"""Reference data: units, partners, themes and grading code lists, loaded from versioned files.

The files beside this module are the single source of these code lists; code never repeats them.
They are validated on load so that a bad edit fails at start with the file and the entry named,
not later in the middle of an ingest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml


class ReferenceDataError(ValueError):
    """A reference file is malformed; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    remit: str
    capacity: int
    sla_hours: int
    is_borough: bool = False


@dataclass(frozen=True, slots=True)
class Partner:
    code: str
    name: str
    recipient_class: str
    intake: str  # the unit whose intake officers record this partner's reports


@dataclass(frozen=True, slots=True)
class GradingCodes:
    source_evaluation: dict[str, str]
    intelligence_assessment: dict[str, str]
    handling_code: dict[str, str]
    action_code: dict[str, str]
    sanitisation_code: dict[str, str]
    legacy_source: dict[str, str]
    legacy_intelligence: dict[str, str]
    legacy_handling: dict[str, str]
    legacy_mapping: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reference:
    units: dict[str, Unit]
    partners: dict[str, Partner]
    themes: dict[str, str]
    grading: GradingCodes
    nim_levels: dict[int, str]
    data_subject_categories: dict[str, str]
    report_kinds: dict[str, str]
    roles: dict[str, str]
    victim_access_roles: tuple[str, ...]
    audit_roles: tuple[str, ...]
    any_originator_roles: tuple[str, ...] = ()
    versions: dict[str, str] = field(default_factory=dict)

    def originator_name(self, code: str) -> str | None:
        """The display name of a unit or partner code, or None when the code is unknown."""
        if code in self.units:
            return self.units[code].name
        if code in self.partners:
            return self.partners[code].name
        return None


def _read(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or "version" not in data:
        raise ReferenceDataError(f"{name}: expected a mapping with a 'version' key")
    return data


def _str_map(name: str, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise ReferenceDataError(f"{name}: '{key}' must be a non-empty mapping")
    return {str(k): str(v) for k, v in value.items()}


def _units(data: dict[str, Any]) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for i, row in enumerate(data.get("units") or []):
        try:
            unit = Unit(
                code=str(row["code"]),
                name=str(row["name"]),
                remit=str(row["remit"]),
                capacity=int(row["capacity"]),
                sla_hours=int(row["sla_hours"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ReferenceDataError(f"units.yaml: units[{i}]: {exc!r}") from exc
        if unit.code in units:
            raise ReferenceDataError(f"units.yaml: units[{i}]: duplicate code {unit.code}")
        units[unit.code] = unit
    boroughs = data.get("boroughs") or {}
    for code, name in (boroughs.get("names") or {}).items():
        full = f"BOCU-{code}"
        units[full] = Unit(
            code=full,
            name=f"{name} Borough Operational Command Unit",
            remit="Trafficking allegations outside the specialist teams' remit, with Maxim's advice.",
            capacity=int(boroughs["capacity"]),
            sla_hours=int(boroughs["sla_hours"]),
            is_borough=True,
        )
    if not units:
        raise ReferenceDataError("units.yaml: no units")
    return units


def _partners(data: dict[str, Any], units: dict[str, Unit]) -> dict[str, Partner]:
    classes = {
        "UK_LE",
        "UK_PROSECUTOR",
        "UK_NON_PROSECUTING_PARTNER",
        "OVERSEAS_LE",
        "PRIVATE_SECTOR",
    }
    partners: dict[str, Partner] = {}
    for i, row in enumerate(data.get("partners") or []):
        if row.get("class") not in classes:
            raise ReferenceDataError(f"partners.yaml: partners[{i}]: class must be one of {sorted(classes)}")
        intake = str(row.get("intake") or data.get("intake") or "")
        if intake not in units:
            raise ReferenceDataError(f"partners.yaml: partners[{i}]: intake {intake!r} is not a unit code")
        partners[str(row["code"])] = Partner(str(row["code"]), str(row["name"]), str(row["class"]), intake)
    return partners


def _roles_in(key: str, data: dict[str, Any]) -> tuple[str, ...]:
    listed = tuple(str(r) for r in data.get(key) or ())
    unknown = [r for r in listed if r not in (data.get("roles") or {})]
    if unknown:
        raise ReferenceDataError(f"roles.yaml: {key} names unknown roles {unknown}")
    return listed


@cache
def load_reference() -> Reference:
    """Load and validate every reference file once per process."""
    units_data = _read("units.yaml")
    partners_data = _read("partners.yaml")
    themes_data = _read("themes.yaml")
    grading_data = _read("grading.yaml")
    roles_data = _read("roles.yaml")
    units = _units(units_data)
    partners = _partners(partners_data, units)
    clash = set(units) & set(partners)
    if clash:
        raise ReferenceDataError(f"units.yaml/partners.yaml: codes used twice: {sorted(clash)}")
    g3 = grading_data["scheme_3x5x2"]
    g5 = grading_data["scheme_5x5x5"]
    grading = GradingCodes(
        source_evaluation=_str_map("grading.yaml", "source_evaluation", g3["source_evaluation"]),
        intelligence_assessment=_str_map("grading.yaml", "intelligence_assessment", g3["intelligence_assessment"]),
        handling_code=_str_map("grading.yaml", "handling_code", g3["handling_code"]),
        action_code=_str_map("grading.yaml", "action_code", g3["action_code"]),
        sanitisation_code=_str_map("grading.yaml", "sanitisation_code", g3["sanitisation_code"]),
        legacy_source=_str_map("grading.yaml", "5x5x5 source", g5["source_evaluation"]),
        legacy_intelligence=_str_map("grading.yaml", "5x5x5 intel", g5["intelligence_evaluation"]),
        legacy_handling=_str_map("grading.yaml", "5x5x5 handling", g5["handling_code"]),
        legacy_mapping=dict(grading_data["legacy_mapping"]),
    )
    return Reference(
        units=units,
        partners=partners,
        themes=_str_map("themes.yaml", "themes", themes_data["themes"]),
        grading=grading,
        nim_levels={int(k): str(v) for k, v in grading_data["nim_levels"].items()},
        data_subject_categories=_str_map(
            "grading.yaml", "data_subject_categories", grading_data["data_subject_categories"]
        ),
        report_kinds=_str_map("grading.yaml", "report_kinds", grading_data["report_kinds"]),
        roles=_str_map("roles.yaml", "roles", roles_data["roles"]),
        victim_access_roles=_roles_in("victim_access_roles", roles_data),
        audit_roles=_roles_in("audit_roles", roles_data),
        any_originator_roles=_roles_in("any_originator_roles", roles_data),
        versions={
            "units": str(units_data["version"]),
            "partners": str(partners_data["version"]),
            "themes": str(themes_data["version"]),
            "grading": str(grading_data["version"]),
            "roles": str(roles_data["version"]),
        },
    )
