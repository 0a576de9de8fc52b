"""Which statements of a report are its victim details: the rule, once, as SQL.

A fact of the report alone (its statements and data-subject links), so it is computed when the
report is stored (`mark`) and kept as `statements.victim_detail`; the access policy then filters
on that column (`maxim.security.policy`), on SQLite and in PostgreSQL's row-level security alike,
instead of planning these nested subqueries into every read.

In a report that names a victim, a statement is a victim detail if its entity is the victim or a
link (not itself a data subject) with a statement pointing at the victim, if it points at the
victim, or if its entity is reached only through those (the victim's address, vehicle ...:
pointed at by the victim's side and by nothing else in the report, and no data subject itself).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Connection, FromClause, and_, or_, select, update

from maxim.store.tables import report_subjects, statements


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


def mark(conn: Connection, report_ids: Sequence[str]) -> None:
    """Mark the victim details of the given reports' statements (those naming a victim)."""
    for start in range(0, len(report_ids), 500):
        chunk = list(report_ids[start : start + 500])
        conn.execute(
            update(statements).where(statements.c.report_id.in_(chunk), victim_detail()).values(victim_detail=True)
        )


def mark_all(conn: Connection) -> None:
    """Mark every stored statement by the rule (the migration that brought the column in)."""
    conn.execute(update(statements).where(victim_detail()).values(victim_detail=True))
