"""The National Referral Mechanism as a state machine (DOMAIN §5.5). Pure.

Only legal moves are possible, and a refused move says why in words a first responder knows:
an adult enters the NRM only with consent, otherwise the police make an anonymous Duty to
Notify (MSA 2015 s52); a child cannot be asked for consent and must be referred; anyone who may
be under 18 is a child until an age assessment says otherwise (MSA s51). Conclusive grounds
come after the minimum recovery period, and reconsideration goes back to the stage it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any


class NrmState(StrEnum):
    IDENTIFIED = "IDENTIFIED"
    CONSENT_SOUGHT = "CONSENT_SOUGHT"
    REFERRED = "REFERRED"
    DTN_SUBMITTED = "DTN_SUBMITTED"
    RG_PENDING = "RG_PENDING"
    RG_POSITIVE = "RG_POSITIVE"
    RG_NEGATIVE = "RG_NEGATIVE"
    RECOVERY_PERIOD = "RECOVERY_PERIOD"
    CG_PENDING = "CG_PENDING"
    CG_POSITIVE = "CG_POSITIVE"
    CG_NEGATIVE = "CG_NEGATIVE"
    RECONSIDERATION_REQUESTED = "RECONSIDERATION_REQUESTED"
    FURTHER_RG = "FURTHER_RG"
    WITHDRAWN = "WITHDRAWN"
    CLOSED = "CLOSED"


S = NrmState
# Minimum recovery period after a positive reasonable-grounds decision (DOMAIN §5.5: 30 days from
# 13 Dec 2022 guidance; 45 days before). ⚠ set from the guidance in force.
RECOVERY_DAYS = 30
AGE_GROUPS = ("ADULT", "CHILD", "UNCERTAIN")
RECONSIDERATION_BY = ("FIRST_RESPONDER", "SUPPORT_PROVIDER")
TERMINAL = frozenset({S.DTN_SUBMITTED, S.WITHDRAWN})

LEGAL: dict[NrmState, frozenset[NrmState]] = {
    S.IDENTIFIED: frozenset({S.CONSENT_SOUGHT, S.REFERRED, S.WITHDRAWN}),
    S.CONSENT_SOUGHT: frozenset({S.REFERRED, S.DTN_SUBMITTED, S.WITHDRAWN}),
    S.REFERRED: frozenset({S.RG_PENDING, S.WITHDRAWN}),
    S.RG_PENDING: frozenset({S.RG_POSITIVE, S.RG_NEGATIVE, S.WITHDRAWN}),
    S.RG_POSITIVE: frozenset({S.RECOVERY_PERIOD, S.WITHDRAWN}),
    S.RG_NEGATIVE: frozenset({S.RECONSIDERATION_REQUESTED, S.CLOSED}),
    S.RECOVERY_PERIOD: frozenset({S.CG_PENDING, S.WITHDRAWN}),
    S.CG_PENDING: frozenset({S.CG_POSITIVE, S.CG_NEGATIVE, S.WITHDRAWN}),
    S.CG_POSITIVE: frozenset({S.CLOSED, S.FURTHER_RG}),
    S.CG_NEGATIVE: frozenset({S.RECONSIDERATION_REQUESTED, S.CLOSED, S.FURTHER_RG}),
    S.RECONSIDERATION_REQUESTED: frozenset({S.RG_PENDING, S.CG_PENDING, S.WITHDRAWN}),
    S.FURTHER_RG: frozenset({S.RG_PENDING, S.WITHDRAWN}),
    S.CLOSED: frozenset({S.FURTHER_RG}),
    S.DTN_SUBMITTED: frozenset(),
    S.WITHDRAWN: frozenset(),
}


class IllegalTransition(ValueError):
    """A move the NRM does not allow; the message says why and what is allowed instead."""

    def __init__(self, current: NrmState, to: str, reason: str) -> None:
        self.current = current
        self.to = to
        self.reason = reason
        super().__init__(f"cannot move from {current} to {to}: {reason}")


@dataclass(frozen=True, slots=True)
class NrmCase:
    age_group: str
    state: NrmState = S.IDENTIFIED
    identified_on: date | None = None
    consent: bool | None = None
    referred_on: date | None = None
    dtn_on: date | None = None
    rg_decision_on: date | None = None
    rg_positive: bool | None = None
    recovery_from: date | None = None
    cg_decision_on: date | None = None
    cg_positive: bool | None = None
    history: tuple[dict[str, Any], ...] = field(default=())

    @property
    def is_child(self) -> bool:
        """Anyone who may be under 18 is a child (MSA s51), until an age assessment says adult."""
        return self.age_group != "ADULT"

    @property
    def last_on(self) -> date | None:
        return date.fromisoformat(self.history[-1]["on"]) if self.history else self.identified_on

    def allowed(self) -> list[str]:
        """The states this case may move to next, given who the person is."""
        return sorted(s.value for s in LEGAL[self.state] if self._why_not(s, None, None) is None)

    def _why_not(self, to: NrmState, on: date | None, details: dict[str, Any] | None) -> str | None:
        """Why the move is refused, or None; `details` None checks who the person is, not the form."""
        if to not in LEGAL[self.state]:
            nexts = ", ".join(sorted(LEGAL[self.state])) or "nothing: this state is final"
            return f"not a legal NRM move; from {self.state} the next step is {nexts}"
        if to is S.CONSENT_SOUGHT and self.is_child:
            return "a child (or anyone who may be under 18) cannot be asked for consent: refer to the NRM directly"
        if to is S.REFERRED and self.state is S.IDENTIFIED and not self.is_child:
            return "an adult enters the NRM only with consent: seek consent first (CONSENT_SOUGHT)"
        if details is None:
            return None
        if to is S.REFERRED and self.state is S.CONSENT_SOUGHT and details.get("consent") is not True:
            return "the adult has not consented (consent: true is required); if they decline, submit a Duty to Notify"
        if to is S.DTN_SUBMITTED and details.get("consent") is not False:
            return "a Duty to Notify is for an adult who declines consent (consent: false)"
        if to is S.RECONSIDERATION_REQUESTED and details.get("requested_by") not in RECONSIDERATION_BY:
            return (
                "reconsideration may be requested only by the first responder or support provider "
                f"(requested_by: {' or '.join(RECONSIDERATION_BY)})"
            )
        if self.state is S.RECONSIDERATION_REQUESTED:
            stage = self._reconsidering()
            if stage is not None and to in (S.RG_PENDING, S.CG_PENDING) and to is not stage:
                return f"the reconsideration is of the {stage.value[:2]} decision: go back to {stage}"
        if to in (S.CG_POSITIVE, S.CG_NEGATIVE) and on is not None and self.recovery_from is not None:
            earliest = self.recovery_from + timedelta(days=RECOVERY_DAYS)
            if on < earliest:
                return (
                    f"a conclusive grounds decision comes after the {RECOVERY_DAYS}-day recovery period "
                    f"(from {self.recovery_from.isoformat()}): not before {earliest.isoformat()}"
                )
        if on is not None and self.last_on is not None and on < self.last_on:
            return f"dated {on.isoformat()}, before the last step on {self.last_on.isoformat()}"
        return None

    def _reconsidering(self) -> NrmState | None:
        for step in reversed(self.history):
            if step["from"] in (S.RG_NEGATIVE, S.CG_NEGATIVE) and step["to"] == S.RECONSIDERATION_REQUESTED:
                return S.RG_PENDING if step["from"] == S.RG_NEGATIVE else S.CG_PENDING
        return None


def open_case(age_group: str, identified_on: date) -> NrmCase:
    """A potential victim identified by a first responder; UNCERTAIN age is treated as a child."""
    if age_group not in AGE_GROUPS:
        raise ValueError(f"age_group must be one of {', '.join(AGE_GROUPS)}, got {age_group!r}")
    return NrmCase(age_group=age_group, identified_on=identified_on)


def transition(case: NrmCase, to: str, on: date, **details: Any) -> NrmCase:
    """The case after a legal move to `to` on day `on`, or IllegalTransition saying why not.

    details: `consent` (bool) for REFERRED from CONSENT_SOUGHT and for DTN_SUBMITTED;
    `requested_by` for RECONSIDERATION_REQUESTED; `note` free text kept in the history.
    """
    try:
        target = NrmState(to)
    except ValueError:
        raise IllegalTransition(case.state, to, f"unknown NRM state; use one of {', '.join(S)}") from None
    reason = case._why_not(target, on, details)
    if reason is not None:
        raise IllegalTransition(case.state, to, reason)
    changes: dict[str, Any] = {"state": target}
    if "consent" in details:
        changes["consent"] = details["consent"]
    if target is S.REFERRED:
        changes["referred_on"] = on
    elif target is S.DTN_SUBMITTED:
        changes["dtn_on"] = on
    elif target in (S.RG_POSITIVE, S.RG_NEGATIVE):
        changes.update(rg_decision_on=on, rg_positive=target is S.RG_POSITIVE)
    elif target is S.RECOVERY_PERIOD:
        changes["recovery_from"] = on
    elif target in (S.CG_POSITIVE, S.CG_NEGATIVE):
        changes.update(cg_decision_on=on, cg_positive=target is S.CG_POSITIVE)
    step = {
        "from": case.state.value,
        "to": target.value,
        "on": on.isoformat(),
        **{k: v for k, v in details.items() if v is not None},
    }
    changes["history"] = (*case.history, step)
    return replace(case, **changes)


def case_to_json(case: NrmCase) -> dict[str, Any]:
    return {
        "age_group": case.age_group,
        "is_child": case.is_child,
        "state": case.state.value,
        "identified_on": _iso(case.identified_on),
        "consent": case.consent,
        "referred_on": _iso(case.referred_on),
        "dtn_on": _iso(case.dtn_on),
        "rg_decision_on": _iso(case.rg_decision_on),
        "rg_positive": case.rg_positive,
        "recovery_from": _iso(case.recovery_from),
        "cg_decision_on": _iso(case.cg_decision_on),
        "cg_positive": case.cg_positive,
        "history": list(case.history),
        "allowed": case.allowed(),
    }


def case_from_json(data: dict[str, Any]) -> NrmCase:
    def day(key: str) -> date | None:
        return date.fromisoformat(data[key]) if data.get(key) else None

    return NrmCase(
        age_group=data["age_group"],
        state=NrmState(data["state"]),
        identified_on=day("identified_on"),
        consent=data.get("consent"),
        referred_on=day("referred_on"),
        dtn_on=day("dtn_on"),
        rg_decision_on=day("rg_decision_on"),
        rg_positive=data.get("rg_positive"),
        recovery_from=day("recovery_from"),
        cg_decision_on=day("cg_decision_on"),
        cg_positive=data.get("cg_positive"),
        history=tuple(data.get("history") or ()),
    )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
