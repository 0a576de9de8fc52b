"""HTCDS victim and referral records from NGOs, as referrals received through UKHTC.

Field names are those of the Human Trafficking Case Data Standard (UNMigration/HTCDS), the
same ones `maxim/route/facts.py` reads: `cas_` case fields, `prs_` the person, `vic_` victim
facts (the `vic_TypeOf*Exploitation` flags), `hte_` the exploitation event, `prp_` a
perpetrator. Fields of those prefixes Maxim does not map are ignored (HTCDS has many); a field
of no HTCDS prefix is refused, since it usually means the wrong file or a misspelt column.

NGO referrals reach the clearinghouse through UKHTC (DOMAIN §0.1), so the report's originator
is UKHTC and its reference is `<NGO>/<case id>`. The victim is a data subject of category
`victim`, seen only by safeguarding leads and the investigating unit; the report is handling
C with conditions that keep it to law enforcement and safeguarding.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from maxim.domain.errors import FieldError
from maxim.intake.batch import read_rows
from maxim.reference import Reference
from maxim.share.imports import Candidate, ImportRefused, Problem, submit, validate
from maxim.store.access import DataAccess, Forbidden, Submitted

PREFIXES = ("cas_", "prs_", "vic_", "hte_", "prp_", "ref_", "sup_", "inc_")
CONDITIONS = (
    "Victim referral from an NGO first responder via UKHTC: for safeguarding and law-enforcement purposes only; "
    "no disclosure of the victim's identity outside law enforcement and safeguarding partners without "
    "reference to UKHTC"
)
GENDERS = {"m": "male", "male": "male", "man": "male", "f": "female", "female": "female", "woman": "female"}
TRUE = {"1", "true", "yes", "y", "t"}
# vic_TypeOf*Exploitation flags that add a theme beyond TRAFFICKING.
EXTRA_THEMES = {"Sexual": "VICE"}
# HTCDS field -> (entity, FollowTheMoney property) for the victim (v), event place (a), perpetrator (s).
FIELDS = {
    "prs_Phone": ("v", "phone"),
    "prs_Email": ("v", "email"),
    "prs_Nationality": ("v", "nationality"),
    "prs_BirthPlace": ("v", "birthPlace"),
    "hte_Address": ("a", "full"),
    "hte_Location": ("a", "full"),
    "hte_Postcode": ("a", "postalCode"),
    "hte_City": ("a", "city"),
    "hte_Country": ("a", "country"),
    "prp_Phone": ("s", "phone"),
    "prp_Nationality": ("s", "nationality"),
}


def _name(row: Mapping[str, Any], prefix: str) -> tuple[str, dict[str, list[str]]]:
    given = str(row.get(f"{prefix}GivenName") or row.get(f"{prefix}FirstName") or "").strip()
    family = str(row.get(f"{prefix}FamilyName") or row.get(f"{prefix}LastName") or "").strip()
    props: dict[str, list[str]] = {}
    if given:
        props["firstName"] = [given]
    if family:
        props["lastName"] = [family]
    return " ".join(p for p in (given, family) if p), props


def record_to_report(
    row: Mapping[str, Any], ngo: str, grading: Mapping[str, str], share_with: list[str]
) -> dict[str, Any]:
    """One HTCDS record as an intake-format referral report (validated afterwards like any report)."""
    case_id = str(row.get("cas_CaseId") or row.get("cas_CaseID") or "").strip()
    entities: dict[str, dict[str, Any]] = {}
    name, props = _name(row, "prs_")
    victim: dict[str, Any] = {
        "id": "v",
        "schema": "Person",
        "role": "victim",
        # A Person needs a name; an unnamed victim is named by the case, never by guesswork.
        "properties": {"name": [name or f"Unnamed victim, {ngo} case {case_id}"], **props},
    }
    entities["v"] = victim
    gender = GENDERS.get(str(row.get("prs_Gender") or "").strip().lower())
    if gender:
        victim["properties"]["gender"] = [gender]
    for key in ("prs_DateOfBirth", "prs_YearOfBirth"):
        if row.get(key):
            victim["properties"]["birthDate"] = [str(row[key]).strip()]
            break
    perp_name, perp_props = _name(row, "prp_")
    if perp_name:
        entities["s"] = {
            "id": "s",
            "schema": "Person",
            "role": "suspect",
            "properties": {"name": [perp_name], **perp_props},
        }
    for key, (alias, prop) in FIELDS.items():
        value = str(row.get(key) or "").strip()
        if not value:
            continue
        if alias == "s" and "s" not in entities:
            continue
        if alias == "a" and "a" not in entities:
            entities["a"] = {"id": "a", "schema": "Address", "properties": {}}
        entities[alias]["properties"].setdefault(prop, []).append(value)
    if "a" in entities:
        victim["properties"]["addressEntity"] = ["a"]
    exploitation = sorted(
        k.removeprefix("vic_TypeOf").removesuffix("Exploitation")
        for k, v in row.items()
        if k.startswith("vic_TypeOf") and str(v).strip().lower() in TRUE
    )
    themes = ["TRAFFICKING", *sorted({EXTRA_THEMES[e] for e in exploitation if e in EXTRA_THEMES})]
    if str(row.get("prs_IsMinor") or row.get("vic_IsChild") or "").strip().lower() in TRUE:
        themes.append("CHILD_EXPLOITATION")
    details = str(row.get("cas_IncomingReferralDetails") or "").strip()
    kinds = ", ".join(exploitation).lower() or "trafficking"
    text = "\n".join(
        line
        for line in (
            f"Referred by {ngo} (HTCDS case {case_id}).",
            f"Exploitation: {', '.join(exploitation)}." if exploitation else "",
            details,
        )
        if line
    )
    return {
        "kind": "referral",
        "originator": "UKHTC",
        "reference": f"{ngo}/{case_id}",
        "received_at": row.get("cas_IncomingReferralDate") or row.get("cas_CaseDate"),
        **grading,
        "handling_code": "C",
        "handling_conditions": CONDITIONS,
        "action_code": "A3",
        "sanitisation_code": "S2",
        "share_with": share_with,
        "themes": themes,
        "title": f"NGO referral {ngo} {case_id}: potential victim of {kinds}",
        "text": text,
        "entities": list(entities.values()),
    }


def _locator(where: str) -> Any:
    names = {"entities[0]": "victim (prs_)", "reference": "cas_CaseId", "received_at": "cas_IncomingReferralDate"}

    def locate(error: FieldError) -> tuple[str, str]:
        for key, label in names.items():
            if error.field.startswith(key):
                return where, f"{label} {error.field}"
        return where, error.field

    return locate


def candidates(
    path: Path, ngo: str, ref: Reference, grading: Mapping[str, str], share_with: list[str]
) -> list[Candidate]:
    source = path.name
    problems: list[Problem] = []
    out: list[Candidate] = []
    try:
        rows = list(read_rows(path))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportRefused([Problem(source, "", "", str(exc))]) from exc
    suffix = path.suffix.lower()
    unit = "line" if suffix in (".jsonl", ".ndjson") else "record" if suffix == ".json" else "row"
    for row in rows:
        where = f"{unit} {row.number}"
        if row.error is not None:
            problems.append(Problem(source, where, row.error.field, row.error.reason))
            continue
        if not isinstance(row.raw, dict):
            problems.append(Problem(source, where, "", "must be an object of HTCDS fields"))
            continue
        unknown = [k for k in row.raw if not str(k).startswith(PREFIXES)]
        for key in unknown:
            problems.append(
                Problem(source, where, str(key), "is not an HTCDS field (cas_, prs_, vic_, hte_, prp_ ...)")
            )
        if not str(row.raw.get("cas_CaseId") or row.raw.get("cas_CaseID") or "").strip():
            problems.append(Problem(source, where, "cas_CaseId", "is required: the NGO's case id"))
            continue
        if unknown:
            continue
        out.append(Candidate(where, record_to_report(row.raw, ngo, grading, share_with), _locator(where)))
    if problems:
        raise ImportRefused(problems)
    return out


def import_htcds(
    access: DataAccess,
    path: Path,
    *,
    ngo: str,
    ref: Reference,
    source_evaluation: str | None = None,
    intelligence_assessment: str | None = None,
) -> list[Submitted]:
    """All records or none. Victim records are for safeguarding: only safeguarding leads may import them."""
    if not access.actor.roles & set(ref.victim_access_roles):
        raise Forbidden("HTCDS victim records are imported by a safeguarding lead")
    partner = ref.partners.get(ngo)
    if partner is None:
        raise ImportRefused([Problem(path.name, "--from", ngo, "is not a partner code (partners.yaml)")])
    grading = {
        # An NGO first responder relays what the victim told them: untested source, known indirectly.
        "source_evaluation": source_evaluation or "2",
        "intelligence_assessment": intelligence_assessment or "C",
    }
    share_with = sorted({"safeguarding_lead", access.actor.unit})
    inputs = validate(candidates(path, ngo, ref, grading, share_with), ref, path.name)
    return submit(access, inputs)
