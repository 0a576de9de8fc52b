"""A bad rule file is refused with the line and reason of every fault; facts are validated."""

from __future__ import annotations

import pytest

from maxim.domain.errors import ValidationFailed
from maxim.route.facts import ROUTING_FIELDS
from maxim.route.rules import RuleSetRefused, parse_rules, shipped_text
from tests.route.helpers import REF, facts

GOOD = """\
version: "t.1"
escalation_unit: SCD6-MAXIM
rules:
  - id: a
    when:
      has_child: {eq: true}
    target: SCD5-CAIC
    fall_through: b
  - id: b
    fallback_only: true
    target_from: found_borough
    capacity: ignore
  - id: c
    when: {}
    target: SCD6-MAXIM
    capacity: ignore
"""


def refused(text: str) -> list[tuple[int, str]]:
    with pytest.raises(RuleSetRefused) as caught:
        parse_rules(text, REF.units, "test.yaml")
    return [(f.line, f.reason) for f in caught.value.faults]


def test_the_shipped_rules_and_a_small_file_load() -> None:
    assert parse_rules(shipped_text(), REF.units).version == "2026-11-29.1"
    rules = parse_rules(GOOD, REF.units)
    assert [r.id for r in rules.rules] == ["a", "b", "c"] and rules.rules[1].line == 9


def test_an_unknown_unit_is_refused_with_its_line() -> None:
    faults = refused(GOOD.replace("target: SCD5-CAIC", "target: SCD99"))
    assert faults == [(4, "rule a: unknown unit 'SCD99'")]


def test_a_fall_through_cycle_is_refused() -> None:
    text = GOOD.replace("    fallback_only: true\n", "    fall_through: a\n")
    faults = refused(text)
    assert (4, "fall-through cycle: a -> b -> a") in faults
    assert (9, "fall-through cycle: b -> a -> b") in faults


def test_a_condition_on_an_unknown_field_is_refused() -> None:
    faults = refused(GOOD.replace("has_child: {eq: true}", "hair_colour: {eq: red}"))
    assert len(faults) == 1 and faults[0][0] == 6
    assert faults[0][1].startswith("rule a: condition on unknown field 'hair_colour'")


@pytest.mark.parametrize("field", ["nationality", "ethnicity", "religion", "sex", "gender", "age"])
def test_a_condition_on_a_protected_characteristic_is_refused(field: str) -> None:
    faults = refused(GOOD.replace("has_child: {eq: true}", f"{field}: {{eq: x}}"))
    assert faults == [
        (6, f"rule a: condition on protected characteristic {field!r} is not allowed; routing never uses it")
    ]
    assert field not in ROUTING_FIELDS


def test_every_fault_is_reported_together() -> None:
    text = GOOD.replace("target: SCD5-CAIC", "target: TP-JIC").replace("fall_through: b", "fall_through: zz")
    text = text.replace("capacity: ignore\n  - id: c", "capacity: sometimes\n  - id: c")
    faults = refused(text)
    reasons = [r for _, r in faults]
    assert "rule a: victims are never routed to TP-JIC (immigration-status enforcement)" in reasons
    assert "rule a: fall_through names unknown rule 'zz'" in reasons
    assert "rule b: capacity must be check or ignore, got 'sometimes'" in reasons
    assert "rule b: fallback_only but no rule falls through to it" in reasons


def test_bad_values_and_operators_are_refused() -> None:
    faults = refused(GOOD.replace("has_child: {eq: true}", "setting: {eq: CASINO}\n      nim_level: {like: 3}"))
    assert [r for _, r in faults] == [
        "rule a: nim_level: unknown operator 'like'; use one of eq, ne, in, not_in, gt, gte, lt, lte, any_of, "
        "none_of, present",
        "rule a: setting: unknown value 'CASINO'; use one of CANNABIS_FARM, IMMIGRATION_OFFICE, OFF_STREET_BROTHEL, "
        "ONLINE, ON_STREET, OTHER, PORT_OF_ENTRY_HEATHROW, PORT_OF_ENTRY_OTHER, PRIVATE_HOUSEHOLD, UNKNOWN, WORKPLACE",
    ]


def test_broken_yaml_names_its_line() -> None:
    faults = refused(GOOD.replace("  - id: c\n", "  - id: c\n   bad: [\n"))
    assert faults[0][0] >= 14 and faults[0][1].startswith("not valid YAML")


def test_facts_name_every_bad_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        facts(
            referral_route="CARRIER_PIGEON",
            found_borough="BOCU-ATLANTIS",
            exploitation_types=["S9"],
            victims_child=-1,
            nim_level=4,
            shoe_size=9,
        )
    assert {e.field for e in caught.value.errors} == {
        "referral_route",
        "found_borough",
        "exploitation_types[0]",
        "victims_child",
        "nim_level",
        "shoe_size",
    }


def test_exploitation_kinds_map_to_categories() -> None:
    given = facts(exploitation_types=["S3", "MSA_S3_4_ORGANS", "L1", "S4"])
    assert given.exploitation_categories == ("SEXUAL", "ORGAN_REMOVAL", "LABOUR")
