from __future__ import annotations

from typing import Any

import pytest

from maxim.domain.grading import parse_grading
from maxim.reference import load_reference

CODES = load_reference().grading


def grade(**fields: Any) -> tuple[Any, list[str]]:
    grading, errors = parse_grading(fields, CODES)
    return grading, [str(e) for e in errors]


def test_p_coded_grading_is_labelled_as_on_every_screen() -> None:
    grading, errors = grade(source_evaluation="1", intelligence_assessment="b", handling_code="p")
    assert errors == []
    assert grading.label == "1B P"
    assert not grading.migrated


def test_c_code_needs_conditions_action_and_sanitisation() -> None:
    grading, errors = grade(source_evaluation="2", intelligence_assessment="C", handling_code="C")
    assert grading is None
    assert errors == [
        "handling_conditions: handling_code C requires conditions",
        "action_code: handling_code C requires an action code A1-A3",
        "sanitisation_code: handling_code C requires a sanitisation code S1-S2",
    ]


def test_complete_c_code_is_kept_verbatim() -> None:
    grading, errors = grade(
        source_evaluation="2",
        intelligence_assessment="C",
        handling_code="C",
        handling_conditions=" Originator only ",
        action_code="A1",
        sanitisation_code="S2",
    )
    assert errors == []
    assert (
        grading.label,
        grading.handling_conditions,
        grading.action_code,
        grading.sanitisation_code,
    ) == ("2C C", "Originator only", "A1", "S2")


def test_action_and_sanitisation_codes_are_refused_under_p() -> None:
    _, errors = grade(
        source_evaluation="1",
        intelligence_assessment="A",
        handling_code="P",
        action_code="A3",
        sanitisation_code="S1",
        handling_conditions="x",
    )
    assert errors == [
        "handling_conditions: is only allowed under handling_code C",
        "action_code: is only allowed under handling_code C",
        "sanitisation_code: is only allowed under handling_code C",
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("source_evaluation", "4", "source_evaluation: must be 1, 2 or 3, got '4'"),
        (
            "intelligence_assessment",
            "F",
            "intelligence_assessment: must be A, B, C, D or E, got 'F'",
        ),
        ("handling_code", "5", "handling_code: must be P or C, got '5'"),
    ],
)
def test_each_bad_code_names_the_field_and_allowed_values(field: str, value: str, message: str) -> None:
    fields = {
        "source_evaluation": "1",
        "intelligence_assessment": "A",
        "handling_code": "P",
        field: value,
    }
    _, errors = grade(**fields)
    assert errors == [message]


def test_missing_codes_are_each_reported() -> None:
    _, errors = grade()
    assert errors == [
        "source_evaluation: is required",
        "intelligence_assessment: is required",
        "handling_code: is required",
    ]


def test_legacy_grade_maps_conservatively_and_is_flagged_migrated() -> None:
    grading, errors = grade(legacy_grading="B35")
    assert errors == []
    assert grading.migrated
    assert grading.legacy_grading == "B35"
    # B (mostly reliable) -> 1, 3 (corroborated) -> B, handling 5 -> C with A1/S2: never widens sharing.
    assert grading.label == "1B C"
    assert (grading.action_code, grading.sanitisation_code) == ("A1", "S2")
    assert grading.handling_conditions == "No further dissemination; refer to originator"


def test_legacy_grade_with_explicit_3x5x2_keeps_both_and_is_not_migrated() -> None:
    grading, errors = grade(
        legacy_grading="E 4 1",
        source_evaluation="2",
        intelligence_assessment="D",
        handling_code="P",
    )
    assert errors == []
    assert grading.legacy_grading == "E 4 1"
    assert not grading.migrated
    assert grading.label == "2D P"


@pytest.mark.parametrize("legacy", ["1B P", "F11", "B6 1", "B3"])
def test_malformed_legacy_grade_is_refused(legacy: str) -> None:
    _, errors = grade(legacy_grading=legacy)
    assert errors[0].startswith("legacy_grading: must be a 5x5x5 grade")
