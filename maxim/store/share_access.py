"""Partner-exchange records through the data-access layer: packages, decisions, withdrawals.

Takes a `DataAccess` so the acting user, the channel and the clock are the same ones every
other read and write uses; reports are only ever read through it (so need-to-know applies),
and a package's record and its s62 DISCLOSURE entry are written in one transaction: a package
is on the recipient's record exactly when its disclosure is in the audit chain.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, insert, select, update

from maxim.reference import load_reference
from maxim.share.policy import Consultation, load_policy
from maxim.store.access import DataAccess, Forbidden
from maxim.store.audit import Operation, append
from maxim.store.tables import reviews
from maxim.store.tables_share import (
    package_keys,
    share_acknowledgements,
    share_consultations,
    share_import_mappings,
    share_package_items,
    share_packages,
    share_victim_releases,
    share_withdrawals,
)

OUTCOMES = ("approved", "refused")
WITHDRAWAL_KINDS = ("withdrawn", "corrected")


class NotFound(LookupError):
    """No such package (or mapping, or network) for this user."""


class NetworkUnavailable(LookupError):
    """The networks feature is not installed here, or its table has no members for that id."""


class ShareAccess:
    def __init__(self, access: DataAccess) -> None:
        self.access = access
        self.actor = access.actor
        self.db = access.db

    # -- who may ------------------------------------------------------------------------

    def disseminator(self) -> bool:
        return bool(self.actor.roles & set(load_policy().role_ladder)) and not self.actor.external

    def require_disseminator(self, what: str) -> None:
        if not self.disseminator():
            ladder = ", ".join(load_policy().role_ladder)
            raise Forbidden(f"{what} is for dissemination staff ({ladder})")

    def _may_read_records(self) -> bool:
        return self.disseminator() or bool(self.actor.roles & set(load_reference().audit_roles))

    # -- originator consultation (DOMAIN §1.2.1 (c)) --------------------------------------

    def record_consultation(
        self,
        report_id: str,
        recipient: str,
        *,
        consulted: str,
        consulted_at: datetime,
        outcome: str,
        note: str | None = None,
    ) -> int:
        """Record who at the originator was consulted, when, and what they said."""
        self.require_disseminator("recording an originator consultation")
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
        if not consulted.strip():
            raise ValueError("consulted: say who at the originator was consulted (unit and role)")
        if self.access.report(report_id) is None:
            raise NotFound(f"no report {report_id}")
        with self.db.writer.begin() as conn:
            result = conn.execute(
                insert(share_consultations).values(
                    report_id=report_id,
                    recipient=recipient,
                    consulted=consulted.strip(),
                    consulted_at=consulted_at,
                    outcome=outcome,
                    note=note,
                    recorded_by=self.actor.username,
                    recorded_at=self.access.clock(),
                )
            )
            return _new_id(result)

    def consultations(self, report_ids: Sequence[str], recipient: str) -> dict[str, Consultation]:
        """The latest consultation per report for this recipient."""
        out: dict[str, Consultation] = {}
        if not report_ids:
            return out
        query = (
            select(share_consultations)
            .where(share_consultations.c.report_id.in_(list(report_ids)), share_consultations.c.recipient == recipient)
            .order_by(share_consultations.c.id)
        )
        with self.db.reader.connect() as conn:
            for row in conn.execute(query):
                out[row.report_id] = Consultation(row.consulted, row.consulted_at, row.outcome, row.note)
        return out

    # -- victim releases ------------------------------------------------------------------

    def record_release(self, recipient: str, report_id: str, entity_id: str, reason: str) -> int:
        """A safeguarding lead releases one victim of one report to the next package for `recipient`."""
        victim_roles = set(load_reference().victim_access_roles)
        if not self.actor.roles & victim_roles or self.actor.external:
            raise Forbidden(f"only a safeguarding lead ({', '.join(sorted(victim_roles))}) may release victim details")
        if not reason.strip():
            raise ValueError("reason: say why this victim's details may go to the recipient")
        report = self.access.report(report_id)
        subjects = (report or {}).get("subjects") or []
        if not any(s["entity_id"] == entity_id and s["category"] == "victim" for s in subjects):
            raise NotFound(f"no victim {entity_id} in report {report_id}")
        with self.db.writer.begin() as conn:
            result = conn.execute(
                insert(share_victim_releases).values(
                    recipient=recipient,
                    report_id=report_id,
                    entity_id=entity_id,
                    reason=reason.strip(),
                    released_by=self.actor.username,
                    released_at=self.access.clock(),
                    package_id=None,
                )
            )
            return _new_id(result)

    def open_releases(self, recipient: str, report_ids: Sequence[str]) -> set[tuple[str, str]]:
        """Releases not yet used by a package: each release is for one package only."""
        if not report_ids:
            return set()
        query = select(share_victim_releases.c.report_id, share_victim_releases.c.entity_id).where(
            share_victim_releases.c.recipient == recipient,
            share_victim_releases.c.report_id.in_(list(report_ids)),
            share_victim_releases.c.package_id.is_(None),
        )
        with self.db.reader.connect() as conn:
            return {(r, e) for r, e in conn.execute(query)}

    # -- quality information ----------------------------------------------------------------

    def last_reviews(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], datetime]:
        """The last MoPI review decision per (originator, reference)."""
        wanted = set(keys)
        if not wanted:
            return {}
        originators = sorted({k[0] for k in wanted})
        query = (
            select(reviews.c.originator, reviews.c.reference, func.max(reviews.c.decided_at))
            .where(reviews.c.originator.in_(originators))
            .group_by(reviews.c.originator, reviews.c.reference)
        )
        with self.db.reader.connect() as conn:
            return {(o, r): at for o, r, at in conn.execute(query) if (o, r) in wanted}

    # -- packages -----------------------------------------------------------------------------

    def pending_notices(self, recipient: str) -> list[dict[str, Any]]:
        """Withdrawals and corrections of material sent to `recipient` not yet carried by a package."""
        query = (
            select(share_withdrawals, share_package_items.c.originator, share_package_items.c.reference)
            .join(share_packages, share_packages.c.id == share_withdrawals.c.package_id)
            .join(
                share_package_items,
                (share_package_items.c.package_id == share_withdrawals.c.package_id)
                & (share_package_items.c.report_id == share_withdrawals.c.report_id),
            )
            .where(share_packages.c.recipient == recipient, share_withdrawals.c.notified_in.is_(None))
            .order_by(share_withdrawals.c.id)
        )
        with self.db.reader.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def save_package(
        self,
        package: Mapping[str, Any],
        items: Sequence[Mapping[str, Any]],
        *,
        releases_used: Sequence[tuple[str, str]],
        notices: Sequence[int],
        disclosed_ids: Sequence[str],
        justification: str,
    ) -> None:
        """The recipient's record of the package and its s62 DISCLOSURE entry, in one transaction."""
        with self.db.writer.begin() as conn:
            conn.execute(insert(share_packages).values(**package))
            if items:
                conn.execute(insert(share_package_items), [{**i, "package_id": package["id"]} for i in items])
            for report_id, entity_id in releases_used:
                conn.execute(
                    update(share_victim_releases)
                    .where(
                        share_victim_releases.c.recipient == package["recipient"],
                        share_victim_releases.c.report_id == report_id,
                        share_victim_releases.c.entity_id == entity_id,
                        share_victim_releases.c.package_id.is_(None),
                    )
                    .values(package_id=package["id"])
                )
            if notices:
                conn.execute(
                    update(share_withdrawals)
                    .where(share_withdrawals.c.id.in_(list(notices)))
                    .values(notified_in=package["id"])
                )
            append(
                conn,
                at=package["created_at"],
                username=self.actor.username,
                operation=Operation.DISCLOSURE,
                object_type="package",
                object_ids=list(disclosed_ids),
                channel=self.access.channel,
                justification=justification,
            )

    def _package_row(self, conn: Any, package_id: str) -> Any:
        row = conn.execute(select(share_packages).where(share_packages.c.id == package_id)).first()
        if row is None:
            raise NotFound(f"no package {package_id}")
        return row

    def packages(self, recipient: str | None = None) -> list[dict[str, Any]]:
        if not self._may_read_records():
            raise Forbidden("package records are for dissemination staff and data-protection officers")
        query = select(share_packages).order_by(share_packages.c.created_at.desc(), share_packages.c.id)
        if recipient:
            query = query.where(share_packages.c.recipient == recipient)
        with self.db.reader.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def package(self, package_id: str) -> dict[str, Any]:
        """A package's record: its items with their status, withdrawals and acknowledgements."""
        if not self._may_read_records():
            raise Forbidden("package records are for dissemination staff and data-protection officers")
        with self.db.reader.connect() as conn:
            result = dict(self._package_row(conn, package_id)._mapping)
            result["items"] = [
                dict(r._mapping)
                for r in conn.execute(
                    select(share_package_items)
                    .where(share_package_items.c.package_id == package_id)
                    .order_by(share_package_items.c.originator, share_package_items.c.reference)
                )
            ]
            result["withdrawals"] = [
                dict(r._mapping)
                for r in conn.execute(
                    select(share_withdrawals)
                    .where(share_withdrawals.c.package_id == package_id)
                    .order_by(share_withdrawals.c.id)
                )
            ]
            result["acknowledgements"] = [
                dict(r._mapping)
                for r in conn.execute(
                    select(share_acknowledgements)
                    .where(share_acknowledgements.c.package_id == package_id)
                    .order_by(share_acknowledgements.c.id)
                )
            ]
        return result

    def withdraw(
        self,
        package_id: str,
        report_id: str,
        *,
        kind: str,
        reason: str,
        corrected_by: str | None = None,
    ) -> int:
        """Withdraw or correct one sent item; the next package to the recipient carries the notice."""
        self.require_disseminator("withdrawing or correcting a sent item")
        if kind not in WITHDRAWAL_KINDS:
            raise ValueError(f"kind must be one of {', '.join(WITHDRAWAL_KINDS)}")
        if not reason.strip():
            raise ValueError("reason: say why the item is withdrawn or corrected (DPA 2018 s38(5))")
        if kind == "corrected" and not corrected_by:
            raise ValueError("corrected_by: name the report version that corrects the item")
        with self.db.writer.begin() as conn:
            self._package_row(conn, package_id)
            item = conn.execute(
                select(share_package_items.c.report_id).where(
                    share_package_items.c.package_id == package_id, share_package_items.c.report_id == report_id
                )
            ).first()
            if item is None:
                raise NotFound(f"package {package_id} has no item {report_id}")
            result = conn.execute(
                insert(share_withdrawals).values(
                    package_id=package_id,
                    report_id=report_id,
                    kind=kind,
                    reason=reason.strip(),
                    corrected_by=corrected_by,
                    recorded_by=self.actor.username,
                    recorded_at=self.access.clock(),
                    notified_in=None,
                )
            )
            conn.execute(
                update(share_package_items)
                .where(share_package_items.c.package_id == package_id, share_package_items.c.report_id == report_id)
                .values(status=kind)
            )
            return _new_id(result)

    def acknowledge(self, package_id: str, *, by: str, at: datetime, note: str | None = None) -> int:
        """Record the recipient's acknowledgement of a package (who there, when)."""
        self.require_disseminator("recording an acknowledgement")
        if not by.strip():
            raise ValueError("by: who at the recipient acknowledged the package")
        with self.db.writer.begin() as conn:
            self._package_row(conn, package_id)
            result = conn.execute(
                insert(share_acknowledgements).values(
                    package_id=package_id,
                    acknowledged_by=by.strip(),
                    acknowledged_at=at,
                    note=note,
                    recorded_by=self.actor.username,
                    recorded_at=self.access.clock(),
                )
            )
            return _new_id(result)

    # -- import mappings ---------------------------------------------------------------------

    def save_mapping(self, name: str, body: str) -> str:
        """Keep a column mapping under a name; the same text again is a no-op. Returns its SHA-256."""
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
        with self.db.writer.begin() as conn:
            known = conn.execute(
                select(share_import_mappings.c.id).where(
                    share_import_mappings.c.name == name, share_import_mappings.c.sha256 == digest
                )
            ).first()
            if known is None:
                conn.execute(
                    insert(share_import_mappings).values(
                        name=name, body=body, sha256=digest, saved_by=self.actor.username, saved_at=self.access.clock()
                    )
                )
        return digest

    def load_mapping(self, name: str) -> str:
        """The latest saved version of a named mapping."""
        query = (
            select(share_import_mappings.c.body)
            .where(share_import_mappings.c.name == name)
            .order_by(share_import_mappings.c.id.desc())
            .limit(1)
        )
        with self.db.reader.connect() as conn:
            body = conn.execute(query).scalar()
        if body is None:
            raise NotFound(f"no saved mapping {name!r}; save one with --save-mapping {name}")
        return str(body)

    # -- partners' package-signing keys ----------------------------------------------------------

    def add_partner_key(self, partner: str, kid: str, public_pem: str, source: str) -> tuple[str, bool]:
        """Register a partner's public key, already read (`maxim.share.service.register_partner_key`).

        Administrators only. Returns (key id, whether it was new); the same key again for the
        same partner is a no-op, the same key for another partner is refused.
        """
        if "administrator" not in self.actor.roles or self.actor.external:
            raise Forbidden("registering a partner's package-signing key is for administrators")
        if partner not in load_reference().partners:
            raise ValueError(f"PARTNER: {partner!r} is not a partner code (partners.yaml)")
        with self.db.writer.begin() as conn:
            known = conn.execute(select(package_keys.c.partner).where(package_keys.c.key_id == kid)).scalar()
            if known is not None and known != partner:
                raise ValueError(f"{source}: key {kid} is already registered to {known}, not {partner}")
            if known is None:
                conn.execute(
                    insert(package_keys).values(
                        key_id=kid,
                        partner=partner,
                        public_key=public_pem,
                        added_by=self.actor.username,
                        added_at=self.access.clock(),
                    )
                )
        return kid, known is None

    def partner_keys(self) -> list[dict[str, Any]]:
        """Every registered key: partner, key id, public key, who added it and when (no secrets)."""
        query = select(package_keys).order_by(package_keys.c.partner, package_keys.c.added_at)
        with self.db.reader.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    # -- networks (the network feature's table, when it is installed) ---------------------------

    def network_members(self, network_id: str) -> list[str]:
        """Entity ids in a network, from `maxim.store.tables_network` if that feature is present."""
        table = _network_member_table()
        if table is None:
            raise NetworkUnavailable(
                "networks are not available here (no maxim.store.tables_network with a members table); "
                "choose reports or entities instead"
            )
        from maxim.store.schema import full_metadata

        net_col = next(c for c in table.columns if c.name in ("network_id", "network"))
        ent_col = next(c for c in table.columns if c.name in ("entity_id", "canonical_id", "member_id"))
        with self.db.reader.connect() as conn:
            members = sorted({str(v) for v in conn.execute(select(ent_col).where(net_col == network_id)).scalars()})
            # Networks may hold canonical ids; the statements hang on the mentions resolved to them.
            links = full_metadata().tables.get("resolution_links")
            if links is not None and members:
                members = sorted(
                    set(members)
                    | {
                        str(v)
                        for v in conn.execute(
                            select(links.c.entity_id).where(links.c.canonical_id.in_(members))
                        ).scalars()
                    }
                )
        if not members:
            raise NetworkUnavailable(f"no network {network_id}")
        return members


def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _network_member_table() -> Table | None:
    if importlib.util.find_spec("maxim.store.tables_network") is None:
        return None
    from maxim.store.schema import full_metadata

    for table in full_metadata().tables.values():
        names = {c.name for c in table.columns}
        if names & {"network_id", "network"} and names & {"entity_id", "canonical_id", "member_id"}:
            return table
    return None
