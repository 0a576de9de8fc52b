"""The NRM state machine (DOMAIN §5.5) allows only legal moves and says why the others are refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from maxim.domain.nrm import IllegalTransition, NrmCase, open_case, transition

D0 = date(2025, 6, 2)


def walk(case: NrmCase, *moves: tuple[str, int, dict[str, object]]) -> NrmCase:
    for to, day, details in moves:
        case = transition(case, to, D0 + timedelta(days=day), **details)
    return case


def test_an_adult_who_consents_goes_through_to_a_conclusive_grounds_decision() -> None:
    case = walk(
        open_case("ADULT", D0),
        ("CONSENT_SOUGHT", 0, {}),
        ("REFERRED", 1, {"consent": True}),
        ("RG_PENDING", 1, {}),
        ("RG_POSITIVE", 5, {}),
        ("RECOVERY_PERIOD", 5, {}),
        ("CG_PENDING", 30, {}),
        ("CG_POSITIVE", 40, {}),
        ("CLOSED", 41, {}),
    )
    assert case.state == "CLOSED" and case.consent is True
    assert (case.referred_on, case.rg_decision_on, case.cg_decision_on) == (
        D0 + timedelta(days=1),
        D0 + timedelta(days=5),
        D0 + timedelta(days=40),
    )
    assert [h["to"] for h in case.history][:3] == ["CONSENT_SOUGHT", "REFERRED", "RG_PENDING"]


def test_an_adult_who_declines_is_a_duty_to_notify_and_that_is_final() -> None:
    case = walk(open_case("ADULT", D0), ("CONSENT_SOUGHT", 0, {}), ("DTN_SUBMITTED", 1, {"consent": False}))
    assert case.state == "DTN_SUBMITTED" and case.dtn_on == D0 + timedelta(days=1)
    assert case.allowed() == []
    with pytest.raises(IllegalTransition, match="this state is final"):
        transition(case, "REFERRED", D0 + timedelta(days=2), consent=True)


def test_an_adult_cannot_be_referred_without_consent() -> None:
    with pytest.raises(IllegalTransition, match="an adult enters the NRM only with consent"):
        transition(open_case("ADULT", D0), "REFERRED", D0)
    sought = transition(open_case("ADULT", D0), "CONSENT_SOUGHT", D0)
    with pytest.raises(IllegalTransition, match="has not consented"):
        transition(sought, "REFERRED", D0)
    with pytest.raises(IllegalTransition, match="Duty to Notify is for an adult who declines"):
        transition(sought, "DTN_SUBMITTED", D0, consent=True)


@pytest.mark.parametrize("age_group", ["CHILD", "UNCERTAIN"])
def test_a_child_cannot_be_asked_for_consent_and_is_referred_directly(age_group: str) -> None:
    case = open_case(age_group, D0)
    assert case.is_child
    with pytest.raises(IllegalTransition, match="cannot be asked for consent"):
        transition(case, "CONSENT_SOUGHT", D0)
    assert "CONSENT_SOUGHT" not in case.allowed() and "REFERRED" in case.allowed()
    assert transition(case, "REFERRED", D0).state == "REFERRED"


def test_illegal_moves_are_refused_with_what_is_allowed() -> None:
    case = open_case("CHILD", D0)
    with pytest.raises(IllegalTransition) as caught:
        transition(case, "CG_POSITIVE", D0)
    assert "from IDENTIFIED the next step is CONSENT_SOUGHT, REFERRED, WITHDRAWN" in str(caught.value)
    with pytest.raises(IllegalTransition, match="unknown NRM state"):
        transition(case, "LOST", D0)


def test_conclusive_grounds_wait_for_the_recovery_period() -> None:
    case = walk(
        open_case("CHILD", D0),
        ("REFERRED", 0, {}),
        ("RG_PENDING", 0, {}),
        ("RG_POSITIVE", 3, {}),
        ("RECOVERY_PERIOD", 3, {}),
        ("CG_PENDING", 10, {}),
    )
    with pytest.raises(IllegalTransition, match="not before 2025-07-05"):
        transition(case, "CG_NEGATIVE", D0 + timedelta(days=20))
    assert transition(case, "CG_NEGATIVE", D0 + timedelta(days=33)).cg_positive is False


def test_reconsideration_only_by_first_responder_and_back_to_the_same_stage() -> None:
    negative = walk(open_case("CHILD", D0), ("REFERRED", 0, {}), ("RG_PENDING", 0, {}), ("RG_NEGATIVE", 4, {}))
    with pytest.raises(IllegalTransition, match="first responder or support provider"):
        transition(negative, "RECONSIDERATION_REQUESTED", D0 + timedelta(days=5), requested_by="LEGAL_REPRESENTATIVE")
    asked = transition(negative, "RECONSIDERATION_REQUESTED", D0 + timedelta(days=5), requested_by="FIRST_RESPONDER")
    with pytest.raises(IllegalTransition, match="go back to RG_PENDING"):
        transition(asked, "CG_PENDING", D0 + timedelta(days=6))
    assert transition(asked, "RG_PENDING", D0 + timedelta(days=6)).state == "RG_PENDING"


def test_steps_cannot_go_back_in_time() -> None:
    case = transition(open_case("CHILD", D0), "REFERRED", D0 + timedelta(days=2))
    with pytest.raises(IllegalTransition, match="before the last step"):
        transition(case, "RG_PENDING", D0 + timedelta(days=1))


def test_unknown_age_groups_are_refused() -> None:
    with pytest.raises(ValueError, match="age_group must be one of ADULT, CHILD, UNCERTAIN"):
        open_case("TEEN", D0)
