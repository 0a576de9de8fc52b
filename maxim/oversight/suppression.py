"""Small-count suppression for any table that could identify a victim. Pure.

A count of one to four victims of one nationality in one borough can point at a person. Such
counts are shown as "<5"; where a table also shows its total and only one cell is hidden, the
next smallest non-zero cell is hidden too, so the first cannot be recovered by subtraction. Zero
identifies no one and is shown. The thresholds are reference data (`oversight.yaml`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True, slots=True)
class Rule:
    low: int = 1
    high: int = 4
    shown_as: str = "<5"

    def hides(self, value: int) -> bool:
        return self.low <= value <= self.high

    @property
    def statement(self) -> str:
        return (
            f"Counts from {self.low} to {self.high} are shown as \u201c{self.shown_as}\u201d in every table that "
            "could identify a victim (victims, NRM referrals and decisions, and equality monitoring of victims). "
            "Where a table shows a total and only one of its cells would be hidden, the next smallest cell is "
            "hidden as well, so that no hidden count can be worked out by subtraction. Zero is shown."
        )


@cache
def oversight_rules() -> dict[str, Any]:
    text = resources.files("maxim.reference").joinpath("oversight.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def default_rule() -> Rule:
    s = oversight_rules()["suppression"]
    return Rule(int(s["min_suppressed"]), int(s["max_suppressed"]), str(s["shown_as"]))


@dataclass(frozen=True, slots=True)
class Cell:
    """A count as published: `shown` is what a reader sees; `value` is None when suppressed."""

    value: int | None
    shown: str
    suppressed: bool

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "shown": self.shown, "suppressed": self.suppressed}


def cell(value: int, rule: Rule, *, hide: bool = False) -> Cell:
    if hide or rule.hides(value):
        return Cell(None, rule.shown_as, True)
    return Cell(value, f"{value:,}", False)


def suppress(counts: Mapping[str, int], rule: Rule, *, with_total: bool = True) -> dict[str, Cell]:
    """Suppress a table's cells (primary, then secondary when a total is shown)."""
    hidden = {k for k, v in counts.items() if rule.hides(v)}
    if with_total and len(hidden) == 1:
        others = sorted((v, k) for k, v in counts.items() if k not in hidden and v > 0)
        if others:
            hidden.add(others[0][1])
    return {k: cell(v, rule, hide=k in hidden) for k, v in counts.items()}


def total_cell(counts: Mapping[str, int], rule: Rule) -> Cell:
    """A table's total: itself suppressed only when it alone is small."""
    return cell(sum(counts.values()), rule)
