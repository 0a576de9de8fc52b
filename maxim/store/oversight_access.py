"""Data access for oversight: the funding ledger, and victim records under the strictest access.

Takes a `DataAccess`, so every call carries the acting user and is written to the s62 audit
chain in the same transaction. Victim records are read and written only by safeguarding roles
(`roles.yaml` `victim_access_roles`) and by the investigating unit of each record; anyone else
gets nothing, and cannot tell a record that exists from one that does not. The rule is a SQL
filter, so a list or a count never includes what the user may not see. External (partner)
accounts see no victim record here; a partner receives one only through the HTCDS export, and
only for people whose consent names that partner.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, false, func, select, true, update

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.domain.nrm import AGE_GROUPS, NrmState
from maxim.oversight.funding import Ledger, load_ledger_text, load_shipped, shipped_text
from maxim.oversight.htcds import to_htcds
from maxim.reference import Reference, load_reference
from maxim.store.access import DataAccess, Forbidden
from maxim.store.audit import Operation, append
from maxim.store.tables_oversight import funding_ledgers, funding_streams, safeguarding_actions, victims
from maxim.store.tables_workflow import nrm_cases, referrals

CONSENT = ("GIVEN", "DECLINED", "NOT_ASKED", "CHILD_NOT_REQUIRED")
ACTIONS = (
    "SAFE_ACCOMMODATION",
    "MEDICAL_CARE",
    "INTERPRETER",
    "LEGAL_ADVICE",
    "SUPPORT_PROVIDER_REFERRAL",
    "LOCAL_AUTHORITY_REFERRAL",
    "SAFETY_PLAN",
    "NRM_REFERRAL",
    "DUTY_TO_NOTIFY",
    "OTHER",
)
LEDGER_ROLES = frozenset({"administrator", "supervisor"})
VICTIM_FIELDS = (
    "investigating_unit",
    "referral_id",
    "nrm_case_id",
    "known_as",
    "contact",
    "age_group",
    "consent",
    "consent_on",
    "share_with",
    "support_provider",
    "nrm_state",
    "exploitation_types",
    "gender",
    "nationality",
    "self_defined_ethnicity",
    "recovered_on",
)


class NotFound(LookupError):
    """No such victim record, or the actor may not see it (the two are not told apart)."""


def parse_victim(data: Mapping[str, Any], ref: Reference) -> dict[str, Any]:
    """Validate a victim record; every fault at once. Children need no consent (MSA 2015 s52)."""
    errors: list[FieldError] = []
    for key in sorted(set(data) - set(VICTIM_FIELDS)):
        errors.append(FieldError(key, "unknown field"))
    out = {k: data.get(k) for k in VICTIM_FIELDS}
    if out["investigating_unit"] not in ref.units:
        errors.append(FieldError("investigating_unit", "a unit of units.yaml"))
    if not str(out.get("known_as") or "").strip():
        errors.append(FieldError("known_as", "a name the person is content to be called by"))
    if out["age_group"] not in AGE_GROUPS:
        errors.append(FieldError("age_group", f"one of {', '.join(AGE_GROUPS)} (uncertain age counts as a child)"))
    child = out["age_group"] in ("CHILD", "UNCERTAIN")
    consent = out.get("consent") or ("CHILD_NOT_REQUIRED" if child else "NOT_ASKED")
    if consent not in CONSENT:
        errors.append(FieldError("consent", f"one of {', '.join(CONSENT)}"))
    elif child and consent != "CHILD_NOT_REQUIRED":
        errors.append(FieldError("consent", "a child is not asked for consent: use CHILD_NOT_REQUIRED"))
    elif not child and consent == "CHILD_NOT_REQUIRED":
        errors.append(FieldError("consent", "an adult's consent is GIVEN, DECLINED or NOT_ASKED"))
    out["consent"] = consent
    out["nrm_state"] = out.get("nrm_state") or NrmState.IDENTIFIED.value
    if not isinstance(out["nrm_state"], str) or out["nrm_state"] not in {s.value for s in NrmState}:
        errors.append(FieldError("nrm_state", "a state of the NRM state machine (maxim.domain.nrm)"))
    contact = out.get("contact") or {}
    if not isinstance(contact, Mapping):
        errors.append(FieldError("contact", "an object: safe_method, safe_times, do_not_leave_messages, phone"))
        contact = {}
    out["contact"] = dict(contact)
    share = out.get("share_with") or []
    if not isinstance(share, list) or any(p not in ref.partners for p in share):
        errors.append(FieldError("share_with", "a list of partner codes (partners.yaml)"))
    elif share and not child and consent != "GIVEN":
        errors.append(FieldError("share_with", "an adult's record is shared only with their consent (consent GIVEN)"))
    out["share_with"] = list(share) if isinstance(share, list) else []
    out["exploitation_types"] = list(out.get("exploitation_types") or [])
    for key in ("consent_on", "recovered_on"):
        value = out.get(key)
        if value is None and key == "consent_on":
            continue
        try:
            out[key] = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            errors.append(FieldError(key, "an ISO date"))
    if errors:
        raise ValidationFailed(errors)
    return out


class OversightAccess:
    def __init__(self, access: DataAccess, ref: Reference | None = None) -> None:
        self.access = access
        self.db = access.db
        self.ref = ref or load_reference()
        self.victim_roles = frozenset(self.ref.victim_access_roles)

    # -- who sees victims ----------------------------------------------------------------

    def may_see_all_victims(self) -> bool:
        actor = self.access.actor
        return not actor.external and bool(actor.roles & self.victim_roles)

    def victim_filter(self) -> ColumnElement[bool]:
        """Safeguarding roles see every record; the investigating unit its own; others none."""
        actor = self.access.actor
        if actor.external:
            return false()
        if self.may_see_all_victims():
            return true()
        return victims.c.investigating_unit == actor.unit

    def _audit(self, conn: Connection, op: Operation, ids: Sequence[str], why: str | None = None) -> None:
        self.access.log(conn, op, "victim", ids, why)

    # -- victim records ------------------------------------------------------------------

    def create_victim(self, data: Mapping[str, Any]) -> dict[str, Any]:
        actor = self.access.actor
        fields = parse_victim(data, self.ref)
        if actor.external or not (self.may_see_all_victims() or fields["investigating_unit"] == actor.unit):
            raise Forbidden("only safeguarding leads and the investigating unit record victims")
        now = self.access.clock()
        vid = uuid.uuid4().hex
        with self.db.writer.begin() as conn:
            for key, table in (("referral_id", referrals), ("nrm_case_id", nrm_cases)):
                if fields[key] and conn.execute(select(table.c.id).where(table.c.id == fields[key])).first() is None:
                    raise ValidationFailed([FieldError(key, f"no such record {fields[key]!r}")])
            conn.execute(
                victims.insert().values(
                    id=vid,
                    version=1,
                    created_at=now,
                    created_by=actor.username,
                    updated_at=now,
                    updated_by=actor.username,
                    **fields,
                )
            )
            self._audit(conn, Operation.COLLECTION, [vid])
        found = self.victim(vid)
        assert found is not None
        return found

    def victim(self, victim_id: str) -> dict[str, Any] | None:
        """A victim record with its safeguarding actions, or None if absent or not visible."""
        with self.db.writer.begin() as conn:
            row = conn.execute(select(victims).where(victims.c.id == victim_id, self.victim_filter())).first()
            if row is None:
                return None
            result = dict(row._mapping)
            result["actions"] = [
                dict(a._mapping)
                for a in conn.execute(
                    select(safeguarding_actions)
                    .where(safeguarding_actions.c.victim_id == victim_id)
                    .order_by(safeguarding_actions.c.taken_on, safeguarding_actions.c.id)
                )
            ]
            self._audit(conn, Operation.CONSULTATION, [victim_id])
        return result

    def victims(self, limit: int = 200) -> list[dict[str, Any]]:
        query = (
            select(
                victims.c.id,
                victims.c.known_as,
                victims.c.investigating_unit,
                victims.c.age_group,
                victims.c.nrm_state,
                victims.c.support_provider,
                victims.c.recovered_on,
            )
            .where(self.victim_filter())
            .order_by(victims.c.recovered_on.desc(), victims.c.id)
            .limit(limit)
        )
        with self.db.writer.begin() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
            if rows:
                self._audit(conn, Operation.CONSULTATION, [r["id"] for r in rows])
        return rows

    def count_victims(self) -> int:
        with self.db.reader.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(victims).where(self.victim_filter())).scalar_one())

    def update_victim(self, victim_id: str, version: int, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change a record read at `version`; a stale version is refused (someone else changed it)."""
        current = self.victim(victim_id)
        if current is None:
            raise NotFound(f"no victim record {victim_id}")
        merged = {k: current[k] for k in VICTIM_FIELDS} | dict(changes)
        fields = parse_victim(merged, self.ref)
        with self.db.writer.begin() as conn:
            done = conn.execute(
                update(victims)
                .where(victims.c.id == victim_id, victims.c.version == version, self.victim_filter())
                .values(
                    version=victims.c.version + 1,
                    updated_at=self.access.clock(),
                    updated_by=self.access.actor.username,
                    **fields,
                )
            )
            if done.rowcount != 1:
                raise ValidationFailed(
                    [FieldError("version", f"the record changed since version {version}; reload it")]
                )
            self._audit(conn, Operation.ALTERATION, [victim_id])
        found = self.victim(victim_id)
        assert found is not None
        return found

    def add_action(
        self, victim_id: str, action: str, taken_on: date, note: str | None = None, done: bool = True
    ) -> None:
        if action not in ACTIONS:
            raise ValidationFailed([FieldError("action", f"one of {', '.join(ACTIONS)}")])
        with self.db.writer.begin() as conn:
            if (
                conn.execute(select(victims.c.id).where(victims.c.id == victim_id, self.victim_filter())).first()
                is None
            ):
                raise NotFound(f"no victim record {victim_id}")
            conn.execute(
                safeguarding_actions.insert().values(
                    victim_id=victim_id,
                    action=action,
                    taken_on=taken_on,
                    by_unit=self.access.actor.unit,
                    note=note,
                    done=done,
                    created_at=self.access.clock(),
                    created_by=self.access.actor.username,
                )
            )
            self._audit(conn, Operation.ALTERATION, [victim_id], f"safeguarding action {action}")

    def export_htcds(self, partner: str) -> list[dict[str, Any]]:
        """Victim records for a partner that holds consent, in HTCDS field names; audited as a disclosure.

        Only records the exporting user may see, and only those whose `share_with` names the
        partner (an adult's only with consent GIVEN, enforced when recorded).
        """
        if partner not in self.ref.partners:
            raise ValidationFailed([FieldError("partner", "a partner code of partners.yaml")])
        with self.db.writer.begin() as conn:
            rows = [
                dict(r._mapping)
                for r in conn.execute(select(victims).where(self.victim_filter()).order_by(victims.c.id))
            ]
            chosen = [
                r
                for r in rows
                if partner in (r["share_with"] or [])
                and (r["consent"] == "GIVEN" or r["consent"] == "CHILD_NOT_REQUIRED")
            ]
            if chosen:
                append(
                    conn,
                    at=self.access.clock(),
                    username=self.access.actor.username,
                    operation=Operation.DISCLOSURE,
                    object_type="victim",
                    object_ids=[r["id"] for r in chosen],
                    channel=self.access.channel,
                    justification=f"HTCDS export to {partner} under recorded consent",
                )
        return [to_htcds(r, partner) for r in chosen]

    def victim_monitoring(self, start: date, end: date) -> list[dict[str, Any]]:
        """Counts by nationality and self-defined ethnicity of visible victims recovered in a period."""
        query = (
            select(victims.c.nationality, victims.c.self_defined_ethnicity, func.count().label("n"))
            .where(self.victim_filter(), victims.c.recovered_on >= start, victims.c.recovered_on <= end)
            .group_by(victims.c.nationality, victims.c.self_defined_ethnicity)
        )
        with self.db.reader.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    # -- the funding ledger ----------------------------------------------------------------

    def _recipients(self) -> list[str]:
        return list(self.ref.units)

    def load_ledger(self, text: str, staffing_text: str | None = None) -> Ledger:
        """Validate and store a funding file as the ledger in force (administrators and supervisors)."""
        if not (self.access.actor.roles & LEDGER_ROLES) or self.access.actor.external:
            raise Forbidden("only administrators and supervisors load the funding ledger")
        ledger = load_ledger_text(text, self._recipients())
        now = self.access.clock()
        with self.db.writer.begin() as conn:
            lid = conn.execute(
                funding_ledgers.insert().values(
                    version=ledger.version,
                    source=ledger.source,
                    sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                    text=text,
                    staffing_text=staffing_text,
                    loaded_at=now,
                    loaded_by=self.access.actor.username,
                )
            ).inserted_primary_key[0]  # type: ignore[index]  # one autoincrement key
            conn.execute(
                funding_streams.insert(),
                [
                    {
                        "ledger_id": lid,
                        **{k: v for k, v in s.to_json().items() if k in funding_streams.c and k != "dated"},
                        "dated": s.dated,
                    }
                    for s in ledger.streams
                ],
            )
            append(
                conn,
                at=now,
                username=self.access.actor.username,
                operation=Operation.ALTERATION,
                object_type="funding_ledger",
                object_ids=[str(lid)],
                channel=self.access.channel,
                justification=f"funding ledger version {ledger.version}",
            )
        return ledger

    def ledger(self) -> tuple[Ledger, str]:
        """The ledger in force (latest loaded) and where it came from; the shipped file if none is loaded."""
        with self.db.reader.connect() as conn:
            row = conn.execute(
                select(funding_ledgers.c.text, funding_ledgers.c.loaded_at, funding_ledgers.c.loaded_by)
                .order_by(funding_ledgers.c.id.desc())
                .limit(1)
            ).first()
        if row is None:
            return load_shipped(self._recipients()), "shipped funding.yaml (not loaded into the database)"
        return load_ledger_text(row.text, self._recipients()), f"loaded {row.loaded_at:%Y-%m-%d} by {row.loaded_by}"


def shipped_ledger_text() -> str:
    return shipped_text()
