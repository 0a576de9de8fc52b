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
are applied again by row-level security (migration `0013_rls_sessions`, which writes each rule
once in SQL: when a rule here changes, change it there).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, FromClause, and_, exists, false, or_, select, true

from maxim.reference import load_reference
from maxim.store.access import AccessPolicy, Actor
from maxim.store.tables import report_access, report_subjects, reports, statements


def _grantee_codes(actor: Actor) -> list[str]:
    return [actor.unit, *sorted(actor.roles)]


def _any(rows: FromClause, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """Whether some row of `rows` meets the conditions; everything else they name is the enclosing query's.

    Correlating to every enclosing query, not only the next one out, keeps a condition naming an
    outer statement from being read as a second, uncorrelated copy of `statements`.
    """
    return select(rows).where(*conditions).correlate_except(rows).exists()


def _victim_of(report_id: ColumnElement[str], entity_id: ColumnElement[str]) -> ColumnElement[bool]:
    """Whether `entity_id` is linked to report `report_id` as a victim."""
    victim = report_subjects.alias()
    return _any(victim, victim.c.report_id == report_id, victim.c.category == "victim", victim.c.entity_id == entity_id)


def _named_subject(report_id: ColumnElement[str], entity_id: ColumnElement[str]) -> ColumnElement[bool]:
    """Whether `entity_id` is a data subject of the report in any category (a person in their own right)."""
    named = report_subjects.alias()
    return _any(named, named.c.report_id == report_id, named.c.entity_id == entity_id)


def _points(link: FromClause, report_id: ColumnElement[str], target: ColumnElement[str]) -> ColumnElement[bool]:
    """`link` is a statement of the report whose value is the entity `target`.

    Entity references never carry an identifier kind (`maxim.intake.statements`); saying so lets
    the (identifier_kind, value) index find the few statements naming an entity.
    """
    return and_(link.c.identifier_kind.is_(None), link.c.value == target, link.c.report_id == report_id)


def _victim_link(report_id: ColumnElement[str], entity_id: ColumnElement[str]) -> ColumnElement[bool]:
    """Whether `entity_id` is, in the report, a link (not a data subject) with a statement naming a victim."""
    victim = report_subjects.alias()
    link = statements.alias()
    return and_(
        ~_named_subject(report_id, entity_id),
        _any(
            victim,
            victim.c.report_id == report_id,
            victim.c.category == "victim",
            _any(link, link.c.entity_id == entity_id, _points(link, victim.c.report_id, victim.c.entity_id)),
        ),
    )


def _victim_side(report_id: ColumnElement[str], entity_id: ColumnElement[str]) -> ColumnElement[bool]:
    """The victim or a link pointing at the victim, in the report."""
    return or_(_victim_of(report_id, entity_id), _victim_link(report_id, entity_id))


def _reached_only_through_victim(report_id: ColumnElement[str], entity_id: ColumnElement[str]) -> ColumnElement[bool]:
    """Whether, in the report, only the victim's side points at `entity_id` (and it is no data subject)."""
    via = statements.alias()
    other = statements.alias()
    return and_(
        ~_named_subject(report_id, entity_id),
        _any(via, _points(via, report_id, entity_id), _victim_side(via.c.report_id, via.c.entity_id)),
        ~_any(other, _points(other, report_id, entity_id), ~_victim_side(other.c.report_id, other.c.entity_id)),
    )


def victim_detail() -> ColumnElement[bool]:
    """Whether a row of `statements` is a victim detail of its report: the one statement of the rule.

    Only reports that name a victim are looked into further; the rest pass at the first test.
    """
    rid, eid = statements.c.report_id, statements.c.entity_id
    any_victim = report_subjects.alias()
    has_victim = _any(any_victim, any_victim.c.report_id == rid, any_victim.c.category == "victim")
    return and_(
        has_victim,
        or_(
            _victim_of(rid, eid),
            _victim_of(rid, statements.c.value),
            _victim_link(rid, eid),
            _reached_only_through_victim(rid, eid),
        ),
    )


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
        """Statements that are no victim detail of their report (`victim_detail`), unless allowed."""
        if self.sees_victims(actor):
            return true()
        # The investigating unit of a report is, until referrals are accepted by units, its originator.
        return or_(reports.c.originator == actor.unit, ~victim_detail())

    def statement_filter(self, actor: Actor) -> ColumnElement[bool]:
        return and_(self.report_filter(actor), self.victim_filter(actor))

    def subject_filter(self, actor: Actor) -> ColumnElement[bool]:
        if self.sees_victims(actor):
            return true()
        return or_(report_subjects.c.category != "victim", reports.c.originator == actor.unit)

    def may_submit(self, actor: Actor) -> bool:
        return not actor.external
