"""MoPI review, disposal and subject access, through the data-access layer.

A review is recorded whatever it decides, with who and why. Disposal erases every version's
statements (logged as an s62 ERASURE), blanks the report's text, and leaves a tombstone row that
holds no personal data, so the reference is known to have existed and been disposed of. A
subject-access export gathers what the store holds about a person across all reports — the
data-protection officer sees past need-to-know for this one purpose, and it is logged as a
disclosure to the data subject — leaving out what the officer withholds under DPA 2018 s45(4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select, update

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.domain.mopi import load_mopi
from maxim.store.access import DataAccess, Forbidden
from maxim.store.audit import Operation
from maxim.store.tables import entities, report_access, report_subjects, reports, reviews, statements

REVIEWER_ROLES = frozenset({"supervisor", "administrator", "data_protection_officer"})
DISPOSED = "[disposed under MoPI review]"


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    review_id: int
    decision: str
    next_review: date | None
    erased_statements: int


class Retention:
    def __init__(self, access: DataAccess) -> None:
        self.access = access

    def queue(self, as_of: date, *, limit: int = 200) -> list[dict[str, Any]]:
        """Current reports of the actor's unit due for review on `as_of`, oldest first."""
        a = self.access
        query = (
            select(
                reports.c.id,
                reports.c.originator,
                reports.c.reference,
                reports.c.title,
                reports.c.received_at,
                reports.c.mopi_group,
                reports.c.review_due,
                reports.c.themes,
            )
            .where(
                reports.c.is_current,
                reports.c.disposed_at.is_(None),
                reports.c.review_due <= as_of,
                reports.c.originator == a.actor.unit,
                a.policy.report_filter(a.actor),
            )
            .order_by(reports.c.review_due, reports.c.id)
            .limit(limit)
        )
        with a.db.writer.begin() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
            if rows:
                a.log(conn, Operation.CONSULTATION, "report", [r["id"] for r in rows], "MoPI review queue")
        return rows

    def decide(self, originator: str, reference: str, *, decision: str, reason: str, as_of: date) -> ReviewOutcome:
        """Record a review of every version of a report: retain (next review set) or dispose (erase)."""
        a = self.access
        errors = []
        if decision not in ("retain", "dispose"):
            errors.append(FieldError("decision", f"must be retain or dispose, got {decision!r}"))
        if not reason.strip():
            errors.append(FieldError("reason", "is required: every review decision records why"))
        if errors:
            raise ValidationFailed(errors)
        if not a.actor.roles & REVIEWER_ROLES:
            raise Forbidden("reviews need the role supervisor, administrator or data_protection_officer")
        now = a.clock()
        mopi = load_mopi()
        with a.db.writer.begin() as conn:
            versions = conn.execute(
                select(reports.c.id, reports.c.mopi_group, reports.c.disposed_at).where(
                    reports.c.originator == originator,
                    reports.c.reference == reference,
                    a.policy.report_filter(a.actor),
                )
            ).all()
            if not versions:
                raise ValidationFailed(
                    [FieldError("reference", f"no report {originator} {reference} that you may see")]
                )
            if any(v.disposed_at is not None for v in versions):
                raise ValidationFailed([FieldError("reference", "this report has already been disposed of")])
            ids = [v.id for v in versions]
            group = min((v.mopi_group for v in versions), key=int)
            next_review = mopi.review_due(group, as_of) if decision == "retain" else None
            erased = 0
            if decision == "retain":
                conn.execute(update(reports).where(reports.c.id.in_(ids)).values(review_due=next_review))
            else:
                touched = list(
                    conn.execute(
                        select(statements.c.entity_id).where(statements.c.report_id.in_(ids)).distinct()
                    ).scalars()
                )
                erased = conn.execute(delete(statements).where(statements.c.report_id.in_(ids))).rowcount
                conn.execute(delete(report_subjects).where(report_subjects.c.report_id.in_(ids)))
                conn.execute(delete(report_access).where(report_access.c.report_id.in_(ids)))
                conn.execute(
                    update(reports)
                    .where(reports.c.id.in_(ids))
                    .values(
                        title=DISPOSED,
                        text="",
                        handling_conditions=None,
                        disposed_at=now,
                        is_current=False,
                    )
                )
                # Entities that now have no facts at all keep only a tombstone caption.
                remaining = select(statements.c.entity_id).where(statements.c.entity_id.in_(touched))
                conn.execute(
                    update(entities)
                    .where(entities.c.id.in_(touched), entities.c.id.not_in(remaining))
                    .values(caption=DISPOSED)
                )
                a.log(conn, Operation.ERASURE, "report", ids, reason.strip(), at=now)
            review_id = conn.execute(
                reviews.insert()
                .values(
                    originator=originator,
                    reference=reference,
                    decision=decision,
                    reason=reason.strip(),
                    decided_by=a.actor.username,
                    decided_at=now,
                    next_review=next_review,
                )
                .returning(reviews.c.id)
            ).scalar_one()
            if decision == "retain":
                a.log(conn, Operation.ALTERATION, "review", ids, reason.strip(), at=now)
        return ReviewOutcome(int(review_id), decision, next_review, int(erased or 0))

    def subject_access(
        self, entity_ids: Sequence[str], withheld: Mapping[str, str]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the copy for the data subject, the officer's record of what was withheld and why)."""
        a = self.access
        if "data_protection_officer" not in a.actor.roles:
            raise Forbidden("subject-access exports need the role data_protection_officer")
        exemptions = load_mopi().exemptions
        bad = [
            FieldError("withhold", f"{code!r} is not a s45(4) ground; use one of {', '.join(exemptions)}")
            for code in withheld.values()
            if code not in exemptions
        ]
        if bad:
            raise ValidationFailed(bad)
        query = (
            select(
                statements.c.entity_id,
                statements.c.schema,
                statements.c.prop,
                statements.c.value,
                statements.c.report_id,
                reports.c.originator,
                reports.c.reference,
                reports.c.received_at,
                reports.c.source_evaluation,
                reports.c.intelligence_assessment,
            )
            .join(reports, reports.c.id == statements.c.report_id)
            .where(statements.c.entity_id.in_(list(entity_ids)), reports.c.is_current)
            .order_by(reports.c.received_at, statements.c.prop)
        )
        with a.db.writer.begin() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
            held = [r for r in rows if r["report_id"] not in withheld]
            categories = conn.execute(
                select(report_subjects.c.report_id, report_subjects.c.category).where(
                    report_subjects.c.entity_id.in_(list(entity_ids)),
                    report_subjects.c.report_id.not_in(list(withheld) or [""]),
                )
            ).all()
            a.log(  # the people, then every report whose statements the copy discloses
                conn,
                Operation.DISCLOSURE,
                "entity",
                [*entity_ids, *sorted({r["report_id"] for r in held})],
                "subject access request (DPA 2018 s45); recipient: the data subject",
            )
        subject_copy = {
            "what_we_hold": [
                {
                    "property": r["prop"],
                    "value": r["value"],
                    "recorded": r["received_at"].isoformat()[:10],
                    "source": f"{r['originator']} {r['reference']}",
                }
                for r in held
            ],
            "recorded_as": sorted({c.category for c in categories}),
        }
        officer_record = {
            "entity_ids": list(entity_ids),
            "withheld": [
                {
                    "report_id": rid,
                    "ground": code,
                    "ground_text": exemptions[code],
                    "statements": sum(1 for r in rows if r["report_id"] == rid),
                }
                for rid, code in withheld.items()
            ],
            "disclosed_statements": len(held),
        }
        return subject_copy, officer_record

    def disposed_count(self) -> int:
        with self.access.db.reader.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(reports).where(reports.c.disposed_at.is_not(None))
                ).scalar_one()
            )
