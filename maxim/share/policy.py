"""Dissemination policy as data (DOMAIN §1.2.1, §1.2.3): may this report go to this recipient?

Pure. `maxim/reference/dissemination.yaml` holds the table `(handling_code, action_code,
recipient_class) -> allowed, minimum role, originator consultation`; this module loads it,
checks it, and answers for one report at a time with every reason it is refused, so a
partner-liaison officer sees at once what to do (record a consultation, ask a supervisor)
rather than discovering the rules one refusal at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import yaml

from maxim.reference import Reference, ReferenceDataError

RECIPIENT_CLASSES = (
    "UK_LE",
    "UK_PROSECUTOR",
    "UK_NON_PROSECUTING_PARTNER",
    "OVERSEAS_LE",
    "PRIVATE_SECTOR",
    "INTERNAL_ONLY",
)
FILE = "dissemination.yaml"


@dataclass(frozen=True, slots=True)
class Rule:
    handling: str
    action: str
    to: str
    allowed: bool
    minimum_role: str | None
    consult: bool


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a package goes to: a partner (its class from partners.yaml) or a unit (INTERNAL_ONLY)."""

    code: str
    name: str
    recipient_class: str


@dataclass(frozen=True, slots=True)
class Consultation:
    """The originator's answer about one report going to one recipient (DOMAIN §1.2.1 (c))."""

    consulted: str
    consulted_at: datetime
    outcome: str  # approved | refused
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    reasons: tuple[str, ...]
    needs_consultation: bool
    consultation: Consultation | None = None


@dataclass(frozen=True, slots=True)
class DisseminationPolicy:
    version: str
    role_ladder: tuple[str, ...]
    consult_actions: frozenset[str]
    consult_sanitisations: frozenset[str]
    transfer_basis_required: frozenset[str]
    basis_by_assessment: Mapping[str, str]
    caveat: str
    rules: Mapping[tuple[str, str, str], Rule]

    def rule(self, handling: str, action: str | None, to: str) -> Rule | None:
        return self.rules.get((handling, action or "*", to)) or self.rules.get((handling, "*", to))

    def may_decide(self, roles: frozenset[str], minimum: str) -> bool:
        """Whether any of the roles is `minimum` or above it on the ladder."""
        rank = self.role_ladder.index(minimum)
        return any(role in self.role_ladder[rank:] for role in roles)

    def basis(self, assessment: str) -> str:
        """`fact` or `assessment` (DPA 2018 s38(2)) for a report's intelligence assessment."""
        return self.basis_by_assessment.get(assessment, "assessment")

    def decide(
        self,
        report: Mapping[str, Any],
        recipient: Recipient,
        *,
        roles: frozenset[str],
        username: str,
        consultation: Consultation | None,
    ) -> Verdict:
        """Whether `report` (a row of `reports`) may go to `recipient`, with every reason it may not."""
        handling = str(report["handling_code"])
        action = report.get("action_code")
        sanitisation = report.get("sanitisation_code")
        label = f"handling {handling}" + (f"/{action}/{sanitisation}" if handling == "C" else "")
        reasons: list[str] = []
        rule = self.rule(handling, action, recipient.recipient_class)
        if rule is None or not rule.allowed:
            reasons.append(f"{label} material may not go to {recipient.recipient_class} recipients ({FILE})")
            return Verdict(False, tuple(reasons), False)
        if rule.minimum_role is not None and not self.may_decide(roles, rule.minimum_role):
            reasons.append(
                f"{label} to {recipient.recipient_class} needs a {rule.minimum_role} or above "
                f"({', '.join(self.role_ladder[self.role_ladder.index(rule.minimum_role) :])}) to disseminate"
            )
        if report.get("created_by") == username:
            reasons.append("the officer who submitted a report may not disseminate it; the intelligence unit decides")
        needs = rule.consult or action in self.consult_actions or sanitisation in self.consult_sanitisations
        if needs:
            why = (
                ", ".join(
                    c
                    for c in (
                        action if action in self.consult_actions else None,
                        sanitisation if sanitisation in self.consult_sanitisations else None,
                    )
                    if c
                )
                or f"the {FILE} rule for {recipient.recipient_class}"
            )
            if consultation is None:
                reasons.append(
                    f"{why}: blocked until the originator ({report['originator']}) is consulted; record it with "
                    f"`maxim share consult {report['id']} --to {recipient.code} --consulted WHO --outcome approved`"
                )
            elif consultation.outcome != "approved":
                reasons.append(
                    f"{why}: the originator refused dissemination to {recipient.code} "
                    f"({consultation.consulted}, {consultation.consulted_at:%Y-%m-%d})"
                )
        return Verdict(not reasons, tuple(reasons), needs, consultation if needs else None)


def _rules(rows: Any) -> dict[tuple[str, str, str], Rule]:
    if not isinstance(rows, list) or not rows:
        raise ReferenceDataError(f"{FILE}: 'rules' must be a non-empty list")
    out: dict[tuple[str, str, str], Rule] = {}
    for i, row in enumerate(rows):
        try:
            rule = Rule(
                handling=str(row["handling"]),
                action=str(row.get("action", "*")),
                to=str(row["to"]),
                allowed=bool(row["allowed"]),
                minimum_role=str(row["minimum_role"]) if row.get("minimum_role") else None,
                consult=bool(row.get("consult", False)),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ReferenceDataError(f"{FILE}: rules[{i}]: missing or malformed {exc}") from exc
        key = (rule.handling, rule.action, rule.to)
        if key in out:
            raise ReferenceDataError(f"{FILE}: rules[{i}]: a second rule for {key}")
        out[key] = rule
    return out


def parse_policy(data: Any, ref: Reference) -> DisseminationPolicy:
    """Check the table against the code lists, naming the entry that is wrong."""
    if not isinstance(data, dict) or "version" not in data:
        raise ReferenceDataError(f"{FILE}: expected a mapping with a 'version' key")
    ladder = tuple(str(r) for r in data.get("role_ladder") or [])
    for role in ladder:
        if role not in ref.roles:
            raise ReferenceDataError(f"{FILE}: role_ladder: unknown role {role!r}")
    rules = _rules(data.get("rules"))
    codes = ref.grading
    for (handling, action, to), rule in rules.items():
        where = f"{FILE}: rule ({handling}, {action}, {to})"
        if handling not in codes.handling_code:
            raise ReferenceDataError(f"{where}: unknown handling code")
        if action != "*" and action not in codes.action_code:
            raise ReferenceDataError(f"{where}: unknown action code")
        if to not in RECIPIENT_CLASSES:
            raise ReferenceDataError(f"{where}: unknown recipient class; known: {', '.join(RECIPIENT_CLASSES)}")
        if rule.allowed and rule.minimum_role not in ladder:
            raise ReferenceDataError(f"{where}: minimum_role must be on the role_ladder")
    consult = data.get("always_consult") or {}
    return DisseminationPolicy(
        version=str(data["version"]),
        role_ladder=ladder,
        consult_actions=frozenset(str(c) for c in consult.get("action_code") or []),
        consult_sanitisations=frozenset(str(c) for c in consult.get("sanitisation_code") or []),
        transfer_basis_required=frozenset(str(c) for c in data.get("transfer_basis_required") or []),
        basis_by_assessment={str(k): str(v) for k, v in (data.get("basis_by_assessment") or {}).items()},
        caveat=" ".join(str(data.get("caveat") or "").split()),
        rules=rules,
    )


@cache
def load_policy() -> DisseminationPolicy:
    from maxim.reference import load_reference

    text = resources.files("maxim.reference").joinpath(FILE).read_text(encoding="utf-8")
    return parse_policy(yaml.safe_load(text), load_reference())


def recipient_for(code: str, ref: Reference) -> Recipient | None:
    """A partner code (its class from partners.yaml) or a unit code (INTERNAL_ONLY); None if unknown."""
    partner = ref.partners.get(code)
    if partner is not None:
        return Recipient(partner.code, partner.name, partner.recipient_class)
    unit = ref.units.get(code)
    if unit is not None:
        return Recipient(unit.code, unit.name, "INTERNAL_ONLY")
    return None
