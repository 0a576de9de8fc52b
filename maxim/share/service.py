"""Dissemination: the thin adapter between the pure package core and the store.

`build_package` reads what the acting user may see (through `DataAccess`, so need-to-know
applies before any rule of this module), asks the dissemination policy about each report,
assembles and renders the package, and records it with its s62 DISCLOSURE naming the
recipient. A package that would carry anything the rules forbid is refused whole, every
reason listed, unless the user asks to leave the blocked reports out.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import select

from maxim.reference import Reference, load_reference
from maxim.share import formats
from maxim.share.manifest import TrustedKey, write_zip
from maxim.share.package import CONTEXT, Selection, assemble, report_context, to_proxy, validate_proxy
from maxim.share.policy import Recipient, load_policy, recipient_for
from maxim.share.signing import SigningKey, key_id, public_key, public_pem
from maxim.store.access import DataAccess, Forbidden
from maxim.store.audit import Operation
from maxim.store.export_audit import audited
from maxim.store.share_access import ShareAccess
from maxim.store.tables import report_subjects, reports, statements


class PackageBlocked(ValueError):
    """Some chosen material may not go to this recipient; `blocked` is (what, reason) for each."""

    def __init__(self, recipient: str, blocked: list[tuple[str, str]]) -> None:
        self.blocked = blocked
        self.recipient = recipient
        lines = "; ".join(f"{what}: {why}" for what, why in blocked)
        super().__init__(f"package to {recipient} refused, nothing was sent or logged: {lines}")


@dataclass(slots=True)
class PackageResult:
    package_id: str
    recipient: Recipient
    zip_bytes: bytes
    manifest_sha256: str
    key_id: str
    items: int
    entities: int
    victims_withheld: int
    notices: int
    excluded: list[tuple[str, str]] = field(default_factory=list)


def _selections(
    access: DataAccess,
    share: ShareAccess,
    report_ids: Sequence[str],
    entity_ids: Sequence[str],
    network_id: str | None,
) -> tuple[dict[str, Selection], list[tuple[str, str]]]:
    """The reports behind the user's choice, each whole or limited to some entities; what was not found."""
    missing: list[tuple[str, str]] = []
    chosen: dict[str, Selection] = {}
    for rid in dict.fromkeys(report_ids):
        view = access.report(rid)
        if view is None:  # absent and not visible look the same: never hint which
            missing.append((f"report {rid}", "not found"))
            continue
        chosen[rid] = Selection(view)
    wanted = list(dict.fromkeys(entity_ids))
    if network_id is not None:
        wanted.extend(share.network_members(network_id))
    partial: dict[str, set[str]] = {}
    for eid in dict.fromkeys(wanted):
        entity = access.entity(eid)
        if entity is None:
            if eid in entity_ids:
                missing.append((f"entity {eid}", "not found"))
            continue
        for rid in sorted({s["report_id"] for s in entity["statements"]}):
            partial.setdefault(rid, set()).add(eid)
    for rid, eids in partial.items():
        if rid in chosen:
            continue  # already whole
        view = access.report(rid)
        if view is not None:
            chosen[rid] = Selection(view, frozenset(eids))
    return chosen, missing


def build_package(
    access: DataAccess,
    recipient_code: str,
    *,
    report_ids: Sequence[str] = (),
    entity_ids: Sequence[str] = (),
    network_id: str | None = None,
    purpose: str | None = None,
    transfer_basis: str | None = None,
    exclude_blocked: bool = False,
    ref: Reference | None = None,
    signer: SigningKey,
) -> PackageResult:
    """Build, record and log a package for `recipient_code`; refuse it whole if anything must not leave.

    `signer` is the installation's key (`maxim.share.signing.installation_key`): the manifest
    is signed with it, so the recipient can tell the package came from here, unaltered.
    """
    ref = ref or load_reference()
    policy = load_policy()
    share = ShareAccess(access)
    share.require_disseminator("building a dissemination package")
    recipient = recipient_for(recipient_code, ref)
    if recipient is None:
        raise ValueError(f"--to: {recipient_code!r} is not a partner (partners.yaml) or unit code")
    if recipient.recipient_class in policy.transfer_basis_required and not (transfer_basis or "").strip():
        raise ValueError(
            f"--transfer-basis: a transfer to {recipient.recipient_class} needs its legal basis (DPA 2018 ss72-78)"
        )
    if not (report_ids or entity_ids or network_id):
        raise ValueError("choose what to send: --report, --entity or --network")
    chosen, blocked = _selections(access, share, report_ids, entity_ids, network_id)
    consultations = share.consultations(sorted(chosen), recipient.code)
    allowed: list[Selection] = []
    for rid, selection in sorted(
        chosen.items(), key=lambda kv: (kv[1].report["originator"], kv[1].report["reference"])
    ):
        verdict = policy.decide(
            selection.report,
            recipient,
            roles=access.actor.roles,
            username=access.actor.username,
            consultation=consultations.get(rid),
        )
        if verdict.allowed:
            allowed.append(selection)
        else:
            label = f"report {rid} ({selection.report['originator']} {selection.report['reference']})"
            blocked.extend((label, reason) for reason in verdict.reasons)
    if blocked and not exclude_blocked:
        raise PackageBlocked(recipient.code, blocked)
    if not allowed:
        raise PackageBlocked(recipient.code, blocked or [("selection", "nothing may be sent")])
    report_keys = [(str(s.report["originator"]), str(s.report["reference"])) for s in allowed]
    allowed_ids = [str(s.report["id"]) for s in allowed]
    assembled = assemble(
        allowed,
        policy=policy,
        ref=ref,
        releases=share.open_releases(recipient.code, allowed_ids),
        last_reviews=share.last_reviews(report_keys),
        consultations={
            rid: {"consulted": c.consulted, "consulted_at": c.consulted_at.isoformat(), "outcome": c.outcome}
            for rid, c in consultations.items()
            if rid in allowed_ids
        },
    )
    notices = share.pending_notices(recipient.code)
    now = access.clock()
    package_id = f"PKG-{now:%Y%m%d}-{uuid.uuid4().hex[:10].upper()}"
    notice_rows = [
        {
            "notice": n["kind"],
            "package_id": n["package_id"],
            "report_id": n["report_id"],
            "originator": n["originator"],
            "reference": n["reference"],
            "reason": n["reason"],
            "corrected_by": n["corrected_by"],
            "recorded_at": n["recorded_at"],
        }
        for n in notices
    ]
    files = formats.render(assembled.entities, assembled.items, notice_rows)
    header = {
        "package_id": package_id,
        "created_at": now.isoformat(),
        "created_by": access.actor.unit,
        "recipient": {"code": recipient.code, "name": recipient.name, "class": recipient.recipient_class},
        "purpose": purpose,
        "transfer_basis": transfer_basis,
        "policy_version": policy.version,
        "caveat": policy.caveat,
        "items": len(assembled.items),
        "entities": len(assembled.entities),
        "notices": len(notice_rows),
    }
    zip_bytes, manifest_sha = write_zip(files, header, now, signer)
    handling = Counter(str(s.report["handling_code"]) for s in allowed)
    conditions = sorted({str(s.report["handling_conditions"]) for s in allowed if s.report.get("handling_conditions")})
    justification = (
        f"recipient: {recipient.code} ({recipient.recipient_class}); package {package_id}; "
        f"purpose: {purpose or 'not stated'}; reports: {len(allowed)} "
        f"({', '.join(f'{k}x{v}' for k, v in sorted(handling.items()))}); "
        f"conditions carried: {' | '.join(conditions) or 'none'}; victims withheld: {assembled.victims_withheld}"
        + (f"; transfer basis: {transfer_basis}" if transfer_basis else "")
        + (f"; notices: {len(notice_rows)}" if notice_rows else "")
    )
    per_report = Counter(str(e[CONTEXT]["reports"][0]["report_id"]) for e in assembled.entities)
    share.save_package(
        {
            "id": package_id,
            "recipient": recipient.code,
            "recipient_class": recipient.recipient_class,
            "created_at": now,
            "created_by": access.actor.username,
            "manifest_sha256": manifest_sha,
            "items": len(assembled.items),
            "entities": len(assembled.entities),
            "victims_withheld": assembled.victims_withheld,
            "transfer_basis": transfer_basis,
            "purpose": purpose,
        },
        [
            {
                "report_id": s.report["id"],
                "originator": s.report["originator"],
                "reference": s.report["reference"],
                "handling_code": s.report["handling_code"],
                "handling_conditions": s.report.get("handling_conditions"),
                "action_code": s.report.get("action_code"),
                "sanitisation_code": s.report.get("sanitisation_code"),
                "entities": per_report.get(str(s.report["id"]), 0),
                "status": "sent",
            }
            for s in allowed
        ],
        releases_used=assembled.releases_used,
        notices=[int(n["id"]) for n in notices],
        disclosed_ids=[package_id, *allowed_ids, *(e["id"] for e in assembled.entities)],
        justification=justification,
    )
    return PackageResult(
        package_id=package_id,
        recipient=recipient,
        zip_bytes=zip_bytes,
        manifest_sha256=manifest_sha,
        key_id=signer.key_id,
        items=len(assembled.items),
        entities=len(assembled.entities),
        victims_withheld=assembled.victims_withheld,
        notices=len(notice_rows),
        excluded=blocked,
    )


# -- bulk export ---------------------------------------------------------------------------


def _bulk_rows(access: DataAccess) -> Iterator[dict[str, Any]]:
    query = access.visible_statements(
        statements,
        reports.c.kind,
        reports.c.originator,
        reports.c.reference,
        reports.c.source_evaluation,
        reports.c.intelligence_assessment,
        reports.c.handling_code,
        reports.c.handling_conditions,
        reports.c.action_code,
        reports.c.sanitisation_code,
    ).order_by(statements.c.entity_id, statements.c.report_id, statements.c.prop, statements.c.value)
    with access.db.reader.connect() as conn:
        access._read_scope(conn)  # row-level security on PostgreSQL as well as the query's own filter
        for row in conn.execution_options(yield_per=5000).execute(query):
            yield dict(row._mapping)


def _roles(access: DataAccess) -> dict[str, tuple[str, str | None]]:
    query = (
        select(report_subjects.c.entity_id, report_subjects.c.category, report_subjects.c.detail)
        .join(reports, reports.c.id == report_subjects.c.report_id)
        .where(
            reports.c.is_current,
            access.policy.report_filter(access.actor),
            access.policy.subject_filter(access.actor),
        )
    )
    with access.db.reader.connect() as conn:
        access._read_scope(conn)
        return {e: (c, d) for e, c, d in conn.execute(query)}


def export_ftm(access: DataAccess, out: IO[str]) -> int:
    """Everything the acting user may see as FollowTheMoney JSONL; each batch's reports and entities audited
    as a disclosure before it is written. Returns entities."""
    if access.actor.external:
        raise Forbidden("external accounts receive packages, not exports")
    policy = load_policy()
    roles = _roles(access)
    why = f"recipient: {access.actor.username} ({access.actor.unit}, INTERNAL_ONLY); bulk FtM export"
    count = 0
    current: str | None = None
    rows: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal count
        if not rows:
            return
        contexts: dict[str, dict[str, Any]] = {}
        for row in rows:
            contexts.setdefault(row["report_id"], report_context({**row, "id": row["report_id"]}, policy))
        entity_context: dict[str, Any] = {"reports": list(contexts.values())}
        role = roles.get(rows[0]["entity_id"])
        if role is not None:
            entity_context["role"] = role[0]
            if role[1]:
                entity_context["role_detail"] = role[1]
        proxy = to_proxy(rows[0]["entity_id"], rows[0]["schema"], rows, entity_context)
        problems = validate_proxy(proxy) if proxy.schema.required else []
        if not problems:  # a link entity whose other end is hidden is left out, like in a package
            out.write(json.dumps(proxy.to_dict(), sort_keys=True, ensure_ascii=False) + "\n")
            count += 1
        rows.clear()

    for row in audited(access, _bulk_rows(access), operation=Operation.DISCLOSURE, justification=why):
        if row["entity_id"] != current:
            flush()
            current = row["entity_id"]
        rows.append(row)
    flush()
    return count


def package_summary(result: PackageResult) -> dict[str, Any]:
    return {
        "package_id": result.package_id,
        "recipient": result.recipient.code,
        "recipient_class": result.recipient.recipient_class,
        "manifest_sha256": result.manifest_sha256,
        "signing_key": result.key_id,
        "items": result.items,
        "entities": result.entities,
        "victims_withheld": result.victims_withheld,
        "notices": result.notices,
        "excluded": [{"what": w, "reason": r} for w, r in result.excluded],
    }


def register_partner_key(share: ShareAccess, partner: str, pem: bytes, source: str) -> tuple[str, bool]:
    """Read a partner's public key (refused with its reason if it is none) and register it."""
    key = public_key(pem, source)
    return share.add_partner_key(partner, key_id(key), public_pem(key), source)


def trusted_keys(share: ShareAccess) -> dict[str, TrustedKey]:
    """Key id -> partner and public key, what a package's signature is checked against."""
    return {r["key_id"]: TrustedKey(r["partner"], r["public_key"]) for r in share.partner_keys()}
