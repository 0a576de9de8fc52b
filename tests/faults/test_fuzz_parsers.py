"""Any input to the grading parser or the report parser: a value or a reasoned refusal, never a crash."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maxim.domain.errors import ValidationFailed
from maxim.domain.grading import parse_grading
from maxim.intake.parse import FIELDS, parse_report
from maxim.reference import load_reference
from tests.factories import report

REF = load_reference()
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30))
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "source_evaluation",
                "intelligence_assessment",
                "handling_code",
                "handling_conditions",
                "action_code",
                "sanitisation_code",
                "legacy_grading",
            ]
        ),
        scalars,
    )
)
def test_grading_parser_never_raises(fields: dict[str, Any]) -> None:
    grading, errors = parse_grading(fields, REF.grading)
    assert (grading is None) == bool(errors)
    assert all(e.field and e.reason for e in errors)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from([*FIELDS, "surprise"]), json_values, max_size=8))
def test_report_parser_accepts_or_refuses_with_reasons(overrides: dict[str, Any]) -> None:
    try:
        parsed = parse_report(report(**overrides), REF)
    except ValidationFailed as exc:
        assert exc.errors and all(e.field and e.reason for e in exc.errors)
    else:
        assert parsed.grading.label


@settings(max_examples=200)
@given(json_values)
def test_entities_of_any_shape_are_refused_cleanly(entities: Any) -> None:
    try:
        parse_report(report(entities=entities), REF)
    except ValidationFailed as exc:
        assert all(e.field and e.reason for e in exc.errors)
