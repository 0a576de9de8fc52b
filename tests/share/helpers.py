"""Small helpers for the partner-exchange tests: submit a report, make the usual users, open a zip, sign."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from maxim.share.manifest import TrustedKey
from maxim.share.signing import SigningKey, generate
from maxim.store.access import Actor, DataAccess
from maxim.store.tables import audit_log
from tests.factories import person, report

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
# The sending installation's key in these tests; a recipient trusts it with `trust`.
SIGNER = generate()


def submit(access: DataAccess, raw: dict[str, Any]) -> str:
    record = build_record(parse_report(raw, load_reference()), received_by=access.actor.username, now=NOW)
    return access.submit([record])[0].report_id


def as_(access: DataAccess, username: str, unit: str, *roles: str) -> DataAccess:
    """The data-access layer acting as a user with these roles (no account needed: actors are plain values)."""
    actor = Actor(username, username.title(), unit, frozenset(roles))
    return DataAccess(access.db, actor, channel="test")


def victim_report(**overrides: Any) -> dict[str, Any]:
    """A P report naming a suspect, a victim, the family link between them, a vehicle and an address."""
    base = report(
        reference="LAM/2025/000777",
        entities=[
            person("p1", "Testperson Alpha", role="suspect", phone=["07700 900123"], addressEntity=["a1"]),
            person("v1", "Victimperson Beta", role="victim", phone=["07700 900456"]),
            {"id": "a1", "schema": "Address", "properties": {"full": ["Flat 2, 14 Example Road, London SE1 7XX"]}},
            {"id": "car", "schema": "Vehicle", "properties": {"registrationNumber": ["AB12 CDE"], "owner": ["p1"]}},
            {"id": "fam", "schema": "Family", "properties": {"person": ["p1"], "relative": ["v1"]}},
        ],
    )
    base.update(overrides)
    return base


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def entities(files: dict[str, bytes]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in files["entities.ftm.jsonl"].decode().splitlines() if line.strip()]


def audit_entries(access: DataAccess, operation: str) -> list[dict[str, Any]]:
    with access.db.reader.connect() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.operation == operation).order_by(audit_log.c.id))
        return [dict(r._mapping) for r in rows]


def keys(partner: str, key: SigningKey = SIGNER) -> dict[str, TrustedKey]:
    """What `read_zip` checks a signature against: `key` registered for `partner`."""
    return {key.key_id: TrustedKey(partner, key.public_pem())}


def trust(access: DataAccess, partner: str, key: SigningKey = SIGNER) -> None:
    """Register `key` as `partner`'s package-signing key in `access`'s store, as an administrator would."""
    from maxim.share.service import register_partner_key
    from maxim.store.share_access import ShareAccess

    admin = as_(access, "keyadmin", "SCD6-MAXIM", "administrator")
    register_partner_key(ShareAccess(admin), partner, key.public_pem().encode("ascii"), "partner.pem")
