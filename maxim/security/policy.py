"""Need-to-know, per statement (DOMAIN.md §1.2, §3): the rules as SQL filters.

- Handling code P: every member of the OIC community, i.e. every internal account.
- Handling code C: the originating unit, and the units or roles its conditions name
  (`report_access`).
- Versions: the current version's handling governs every version of a report. An earlier
  version is visible only to those who may see both it and the current version, so re-grading a
  report as C withdraws its earlier P versions too.
- Victim details: safeguarding roles and the investigating unit of that report only. Within a
  report, the victim's side is the victim (a person linked as `victim`), every link entity that
  points at the victim (an UnknownLink, Associate, Ownership ... not itself a data subject: all of
  its statements, not only the one naming the victim), and every entity reached only through
  those (the victim's address, vehicle ...: pointed at by the victim side and by nothing else
  in the report, and not a data subject in its own right). Every statement of the victim's side,
  and every statement pointing at the victim, is withheld from everyone else.
- External accounts (a partner's liaison staff) see nothing here; what they receive is
  disseminated to them as packages.

The filters run inside the query, so what a user may not see is never fetched: it cannot be
returned, counted or hinted at by a total, a degree or an error. On PostgreSQL the same rules
are applied again by row-level security (migrations `0013_rls_sessions` and `0016_victim_detail`:
when a rule here changes, change it there). The victim rule itself is `maxim.store.victim_rule`:
each statement is marked a victim detail, or not, when its report is stored.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, FromClause, and_, exists, false, or_, select, true

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

    def _grading_allows(self, actor: Actor, version: FromClause) -> ColumnElement[bool]:
        """Whether a report version's own handling lets the actor see it."""
        granted = exists(
            select(report_access.c.report_id).where(
                report_access.c.report_id == version.c.id,
                report_access.c.grantee.in_(_grantee_codes(actor)),
            )
        )
        return or_(version.c.handling_code == "P", version.c.originator == actor.unit, granted)

    def report_filter(self, actor: Actor) -> ColumnElement[bool]:
        if actor.external:
            return false()
        current = reports.alias()
        # A disposed report has no current version left; its versions keep only a tombstone.
        governed = or_(
            reports.c.is_current,
            reports.c.disposed_at.is_not(None),
            exists().where(
                current.c.originator == reports.c.originator,
                current.c.reference == reports.c.reference,
                current.c.is_current,
                self._grading_allows(actor, current),
            ),
        )
        return and_(self._grading_allows(actor, reports), governed)

    def sees_victims(self, actor: Actor) -> bool:
        return bool(actor.roles & self.victim_roles)

    def victim_filter(self, actor: Actor) -> ColumnElement[bool]:
        """Statements that are no victim detail of their report, unless allowed.

        Whether a statement is a victim detail is a fact of its report, marked when the report is
        stored (`maxim.store.victim_rule`), so the filter is one column, not the rule's subqueries.
        """
        if self.sees_victims(actor):
            return true()
        # The investigating unit of a report is, until referrals are accepted by units, its originator.
        return or_(reports.c.originator == actor.unit, ~statements.c.victim_detail)

    def statement_filter(self, actor: Actor) -> ColumnElement[bool]:
        return and_(self.report_filter(actor), self.victim_filter(actor))

    def subject_filter(self, actor: Actor) -> ColumnElement[bool]:
        if self.sees_victims(actor):
            return true()
        return or_(report_subjects.c.category != "victim", reports.c.originator == actor.unit)

    def may_submit(self, actor: Actor) -> bool:
        return not actor.external
