"""Victim records: only safeguarding roles and the investigating unit see them; HTCDS export only
to partners named under consent; every access audited."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from maxim.domain.errors import ValidationFailed
from maxim.store.access import DataAccess, Forbidden
from maxim.store.engine import Database
from maxim.store.oversight_access import OversightAccess
from maxim.store.tables import audit_log
from tests.conftest import UserFactory


def record(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "investigating_unit": "SCD6-HTT",
        "known_as": "Testvictim Alpha",
        "contact": {"safe_method": "through support worker", "phone": "07700 900456", "phone_safe": True},
        "age_group": "ADULT",
        "consent": "GIVEN",
        "consent_on": "2025-06-03",
        "share_with": ["NGO-SALVATION-ARMY"],
        "support_provider": "The Salvation Army",
        "nrm_state": "REFERRED",
        "exploitation_types": ["S3"],
        "gender": "female",
        "nationality": "al",
        "self_defined_ethnicity": "White - Albanian",
        "recovered_on": "2025-06-02",
    }
    base.update(overrides)
    return base


def test_victim_records_reach_only_safeguarding_and_the_investigating_unit(
    db: Database, make_user: UserFactory
) -> None:
    lead, _ = make_user("sally", "SCD6-MAXIM", "safeguarding_lead")
    htt, _ = make_user("ivan", "SCD6-HTT", "investigator")
    other, _ = make_user("anna", "SCD6-MAXIM", "analyst")
    partner, _ = make_user("pat", "SCD6-MAXIM", "partner_liaison", external=True)
    as_lead = OversightAccess(DataAccess(db, lead, channel="test"))
    made = as_lead.create_victim(record())
    child = as_lead.create_victim(
        record(
            age_group="CHILD",
            consent=None,
            consent_on=None,
            investigating_unit="SCD5-CAIC",
            known_as="Testchild Beta",
            share_with=[],
        )
    )
    as_lead.add_action(made["id"], "SAFE_ACCOMMODATION", date(2025, 6, 2))
    assert child["consent"] == "CHILD_NOT_REQUIRED"

    as_htt = OversightAccess(DataAccess(db, htt, channel="test"))
    seen = as_htt.victim(made["id"])
    assert seen is not None and seen["actions"][0]["action"] == "SAFE_ACCOMMODATION"
    assert as_htt.victim(child["id"]) is None  # another unit's victim: indistinguishable from none
    assert [v["id"] for v in as_htt.victims()] == [made["id"]] and as_htt.count_victims() == 1
    for actor in (other, partner):
        view = OversightAccess(DataAccess(db, actor, channel="test"))
        assert view.victim(made["id"]) is None and view.victims() == [] and view.count_victims() == 0
        with pytest.raises(Forbidden):
            view.create_victim(record())
        assert view.export_htcds("NGO-SALVATION-ARMY") == []
    assert as_lead.count_victims() == 2

    exported = as_lead.export_htcds("NGO-SALVATION-ARMY")
    assert len(exported) == 1  # the child's record names no partner
    row = exported[0]
    assert (
        row["prs_FirstName"] == "Testvictim Alpha" and row["prs_Nationality"] == "AL" and row["prs_Gender"] == "Female"
    )
    assert row["vic_TypeOfSexExploitation"] == ["Prostitution"] and row["vic_AgreementToManagePersonalData"] is True
    assert as_lead.export_htcds("NGO-MIGRANT-HELP") == []
    with db.reader.connect() as conn:
        ops = {
            (r.operation, r.object_type) for r in conn.execute(select(audit_log.c.operation, audit_log.c.object_type))
        }
    assert {("COLLECTION", "victim"), ("CONSULTATION", "victim"), ("DISCLOSURE", "victim")} <= ops


def test_consent_rules_are_enforced_when_recorded(access: DataAccess) -> None:
    view = OversightAccess(access)
    with pytest.raises(ValidationFailed) as caught:
        view.create_victim(record(consent="DECLINED"))  # an adult who declined is shared with no one
    assert {e.field for e in caught.value.errors} == {"share_with"}
    with pytest.raises(ValidationFailed) as caught:
        view.create_victim(record(age_group="CHILD", consent="GIVEN"))
    assert {e.field for e in caught.value.errors} == {"consent"}
