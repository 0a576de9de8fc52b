"""Who may judge whether two mentions are the same person, vehicle, address or organisation.

A judgement overrides the model in every later run and can merge two nominals' intelligence,
so it is an analyst's decision (DESIGN.md: "overruled by analyst judgements"), taken by the
roles whose work is the nominals themselves. Intake officers record what arrives, partner
liaison and external accounts see sanitised material only, and the chair, the DPO and the
administrator oversee rather than assess intelligence: none of them judges identity.
"""

from __future__ import annotations

from maxim.reference import load_reference
from maxim.store.access import Actor, Forbidden

JUDGE_ROLES = frozenset({"analyst", "investigator", "supervisor", "financial_investigator", "safeguarding_lead"})


def may_judge(actor: Actor) -> bool:
    """True if `actor` may record same / not same / unsure judgements."""
    return not actor.external and bool(actor.roles & JUDGE_ROLES)


def require_judge(actor: Actor) -> None:
    """Raise `Forbidden`, naming the roles that may, unless `actor` may judge.

    The one check every route that records a judgement calls (the judgement form and
    `POST /api/judgements`), so the page and the API cannot disagree about who may judge.
    """
    if not may_judge(actor):
        names = load_reference().roles
        allowed = ", ".join(names.get(role, role) for role in sorted(JUDGE_ROLES))
        raise Forbidden(f"Only these roles may judge whether two mentions are the same: {allowed}")
