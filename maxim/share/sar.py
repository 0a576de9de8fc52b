"""Suspicious activity reports (UKFIU fields, glossary codes) as SAR reports with accounts and subjects.

A record (JSONL, or JSON list):

    {"sar_reference": "SAR-2025-000123", "submitted_at": "2025-05-01",
     "reporter_sector": "Retail bank", "reason_for_suspicion": "... XXMSHTXX ...",
     "glossary_codes": ["XXMSHTXX"], "glossary_version": "2022",
     "subjects": [{"id": "s1", "name": "...", "birth_date": "...", "nationality": "...",
                   "address": "...", "postcode": "...", "phone": "...", "role": "suspect"}],
     "accounts": [{"id": "a1", "holder": "s1", "sort_code": "...", "account_number": "...",
                   "iban": "...", "bank_name": "..."}],
     "transactions": [{"payer": "s1", "beneficiary": "s2", "payer_account": "a1",
                       "amount": "9500", "currency": "GBP", "date": "2025-04-20"}]}

SAR material is handling C with originator UKFIU (DOMAIN §6.4): historically graded B35
under 5x5x5, i.e. 1B C, A1, S2 on the indicative mapping; the reporter's identity is never
kept (`reporter*` fields other than the sector are dropped unread). Glossary codes are read
from the list and from the reason text; an unknown code refuses the record, since a misspelt
XXMSHTXX would hide a trafficking SAR from the people who need it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from maxim.domain.errors import FieldError
from maxim.intake.batch import read_rows
from maxim.reference import Reference
from maxim.share.imports import Candidate, ImportRefused, Problem, submit, validate
from maxim.store.access import DataAccess, Submitted

CODE = re.compile(r"\bXX[A-Z0-9]{1,8}XX\b")
CONDITIONS = (
    "UKFIU SAR material: for intelligence use only; never disclose the reporter's identity or the existence of "
    "a SAR outside law enforcement; refer to UKFIU before any action or onward dissemination"
)
FIELDS = {
    "sar_reference",
    "submitted_at",
    "reporter_sector",
    "reason_for_suspicion",
    "glossary_codes",
    "glossary_version",
    "consent_requested",
    "subjects",
    "accounts",
    "transactions",
}
SUBJECT_FIELDS = {
    "id", "type", "name", "birth_date", "nationality", "address", "postcode", "phone", "email",
    "company_number", "role", "role_detail",
}  # fmt: skip
ACCOUNT_FIELDS = {"id", "holder", "sort_code", "account_number", "iban", "bank_name"}
TRANSACTION_FIELDS = {"payer", "beneficiary", "payer_account", "beneficiary_account", "amount", "currency", "date"}


@cache
def glossary() -> dict[str, dict[str, Any]]:
    text = resources.files("maxim.reference").joinpath("sar_glossary.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return {str(k): dict(v) for k, v in data["codes"].items()}


def _unknown(raw: Mapping[str, Any], allowed: set[str], where: str, path: str, source: str) -> list[Problem]:
    return [
        Problem(source, where, f"{path}{k}", f"unknown field; allowed: {', '.join(sorted(allowed))}")
        for k in raw
        if k not in allowed and not str(k).startswith("reporter")
    ]


def record_to_report(
    raw: Mapping[str, Any], where: str, source: str, share_with: list[str]
) -> tuple[dict[str, Any] | None, list[Problem]]:
    problems = _unknown(raw, FIELDS, where, "", source)
    codes_given = raw.get("glossary_codes") or []
    if isinstance(codes_given, str):
        codes_given = [c.strip() for c in codes_given.replace(",", ";").split(";") if c.strip()]
    reason = str(raw.get("reason_for_suspicion") or "")
    codes = list(dict.fromkeys([str(c).strip().upper() for c in codes_given] + CODE.findall(reason)))
    known = glossary()
    for code in codes:
        if code not in known:
            problems.append(Problem(source, where, "glossary_codes", f"{code!r} is not a UKFIU glossary code"))
    entities: list[dict[str, Any]] = []
    ids: set[str] = set()
    for i, subject in enumerate(raw.get("subjects") or []):
        path = f"subjects[{i}]."
        if not isinstance(subject, dict):
            problems.append(Problem(source, where, f"subjects[{i}]", "must be an object"))
            continue
        problems += _unknown(subject, SUBJECT_FIELDS, where, path, source)
        sid = str(subject.get("id") or f"s{i + 1}")
        ids.add(sid)
        company = str(subject.get("type") or "person").lower() in ("company", "organisation", "organization")
        props: dict[str, list[str]] = {"name": [str(subject.get("name") or "")]}
        for key, prop in (
            ("phone", "phone"),
            ("email", "email"),
            ("nationality", "country" if company else "nationality"),
        ):
            if subject.get(key):
                props[prop] = [str(subject[key])]
        if company and subject.get("company_number"):
            props["registrationNumber"] = [str(subject["company_number"])]
        if not company and subject.get("birth_date"):
            props["birthDate"] = [str(subject["birth_date"])]
        entity: dict[str, Any] = {"id": sid, "schema": "Company" if company else "Person", "properties": props}
        if not company:
            entity["role"] = subject.get("role") or "suspect"
            if subject.get("role_detail"):
                entity["role_detail"] = subject["role_detail"]
        if subject.get("address") or subject.get("postcode"):
            address: dict[str, list[str]] = {}
            if subject.get("address"):
                address["full"] = [str(subject["address"])]
            if subject.get("postcode"):
                address["postalCode"] = [str(subject["postcode"])]
            entities.append({"id": f"{sid}-address", "schema": "Address", "properties": address})
            props["addressEntity"] = [f"{sid}-address"]
        entities.append(entity)
    for i, account in enumerate(raw.get("accounts") or []):
        if not isinstance(account, dict):
            problems.append(Problem(source, where, f"accounts[{i}]", "must be an object"))
            continue
        problems += _unknown(account, ACCOUNT_FIELDS, where, f"accounts[{i}].", source)
        aid = str(account.get("id") or f"a{i + 1}")
        ids.add(aid)
        props = {}
        number = " ".join(str(account[k]) for k in ("sort_code", "account_number") if account.get(k))
        if number:
            props["accountNumber"] = [number]
        if account.get("iban"):
            props["iban"] = [str(account["iban"])]
        if account.get("bank_name"):
            props["bankName"] = [str(account["bank_name"])]
        entities.append({"id": aid, "schema": "BankAccount", "properties": props})
        if account.get("holder"):
            entities.append(
                {
                    "id": f"{aid}-holder",
                    "schema": "Ownership",
                    "properties": {"owner": [str(account["holder"])], "asset": [aid]},
                }
            )
    for i, payment in enumerate(raw.get("transactions") or []):
        if not isinstance(payment, dict):
            problems.append(Problem(source, where, f"transactions[{i}]", "must be an object"))
            continue
        problems += _unknown(payment, TRANSACTION_FIELDS, where, f"transactions[{i}].", source)
        props = {
            prop: [str(payment[key])]
            for key, prop in (
                ("payer", "payer"),
                ("beneficiary", "beneficiary"),
                ("payer_account", "payerAccount"),
                ("beneficiary_account", "beneficiaryAccount"),
                ("amount", "amount"),
                ("currency", "currency"),
                ("date", "date"),
            )
            if payment.get(key)
        }
        entities.append({"id": f"t{i + 1}", "schema": "Payment", "properties": props})
    themes = ["MONEY_LAUNDERING", *(t for c in codes if c in known for t in known[c]["themes"])]
    version = str(raw.get("glossary_version") or "2022")
    meanings = "; ".join(f"{c} {known[c]['meaning']}" for c in codes if c in known)
    text = "\n".join(
        line
        for line in (
            f"Reporter sector: {raw['reporter_sector']}." if raw.get("reporter_sector") else "",
            f"Glossary codes (version {version}): {meanings or 'none'}.",
            "Defence (consent) requested."
            if str(raw.get("consent_requested") or "").lower() in ("true", "1", "yes")
            else "",
            reason,
        )
        if line
    )
    if problems:
        return None, problems
    return (
        {
            "kind": "sar",
            "originator": "UKFIU",
            "reference": str(raw.get("sar_reference") or ""),
            "received_at": raw.get("submitted_at"),
            # Historically B35 for SAR material; on the indicative mapping that is 1B C, A1, S2.
            "source_evaluation": "1",
            "intelligence_assessment": "B",
            "handling_code": "C",
            "handling_conditions": CONDITIONS,
            "action_code": "A1",
            "sanitisation_code": "S2",
            "share_with": share_with,
            "themes": list(dict.fromkeys(themes)),
            "title": f"SAR {raw.get('sar_reference')}: {', '.join(codes) or 'no glossary code'}",
            "text": text,
            "entities": entities,
        },
        [],
    )


def _locator(where: str, raw: Mapping[str, Any]) -> Any:
    def locate(error: FieldError) -> tuple[str, str]:
        if error.field == "reference":
            return where, "sar_reference"
        if error.field == "received_at":
            return where, "submitted_at"
        return where, error.field

    return locate


def import_sar(access: DataAccess, path: Path, *, ref: Reference, share_with: tuple[str, ...] = ()) -> list[Submitted]:
    """All SARs or none; each becomes a `sar` report of UKFIU, handling C, visible to financial investigators."""
    source = path.name
    if path.suffix.lower() not in (".jsonl", ".ndjson", ".json"):
        raise ImportRefused(
            [Problem(source, "", "", "SAR records come as JSONL or JSON (they nest subjects and accounts)")]
        )
    grantees = sorted(set(share_with) or {"financial_investigator", access.actor.unit})
    problems: list[Problem] = []
    candidates: list[Candidate] = []
    for row in read_rows(path):
        where = f"{'line' if path.suffix.lower() != '.json' else 'record'} {row.number}"
        if row.error is not None:
            problems.append(Problem(source, where, row.error.field, row.error.reason))
            continue
        if not isinstance(row.raw, dict):
            problems.append(Problem(source, where, "", "must be a SAR object"))
            continue
        report, found = record_to_report(row.raw, where, source, grantees)
        problems += found
        if report is not None:
            candidates.append(Candidate(where, report, _locator(where, row.raw)))
    if problems:
        raise ImportRefused(problems)
    inputs = validate(candidates, ref, source)
    return submit(access, inputs)
