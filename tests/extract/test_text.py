"""Identifier extraction from report text: spans, overlaps and prose that holds none."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maxim.extract import Found, find_identifiers


def found(text: str) -> list[tuple[str, str, str | None]]:
    results = find_identifiers(text)
    for f in results:
        assert text[f.start : f.end] == f.original
    return [(f.kind, f.original, f.value) for f in results]


def kinds(text: str) -> list[str]:
    return [f.kind for f in find_identifiers(text)]


@pytest.mark.parametrize(
    ("text", "kind", "original", "value"),
    [
        ("Call 07700 900123 tonight.", "phone", "07700 900123", "+447700900123"),
        ("His French number is +33 1 23 45 67 89.", "phone", "+33 1 23 45 67 89", "+33123456789"),
        ("Mob: 0044 7700 900123", "phone", "0044 7700 900123", "+447700900123"),
        (
            "Email John.Smith@Example.COM.",
            "email",
            "John.Smith@Example.COM",
            "John.Smith@example.com",
        ),
        ("Address 10 Downing St, London SW1A 2AA.", "postcode", "SW1A 2AA", "SW1A 2AA"),
        ("Address ending SW1A2AA", "postcode", "SW1A2AA", "SW1A 2AA"),
        ("Forces mail BFPO 123.", "postcode", "BFPO 123", "BFPO 123"),
        ("Posted to ASCN 1ZZ.", "postcode", "ASCN 1ZZ", "ASCN 1ZZ"),
        ("Seen driving AB12 CDE on the A1.", "vrm", "AB12 CDE", "AB12CDE"),
        ("Seen driving ab12cde on the A1.", "vrm", "ab12cde", "AB12CDE"),
        ("Old car A123BCD seen.", "vrm", "A123BCD", "A123BCD"),
        ("Vehicle reg A123 BCD seen.", "vrm", "A123 BCD", "A123BCD"),
        ("VRM: ABC 123D", "vrm", "ABC 123D", "ABC123D"),
        ("Passport no. 123456789 (UK).", "passport", "123456789", "123456789"),
        ("passport number: x1234567", "passport", "x1234567", "X1234567"),
        ("IBAN GB33 BUKB 2020 1555 5555 55.", "iban", "GB33 BUKB 2020 1555 5555 55", None),
        ("Paid from DE89370400440532013000 today", "iban", "DE89370400440532013000", None),
        ("Account 12-34-56 12345678 used.", "sortcode_account", "12-34-56 12345678", None),
        ("Bank 12-34-56, a/c 1234567.", "sortcode_account", "12-34-56, a/c 1234567", None),
        ("SMITH John, PNC 99/123456X.", "pnc_id", "99/123456X", "1999/0123456X"),
        ("PNC 2003/0012345N", "pnc_id", "2003/0012345N", "2003/0012345N"),
        ("CRO 012345/98G held.", "cro", "012345/98G", "012345/98G"),
        ("fingerprints SF05/12345W", "cro", "SF05/12345W", "SF05/12345W"),
        ("NINO AB 12 34 56 C.", "nino", "AB 12 34 56 C", "AB123456C"),
    ],
)
def test_finds_each_kind(text: str, kind: str, original: str, value: str | None) -> None:
    results = find_identifiers(text)
    assert [(f.kind, f.original) for f in results] == [(kind, original)]
    f = results[0]
    assert text[f.start : f.end] == original
    assert f.valid and f.reason is None
    if value is not None:
        assert f.value == value


def test_invalid_check_letters_are_found_with_their_reason() -> None:
    text = "PNC 99/123456Y and CRO 012345/98H"
    results = find_identifiers(text)
    assert [(f.kind, f.value, f.reason) for f in results] == [
        ("pnc_id", None, "check letter is Y, expected X"),
        ("cro", None, "check letter is H, expected G"),
    ]


def test_iban_with_bad_check_digits_is_kept_with_the_reason() -> None:
    [f] = find_identifiers("IBAN GB34BUKB20201555555555")
    assert f.kind == "iban" and f.value is None
    assert f.reason is not None and "checksum" in f.reason.lower()


def test_mrz_line_gives_the_passport_number() -> None:
    line = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
    text = f"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n{line}\n"
    [f] = find_identifiers(text)
    assert (f.kind, f.original, f.value) == ("passport", line, "L898902C3")
    forged = find_identifiers(text.replace("C36UTO", "C37UTO"))
    assert forged[0].value is None
    assert "passport number check digit is 7, expected 6" in (forged[0].reason or "")


def test_spans_are_offsets_into_the_original_text() -> None:
    text = "Ref: «AB12 CDE» — tel\u00a007700 900123; ✉ a@example.org"
    results = find_identifiers(text)
    assert [f.kind for f in results] == ["vrm", "phone", "email"]
    for f in results:
        assert text[f.start : f.end] == f.original
    assert [f.start for f in results] == sorted(f.start for f in results)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # An IBAN holds a run of digits the phone matcher would also take.
        ("GB33BUKB20201555555555", ["iban"]),
        # The last IBAN group must not swallow the next capitalised word.
        ("GB33 BUKB 2020 1555 5555 55 AND", ["iban"]),
        # A sort code and account is not also a phone number.
        ("12-34-56 12345678", ["sortcode_account"]),
        # A passport after its cue is not also a phone number.
        ("passport 123456789", ["passport"]),
        # A phone number or VRM inside an email address is part of the address.
        ("ab12cde.07700900123@example.com", ["email"]),
        # A PNC ID is not also read as a short phone number.
        ("2003/0012345N", ["pnc_id"]),
    ],
)
def test_overlapping_candidates_resolve_to_the_most_specific(text: str, expected: list[str]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [("12/10T", "pnc_id", "2012/0000010T"), ("12/10C", "cro", "000012/10C")],
)
def test_ambiguous_pnc_or_cro_prefers_the_valid_reading(text: str, kind: str, value: str) -> None:
    # "12/10X" has the shape of a PNC ID (2012, serial 10) and a CRO number (serial 12,
    # year 10); only one reading's check letter can be right.
    [f] = find_identifiers(f"ref {text}")
    assert (f.kind, f.value) == (kind, value)


def test_a_full_report_paragraph() -> None:
    text = (
        "SMITH John (PNC 99/123456X, CRO 123456/05Y) was stopped in AB12 CDE at "
        "M1 1AE. He gave 07700 900123 and john@example.com; NI number JG 10 37 59 A; "
        "passport number 123456789."
    )
    assert found(text) == [
        ("pnc_id", "99/123456X", "1999/0123456X"),
        ("cro", "123456/05Y", "123456/05Y"),
        ("vrm", "AB12 CDE", "AB12CDE"),
        ("postcode", "M1 1AE", "M1 1AE"),
        ("phone", "07700 900123", "+447700900123"),
        ("email", "john@example.com", "john@example.com"),
        ("nino", "JG 10 37 59 A", "JG103759A"),
        ("passport", "123456789", "123456789"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "The meeting is at 10:30 on 12/05/2021 and about 3 people attended in 2019.",
        "Officers drove up the A4 road to the 4th floor of the building.",
        "She has a b1 1st class ticket and listened to mp3 files on an iPhone 12.",
        "ON THE M25 AND THE M1 NEAR JUNCTION 10 AT 2200 HRS.",
        "The Immigration Act 1971 s25 and the Modern Slavery Act 2015 s1 apply.",
        "Paragraph 12/3 of the report, item 4A, grade B2, handling code P.",
        "Population 12345678 in 2021; turnover £1,234,567.",
        "The passport was unknown and the passport number was not recorded.",
        "He paid 100 pounds at 9am and left with 2 passengers in the boot.",
        "Reference number ABC/123/2021 and case 2021-000123.",
    ],
)
def test_ordinary_prose_holds_no_identifiers(text: str) -> None:
    assert find_identifiers(text) == []


def test_invalid_phone_shaped_numbers_are_kept_only_when_written_as_phones() -> None:
    [f] = find_identifiers("rang 07700 901123")
    assert f.kind == "phone" and f.value is None and f.reason


def test_found_is_frozen_and_exposes_validity() -> None:
    f = Found("vrm", "AB12CDE", "AB12CDE", None, 0, 7)
    assert f.valid
    with pytest.raises(AttributeError):
        f.start = 1  # type: ignore[misc]


fragments = st.sampled_from(
    [
        "07700 900123",
        "+33 1 23 45 67 89",
        "a@example.com",
        "SW1A 2AA",
        "AB12 CDE",
        "A123 BCD",
        "passport no ",
        "123456789",
        "GB33 BUKB 2020 1555 5555 55",
        "12-34-56 12345678",
        "99/123456X",
        "012345/98G",
        "SF05/12345W",
        "AB 12 34 56 C",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
        " ",
        ", ",
        "\n",
        "reg ",
        "/",
        "<<",
    ]
)
report_like = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(fragments, st.text(max_size=6)), max_size=20).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(text=report_like)
def test_find_identifiers_never_raises_and_spans_are_consistent(text: str) -> None:
    results = find_identifiers(text)
    previous_end = 0
    for f in results:
        assert 0 <= f.start < f.end <= len(text)
        assert text[f.start : f.end] == f.original
        assert (f.value is None) != (f.reason is None)
        assert f.start >= previous_end, "found identifiers must not overlap"
        previous_end = f.end
