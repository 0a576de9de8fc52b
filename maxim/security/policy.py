"""Need-to-know, per statement (DOMAIN.md §1.2, §3): the rules as SQL filters.

- Handling code P: every member of the OIC community, i.e. every internal account.
- Handling code C: the originating unit, and the units or roles its conditions name
  (`report_access`).
- Victim details (a person linked to a report as `victim`, and any link that points at that
  person): safeguarding roles and the investigating unit of that report only.
- External accounts (a partner's liaison staff) see nothing here; what they receive is
  disseminated to them as packages.

The filters run inside the query, so what a user may not see is never fetched: it cannot be
returned, counted or hinted at by a total, a degree or an error.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from maxim.reference import load_reference
from maxim.store.access import AccessPolicy, Actor
from maxim.store.tables import report_access, report_subjects, reports, statements


def _grantee_codes(actor: Actor) -> list[str]:
    return [actor.unit, *sorted(actor.roles)]


class NeedToKnow(AccessPolicy):
    """The access policy of the clearinghouse."""

    def __init__(self) -> None:
        ref = load_reference()
        self.victim_roles = frozenset(ref.victim_access_roles)

    def report_filter(self, actor: Actor) -> ColumnElement[bool]:
        if actor.external:
            return false()
        granted = exists(
            select(report_access.c.report_id).where(
                report_access.c.report_id == reports.c.id,
                report_access.c.grantee.in_(_grantee_codes(actor)),
            )
        )
        return or_(reports.c.handling_code == "P", reports.c.originator == actor.unit, granted)

    def sees_victims(self, actor: Actor) -> bool:
        return bool(actor.roles & self.victim_roles)

    def victim_filter(self, actor: Actor) -> ColumnElement[bool]:
        """Statements not about a victim of their report (nor pointing at one), unless allowed."""
        if self.sees_victims(actor):
            return true()
        about_victim = exists(
            select(report_subjects.c.entity_id).where(
                report_subjects.c.report_id == statements.c.report_id,
                report_subjects.c.category == "victim",
                # IN, not OR: the (report_id, entity_id) key then finds the row for each statement,
                # where an OR made PostgreSQL scan every subject of the report for every statement
                # (a 20,000-person report's read ran for minutes).
                report_subjects.c.entity_id.in_([statements.c.entity_id, statements.c.value]),
            )
        )
        # The investigating unit of a report is, until referrals are accepted by units, its originator.
        return or_(~about_victim, reports.c.originator == actor.unit)

    def statement_filter(self, actor: Actor) -> ColumnElement[bool]:
        return and_(self.report_filter(actor), self.victim_filter(actor))

    def subject_filter(self, actor: Actor) -> ColumnElement[bool]:
        if self.sees_victims(actor):
            return true()
        return or_(report_subjects.c.category != "victim", reports.c.originator == actor.unit)

    def may_submit(self, actor: Actor) -> bool:
        return not actor.external
