"""Deconfliction: a new report touches a subject of another unit's live operation.

`check_deconfliction(access, report_id)` runs after a report is stored (the web API and the
intake form call it); batch ingest calls `check_deconfliction_batch(access, report_ids)` once
per committed chunk, and partner imports (`maxim.share.imports.submit`: FollowTheMoney,
packages, mapped tables, HTCDS, SARs) once per import, which raises the same alerts as checking
each report in turn but reads the operations once and updates the networks once for the whole
chunk. However a report arrives, it is the same check: partner material touching another unit's
live operation alerts like any report, and no way in leaves the stored networks stale. Either
first brings the stored networks of every computed scope up to date with the reports
(`maxim.store.network_access.update_networks`: only the components around what they touch are
recomputed). Then it folds each report's statements the submitter may see into graph nodes
(canonical persons, addresses, vehicles, accounts, and strong identifiers such as phones), folds
what the submitter may see of every live operation's subjects the same way, and where they meet
stores two alerts: one for the operation's owning unit and one for the submitter. The
submitter's alert names the shared entity as their own report gives it, and the owning unit to
contact - not the operation, its name or anything else about it. The operation's subjects are
read as the owning unit sees them (audited under the submitter's name), so what the submitter
may not see is never matched on their behalf nor shown to them. The owner's alert names their
own subject, the report and who to contact. Operations of the submitter's own unit raise
nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from maxim.domain.identifiers.registry import REGISTRY
from maxim.network.fold import PERSON, Folded, fold
from maxim.network.model import Fact
from maxim.prioritise.config import load_harm_config
from maxim.store.access import Actor, DataAccess
from maxim.store.audit import Operation
from maxim.store.network_access import canonical_ids, read_facts, read_reports, update_networks
from maxim.store.tables_network import deconfliction_alerts
from maxim.store.tables_workflow import operation_subjects, operations

CLOSED = frozenset({"CLOSED", "ARCHIVED"})
_KEY_KINDS = frozenset({PERSON, "address", "vehicle", "account", "passport", "company"}) | frozenset(
    k for k, t in REGISTRY.items() if t.strong
)


@dataclass(frozen=True, slots=True)
class Alert:
    recipient: str  # "owner" or "submitter"
    unit: str
    username: str | None
    report_id: str
    operation_id: str
    entity: str
    detail: str


def _keys(folded: Folded, entity_ids: set[str] | None = None) -> dict[str, str]:
    """Node -> caption of what an entity (or all of a fold's entities) is or holds."""
    own = {
        n for e, n in folded.node_of.items() if (entity_ids is None or e in entity_ids) and not n.startswith("link:")
    }
    out = {n: folded.captions.get(n, n) for n in own if folded.kinds.get(n) in _KEY_KINDS}
    for a, b, _rel, _rid in folded.records:
        if a in own and folded.kinds.get(b) in _KEY_KINDS:
            out.setdefault(b, folded.captions.get(b, b))
    return out


def check_deconfliction(access: DataAccess, report_id: str) -> list[Alert]:
    """Update the stored networks for a newly stored report; store and return the deconfliction
    alerts it raises."""
    return check_deconfliction_batch(access, [report_id])


def check_deconfliction_batch(access: DataAccess, report_ids: Sequence[str]) -> list[Alert]:
    """Update the stored networks once for these newly stored reports; store and return the
    alerts they raise, report by report in the order given, as one `check_deconfliction` per
    report would. Batch ingest calls this per chunk: one network update per scope for the whole
    chunk, not one per report."""
    wanted = list(dict.fromkeys(report_ids))
    if not wanted:
        return []
    update_networks(access, wanted)
    actor = access.actor
    with access.db.reader.connect() as conn:
        live = [
            (r.id, r.name, r.owner_unit)
            for r in conn.execute(
                select(operations.c.id, operations.c.name, operations.c.owner_unit, operations.c.status)
            )
            if r.status not in CLOSED and r.owner_unit != actor.unit
        ]
        if not live:
            return []
        subjects: dict[str, list[str]] = defaultdict(list)
        for op_id, entity_id in conn.execute(
            select(operation_subjects.c.operation_id, operation_subjects.c.entity_id).where(
                operation_subjects.c.operation_id.in_([op[0] for op in live])
            )
        ):
            subjects[op_id].append(entity_id)
    canonical = canonical_ids(access)
    protected = load_harm_config().protected
    by_report: dict[str, list[Fact]] = defaultdict(list)
    for fact in read_facts(access, protected, report_ids=wanted):
        by_report[fact.report_id].append(fact)
    if not by_report:
        return []
    subject_folds: dict[str, Folded] = {}
    for owner in {op[2] for op in live}:
        # What the owning unit may see of its own subjects: never the submitter's view of them.
        as_owner = DataAccess(
            access.db,
            Actor(actor.username, actor.display_name, owner),
            channel=access.channel,
            policy=access.policy,
            clock=access.clock,
        )
        owned = {e for op_id, _n, unit in live if unit == owner for e in subjects.get(op_id, [])}
        subject_folds[owner] = fold(read_facts(as_owner, protected, entity_ids=owned), canonical=canonical)
    subject_keys = {
        (op_id, subject): {subject: subject, canonical(subject): subject} | _keys(subject_folds[owner], {subject})
        for op_id, _name, owner in live
        for subject in set(subjects.get(op_id, []))
    }
    labels = {r.id: f"{r.originator} {r.reference}" for r in read_reports(access, report_ids=list(by_report))}
    alerts: list[Alert] = []
    for report_id in wanted:
        if report_id not in by_report:
            continue  # nothing of it the submitter may see
        report_keys = _keys(fold(by_report[report_id], canonical=canonical))
        alerts += _alerts(actor, report_id, labels.get(report_id, report_id), report_keys, live, subjects, subject_keys)
    if not alerts:
        return []
    now = access.clock()
    stored = []
    with access.db.writer.begin() as conn:
        for alert in alerts:
            exists = conn.execute(
                select(deconfliction_alerts.c.id).where(
                    deconfliction_alerts.c.report_id == alert.report_id,
                    deconfliction_alerts.c.operation_id == alert.operation_id,
                    deconfliction_alerts.c.recipient == alert.recipient,
                    deconfliction_alerts.c.entity == alert.entity,
                )
            ).first()
            if exists is None:
                conn.execute(
                    deconfliction_alerts.insert().values(
                        report_id=alert.report_id,
                        operation_id=alert.operation_id,
                        recipient=alert.recipient,
                        unit=alert.unit,
                        username=alert.username,
                        entity=alert.entity,
                        detail=alert.detail,
                        raised_at=now,
                    )
                )
                stored.append(alert)
    checked = sorted({a.report_id for a in alerts})
    access.audit(Operation.COMBINATION, "deconfliction", checked, justification="deconfliction check")
    return stored


def _alerts(
    actor: Actor,
    report_id: str,
    label: str,
    report_keys: dict[str, str],
    live: Sequence[tuple[str, str, str]],
    subjects: dict[str, list[str]],
    subject_keys: dict[tuple[str, str], dict[str, str]],
) -> list[Alert]:
    """The two alerts (owner, submitter) for every live operation subject one report touches."""
    alerts: list[Alert] = []
    for op_id, name, owner in live:
        for subject in sorted(set(subjects.get(op_id, []))):
            keys = subject_keys[(op_id, subject)]
            for node in sorted(keys.keys() & report_keys.keys()):
                caption = report_keys[node]
                alerts.append(
                    Alert(
                        "owner",
                        owner,
                        None,
                        report_id,
                        op_id,
                        subject,
                        f"Report {label} (submitted by {actor.username}, {actor.unit}) touches subject {subject} "
                        f"of operation {name}; deconflict with {actor.unit}.",
                    )
                )
                alerts.append(
                    Alert(
                        "submitter",
                        actor.unit,
                        actor.username,
                        report_id,
                        op_id,
                        caption,
                        f"Your report {label} names {caption}, which is linked to a live operation of "
                        f"{owner}; contact {owner} before any action.",
                    )
                )
    return alerts
