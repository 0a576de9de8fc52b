"""Each branch of the SOP (DOMAIN §0.3) routes as it says, with and without capacity, explained."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from maxim.route.router import Decision, route
from maxim.route.rules import load_shipped, parse_rules
from tests.route.helpers import REF, T0, facts

RULES = load_shipped(REF.units)


def decide(loads: dict[str, int] | None = None, excluded: frozenset[str] = frozenset(), **overrides: Any) -> Decision:
    return route(facts(**overrides), RULES, REF.units, loads or {}, at=T0, excluded=excluded)


def full(unit: str) -> dict[str, int]:
    return {unit: REF.units[unit].capacity}


CHILD_SCD5: dict[str, Any] = {
    "victims_adult": 0,
    "victims_child": 1,
    "identified_within": "SCD5-CAIC",
    "referral_route": "OWN_WORK",
    "referring_organisation": "SCD5-CAIC",
    "found_borough": "BOCU-HILLINGDON",
    "exploitation_types": ["L1"],
}
BROTHEL: dict[str, Any] = {
    "setting": "OFF_STREET_BROTHEL",
    "identified_within": "CO14",
    "referral_route": "OWN_WORK",
    "referring_organisation": "CO14",
    "found_borough": "BOCU-WESTMINSTER",
}
HEATHROW: dict[str, Any] = {
    "setting": "PORT_OF_ENTRY_HEATHROW",
    "travel_documents": "NONE",
    "referral_route": "LAW_ENFORCEMENT_AGENCY",
    "referring_organisation": "BORDER-FORCE",
    "found_borough": "BOCU-HILLINGDON",
    "exploitation_types": ["L2"],
}
LEVEL3: dict[str, Any] = {
    "nim_level": 3,
    "exploitation_types": ["C2"],
    "referral_route": "LAW_ENFORCEMENT_AGENCY",
    "referring_organisation": "NCA",
    "found_borough": "BOCU-NEWHAM",
}
LABOUR: dict[str, Any] = {
    "exploitation_types": ["L1"],
    "found_borough": "BOCU-ENFIELD",
    "referring_organisation": "BOCU-ENFIELD",
}

BRANCHES = [
    # (name, facts, unit with capacity, rule that fires, unit at capacity, rule then, unit then)
    (
        "1 child in SCD5 work",
        CHILD_SCD5,
        "SCD5-CAIC",
        "child-in-scd5-work",
        "SCD5-CAIC",
        "child-to-borough-where-found",
        "BOCU-HILLINGDON",
    ),
    (
        "2 off-street brothel",
        BROTHEL,
        "CO14",
        "off-street-brothel-policing",
        "CO14",
        "borough-with-maxim-advice",
        "BOCU-WESTMINSTER",
    ),
    (
        "3 sexual exploitation from a borough",
        {},
        "SCD6-HTT",
        "sexual-exploitation-referred-to-htt",
        "SCD6-HTT",
        "borough-with-maxim-advice",
        "BOCU-LAMBETH",
    ),
    (
        "3 sexual exploitation from UKHTC",
        {"referral_route": "UKHTC", "referring_organisation": "UKHTC"},
        "SCD6-HTT",
        "sexual-exploitation-referred-to-htt",
        "SCD6-HTT",
        "borough-with-maxim-advice",
        "BOCU-LAMBETH",
    ),
    (
        "3 sexual exploitation from an NGO via UKHTC",
        {"referral_route": "NGO_VIA_UKHTC", "referring_organisation": "NGO-SALVATION-ARMY"},
        "SCD6-HTT",
        "sexual-exploitation-referred-to-htt",
        "SCD6-HTT",
        "borough-with-maxim-advice",
        "BOCU-LAMBETH",
    ),
    (
        "3 sexual exploitation from a law-enforcement agency",
        {"referral_route": "LAW_ENFORCEMENT_AGENCY", "referring_organisation": "NCA"},
        "SCD6-HTT",
        "sexual-exploitation-referred-to-htt",
        "SCD6-HTT",
        "borough-with-maxim-advice",
        "BOCU-LAMBETH",
    ),
    (
        "5 Heathrow arrival without documents",
        HEATHROW,
        "SO18-HSU",
        "heathrow-arrival-without-documents",
        "SO18-HSU",
        "borough-with-maxim-advice",
        "BOCU-HILLINGDON",
    ),
    (
        "6 NIM level 3 network",
        LEVEL3,
        "SCD10-SIS",
        "nim-level-3-network",
        "SCD10-SIS",
        "borough-with-maxim-advice",
        "BOCU-NEWHAM",
    ),
]


@pytest.mark.parametrize(
    ("name", "given", "unit", "rule", "busy", "then_rule", "then_unit"), BRANCHES, ids=[b[0] for b in BRANCHES]
)
def test_each_sop_branch_with_and_without_capacity(
    name: str, given: dict[str, Any], unit: str, rule: str, busy: str, then_rule: str, then_unit: str
) -> None:
    free = decide(**given)
    assert (free.target, free.rule_id, free.fell_through) == (unit, rule, False), free.summary
    fired = free.steps[-1]
    assert fired.outcome == "fired" and fired.capacity is not None and fired.capacity.load == 0
    # every rule tried before the one that fired says why it did not apply
    assert all(s.outcome == "not_applicable" and s.reason.startswith("conditions not met") for s in free.steps[:-1])

    loaded = decide(loads=full(busy), **given)
    assert (loaded.target, loaded.rule_id, loaded.fell_through) == (then_unit, then_rule, True), loaded.summary
    passed = next(s for s in loaded.steps if s.outcome == "at_capacity")
    assert passed.target == busy and passed.capacity is not None
    assert (passed.capacity.load, passed.capacity.capacity) == (REF.units[busy].capacity,) * 2
    assert f"{busy} at capacity" in passed.reason
    assert f"after {busy} (at capacity)" in loaded.summary


def test_a_childs_case_falls_to_the_borough_by_fall_through_not_by_order() -> None:
    decision = decide(loads=full("SCD5-CAIC"), **CHILD_SCD5)
    assert [(s.rule_id, s.outcome, s.via_fall_through) for s in decision.steps] == [
        ("child-in-scd5-work", "at_capacity", False),
        ("child-to-borough-where-found", "fired", True),
    ]
    # child trafficking found by a borough (not SCD5's own work) is not SCD5's case
    other = decide(
        **{
            **CHILD_SCD5,
            "identified_within": None,
            "referral_route": "BOROUGH",
            "referring_organisation": "BOCU-HILLINGDON",
        }
    )
    assert other.target == "BOCU-HILLINGDON" and other.rule_id == "borough-with-maxim-advice"


def test_anyone_who_may_be_under_18_is_a_child() -> None:
    given = {k: v for k, v in CHILD_SCD5.items() if k not in ("victims_adult", "victims_child")}
    decision = decide(victims_adult=0, victims_child=0, potential_victims=[{"age_group": "UNCERTAIN"}], **given)
    assert decision.target == "SCD5-CAIC"


def test_everything_else_goes_to_the_borough_with_maxim_advice_subject_to_maxims_capacity() -> None:
    advised = decide(**LABOUR)
    assert (advised.target, advised.rule_id, advised.advice) == (
        "BOCU-ENFIELD",
        "borough-with-maxim-advice",
        "SCD6-MAXIM",
    )
    busy = decide(loads=full("SCD6-MAXIM"), **LABOUR)
    assert busy.target == "BOCU-ENFIELD" and busy.advice is None
    assert busy.advice_note is not None and "SCD6-MAXIM at capacity" in busy.advice_note
    # a borough over its own load still takes it: the SOP leaves no one else
    over = decide(loads={"BOCU-ENFIELD": 99}, **LABOUR)
    assert over.target == "BOCU-ENFIELD" and "capacity not a bar" in over.steps[-1].reason


def test_no_borough_known_goes_to_maxim_for_triage() -> None:
    decision = decide(found_borough=None, referral_route="FIRST_RESPONDER", referring_organisation="LA-SAFEGUARDING")
    assert (decision.target, decision.rule_id) == ("SCD6-MAXIM", "maxim-triage")


def test_national_security_indicators_notify_ct_without_changing_the_route() -> None:
    plain = decide(**LABOUR)
    flagged = decide(national_security_indicators=True, **LABOUR)
    assert flagged.target == plain.target and plain.notifications == ()
    assert [n.unit for n in flagged.notifications] == ["CT"]
    assert "notify CT" in flagged.summary


def test_heathrow_with_valid_documents_is_not_a_smuggling_case() -> None:
    decision = decide(**{**HEATHROW, "travel_documents": "VALID"})
    assert decision.target == "BOCU-HILLINGDON"


def test_a_declined_unit_is_excluded_and_the_rules_route_again() -> None:
    decision = decide(excluded=frozenset({"SCD6-HTT"}))
    assert decision.target == "BOCU-LAMBETH" and decision.fell_through
    step = next(s for s in decision.steps if s.target == "SCD6-HTT")
    assert step.outcome == "excluded" and "declined" in step.reason
    both = decide(excluded=frozenset({"SCD6-HTT", "BOCU-LAMBETH"}))
    assert both.target == "SCD6-MAXIM"


def test_victims_are_never_routed_to_immigration_enforcement() -> None:
    text = RULES.text.replace(
        "target_from: found_borough\n    capacity: ignore\n    advice: SCD6-MAXIM",
        "target_from: identified_within\n    capacity: ignore\n    advice: SCD6-MAXIM",
    )
    rules = parse_rules(text, REF.units)
    decision = route(facts(**{**LABOUR, "identified_within": "TP-JIC"}), rules, REF.units, {}, at=T0)
    assert decision.target == "SCD6-MAXIM"
    barred = next(s for s in decision.steps if s.outcome == "barred")
    assert barred.target == "TP-JIC" and "never routed" in barred.reason
    # even a rule file that leaves TP-JIC off its list cannot remove the floor
    assert (
        "TP-JIC"
        in parse_rules(
            RULES.text.replace("never_route_victims_to: [TP-JIC]", "never_route_victims_to: []"), REF.units
        ).never_route_victims_to
    )


VARIANTS = [
    {},
    CHILD_SCD5,
    BROTHEL,
    HEATHROW,
    LEVEL3,
    LABOUR,
    {"national_security_indicators": True},
    {"found_borough": None},
]
MONITORING = [
    {},
    {"victim_nationalities": ["AL"], "victim_genders": ["Female"], "victim_ages": [17]},
    {
        "victim_nationalities": ["VN", "GB"],
        "victim_genders": ["Male"],
        "victim_ethnicities": ["Other"],
        "victim_religions": ["None"],
        "victim_ages": [34],
    },
    {"victim_nationalities": ["RO"], "victim_genders": ["Transgender/NonConforming"], "victim_ages": [52]},
]


@pytest.mark.parametrize("given", VARIANTS)
def test_protected_characteristics_never_move_a_decision(given: dict[str, Any]) -> None:
    loads = {"SCD6-HTT": 25}
    seen = set()
    for monitoring in MONITORING:
        decision = route(facts(monitoring=monitoring, **given), RULES, REF.units, loads, at=T0)
        seen.add(repr(replace(decision, decided_at=T0).explanation()))
    assert len(seen) == 1


def test_the_explanation_is_json_ready() -> None:
    import json

    decision = decide(national_security_indicators=True)
    data = json.loads(json.dumps(decision.explanation()))
    assert data["rule_set_version"] == RULES.version
    assert data["target"] == "SCD6-HTT" and data["rule_id"] == "sexual-exploitation-referred-to-htt"
    assert [s["rule_id"] for s in data["steps"]][-1] == "sexual-exploitation-referred-to-htt"
    assert data["notifications"][0]["unit"] == "CT"
