"""The one data-access layer: every read and write of reports, entities and statements.

Every call names the acting user; the access policy decides what that user may see (as a SQL
filter, so what is hidden is never fetched, counted or hinted at) and every collection and
consultation of personal data is written to the s62 audit chain in the same transaction.
Web pages, the API, the CLI and exports all come through here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from followthemoney import model
from sqlalchemy import ColumnElement, Connection, Select, case, func, null, or_, select, text, true, update

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.domain.originator import originator_refusal
from maxim.intake.statements import ReportRecord
from maxim.reference import load_reference
from maxim.store import victim_rule
from maxim.store.audit import Operation, append
from maxim.store.bulk import insert_ignore, insert_new, versions_params, versions_query
from maxim.store.engine import Database
from maxim.store.export_audit import audited
from maxim.store.tables import entities, report_access, report_subjects, reports, statements


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: every data-access call carries one."""

    username: str
    display_name: str
    unit: str
    roles: frozenset[str] = field(default_factory=frozenset)
    external: bool = False


class AccessPolicy:
    """Decides what an actor may see and do, as SQL filters.

    This base allows everything and exists for the seam's shape; the policy in force is
    `maxim.security.policy.NeedToKnow`, which `DataAccess` uses unless told otherwise.
    """

    def report_filter(self, actor: Actor) -> ColumnElement[bool]:
        """Which rows of `reports` the actor may see."""
        return true()

    def sees_victims(self, actor: Actor) -> bool:
        """Whether the actor sees victim details in every report (not only their own unit's)."""
        return True

    def statement_filter(self, actor: Actor) -> ColumnElement[bool]:
        """Which rows of `statements` (joined to their report) the actor may see."""
        return self.report_filter(actor)

    def subject_filter(self, actor: Actor) -> ColumnElement[bool]:
        """Which data-subject links (rows of `report_subjects`, joined to `reports`) the actor may see."""
        return true()

    def may_submit(self, actor: Actor) -> bool:
        return True


class Outcome(StrEnum):
    CREATED = "created"
    NEW_VERSION = "new_version"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class Submitted:
    report_id: str
    originator: str
    reference: str
    version: int
    outcome: Outcome


class Forbidden(PermissionError):
    """The actor may not do this; the message never reveals what exists."""


def _now() -> datetime:
    return datetime.now(UTC)


class DataAccess:
    def __init__(
        self,
        db: Database,
        actor: Actor,
        *,
        channel: str,
        policy: AccessPolicy | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.db = db
        self.actor = actor
        self.channel = channel
        if policy is None:
            from maxim.security.policy import NeedToKnow  # the security package builds on this module

            policy = NeedToKnow()
        self.policy = policy
        self.clock = clock
        # (actor, policy, filter): built once per actor, as a page reads through it several times.
        self._statement_filter: tuple[Actor, AccessPolicy, ColumnElement[bool]] | None = None

    # -- writes -------------------------------------------------------------------------

    def submit(self, records: Sequence[ReportRecord]) -> list[Submitted]:
        """Store report versions in one transaction: all of them or none.

        The same originator, reference and content again is `unchanged` and writes nothing;
        changed content becomes the next version and the previous one stops being current.
        Every entry point (form, API, batch, imports) stores through here, so the originator rule
        is checked here, before anything is read: a refusal is the same whatever exists.
        """
        if not self.policy.may_submit(self.actor):
            raise Forbidden("you may not submit reports")
        if not records:
            return []
        self._check_originators(records)
        keys = {(r.report["originator"], r.report["reference"]) for r in records}
        now = self.clock()
        with self.db.writer.begin() as conn:
            known: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
            current: dict[tuple[str, str], str] = {}
            for key_chunk in _chunks(sorted(keys), 400):
                rows = conn.execute(versions_query(len(key_chunk)), versions_params(key_chunk))
                for orig, ref, chash, version, rid, is_current in rows:
                    known[(orig, ref)][chash] = version
                    if is_current:
                        current[(orig, ref)] = rid
            results: list[Submitted] = []
            new_records: list[ReportRecord] = []
            superseded: list[str] = []
            for record in records:
                row = record.report
                key = (row["originator"], row["reference"])
                versions = known[key]
                if row["content_hash"] in versions:
                    results.append(Submitted(row["id"], *key, versions[row["content_hash"]], Outcome.UNCHANGED))
                    continue
                version = max(versions.values(), default=0) + 1
                versions[row["content_hash"]] = version
                if key in current:
                    superseded.append(current[key])
                current[key] = row["id"]
                new_records.append(record)
                outcome = Outcome.CREATED if version == 1 else Outcome.NEW_VERSION
                results.append(Submitted(row["id"], *key, version, outcome))
            if new_records:
                by_id = {r.report_id: r for r in results if r.outcome != Outcome.UNCHANGED}
                report_rows = []
                for record in new_records:
                    rid = record.report["id"]
                    report_rows.append(
                        {
                            **record.report,
                            "version": by_id[rid].version,
                            "is_current": current[(record.report["originator"], record.report["reference"])] == rid,
                        }
                    )
                if superseded:
                    for chunk in _chunks(superseded, 500):
                        conn.execute(update(reports).where(reports.c.id.in_(chunk)).values(is_current=False))
                insert_new(conn, reports, report_rows)
                # Entities recur across reports and versions; the rest hang off the versions just inserted.
                insert_ignore(conn, entities, [e for r in new_records for e in r.entities])
                insert_ignore(conn, statements, [s for r in new_records for s in r.statements], fresh=True)
                insert_ignore(conn, report_subjects, [s for r in new_records for s in r.subjects], fresh=True)
                victim_rule.mark(conn, [r.report["id"] for r in new_records if _names_a_victim(r)])
                insert_ignore(conn, report_access, [g for r in new_records for g in r.grantees], fresh=True)
                created = [r.report_id for r in results if r.outcome == Outcome.CREATED]
                altered = [r.report_id for r in results if r.outcome == Outcome.NEW_VERSION]
                if created:
                    self.log(conn, Operation.COLLECTION, "report", created, at=now)
                if altered:
                    self.log(conn, Operation.ALTERATION, "report", altered, at=now)
        return results

    def _check_originators(self, records: Sequence[ReportRecord]) -> None:
        """Refuse the whole submission if the actor may not submit as some record's originator."""
        ref = load_reference()
        errors: list[FieldError] = []
        for i, record in enumerate(records):
            refusal = originator_refusal(record.report["originator"], self.actor.unit, self.actor.roles, ref)
            if refusal is not None:
                errors.append(refusal if len(records) == 1 else refusal.within(f"reports[{i}]"))
        if errors:
            raise ValidationFailed(errors)

    # -- reads --------------------------------------------------------------------------

    def _read_scope(self, conn: Connection) -> Connection:
        """On PostgreSQL, read as `maxim_reader` so row-level security applies the same rules again.

        The acting user's scope is written, as the application's own role, to `rls_sessions`
        under this transaction's id, and the policies read it from there (migration
        0013_rls_sessions): no setting the reader role could change widens what it sees, and a
        transaction with no scope row sees nothing. No other transaction ever sees the row (it
        is deleted at commit) and the role ends with the transaction (`SET LOCAL`), so neither
        leaks to the next user of the pooled connection. `log` returns to the application's own
        role, as the reader role may not write the audit.

        JIT compilation is turned off for the transaction: the row-level policies make the
        planner's cost estimates of even a one-row lookup exceed `jit_above_cost`, and compiling
        took 50-300 ms per query (measured with bench/profile_reads.py) for queries that run in
        under 5 ms.
        """
        if conn.dialect.name == "postgresql":
            conn.execute(
                text(
                    "INSERT INTO rls_sessions (xact, unit, grantees, victims, external) "
                    "VALUES (pg_current_xact_id(), :unit, :grantees, :victims, :external)"
                ),
                {
                    "unit": self.actor.unit,
                    "grantees": [self.actor.unit, *sorted(self.actor.roles)],
                    "victims": self.policy.sees_victims(self.actor),
                    "external": self.actor.external,
                },
            )
            conn.exec_driver_sql("SET LOCAL jit = off; SET LOCAL ROLE maxim_reader")
        return conn

    def log(
        self,
        conn: Connection,
        operation: Operation,
        object_type: str,
        object_ids: Sequence[str],
        justification: str | None = None,
        *,
        at: datetime | None = None,
    ) -> None:
        """Append an s62 event for the acting user in the caller's transaction: the one way to audit."""
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("RESET ROLE")  # out of `_read_scope`'s reader role, which may not write
        append(
            conn,
            at=at or self.clock(),
            username=self.actor.username,
            operation=operation,
            object_type=object_type,
            object_ids=list(object_ids),
            channel=self.channel,
            justification=justification,
        )

    def _consulted(
        self, conn: Connection, object_type: str, ids: Sequence[str], justification: str | None = None
    ) -> None:
        if ids:
            self.log(conn, Operation.CONSULTATION, object_type, ids, justification)

    def latest_reports(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """The most recently received current reports the actor may see."""
        query = (
            select(
                reports.c.id,
                reports.c.originator,
                reports.c.reference,
                reports.c.version,
                reports.c.kind,
                reports.c.received_at,
                reports.c.title,
                reports.c.source_evaluation,
                reports.c.intelligence_assessment,
                reports.c.handling_code,
                reports.c.migrated,
                reports.c.themes,
            )
            .where(reports.c.is_current, self.policy.report_filter(self.actor))
            .order_by(reports.c.received_at.desc(), reports.c.id)
            .limit(limit)
            .offset(offset)
        )
        with self.db.writer.begin() as conn:
            self._read_scope(conn)
            rows = [dict(r._mapping) for r in conn.execute(query)]
            self._consulted(conn, "report", [r["id"] for r in rows])
        return rows

    def count_reports(self) -> int:
        query = (
            select(func.count()).select_from(reports).where(reports.c.is_current, self.policy.report_filter(self.actor))
        )
        with self.db.reader.connect() as conn:
            self._read_scope(conn)
            return int(conn.execute(query).scalar_one())

    def report(self, report_id: str) -> dict[str, Any] | None:
        """One report version with its statements and subjects, or None if absent or not visible."""
        with self.db.writer.begin() as conn:
            self._read_scope(conn)
            row = conn.execute(
                select(reports).where(reports.c.id == report_id, self.policy.report_filter(self.actor))
            ).first()
            if row is None:
                return None
            result = dict(row._mapping)
            facts = [
                dict(s._mapping)
                for s in conn.execute(
                    self._scope(statements, report_id=report_id)
                    .where(statements.c.report_id == report_id)
                    .order_by(statements.c.entity_id, statements.c.prop, statements.c.value)
                )
            ]
            subjects = [
                dict(s._mapping)
                for s in conn.execute(
                    select(report_subjects, entities.c.schema)
                    .join(entities, entities.c.id == report_subjects.c.entity_id)
                    .join(reports, reports.c.id == report_subjects.c.report_id)
                    .where(report_subjects.c.report_id == report_id, self.policy.subject_filter(self.actor))
                )
            ]
            headers = self._headers(
                conn, [*{f["entity_id"] for f in facts}, *{s["entity_id"] for s in subjects}], report_id
            )
            for item in facts:
                item["caption"] = headers[item["entity_id"]]["caption"]
            for item in subjects:
                item["caption"] = headers.get(item["entity_id"], {}).get("caption") or _label(item["schema"])
            result["statements"] = facts
            result["subjects"] = subjects
            result["share_with"] = sorted(
                conn.execute(select(report_access.c.grantee).where(report_access.c.report_id == report_id)).scalars()
            )
            result["versions"] = [
                dict(v._mapping)
                for v in conn.execute(
                    select(reports.c.id, reports.c.version, reports.c.is_current, reports.c.created_at)
                    .where(
                        reports.c.originator == row.originator,
                        reports.c.reference == row.reference,
                        self.policy.report_filter(self.actor),
                    )
                    .order_by(reports.c.version)
                )
            ]
            self._consulted(conn, "report", [report_id])
        return result

    def entity(self, entity_id: str) -> dict[str, Any] | None:
        """An entity with the statements behind it from current, visible reports, each with its report's grading."""
        query = (
            self.visible_statements(
                statements,
                reports.c.originator,
                reports.c.reference,
                reports.c.received_at,
                reports.c.source_evaluation,
                reports.c.intelligence_assessment,
                reports.c.handling_code,
                reports.c.migrated,
            )
            .where(statements.c.entity_id == entity_id)
            .order_by(statements.c.prop, statements.c.value)
        )
        with self.db.writer.begin() as conn:
            self._read_scope(conn)
            facts = [dict(s._mapping) for s in conn.execute(query)]
            if not facts:  # nothing visible: indistinguishable from an entity that does not exist
                return None
            result = dict(self._headers(conn, [entity_id])[entity_id])
            result["statements"] = facts
            result["subjects"] = [
                dict(s._mapping)
                for s in conn.execute(
                    select(
                        report_subjects.c.report_id,
                        report_subjects.c.category,
                        report_subjects.c.detail,
                    )
                    .join(reports, reports.c.id == report_subjects.c.report_id)
                    .where(
                        report_subjects.c.entity_id == entity_id,
                        reports.c.is_current,
                        self.policy.report_filter(self.actor),
                        self.policy.subject_filter(self.actor),
                    )
                )
            ]
            self._consulted(conn, "entity", [entity_id])
        return result

    def headers(self, entity_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Id, schema and caption of those entities the actor sees a statement of (`_headers`)."""
        if not entity_ids:
            return {}
        with self.db.reader.connect() as conn:
            self._read_scope(conn)
            return self._headers(conn, entity_ids)

    def _headers(
        self, conn: Connection, entity_ids: Sequence[str], report_id: str | None = None
    ) -> dict[str, dict[str, Any]]:
        """Captions through need-to-know: an entity row is shared by every version of its report
        and written by the first, so its stored caption is shown only when a statement the actor
        sees gives it (as a value, or as its report's title or reference, for a report's text);
        otherwise the caption is made from the statements the actor sees, or is the schema's
        label. Entities with no visible statement are absent. With `report_id`, "visible" means
        visible in that version (which may be an earlier one), else in current reports.
        """
        gives = self._scope(statements.c.id, report_id=report_id).where(
            statements.c.entity_id == entities.c.id,
            or_(
                statements.c.value == entities.c.caption,
                statements.c.original_value == entities.c.caption,
                reports.c.title == entities.c.caption,
                reports.c.reference == entities.c.caption,
            ),
        )
        seen = self._scope(statements.c.id, report_id=report_id).where(statements.c.entity_id == entities.c.id)
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(sorted(set(entity_ids)), 500):
            query = select(
                entities.c.id,
                entities.c.schema,
                case((gives.exists(), entities.c.caption), else_=null()).label("caption"),
            ).where(entities.c.id.in_(chunk), seen.exists())
            out.update({r.id: dict(r._mapping) for r in conn.execute(query)})
        untold = sorted(i for i, h in out.items() if h["caption"] is None)
        if untold:
            given: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
            facts = self._scope(
                statements.c.entity_id, statements.c.prop, statements.c.original_value, report_id=report_id
            )
            for chunk in _chunks(untold, 500):
                rows = conn.execute(facts.where(statements.c.entity_id.in_(chunk)).order_by(statements.c.id))
                for entity_id, prop, value in rows:
                    given[entity_id][prop].append(value)
            for entity_id in untold:
                out[entity_id]["caption"] = _caption_from(out[entity_id]["schema"], given[entity_id])
        return out

    def _scope(self, *columns: Any, report_id: str | None = None) -> Select[Any]:
        """Visible statements of current reports, or with `report_id` of that version whether current or not."""
        if report_id is None:
            return self.visible_statements(*columns)
        return (
            select(*columns)
            .select_from(statements.join(reports, reports.c.id == statements.c.report_id))
            .where(reports.c.id == report_id, self._built_statement_filter())
        )

    def visible_statements(self, *columns: Any) -> Select[Any]:
        """A query over statements of current reports that the actor may see, joined to `reports`.

        Later stages (resolution, networks, exports) build on this instead of touching the
        tables, so the access policy applies to them without their knowing its rules.
        """
        chosen = columns or (statements,)
        return (
            select(*chosen)
            .select_from(statements.join(reports, reports.c.id == statements.c.report_id))
            .where(reports.c.is_current, self._built_statement_filter())
        )

    def _built_statement_filter(self) -> ColumnElement[bool]:
        """The policy's statement filter, built once per actor: a page reads through it several
        times, and building (and compiling) its nested victim rule anew each time cost more than
        running it."""
        built = self._statement_filter
        if built is None or built[0] is not self.actor or built[1] is not self.policy:
            built = self._statement_filter = (self.actor, self.policy, self.policy.statement_filter(self.actor))
        return built[2]

    def audit(
        self,
        operation: Operation,
        object_type: str,
        object_ids: Sequence[str],
        justification: str | None = None,
    ) -> None:
        """Record an s62 event on its own (for work that reads through `visible_statements`)."""
        with self.db.writer.begin() as conn:
            self.log(conn, operation, object_type, object_ids, justification)

    def iter_statements(self, batch: int = 5000) -> Iterator[dict[str, Any]]:
        """Every visible statement of current reports, for export; each batch's reports and entities are audited."""
        query = self.visible_statements(
            statements,
            reports.c.originator,
            reports.c.reference,
            reports.c.source_evaluation,
            reports.c.intelligence_assessment,
            reports.c.handling_code,
        ).order_by(statements.c.id)
        with self.db.reader.connect() as conn:
            self._read_scope(conn)
            result = conn.execution_options(yield_per=batch).execute(query)
            rows = (dict(row._mapping) for row in result)
            yield from audited(self, rows, operation=Operation.CONSULTATION, justification="bulk export: statements")

    def counts(self) -> dict[str, int]:
        """Totals of visible current reports, their entities and statements."""
        visible = select(reports.c.id).where(reports.c.is_current, self.policy.report_filter(self.actor))
        facts = self.visible_statements(statements.c.entity_id).subquery()
        with self.db.reader.connect() as conn:
            self._read_scope(conn)
            n_reports = conn.execute(select(func.count()).select_from(visible.subquery())).scalar_one()
            n_statements = conn.execute(select(func.count()).select_from(facts)).scalar_one()
            n_entities = conn.execute(select(func.count(func.distinct(facts.c.entity_id)))).scalar_one()
        return {
            "reports": int(n_reports),
            "statements": int(n_statements),
            "entities": int(n_entities),
        }


def _label(schema: str) -> str:
    found = model.get(schema)
    return str(found.label) if found is not None else schema


def _caption_from(schema: str, given: dict[str, list[str]]) -> str:
    """A caption as intake makes one (`maxim.intake.statements`), from the values the actor sees."""
    found = model.get(schema)
    for prop in found.caption if found is not None else ():
        if given.get(prop):
            return given[prop][0][:500]
    names = [given[p][0] for p in ("firstName", "lastName") if given.get(p)]
    return " ".join(names)[:500] or _label(schema)


def _names_a_victim(record: ReportRecord) -> bool:
    return any(subject["category"] == "victim" for subject in record.subjects)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
