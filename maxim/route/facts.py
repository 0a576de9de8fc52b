"""The facts of a trafficking referral that routing may use, and the ones it never may.

A referral is a report of kind `referral` plus this structured record. Field names follow the
Human Trafficking Case Data Standard (HTCDS, UNMigration/HTCDS) where it has them, so NGO case
data maps in: `referring_organisation` is `cas_ReferringOrganisation`, `incoming_referral_date`
is `cas_IncomingReferralDate`, `incoming_referral_details` is `cas_IncomingReferralDetails`,
`exploitation_types` carries `vic_TypeOf*Exploitation` mapped to the Home Office typology,
`found_location`/`found_at` are a `hte_` event of type Exploitation, and the monitoring fields
are `prs_Nationality` and `prs_Gender`. HTCDS has no fields for the SOP's own facts (referral
route, setting, NIM level, the unit whose own work found it), so those are Maxim's.

Routing reads only `ROUTING_FIELDS`. The protected characteristics are kept apart in
`Monitoring`, for equality monitoring (DOMAIN §0.8), and a rule naming one is refused on load:
they must never decide where a victim's case goes. Age enters routing only as child status, and
anyone who may be under 18 counts as a child (MSA 2015 s51).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.domain.typology import Typology
from maxim.reference import Reference

REFERRAL_ROUTES = {
    "BOROUGH": "A borough command (BOCU)",
    "LAW_ENFORCEMENT_AGENCY": "A national or other law-enforcement agency (NCA, another force, Border Force)",
    "UKHTC": "The UK Human Trafficking Centre",
    "NGO_VIA_UKHTC": "An NGO, through UKHTC",
    "FIRST_RESPONDER": "Another first responder organisation (local authority, NGO direct)",
    "OWN_WORK": "Identified within a Met unit's own work",
    "OTHER": "Other",
}
SETTINGS = {
    "OFF_STREET_BROTHEL": "Off-street brothel (flat, sauna, massage parlour)",
    "ON_STREET": "On-street prostitution",
    "PORT_OF_ENTRY_HEATHROW": "Port of entry: Heathrow",
    "PORT_OF_ENTRY_OTHER": "Another port of entry (Waterloo, Gatwick, St Pancras, sea port)",
    "IMMIGRATION_OFFICE": "Immigration office (Lunar House, Croydon)",
    "PRIVATE_HOUSEHOLD": "Private household",
    "WORKPLACE": "Workplace (factory, farm, construction, nail bar, car wash)",
    "CANNABIS_FARM": "Cannabis farm",
    "ONLINE": "Online",
    "OTHER": "Other",
    "UNKNOWN": "Not known",
}
TRAVEL_DOCUMENTS = {
    "VALID": "Valid travel documents held",
    "NONE": "No travel documents",
    "FALSE_OR_INVALID": "False, forged or invalid documents",
    "WITHHELD": "Documents withheld by someone else (HTCDS method of control WithholdsDocuments)",
    "UNKNOWN": "Not known",
}
AGE_GROUPS = ("ADULT", "CHILD", "UNCERTAIN")

# field -> kind: the only facts a routing rule may name.
ROUTING_FIELDS: dict[str, str] = {
    "referral_route": "code",
    "referring_organisation": "code",
    "found_borough": "code",
    "setting": "code",
    "travel_documents": "code",
    "national_security_indicators": "bool",
    "identified_within": "code",
    "nim_level": "int",
    "victims_adult": "int",
    "victims_child": "int",
    "victims_total": "int",
    "has_child": "bool",
    "exploitation_types": "codes",
    "exploitation_categories": "codes",
    "suspects": "int",
}
# Values a rule may compare a code field with (None: any unit or partner code).
FIELD_VALUES: dict[str, frozenset[str] | None] = {
    "referral_route": frozenset(REFERRAL_ROUTES),
    "setting": frozenset(SETTINGS),
    "travel_documents": frozenset(TRAVEL_DOCUMENTS),
}
# Recorded for equality monitoring only; a rule naming one is refused.
PROTECTED_FIELDS = frozenset(
    {
        "nationality",
        "nationalities",
        "victim_nationalities",
        "ethnicity",
        "victim_ethnicities",
        "religion",
        "victim_religions",
        "sex",
        "gender",
        "victim_genders",
        "age",
        "ages",
        "victim_ages",
        "birth_date",
        "date_of_birth",
    }
)


@dataclass(frozen=True, slots=True)
class Monitoring:
    """Protected characteristics, for equality monitoring only; never an input to routing."""

    victim_nationalities: tuple[str, ...] = ()
    victim_genders: tuple[str, ...] = ()
    victim_ethnicities: tuple[str, ...] = ()
    victim_religions: tuple[str, ...] = ()
    victim_ages: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ReferralFacts:
    referral_route: str
    referring_organisation: str
    incoming_referral_date: datetime | None = None
    incoming_referral_details: str | None = None
    found_borough: str | None = None
    found_location: str | None = None
    found_at: date | None = None
    victims_adult: int = 0
    victims_child: int = 0
    exploitation_types: tuple[str, ...] = ()
    exploitation_categories: tuple[str, ...] = ()
    setting: str = "UNKNOWN"
    travel_documents: str = "UNKNOWN"
    national_security_indicators: bool = False
    identified_within: str | None = None
    nim_level: int | None = None
    suspects: int = 0
    monitoring: Monitoring = field(default_factory=Monitoring)

    @property
    def victims_total(self) -> int:
        return self.victims_adult + self.victims_child

    @property
    def has_child(self) -> bool:
        return self.victims_child > 0

    def routing_view(self) -> dict[str, Any]:
        """Exactly the facts rules may read: built from ROUTING_FIELDS, so nothing else leaks in."""
        return {name: getattr(self, name) for name in ROUTING_FIELDS}

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.incoming_referral_date is not None:
            data["incoming_referral_date"] = self.incoming_referral_date.isoformat()
        if self.found_at is not None:
            data["found_at"] = self.found_at.isoformat()
        for key, value in list(data.items()):
            if isinstance(value, tuple):
                data[key] = list(value)
        data["monitoring"] = {k: list(v) for k, v in data["monitoring"].items()}
        return data


FACT_FIELDS = (
    "referral_route",
    "referring_organisation",
    "incoming_referral_date",
    "incoming_referral_details",
    "found_borough",
    "found_location",
    "found_at",
    "potential_victims",
    "victims_adult",
    "victims_child",
    "exploitation_types",
    "setting",
    "travel_documents",
    "national_security_indicators",
    "identified_within",
    "nim_level",
    "suspects",
    "monitoring",
)
# Keys a file of referrals may carry for labelling or linking, besides the facts.
PASSTHROUGH = frozenset({"id", "reference", "report_id", "label"})


def _code(
    data: Mapping[str, Any],
    name: str,
    allowed: Mapping[str, str] | frozenset[str],
    errors: list[FieldError],
    default: str | None = None,
) -> str | None:
    value = data.get(name, default)
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        errors.append(FieldError(name, f"must be one of {', '.join(sorted(allowed))}, got {value!r}"))
        return None
    return value


def _count(data: Mapping[str, Any], name: str, errors: list[FieldError], path: str | None = None) -> int:
    value = data.get(name, 0)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors.append(FieldError(path or name, f"must be a whole number 0 or more, got {value!r}"))
        return 0
    return value


def _strings(value: Any, name: str, errors: list[FieldError]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(FieldError(name, "must be a list of strings"))
        return ()
    return tuple(value)


def parse_facts(data: Mapping[str, Any], ref: Reference, typology: Typology) -> ReferralFacts:
    """Validate a referral's facts, naming every bad field at once.

    `potential_victims` may be given as a list of `{"age_group": ADULT|CHILD|UNCERTAIN}` (HTCDS
    style, one per person) instead of counts; UNCERTAIN counts as a child (MSA s51).
    """
    errors: list[FieldError] = []
    unknown = set(data) - set(FACT_FIELDS) - PASSTHROUGH
    errors.extend(FieldError(name, "unknown field") for name in sorted(unknown))
    route = _code(data, "referral_route", REFERRAL_ROUTES, errors)
    if "referral_route" not in data:
        errors.append(FieldError("referral_route", "required"))
    origin = data.get("referring_organisation")
    if not isinstance(origin, str) or ref.originator_name(origin) is None:
        errors.append(
            FieldError(
                "referring_organisation", f"must be a unit or partner code (units.yaml, partners.yaml), got {origin!r}"
            )
        )
    borough = data.get("found_borough")
    if borough is not None and (
        not isinstance(borough, str) or borough not in ref.units or not ref.units[borough].is_borough
    ):
        errors.append(FieldError("found_borough", f"must be a borough command code BOCU-<NAME>, got {borough!r}"))
    within = data.get("identified_within")
    if within is not None and (not isinstance(within, str) or within not in ref.units):
        errors.append(FieldError("identified_within", f"must be a unit code (units.yaml), got {within!r}"))
    setting = _code(data, "setting", SETTINGS, errors, "UNKNOWN")
    documents = _code(data, "travel_documents", TRAVEL_DOCUMENTS, errors, "UNKNOWN")
    nsi = data.get("national_security_indicators", False)
    if not isinstance(nsi, bool):
        errors.append(FieldError("national_security_indicators", "must be true or false"))
    nim = data.get("nim_level")
    if nim is not None and (isinstance(nim, bool) or nim not in (1, 2, 3)):
        errors.append(FieldError("nim_level", f"must be 1, 2 or 3, got {nim!r}"))
    adults = _count(data, "victims_adult", errors)
    children = _count(data, "victims_child", errors)
    people = data.get("potential_victims")
    if people is not None:
        if not isinstance(people, list):
            errors.append(FieldError("potential_victims", "must be a list of {age_group: ADULT|CHILD|UNCERTAIN}"))
        else:
            for i, person in enumerate(people):
                group = person.get("age_group") if isinstance(person, dict) else None
                if group not in AGE_GROUPS:
                    errors.append(
                        FieldError(
                            f"potential_victims[{i}].age_group",
                            f"must be one of {', '.join(AGE_GROUPS)}, got {group!r}",
                        )
                    )
                elif group == "ADULT":
                    adults += 1
                else:  # anyone who may be under 18 is treated as a child
                    children += 1
    kinds = _strings(data.get("exploitation_types"), "exploitation_types", errors)
    categories: list[str] = []
    for i, kind in enumerate(kinds):
        category = typology.category_of(kind)
        if category is None:
            errors.append(
                FieldError(
                    f"exploitation_types[{i}]", f"unknown kind {kind!r}: use a typology code (L1..C6) or an MSA s3 code"
                )
            )
        elif category not in categories:
            categories.append(category)
    found_at = _date(data.get("found_at"), "found_at", errors)
    received = _datetime(data.get("incoming_referral_date"), "incoming_referral_date", errors)
    monitoring = _monitoring(data.get("monitoring"), errors)
    details = data.get("incoming_referral_details")
    location = data.get("found_location")
    for name, text in (("incoming_referral_details", details), ("found_location", location)):
        if text is not None and not isinstance(text, str):
            errors.append(FieldError(name, "must be text"))
    if errors:
        raise ValidationFailed(errors)
    return ReferralFacts(
        referral_route=route or "OTHER",
        referring_organisation=str(origin),
        incoming_referral_date=received,
        incoming_referral_details=details,
        found_borough=borough,
        found_location=location,
        found_at=found_at,
        victims_adult=adults,
        victims_child=children,
        exploitation_types=kinds,
        exploitation_categories=tuple(categories),
        setting=setting or "UNKNOWN",
        travel_documents=documents or "UNKNOWN",
        national_security_indicators=bool(nsi),
        identified_within=within,
        nim_level=nim,
        suspects=_count(data, "suspects", errors),
        monitoring=monitoring,
    )


def _date(value: Any, name: str, errors: list[FieldError]) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        errors.append(FieldError(name, f"must be an ISO date, got {value!r}"))
        return None


def _datetime(value: Any, name: str, errors: list[FieldError]) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        errors.append(FieldError(name, f"must be an ISO date-time, got {value!r}"))
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _monitoring(value: Any, errors: list[FieldError]) -> Monitoring:
    if value is None:
        return Monitoring()
    if not isinstance(value, dict):
        errors.append(FieldError("monitoring", "must be an object"))
        return Monitoring()
    allowed = set(Monitoring.__dataclass_fields__)
    for key in sorted(set(value) - allowed):
        errors.append(FieldError(f"monitoring.{key}", f"unknown field; use {', '.join(sorted(allowed))}"))
    ages = value.get("victim_ages") or []
    if not isinstance(ages, list) or not all(isinstance(a, int) and not isinstance(a, bool) for a in ages):
        errors.append(FieldError("monitoring.victim_ages", "must be a list of whole numbers"))
        ages = []
    return Monitoring(
        victim_nationalities=_strings(value.get("victim_nationalities"), "monitoring.victim_nationalities", errors),
        victim_genders=_strings(value.get("victim_genders"), "monitoring.victim_genders", errors),
        victim_ethnicities=_strings(value.get("victim_ethnicities"), "monitoring.victim_ethnicities", errors),
        victim_religions=_strings(value.get("victim_religions"), "monitoring.victim_religions", errors),
        victim_ages=tuple(ages),
    )


def facts_from_json(data: Mapping[str, Any]) -> ReferralFacts:
    """Rebuild stored facts (already validated when stored) without the reference data."""
    mon = data.get("monitoring") or {}
    return ReferralFacts(
        referral_route=data["referral_route"],
        referring_organisation=data["referring_organisation"],
        incoming_referral_date=(
            datetime.fromisoformat(data["incoming_referral_date"]) if data.get("incoming_referral_date") else None
        ),
        incoming_referral_details=data.get("incoming_referral_details"),
        found_borough=data.get("found_borough"),
        found_location=data.get("found_location"),
        found_at=date.fromisoformat(data["found_at"]) if data.get("found_at") else None,
        victims_adult=int(data.get("victims_adult", 0)),
        victims_child=int(data.get("victims_child", 0)),
        exploitation_types=tuple(data.get("exploitation_types") or ()),
        exploitation_categories=tuple(data.get("exploitation_categories") or ()),
        setting=data.get("setting", "UNKNOWN"),
        travel_documents=data.get("travel_documents", "UNKNOWN"),
        national_security_indicators=bool(data.get("national_security_indicators", False)),
        identified_within=data.get("identified_within"),
        nim_level=data.get("nim_level"),
        suspects=int(data.get("suspects", 0)),
        monitoring=Monitoring(**{k: tuple(v) for k, v in mon.items()}),
    )
