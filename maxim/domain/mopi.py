"""MoPI review and retention (DOMAIN.md §3.2): which group a report falls in, and when it is due.

Pure: the periods and the theme-to-group table are reference data (`maxim/reference/mopi.yaml`)
because they must be verified before go-live; this module only applies them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True, slots=True)
class MopiRules:
    review_years: Mapping[str, int]
    labels: Mapping[str, str]
    theme_groups: Mapping[str, str]
    default_group: str
    exemptions: Mapping[str, str]
    version: str

    def group_for(self, themes: Iterable[str]) -> str:
        """The most serious group any theme maps to (1 is the most serious)."""
        groups = [self.theme_groups.get(t, self.default_group) for t in themes] or [self.default_group]
        return min(groups, key=int)

    def review_due(self, group: str, start: date) -> date:
        """`start` plus the group's period; 29 February falls back to the 28th in a common year."""
        years = self.review_years[group]
        try:
            return start.replace(year=start.year + years)
        except ValueError:
            return start.replace(year=start.year + years, day=28)


@cache
def load_mopi() -> MopiRules:
    data: dict[str, Any] = yaml.safe_load(
        resources.files("maxim.reference").joinpath("mopi.yaml").read_text(encoding="utf-8")
    )
    groups = data["groups"]
    rules = MopiRules(
        review_years={str(k): int(v["review_years"]) for k, v in groups.items()},
        labels={str(k): str(v["label"]) for k, v in groups.items()},
        theme_groups={str(k): str(v) for k, v in data["theme_groups"].items()},
        default_group=str(data["default_group"]),
        exemptions={str(k): str(v) for k, v in data["sar_exemptions"].items()},
        version=str(data["version"]),
    )
    unknown = {g for g in [*rules.theme_groups.values(), rules.default_group] if g not in rules.review_years}
    if unknown:
        raise ValueError(f"mopi.yaml: theme_groups name unknown groups {sorted(unknown)}")
    return rules
