"""Identifiers: one small class per kind, one registry, no I/O (DOMAIN §7).

`normalise(kind, text)` gives a `Normalised` that keeps the text as given with either its
canonical value or the reason it is invalid; it never raises for bad input, because a
false identifier is intelligence too. `kind_for(schema, prop)` says which kind a
FollowTheMoney property holds.
"""

from maxim.domain.identifiers.base import MAX_LENGTH, IdentifierType, Normalised
from maxim.domain.identifiers.contact import (
    OFCOM_DRAMA_RANGES,
    OVERSEAS_POSTCODES,
    POSTCODE,
    Email,
    Phone,
    Postcode,
    is_drama_number,
)
from maxim.domain.identifiers.finance import Iban, SortcodeAccount
from maxim.domain.identifiers.nominal import (
    MOD23_ALPHABET,
    Cro,
    Nino,
    PncId,
    mod23_check,
    pnc_display,
)
from maxim.domain.identifiers.passport import (
    Passport,
    mrz_check_digit,
    passport_is_uk_format,
    validate_td3_line2,
)
from maxim.domain.identifiers.registry import FTM_PROPERTY_KINDS, REGISTRY, kind_for, normalise, normalise_cached
from maxim.domain.identifiers.vehicle import (
    Vrm,
    age_identifier_mismatch,
    expected_age_identifier,
    vrm_confusable_key,
    vrm_style,
)

__all__ = [
    "FTM_PROPERTY_KINDS",
    "MAX_LENGTH",
    "MOD23_ALPHABET",
    "OFCOM_DRAMA_RANGES",
    "OVERSEAS_POSTCODES",
    "POSTCODE",
    "REGISTRY",
    "Cro",
    "Email",
    "Iban",
    "IdentifierType",
    "Nino",
    "Normalised",
    "Passport",
    "Phone",
    "PncId",
    "Postcode",
    "SortcodeAccount",
    "Vrm",
    "age_identifier_mismatch",
    "expected_age_identifier",
    "is_drama_number",
    "kind_for",
    "mod23_check",
    "mrz_check_digit",
    "normalise",
    "normalise_cached",
    "passport_is_uk_format",
    "pnc_display",
    "validate_td3_line2",
    "vrm_confusable_key",
    "vrm_style",
]
