"""Partner exchange tables (issue 9): what went to whom, and the decisions that let it go.

The recipient list is what DPA 2018 s38(5) needs to send corrections and withdrawals; the
consultations and victim releases are the recorded decisions DOMAIN §1.2.1 and the victim
rule require before material leaves. Rows are appended, never edited, except that a package
item's `status` follows its latest withdrawal or correction and a release or withdrawal
notes the package that used or carried it.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from maxim.store.tables import metadata

share_packages = Table(
    "share_packages",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("recipient", String(50), nullable=False),
    Column("recipient_class", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("items", Integer, nullable=False),
    Column("entities", Integer, nullable=False),
    Column("victims_withheld", Integer, nullable=False),
    Column("transfer_basis", Text),
    Column("purpose", Text),
    Index(None, "recipient"),
)

share_package_items = Table(
    "share_package_items",
    metadata,
    Column("package_id", String(40), ForeignKey("share_packages.id"), primary_key=True),
    Column("report_id", String(40), primary_key=True),
    Column("originator", String(50), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("handling_code", String(1), nullable=False),
    Column("handling_conditions", Text),
    Column("action_code", String(2)),
    Column("sanitisation_code", String(2)),
    Column("entities", Integer, nullable=False),
    Column("status", String(12), nullable=False),
    Index(None, "report_id"),
)

share_consultations = Table(
    "share_consultations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", String(40), nullable=False),
    Column("recipient", String(50), nullable=False),
    Column("consulted", String(200), nullable=False),
    Column("consulted_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(10), nullable=False),
    Column("note", Text),
    Column("recorded_by", String(100), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index(None, "report_id", "recipient"),
)

share_victim_releases = Table(
    "share_victim_releases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("recipient", String(50), nullable=False),
    Column("report_id", String(40), nullable=False),
    Column("entity_id", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("released_by", String(100), nullable=False),
    Column("released_at", DateTime(timezone=True), nullable=False),
    Column("package_id", String(40)),
    Index(None, "recipient", "report_id"),
)

share_withdrawals = Table(
    "share_withdrawals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("package_id", String(40), ForeignKey("share_packages.id"), nullable=False),
    Column("report_id", String(40), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("reason", Text, nullable=False),
    Column("corrected_by", String(40)),
    Column("recorded_by", String(100), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("notified_in", String(40)),
    Index(None, "package_id"),
)

share_acknowledgements = Table(
    "share_acknowledgements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("package_id", String(40), ForeignKey("share_packages.id"), nullable=False),
    Column("acknowledged_by", String(200), nullable=False),
    Column("acknowledged_at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
    Column("recorded_by", String(100), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index(None, "package_id"),
)

share_import_mappings = Table(
    "share_import_mappings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("body", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("saved_by", String(100), nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("name", "sha256"),
)

# Partners' package-signing public keys (`maxim share key add`): a package is imported only when
# its manifest's signature verifies under one of these, and it is attributed to that key's partner.
# A partner may have several (a new installation, a rotated key); a key belongs to one partner.
package_keys = Table(
    "package_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("partner", String(50), nullable=False),
    Column("public_key", Text, nullable=False),
    Column("added_by", String(100), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Index(None, "partner"),
)
