"""The router: a referral's facts and the units' loads in, one explained decision out. Pure.

The decision records the rule-set version, the rule that fired, every rule tried before it and
why it did not apply (conditions unmet, unit at capacity, unit declined earlier, unit barred for
victims), the capacity seen, and the notifications due. Stored with the referral, it answers
"why did this go there?" years later, under the rule set that was in force at the time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from maxim.reference import Unit
from maxim.route.facts import ReferralFacts
from maxim.route.rules import Rule, RuleSet


@dataclass(frozen=True, slots=True)
class CapacitySeen:
    unit: str
    load: int
    capacity: int

    @property
    def full(self) -> bool:
        return self.load >= self.capacity


@dataclass(frozen=True, slots=True)
class Step:
    """One rule tried: `outcome` is fired, not_applicable, at_capacity, excluded, barred or no_target."""

    rule_id: str
    outcome: str
    reason: str
    target: str | None = None
    capacity: CapacitySeen | None = None
    via_fall_through: bool = False


@dataclass(frozen=True, slots=True)
class Notification:
    rule_id: str
    unit: str
    reason: str


@dataclass(frozen=True, slots=True)
class Decision:
    rule_set_version: str
    decided_at: datetime
    target: str | None
    rule_id: str | None
    steps: tuple[Step, ...]
    notifications: tuple[Notification, ...] = ()
    advice: str | None = None
    advice_note: str | None = None
    excluded: tuple[str, ...] = ()
    fell_through: bool = False
    summary: str = ""
    capacity_seen: tuple[CapacitySeen, ...] = field(default=())

    def explanation(self) -> dict[str, Any]:
        """The whole decision as JSON-ready data: what is stored and what the dry run prints."""
        data = asdict(self)
        data["decided_at"] = self.decided_at.isoformat()
        return data


def _target(rule: Rule, facts: ReferralFacts) -> str | None:
    if rule.target is not None:
        return rule.target
    return getattr(facts, rule.target_from or "", None)


def _try(
    rule: Rule,
    facts: ReferralFacts,
    view: Mapping[str, Any],
    units: Mapping[str, Unit],
    loads: Mapping[str, int],
    excluded: frozenset[str],
    barred: frozenset[str],
    via: bool,
) -> Step:
    unmet: list[str] = []
    met: list[str] = []
    for condition in rule.conditions:
        ok, said = condition.holds(view)
        (met if ok else unmet).append(said)
    if unmet:
        return Step(rule.id, "not_applicable", "conditions not met: " + "; ".join(unmet), via_fall_through=via)
    target = _target(rule, facts)
    if target is None or target not in units:
        return Step(rule.id, "no_target", f"no unit from {rule.target_from} (seen {target!r})", via_fall_through=via)
    unit = units[target]
    seen = CapacitySeen(target, int(loads.get(target, 0)), unit.capacity)
    if target in barred and facts.victims_total > 0:
        return Step(
            rule.id,
            "barred",
            f"{target} is immigration-status enforcement: victims are never routed there",
            target,
            seen,
            via,
        )
    if target in excluded:
        return Step(rule.id, "excluded", f"{target} declined this referral earlier", target, seen, via)
    if rule.capacity == "check" and seen.full:
        return Step(
            rule.id, "at_capacity", f"{target} at capacity ({seen.load} open of {seen.capacity})", target, seen, via
        )
    why = "all conditions met" + (": " + "; ".join(met) if met else " (no conditions)")
    if rule.capacity == "ignore":
        why += f"; capacity not a bar for this rule ({seen.load} open of {seen.capacity})"
    else:
        why += f"; {target} has capacity ({seen.load} open of {seen.capacity})"
    return Step(rule.id, "fired", why, target, seen, via)


def route(
    facts: ReferralFacts,
    rules: RuleSet,
    units: Mapping[str, Unit],
    loads: Mapping[str, int],
    *,
    at: datetime,
    excluded: frozenset[str] = frozenset(),
) -> Decision:
    """Route one referral by the rule set: first rule that applies and whose unit can take it.

    A rule at capacity (or whose unit declined earlier) falls through to its `fall_through`
    rule, or else to the next rule in order. `excluded` holds units that declined the referral.
    """
    view = facts.routing_view()
    barred = rules.never_route_victims_to
    steps: list[Step] = []
    tried: set[str] = set()
    fired: Step | None = None
    fired_rule: Rule | None = None
    fell = False
    for rule in rules.rules:
        if rule.fallback_only or rule.id in tried:
            continue
        current: Rule | None = rule
        via = False
        while current is not None and current.id not in tried:
            tried.add(current.id)
            step = _try(current, facts, view, units, loads, excluded, barred, via)
            steps.append(step)
            if step.outcome == "fired":
                fired, fired_rule = step, current
                break
            if step.outcome in ("at_capacity", "excluded", "barred"):
                fell = True
                current = rules.rule(current.fall_through) if current.fall_through else None
                via = True
            else:
                current = None
        if fired is not None:
            break
    notifications = []
    for note in rules.notifications:
        results = [c.holds(view) for c in note.conditions]
        if all(ok for ok, _ in results) and note.notify:
            said = "; ".join(s for _, s in results) or "always"
            notifications.append(Notification(note.id, note.notify, f"{note.title}: {said}"))
    advice, advice_note = None, None
    if fired_rule is not None and fired_rule.advice:
        load = int(loads.get(fired_rule.advice, 0))
        cap = units[fired_rule.advice].capacity
        if load < cap:
            advice, advice_note = fired_rule.advice, f"{fired_rule.advice} advises ({load} open of {cap})"
        else:
            advice_note = f"{fired_rule.advice} at capacity ({load} open of {cap}): no advice available"
    target = fired.target if fired else None
    if fired is None:
        summary = "unrouted: no rule applied; escalate for a manual decision"
    else:
        summary = f"{target} by rule {fired.rule_id}"
        passed = [s for s in steps if s.outcome in ("at_capacity", "excluded", "barred")]
        if passed:
            summary += " after " + ", ".join(f"{s.target} ({s.outcome.replace('_', ' ')})" for s in passed)
        if notifications:
            summary += "; notify " + ", ".join(n.unit for n in notifications)
    return Decision(
        rule_set_version=rules.version,
        decided_at=at,
        target=target,
        rule_id=fired.rule_id if fired else None,
        steps=tuple(steps),
        notifications=tuple(notifications),
        advice=advice,
        advice_note=advice_note,
        excluded=tuple(sorted(excluded)),
        fell_through=fell,
        summary=summary,
        capacity_seen=tuple(s.capacity for s in steps if s.capacity is not None),
    )
