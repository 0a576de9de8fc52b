"""The one registry of identifier kinds, and which FollowTheMoney properties hold which."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from followthemoney import model

from maxim.domain.identifiers.base import IdentifierType, Normalised
from maxim.domain.identifiers.contact import Email, Phone, Postcode
from maxim.domain.identifiers.finance import Iban, SortcodeAccount
from maxim.domain.identifiers.nominal import Cro, Nino, PncId
from maxim.domain.identifiers.passport import Passport
from maxim.domain.identifiers.vehicle import Vrm

REGISTRY: Mapping[str, IdentifierType] = MappingProxyType(
    {
        t.kind: t
        for t in (
            Phone(),
            Email(),
            Postcode(),
            Vrm(),
            Passport(),
            Iban(),
            SortcodeAccount(),
            PncId(),
            Cro(),
            Nino(),
        )
    }
)


def normalise(kind: str, text: str) -> Normalised:
    """Normalise `text` as an identifier of `kind`; an unknown kind is a ValueError."""
    try:
        identifier_type = REGISTRY[kind]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ValueError(f"unknown identifier kind {kind!r}; use one of: {known}") from None
    return identifier_type.normalise(text)


#: Kinds whose reading depends on the date: a PNC ID's two-digit year is read against the
#: current year, so its result must not be remembered across a new year.
_DATED_KINDS = frozenset({"pnc_id"})


@lru_cache(maxsize=200_000)
def _remembered(kind: str, text: str) -> Normalised:
    return normalise(kind, text)


def normalise_cached(kind: str, text: str) -> Normalised:
    """`normalise`, remembered for the life of the process: the same as calling it afresh.

    A batch meets the same phone numbers, postcodes and vehicle marks in thousands of reports,
    and libphonenumber is slow, so intake and text extraction both normalise through here.
    The cache is bounded (about 50 MB when full) and every result is immutable.
    """
    if kind in _DATED_KINDS:
        return normalise(kind, text)
    return _remembered(kind, text)


#: (FtM schema, property) -> identifier kind, or None where the property holds numbers of
#: many kinds that must not be forced into one. Looked up on the schema itself first, then
#: on its ancestors, so a None on a sub-schema overrides its parent's kind.
FTM_PROPERTY_KINDS: Mapping[tuple[str, str], str | None] = MappingProxyType(
    {
        ("LegalEntity", "phone"): "phone",
        ("LegalEntity", "email"): "email",
        ("UserAccount", "phone"): "phone",
        ("UserAccount", "email"): "email",
        ("Person", "passportNumber"): "passport",
        ("LegalEntity", "idNumber"): None,  # national ID cards, driving licences, anything
        ("Person", "socialSecurityNumber"): None,  # a NINO only for UK persons
        ("Address", "postalCode"): "postcode",
        ("Vehicle", "registrationNumber"): "vrm",
        ("Airplane", "registrationNumber"): None,  # aircraft marks (G-ABCD) are not VRMs
        ("Vessel", "registrationNumber"): None,  # nor are ship registrations
        ("BankAccount", "iban"): "iban",
        ("BankAccount", "accountNumber"): None,  # bare, without a sort code; often foreign
        ("Identification", "number"): None,  # the document type decides
        ("Passport", "number"): "passport",
        ("Passport", "passportNumber"): "passport",
    }
)

#: Properties of these FtM types hold our kind whatever schema they are on.
_FTM_TYPE_KINDS: Mapping[str, str] = MappingProxyType({"phone": "phone", "email": "email"})


def kind_for(schema: str, prop: str) -> str | None:
    """Which identifier kind a FollowTheMoney property holds, or None if not one of ours."""
    ftm_schema = model.get(schema)
    if ftm_schema is None:
        return None
    ftm_prop = ftm_schema.get(prop)
    if ftm_prop is None:
        return None
    queue = [ftm_schema]
    seen: set[str] = set()
    while queue:
        current = queue.pop(0)
        if current.name in seen:
            continue
        seen.add(current.name)
        if (current.name, prop) in FTM_PROPERTY_KINDS:
            return FTM_PROPERTY_KINDS[(current.name, prop)]
        queue.extend(current.extends)
    return _FTM_TYPE_KINDS.get(ftm_prop.type.name)
