"""Victim records in the field names of the Human Trafficking Case Data Standard (HTCDS,
UNMigration/HTCDS): `prs_` person, `vic_` victim context, `cas_` case. Pure.

Partners that support victims (NGO first responders, support providers) keep case data in HTCDS
form; handing them records in the same names means nothing has to be re-keyed or guessed. Only
what a partner needs to support the person travels: the name they are known by, safe contact,
gender, nationality, exploitation types, consent and the case's state. Maxim's own fields
without an HTCDS equivalent (NRM state, support provider) travel under an `x_maxim_` prefix.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

GENDERS = {
    "female": "Female",
    "male": "Male",
    "transgender": "Transgender/NonConforming",
    "nonconforming": "Transgender/NonConforming",
}
# Home Office typology codes (typology.yaml) -> HTCDS picklists, where one maps.
SEX_EXPLOITATION = {"SEXUAL": "Prostitution"}
LABOUR_EXPLOITATION = {
    "LABOUR": "Other",
    "DOMESTIC": "DomesticWork",
    "CRIMINAL": "IllicitActivities",
}
CLOSED_NRM = {"CLOSED", "WITHDRAWN", "DTN_SUBMITTED"}


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


def to_htcds(row: Mapping[str, Any], partner: str) -> dict[str, Any]:
    """One stored victim record as an HTCDS record for `partner`."""
    contact = row.get("contact") or {}
    # Typology types (S3, L1, D2, C1...) carry their category in the first letter; categories pass as they are.
    prefix = {"S": "SEXUAL", "L": "LABOUR", "D": "DOMESTIC", "C": "CRIMINAL"}
    cats = {
        prefix.get(str(t)[:1], str(t)) if str(t)[1:].isdigit() else str(t) for t in row.get("exploitation_types") or []
    }
    return {
        "prs_FirstName": row["known_as"],
        "prs_Gender": GENDERS.get(str(row.get("gender") or "").lower(), "Unknown"),
        "prs_Nationality": (row.get("nationality") or "").upper() or None,
        "prs_MobilePhone": contact.get("phone") if contact.get("phone_safe") else None,
        "vic_AgreementToManagePersonalData": row["consent"] == "GIVEN",
        "vic_TypeOfSexExploitation": sorted({SEX_EXPLOITATION[c] for c in cats if c in SEX_EXPLOITATION}),
        "vic_TypeOfLabourExploitation": sorted({LABOUR_EXPLOITATION[c] for c in cats if c in LABOUR_EXPLOITATION}),
        "cas_Status": "Closed" if row.get("nrm_state") in CLOSED_NRM else "Active",
        "cas_ReferringOrganisation": "Metropolitan Police Service",
        "cas_ReferredOrganisation": partner,
        "cas_IncomingReferralDate": _iso(row.get("recovered_on")),
        "x_maxim_RecordId": row["id"],
        "x_maxim_NrmState": row.get("nrm_state"),
        "x_maxim_SupportProvider": row.get("support_provider"),
        "x_maxim_SafeContact": {
            k: v for k, v in contact.items() if k in ("safe_method", "safe_times", "do_not_leave_messages")
        },
    }
