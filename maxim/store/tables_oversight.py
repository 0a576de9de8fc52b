"""Oversight tables: the funding ledger, staffing, and victim records with their safeguarding.

Victims are kept apart from the intelligence graph on purpose: a victim record holds what
safeguarding needs (how to reach the person safely, consent, support provider, NRM state,
actions taken) and never becomes statements that analysts traverse. Only safeguarding roles and
the investigating unit read these rows (`maxim.store.oversight_access`). Protected
characteristics (self-defined ethnicity, nationality) sit here for equality monitoring only.
Migration: 0006.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from maxim.store.tables import metadata

_ID = BigInteger().with_variant(Integer, "sqlite")

# One row per load of a funding file: the ledger in force is the latest.
funding_ledgers = Table(
    "funding_ledgers",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("version", String(50), nullable=False),
    Column("source", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("staffing_text", Text),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("loaded_by", String(100), nullable=False),
)

funding_streams = Table(
    "funding_streams",
    metadata,
    Column("ledger_id", _ID, ForeignKey("funding_ledgers.id"), primary_key=True),
    Column("id", String(50), primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("grantor", String(30), nullable=False),
    Column("recipient_unit", String(50), nullable=False),
    Column("financial_year", Integer, nullable=False),
    Column("amount_pence", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("basis", String(20), nullable=False),
    Column("dated", Date),
    Column("conditions", Text),
    Column("note", Text),
    Column("project", Text),
    Index(None, "financial_year"),
)

victims = Table(
    "victims",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("investigating_unit", String(50), nullable=False),
    # Links to workflow rows (0002) without foreign keys: migration branches run in no fixed
    # order, so this branch cannot name another branch's tables; the access layer checks them.
    Column("referral_id", String(40)),
    Column("nrm_case_id", String(40)),
    # A name the person is content to be called by, and how to reach them without danger.
    Column("known_as", String(200), nullable=False),
    Column("contact", JSON, nullable=False),
    Column("age_group", String(10), nullable=False),
    Column("consent", String(20), nullable=False),
    Column("consent_on", Date),
    # Partner codes the person (or, for a child, the safeguarding lead) agreed may receive the record.
    Column("share_with", JSON, nullable=False),
    Column("support_provider", String(200)),
    Column("nrm_state", String(30), nullable=False),
    Column("exploitation_types", JSON, nullable=False),
    Column("gender", String(30)),
    Column("nationality", String(10)),
    Column("self_defined_ethnicity", String(100)),
    Column("recovered_on", Date, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(100), nullable=False),
    Index(None, "investigating_unit"),
)

safeguarding_actions = Table(
    "safeguarding_actions",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("victim_id", String(40), ForeignKey("victims.id"), nullable=False),
    Column("action", String(40), nullable=False),
    Column("taken_on", Date, nullable=False),
    Column("by_unit", String(50), nullable=False),
    Column("note", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("done", Boolean, nullable=False),
    Index(None, "victim_id"),
)
