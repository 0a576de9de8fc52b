"""Identifier normalisers: each kind's edge cases, the DOMAIN §7 vectors, and never raising."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maxim.domain.identifiers import (
    FTM_PROPERTY_KINDS,
    MAX_LENGTH,
    REGISTRY,
    Normalised,
    PncId,
    age_identifier_mismatch,
    expected_age_identifier,
    kind_for,
    mrz_check_digit,
    normalise,
    passport_is_uk_format,
    pnc_display,
    validate_td3_line2,
    vrm_confusable_key,
    vrm_style,
)

ICAO_SPECIMEN_LINE2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"

ALL_KINDS = {
    "phone",
    "email",
    "postcode",
    "vrm",
    "passport",
    "iban",
    "sortcode_account",
    "pnc_id",
    "cro",
    "nino",
}


def value(kind: str, text: str) -> str | None:
    return normalise(kind, text).value


def reason(kind: str, text: str) -> str:
    result = normalise(kind, text)
    assert result.value is None, f"{text!r} should be an invalid {kind}, got {result.value!r}"
    assert result.reason
    return result.reason


# --- the registry ----------------------------------------------------------------------------


def test_every_kind_is_registered_under_its_own_name() -> None:
    assert set(REGISTRY) == ALL_KINDS
    for kind, identifier_type in REGISTRY.items():
        assert identifier_type.kind == kind
        assert identifier_type.label


def test_unknown_kind_is_a_value_error_naming_the_known_kinds() -> None:
    with pytest.raises(ValueError, match=r"unknown identifier kind 'shoe_size'.*phone"):
        normalise("shoe_size", "42")


def test_normalised_keeps_the_original_and_knows_its_strength() -> None:
    result = normalise("postcode", " sw1a2aa ")
    assert result == Normalised("postcode", " sw1a2aa ", "SW1A 2AA", None, False)
    assert result.valid
    assert normalise("phone", "07700 900123").strong


def test_normalised_refuses_both_or_neither_of_value_and_reason() -> None:
    with pytest.raises(ValueError):
        Normalised("vrm", "x", "X", "bad", True)
    with pytest.raises(ValueError):
        Normalised("vrm", "x", None, None, True)


@pytest.mark.parametrize("kind", sorted(ALL_KINDS))
def test_empty_and_overlong_input_give_a_reason(kind: str) -> None:
    assert reason(kind, "") == "empty"
    assert reason(kind, "   \t") == "empty"
    assert "too long" in reason(kind, "1" * (MAX_LENGTH + 1))


# --- phone -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("07700 900123", "+447700900123"),  # Ofcom drama range, invalid to libphonenumber
        ("07700900000", "+447700900000"),
        ("+44 7700 900999", "+447700900999"),
        ("0044 7700 900123", "+447700900123"),
        ("+44 (0)7700 900123", "+447700900123"),
        ("01632 960123", "+441632960123"),  # Ofcom drama geographic range
        ("020 7946 0000", "+442079460000"),
        ("07911-123456", "+447911123456"),
        ("+33 1 23 45 67 89", "+33123456789"),  # stays French
        ("0033 1 23 45 67 89", "+33123456789"),
        ("+44 7911 123456 ext. 12", "+447911123456"),
    ],
)
def test_phone_normalises_to_e164(text: str, expected: str) -> None:
    assert value("phone", text) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("123", "too short"),
        ("07700 9001", "not in an allocated GB number range"),
        ("07700 901123", "not in an allocated GB number range"),  # outside the drama range
        ("0800 FLOWERS", "characters"),
        ("call me", "characters"),
        ("+999 123456", "not a phone number"),  # no such country calling code
        ("+44 7700", "too short"),
        ("12345", "too short"),
        ("07911 1234567890123", "too long"),
    ],
)
def test_phone_rejects_with_a_reason(text: str, why: str) -> None:
    assert why in reason("phone", text)


# --- email -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" John.Smith@Example.COM ", "John.Smith@example.com"),
        ("mailto:a.b+tag@mail.example.co.uk", "a.b+tag@mail.example.co.uk"),
        ("x@münchen.de", "x@xn--mnchen-3ya.de"),
        ("a@example.com.", "a@example.com"),
    ],
)
def test_email_trims_and_lowercases_the_domain(text: str, expected: str) -> None:
    assert value("email", text) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("john.smith.example.com", "no @"),
        ("john@localhost", "domain"),
        ("john@exa mple.com", "domain"),
        ("john@-example.com", "domain"),
        ("john@example.123", "domain"),
        ("@example.com", "mailbox"),
        ("jo hn@example.com", "mailbox"),
        ("john..smith@example.com", "mailbox"),
    ],
)
def test_email_rejects_with_a_reason(text: str, why: str) -> None:
    assert why in reason("email", text)


# --- postcode --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["SW1A 2AA", "EC1A 1BB", "W1A 0AX", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "GIR 0AA"],
)
def test_domain_postcodes_pass(text: str) -> None:
    assert value("postcode", text) == text
    assert value("postcode", text.lower().replace(" ", "")) == text


@pytest.mark.parametrize("text", ["Q1 1AA", "SW1A 2AI"])
def test_postcodes_passing_only_the_permissive_regex_pass(text: str) -> None:
    # DOMAIN §7.3: these fail the stricter Royal Mail variant but pass the grouped one.
    assert value("postcode", text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ascn1zz", "ASCN 1ZZ"),
        ("STHL 1ZZ", "STHL 1ZZ"),
        ("TKCA 1ZZ", "TKCA 1ZZ"),
        ("BFPO 123", "BFPO 123"),
        ("bfpo123", "BFPO 123"),
        ("  sw1a   2aa ", "SW1A 2AA"),
    ],
)
def test_postcode_forms(text: str, expected: str) -> None:
    assert value("postcode", text) == expected


@pytest.mark.parametrize(
    "text",
    ["12345", "SW1A", "SW1A 2A", "1SW 2AA", "SWIA 2AA", "ABCD 1ZZ", "BFPO 12345", "SW1A 22A"],
)
def test_postcode_rejects(text: str) -> None:
    assert reason("postcode", text) == "not a valid UK postcode"


def test_grouped_regex_fixes_the_published_anchor_bug() -> None:
    # The published regex anchors GIR 0AA only at the start: "GIR 0AAX" used to pass.
    assert reason("postcode", "GIR 0AAX")
    assert reason("postcode", "XSW1A 2AA")


# --- VRM -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "style"),
    [
        ("ab12 cde", "AB12CDE", "current"),
        ("AB51ABZ", "AB51ABZ", "current"),
        ("A123 BCD", "A123BCD", "prefix"),
        ("ABC 123D", "ABC123D", "suffix"),
        ("BIZ 1234", "BIZ1234", "northern_ireland"),
        ("Q123 ABC", "Q123ABC", "q_plate"),
        ("ABC 1", "ABC1", "dateless"),
        ("1 ABC", "1ABC", "dateless"),
    ],
)
def test_vrm_styles(text: str, expected: str, style: str) -> None:
    assert value("vrm", text) == expected
    assert vrm_style(expected) == style


@pytest.mark.parametrize("text", ["IA12ABC", "AB12CDEF", "HELLO", "12345", "AB-12-CDE!", "ABCD1234"])
def test_vrm_rejects(text: str) -> None:
    assert reason("vrm", text) == "not a UK vehicle registration mark"


def test_current_style_excludes_i_q_z_in_the_first_letters_and_i_q_in_the_last() -> None:
    assert vrm_style("QA12ABC") != "current"
    assert vrm_style("AB12CDI") != "current"
    assert vrm_style("AB12CDZ") == "current"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2001, 9, 1), "51"),
        (date(2002, 2, 28), "51"),
        (date(2002, 3, 1), "02"),
        (date(2021, 8, 31), "21"),
        (date(2021, 9, 1), "71"),
        (date(2022, 1, 15), "71"),
        (date(2049, 12, 31), "99"),
        (date(2050, 9, 1), "00"),
        (date(2051, 2, 28), "00"),
        (datetime(2021, 3, 1, 12, tzinfo=UTC), "21"),
    ],
)
def test_expected_age_identifier(day: date, expected: str) -> None:
    assert expected_age_identifier(day) == expected


@pytest.mark.parametrize("day", [date(2001, 8, 31), date(2051, 3, 1)])
def test_expected_age_identifier_outside_the_current_style(day: date) -> None:
    with pytest.raises(ValueError, match="outside the current registration style"):
        expected_age_identifier(day)


def test_age_identifier_mismatch_flags_a_possible_ringer() -> None:
    assert age_identifier_mismatch("AB21 CDE", date(2021, 4, 1)) is None
    why = age_identifier_mismatch("AB21 CDE", date(2021, 10, 1))
    assert why is not None and "expected 71" in why
    assert age_identifier_mismatch("A123 BCD", date(2021, 10, 1)) is None


def test_vrm_confusable_key_folds_look_alike_characters() -> None:
    assert vrm_confusable_key("ab12 cde") == vrm_confusable_key("A812 CDE") == "A812CDE"
    assert vrm_confusable_key("SO51 ZIB") == vrm_confusable_key("5051 218")


# --- passport and MRZ ------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "digit"), [("L898902C3", 6), ("740812", 2), ("120415", 9), ("<<<", 0)])
def test_mrz_check_digit_icao_vectors(field: str, digit: int) -> None:
    assert mrz_check_digit(field) == digit


def test_mrz_check_digit_refuses_characters_outside_the_mrz() -> None:
    with pytest.raises(ValueError):
        mrz_check_digit("l898")


def test_icao_specimen_line2_passes_every_check() -> None:
    assert validate_td3_line2(ICAO_SPECIMEN_LINE2) == []


@pytest.mark.parametrize(
    ("position", "replacement", "failing"),
    [
        (9, "7", ["passport number", "composite"]),
        (19, "3", ["date of birth", "composite"]),
        (27, "0", ["expiry date", "composite"]),
        (42, "2", ["personal number", "composite"]),
        (43, "5", ["composite"]),
    ],
)
def test_td3_line2_names_each_failing_check_digit(position: int, replacement: str, failing: list[str]) -> None:
    line = ICAO_SPECIMEN_LINE2[:position] + replacement + ICAO_SPECIMEN_LINE2[position + 1 :]
    reasons = validate_td3_line2(line)
    assert [r.split(" check digit")[0] for r in reasons] == failing


def test_td3_line2_wrong_shape() -> None:
    assert validate_td3_line2("L898902C3") == ["not a passport MRZ line: 44 characters of A-Z, 0-9 and <"]


def test_td3_blank_personal_number_may_have_a_filler_check_digit() -> None:
    line = "L898902C36UTO7408122F1204159<<<<<<<<<<<<<<<<"
    line = line[:43] + str(mrz_check_digit(line[0:10] + line[13:20] + line[21:43]))
    assert validate_td3_line2(line) == []


@pytest.mark.parametrize(
    ("text", "expected", "uk"),
    [
        ("123456789", "123456789", True),
        ("123 456 789", "123456789", True),
        ("a123456", "A123456", True),
        ("123456A", "123456A", True),
        ("L898902C3", "L898902C3", False),
        (ICAO_SPECIMEN_LINE2, "L898902C3", False),
    ],
)
def test_passport_numbers(text: str, expected: str, uk: bool) -> None:
    assert value("passport", text) == expected
    assert passport_is_uk_format(expected) is uk


@pytest.mark.parametrize("text", ["1234567890", "AB-123456", "12345678$"])
def test_passport_rejects(text: str) -> None:
    assert "not a passport number" in reason("passport", text)


def test_passport_from_an_mrz_line_with_a_bad_check_digit_says_which() -> None:
    forged = "L898902C37" + ICAO_SPECIMEN_LINE2[10:]
    why = reason("passport", forged)
    assert "passport number check digit is 7, expected 6" in why
    assert "composite" in why


# --- IBAN and UK bank accounts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GB33BUKB20201555555555", "GB33BUKB20201555555555"),
        ("gb33 bukb 2020 1555 5555 55", "GB33BUKB20201555555555"),
        ("IBAN: DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ],
)
def test_iban(text: str, expected: str) -> None:
    assert value("iban", text) == expected


def test_iban_reason_comes_from_schwifty() -> None:
    assert "checksum" in reason("iban", "GB34BUKB20201555555555").lower()
    assert "not an IBAN" in reason("iban", "12345678")
    assert "not a valid IBAN" in reason("iban", "GB33BUKB2020155555")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12-34-56 12345678", "12-34-56 12345678"),
        ("123456 12345678", "12-34-56 12345678"),
        ("12 34 56 12345678", "12-34-56 12345678"),
        ("12-34-56, a/c 12345678", "12-34-56 12345678"),
        ("sort code 12-34-56 account no: 12345678", "12-34-56 12345678"),
        ("12-34-56 1234567", "12-34-56 01234567"),  # 7-digit accounts pad with a zero
        ("12-34-56 123456", "12-34-56 00123456"),
    ],
)
def test_sortcode_account(text: str, expected: str) -> None:
    assert value("sortcode_account", text) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("12-34-56", "not a sort code"),
        ("12-3456 12345678", "not a sort code"),  # separators must be consistent
        ("1234567 12345678", "not a sort code"),
        ("12-34-56 12345", "8 digits"),
        ("12-34-56 1234567890", "bank's own conversion"),
        ("ab-cd-ef 12345678", "not a sort code"),
    ],
)
def test_sortcode_account_rejects(text: str, why: str) -> None:
    assert why in reason("sortcode_account", text)


# --- PNC ID, CRO number, NINO ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("99/123456X", "1999/0123456X"),
        ("1999/1234567B", "1999/1234567B"),
        ("20/9N", "2020/0000009N"),
        ("2003/0012345N", "2003/0012345N"),
        ("2019/0456789Y", "2019/0456789Y"),
        ("2019 0456789Y", "2019/0456789Y"),
        ("99123456x", "1999/0123456X"),
    ],
)
def test_pnc_id_domain_vectors(text: str, expected: str) -> None:
    assert PncId(reference_year=2025).normalise(text).value == expected


def test_pnc_two_digit_years_pivot_on_the_reference_year() -> None:
    n = PncId(reference_year=2019).normalise("20/9N")
    assert n.value == "1920/0000009N"  # same check letter: only the last two digits count
    assert PncId(reference_year=2020).normalise("20/9N").value == "2020/0000009N"


def test_pnc_wrong_check_letter_names_the_expected_one() -> None:
    result = PncId(reference_year=2025).normalise("99/123456Y")
    assert result.reason == "check letter is Y, expected X"


def test_pnc_rejects_future_years_and_bad_shapes() -> None:
    assert "future" in (PncId(reference_year=2025).normalise("2031/0000001A").reason or "")
    assert "not a PNC ID" in reason("pnc_id", "99/12345678X")
    assert "not a PNC ID" in reason("pnc_id", "999/123456X")
    assert "not a PNC ID" in reason("pnc_id", "99/123456")


def test_pnc_registry_instance_uses_the_current_year() -> None:
    assert value("pnc_id", "99/123456X") == "1999/0123456X"


def test_pnc_display_suppresses_century_and_zeros() -> None:
    assert pnc_display("1999/0123456X") == "99/123456X"
    assert pnc_display("2020/0000009N") == "20/9N"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("012345/98G", "012345/98G"),
        ("12345/98G", "012345/98G"),
        ("123456/05Y", "123456/05Y"),
        ("SF05/12345W", "SF05/12345W"),
        ("sf05/12345w", "SF05/12345W"),
    ],
)
def test_cro_domain_vectors(text: str, expected: str) -> None:
    assert value("cro", text) == expected


def test_cro_rejects() -> None:
    assert reason("cro", "012345/98H") == "check letter is H, expected G"
    assert reason("cro", "SF05/012345W") == "check letter is W, expected A"  # SF: no padding
    assert "not a CRO number" in reason("cro", "1234567/98G")
    assert "not a CRO number" in reason("cro", "SF5/12345W")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("AB123456C", "AB123456C"), ("ab 12 34 56 c", "AB123456C"), ("JG 103759 A", "JG103759A")],
)
def test_nino(text: str, expected: str) -> None:
    assert value("nino", text) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("QQ123456C", "not a National Insurance number"),  # Q is never a prefix letter
        ("AO123456C", "not a National Insurance number"),  # O is never second
        ("AB123456E", "not a National Insurance number"),
        ("AB12345C", "not a National Insurance number"),
        ("GB123456A", "prefix GB is never allocated"),
        ("TN123456A", "prefix TN is never allocated"),
    ],
)
def test_nino_rejects(text: str, why: str) -> None:
    assert why in reason("nino", text)


# --- FollowTheMoney properties ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "prop", "kind"),
    [
        ("Person", "phone", "phone"),
        ("Company", "phone", "phone"),
        ("LegalEntity", "email", "email"),
        ("UserAccount", "email", "email"),
        ("Person", "passportNumber", "passport"),
        ("Person", "idNumber", None),
        ("Address", "postalCode", "postcode"),
        ("Vehicle", "registrationNumber", "vrm"),
        ("Vessel", "registrationNumber", None),
        ("Airplane", "registrationNumber", None),
        ("Company", "registrationNumber", None),
        ("BankAccount", "iban", "iban"),
        ("BankAccount", "accountNumber", None),
        ("Passport", "number", "passport"),
        ("Passport", "passportNumber", "passport"),
        ("Identification", "number", None),
        ("Person", "name", None),
        ("Person", "noSuchProperty", None),
        ("NoSuchSchema", "phone", None),
    ],
)
def test_kind_for(schema: str, prop: str, kind: str | None) -> None:
    assert kind_for(schema, prop) == kind


def test_ftm_table_names_real_schemata_properties_and_kinds() -> None:
    from followthemoney import model

    for (schema, prop), kind in FTM_PROPERTY_KINDS.items():
        ftm_schema = model.get(schema)
        assert ftm_schema is not None, schema
        assert ftm_schema.get(prop) is not None, f"{schema}.{prop}"
        assert kind is None or kind in REGISTRY


# --- never raises ----------------------------------------------------------------------------

identifier_like = st.one_of(
    st.text(),
    st.text(alphabet="0123456789 +-/()<ABCDEFGHIJKLMNOPQRSTUVWXYZ@.", max_size=50),
    st.from_regex(r"[0-9]{2,4}/[0-9]{1,7}[A-Z]", fullmatch=True),
    st.from_regex(r"(SF[0-9]{2}/)?[0-9]{1,6}(/[0-9]{2})?[A-Z]", fullmatch=True),
    st.from_regex(r"[A-Z0-9<]{44}", fullmatch=True),
    st.from_regex(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{4,30}", fullmatch=True),
)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(sorted(ALL_KINDS)), text=identifier_like)
def test_every_normaliser_returns_value_xor_reason_and_never_raises(kind: str, text: str) -> None:
    result = normalise(kind, text)
    assert isinstance(result, Normalised)
    assert result.kind == kind
    assert result.original == text
    assert (result.value is None) != (result.reason is None)
    assert result.strong == REGISTRY[kind].strong


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(sorted(ALL_KINDS)), text=identifier_like)
def test_normalising_a_canonical_value_is_stable(kind: str, text: str) -> None:
    first = normalise(kind, text)
    if first.value is not None:
        assert normalise(kind, first.value).value == first.value
