"""The SOP rule set: a versioned YAML file, validated on load with the line of every fault.

A rule file that names an unknown unit, a fall-through that loops, a condition on a field
routing does not know (or on a protected characteristic), or a rule that would send victims to
immigration-status enforcement is refused whole, with each fault's line and reason, so the
version already active stays active (the store keeps it; nothing here is global state).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from maxim.reference import Unit
from maxim.route.facts import FIELD_VALUES, PROTECTED_FIELDS, ROUTING_FIELDS

OPERATORS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "any_of", "none_of", "present")
CAPACITY_MODES = ("check", "ignore")
TARGET_FIELDS = ("found_borough", "identified_within")
# Immigration-status enforcement: a legal floor the rule file can add to but never remove.
NEVER_VICTIMS = frozenset({"TP-JIC"})
SHIPPED = "sop.yaml"


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str
    value: Any

    def holds(self, facts: Mapping[str, Any]) -> tuple[bool, str]:
        """Whether the condition holds, and a sentence saying what was seen."""
        seen = facts.get(self.field)
        if self.op == "present":
            ok = (seen is not None) == bool(self.value)
        elif self.op in ("any_of", "none_of"):
            overlap = set(seen or ()) & set(self.value)
            ok = bool(overlap) if self.op == "any_of" else not overlap
        elif self.op == "eq":
            ok = seen == self.value
        elif self.op == "ne":
            ok = seen != self.value
        elif self.op == "in":
            ok = seen in self.value
        elif self.op == "not_in":
            ok = seen not in self.value
        elif seen is None:
            ok = False
        else:
            ok = {
                "gt": seen > self.value,
                "gte": seen >= self.value,
                "lt": seen < self.value,
                "lte": seen <= self.value,
            }[self.op]
        return ok, f"{self.field} {self.op} {_show(self.value)} (seen {_show(seen)})"


def _show(value: Any) -> str:
    """Values as a reader of the SOP writes them: `[A, B]`, `true`, `none`."""
    if isinstance(value, tuple | list | frozenset | set):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "none" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    source: str
    line: int
    conditions: tuple[Condition, ...]
    target: str | None = None
    target_from: str | None = None
    capacity: str = "check"
    fall_through: str | None = None
    fallback_only: bool = False
    advice: str | None = None
    notify: str | None = None


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: str
    title: str
    rules: tuple[Rule, ...]
    notifications: tuple[Rule, ...]
    escalation_unit: str
    never_route_victims_to: frozenset[str]
    text: str
    sha256: str

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


@dataclass(frozen=True, slots=True)
class RuleFault:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class RuleSetRefused(ValueError):
    """A rule file was refused; `faults` lists every line and reason."""

    def __init__(self, name: str, faults: list[RuleFault]) -> None:
        self.name = name
        self.faults = faults
        super().__init__(f"{name} refused: " + "; ".join(str(f) for f in faults))


class _Lined(dict[str, Any]):
    line: int = 0


class _LineLoader(yaml.SafeLoader):
    """A safe loader whose mappings remember the (1-based) line they start on."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Lined:
    mapping = _Lined({str(k): v for k, v in loader.construct_mapping(node, deep=True).items()})
    mapping.line = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line(value: Any, default: int) -> int:
    return value.line if isinstance(value, _Lined) else default


def parse_rules(text: str, units: Mapping[str, Unit], name: str = SHIPPED) -> RuleSet:
    """Parse and validate a rule file; raise RuleSetRefused naming every fault with its line."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # nosec B506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RuleSetRefused(name, [RuleFault(mark.line + 1 if mark else 0, f"not valid YAML: {exc}")]) from exc
    faults: list[RuleFault] = []
    if not isinstance(data, dict):
        raise RuleSetRefused(name, [RuleFault(1, "expected a mapping with version, rules, notifications")])
    version = data.get("version")
    if not isinstance(version, str | int | float) or not str(version).strip():
        faults.append(RuleFault(1, "'version' is required (quote it, e.g. \"2026-11-29.1\")"))
    escalation = data.get("escalation_unit")
    if escalation not in units:
        faults.append(RuleFault(1, f"escalation_unit: unknown unit {escalation!r}"))
    never = data.get("never_route_victims_to") or []
    for unit in never:
        if unit not in units:
            faults.append(RuleFault(1, f"never_route_victims_to: unknown unit {unit!r}"))
    never_set = NEVER_VICTIMS | frozenset(str(u) for u in never)
    rules = _rules(data.get("rules"), "rules", units, never_set, faults, notify=False)
    notes = _rules(data.get("notifications") or [], "notifications", units, never_set, faults, notify=True)
    ids = [r.id for r in (*rules, *notes)]
    for rule in (*rules, *notes):
        if ids.count(rule.id) > 1:
            faults.append(RuleFault(rule.line, f"rule {rule.id}: duplicate id"))
    by_id = {r.id: r for r in rules}
    for rule in rules:
        if rule.fall_through is not None and rule.fall_through not in by_id:
            faults.append(
                RuleFault(rule.line, f"rule {rule.id}: fall_through names unknown rule {rule.fall_through!r}")
            )
        if rule.fallback_only and not any(r.fall_through == rule.id for r in rules):
            faults.append(RuleFault(rule.line, f"rule {rule.id}: fallback_only but no rule falls through to it"))
    faults.extend(_cycles(rules, by_id))
    if faults:
        raise RuleSetRefused(name, sorted(set(faults), key=lambda f: (f.line, f.reason)))
    return RuleSet(
        version=str(version),
        title=str(data.get("title", "")),
        rules=tuple(rules),
        notifications=tuple(notes),
        escalation_unit=str(escalation),
        never_route_victims_to=never_set,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def _rules(
    raw: Any, section: str, units: Mapping[str, Unit], never: frozenset[str], faults: list[RuleFault], *, notify: bool
) -> list[Rule]:
    if not isinstance(raw, list) or (not raw and not notify):
        faults.append(RuleFault(_line(raw, 1), f"'{section}' must be a non-empty list of rules"))
        return []
    rules: list[Rule] = []
    for i, row in enumerate(raw):
        line = _line(row, 1)
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            faults.append(RuleFault(line, f"{section}[{i}]: each rule needs an 'id'"))
            continue
        rid = row["id"]
        allowed = (
            {"id", "title", "source", "when", "notify"}
            if notify
            else {
                "id",
                "title",
                "source",
                "when",
                "target",
                "target_from",
                "capacity",
                "fall_through",
                "fallback_only",
                "advice",
            }
        )
        for key in sorted(set(row) - allowed):
            faults.append(RuleFault(line, f"rule {rid}: unknown key {key!r}"))
        conditions = _conditions(row.get("when"), rid, line, faults)
        target, target_from = row.get("target"), row.get("target_from")
        if notify:
            if row.get("notify") not in units:
                faults.append(RuleFault(line, f"rule {rid}: notify names unknown unit {row.get('notify')!r}"))
        elif (target is None) == (target_from is None):
            faults.append(RuleFault(line, f"rule {rid}: give exactly one of target or target_from"))
        elif target is not None and target not in units:
            faults.append(RuleFault(line, f"rule {rid}: unknown unit {target!r}"))
        elif target in never:
            faults.append(
                RuleFault(line, f"rule {rid}: victims are never routed to {target} (immigration-status enforcement)")
            )
        elif target_from is not None and target_from not in TARGET_FIELDS:
            faults.append(RuleFault(line, f"rule {rid}: target_from must be one of {', '.join(TARGET_FIELDS)}"))
        capacity = row.get("capacity", "check")
        if capacity not in CAPACITY_MODES:
            faults.append(RuleFault(line, f"rule {rid}: capacity must be check or ignore, got {capacity!r}"))
        advice = row.get("advice")
        if advice is not None and advice not in units:
            faults.append(RuleFault(line, f"rule {rid}: advice names unknown unit {advice!r}"))
        rules.append(
            Rule(
                id=rid,
                title=str(row.get("title", rid)),
                source=str(row.get("source", "")),
                line=line,
                conditions=conditions,
                target=target,
                target_from=target_from,
                capacity=str(capacity),
                fall_through=row.get("fall_through"),
                fallback_only=bool(row.get("fallback_only", False)),
                advice=advice,
                notify=row.get("notify"),
            )
        )
    return rules


def _conditions(raw: Any, rid: str, line: int, faults: list[RuleFault]) -> tuple[Condition, ...]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        faults.append(RuleFault(line, f"rule {rid}: 'when' must map fields to {{operator: value}}"))
        return ()
    line = _line(raw, line)
    conditions: list[Condition] = []
    for field_name, test in raw.items():
        if field_name in PROTECTED_FIELDS:
            faults.append(
                RuleFault(
                    line,
                    f"rule {rid}: condition on protected characteristic {field_name!r} "
                    "is not allowed; routing never uses it",
                )
            )
            continue
        if field_name not in ROUTING_FIELDS:
            faults.append(
                RuleFault(
                    line,
                    f"rule {rid}: condition on unknown field {field_name!r}; known fields: {', '.join(ROUTING_FIELDS)}",
                )
            )
            continue
        if not isinstance(test, dict) or len(test) != 1:
            faults.append(RuleFault(line, f"rule {rid}: {field_name}: give one {{operator: value}}"))
            continue
        [(op, value)] = test.items()
        if op not in OPERATORS:
            faults.append(
                RuleFault(line, f"rule {rid}: {field_name}: unknown operator {op!r}; use one of {', '.join(OPERATORS)}")
            )
            continue
        reason = _check_value(field_name, op, value)
        if reason:
            faults.append(RuleFault(line, f"rule {rid}: {field_name}: {reason}"))
            continue
        conditions.append(Condition(str(field_name), str(op), tuple(value) if isinstance(value, list) else value))
    return tuple(conditions)


def _check_value(field_name: str, op: str, value: Any) -> str | None:
    kind = ROUTING_FIELDS[field_name]
    if op == "present":
        return None if isinstance(value, bool) else "present takes true or false"
    listy = op in ("in", "not_in", "any_of", "none_of")
    if listy and not isinstance(value, list):
        return f"{op} takes a list"
    if op in ("any_of", "none_of") and kind != "codes":
        return f"{op} applies to list fields only"
    if op in ("gt", "gte", "lt", "lte") and kind != "int":
        return f"{op} applies to numbers only"
    values = value if listy else [value]
    for item in values:
        if kind == "bool" and not isinstance(item, bool):
            return f"expects true or false, got {item!r}"
        if kind == "int" and (isinstance(item, bool) or not isinstance(item, int)):
            return f"expects a whole number, got {item!r}"
        allowed = FIELD_VALUES.get(field_name)
        if allowed is not None and item not in allowed:
            return f"unknown value {item!r}; use one of {', '.join(sorted(allowed))}"
    return None


def _cycles(rules: list[Rule], by_id: Mapping[str, Rule]) -> list[RuleFault]:
    faults: list[RuleFault] = []
    for rule in rules:
        seen = [rule.id]
        current = rule
        while current.fall_through is not None and current.fall_through in by_id:
            nxt = by_id[current.fall_through]
            if nxt.id in seen:
                if nxt.id == rule.id:
                    faults.append(RuleFault(rule.line, "fall-through cycle: " + " -> ".join([*seen, nxt.id])))
                break
            seen.append(nxt.id)
            current = nxt
    return faults


@cache
def shipped_text() -> str:
    return resources.files("maxim.reference").joinpath(SHIPPED).read_text(encoding="utf-8")


def load_shipped(units: Mapping[str, Unit]) -> RuleSet:
    """The rule set shipped with the package: the active one until an administrator loads another."""
    return parse_rules(shipped_text(), units, SHIPPED)
