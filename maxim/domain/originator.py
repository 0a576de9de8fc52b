"""Who may submit a report as which originator: a rule over the reference data alone.

The store enforces it for every entry point (`DataAccess.submit`); a batch applies it per row so
a refused row goes to the rejects file; the intake form offers only the originators it allows.
"""

from __future__ import annotations

from collections.abc import Collection

from maxim.domain.errors import FieldError
from maxim.reference import Reference

INTAKE_ROLE = "intake_officer"


def originator_refusal(originator: str, unit: str, roles: Collection[str], ref: Reference) -> FieldError | None:
    """Why a user of `unit` with `roles` may not submit a report as `originator`; None if they may.

    A user submits as their own unit, or, as an intake officer of a partner's recorded intake
    point, as that partner (the partner stays the originator: the source). A role of
    `any_originator_roles` (the administrator loading other units' records) may submit as any.
    Anything else would let one unit add versions to another's reports, and learn from the
    answer which references exist. The refusal never depends on whether the reference is used.
    """
    if originator == unit or set(roles) & set(ref.any_originator_roles):
        return None
    partner = ref.partners.get(originator)
    if partner is not None and partner.intake == unit and INTAKE_ROLE in roles:
        return None
    if partner is not None:
        return FieldError(
            "originator",
            f"{originator} reports are recorded by the intake officers of {partner.intake}; "
            f"you may submit only as your own unit, {unit}",
        )
    return FieldError("originator", f"you may submit only as your own unit, {unit}, not as {originator}")
