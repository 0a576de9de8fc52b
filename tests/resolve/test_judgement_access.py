"""Judgements and need-to-know: who may record one, and what a reader learns of judgements and
nominals that touch mentions outside their need-to-know (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from maxim.domain.ids import mention_id
from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from maxim.resolve.judgements import Conflict, record_judgement
from maxim.resolve.permissions import JUDGE_ROLES
from maxim.resolve.run import resolve
from maxim.resolve.view import canonical_view
from maxim.settings import Settings
from maxim.store.access import Actor, DataAccess
from maxim.store.engine import Database
from maxim.store.resolution_access import ResolutionAccess
from maxim.web.app import create_app
from tests.conftest import UserFactory
from tests.factories import c_coded, person, report
from tests.resolve.helpers import NOW

SECRET_UNIT = "SCD6-MAXIM"


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Any]:
    application = create_app(Settings(database_url=database_url, data_dir=tmp_path))
    yield application
    application.state.db.dispose()


def client_for(app: Any, token: str) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def open_person(access: DataAccess, reference: str, name: str, **props: list[str]) -> str:
    """A P-coded Lambeth report naming one person, which a Lambeth investigator may see."""
    raw = report(reference=reference, text="Named subject.", entities=[person("p1", name, role="suspect", **props)])
    access.submit([build_record(parse_report(raw, load_reference()), received_by="test", now=NOW)])
    return mention_id(raw["originator"], reference, "p1")


def secret_person(access: DataAccess, reference: str, name: str, **props: list[str]) -> str:
    """A C-coded clearinghouse report shared with nobody: Lambeth may not see its person."""
    raw = c_coded(
        originator=SECRET_UNIT,
        reference=reference,
        share_with=[],
        text="Named subject.",
        entities=[person("p1", name, role="suspect", **props)],
    )
    access.submit([build_record(parse_report(raw, load_reference()), received_by="test", now=NOW)])
    return mention_id(SECRET_UNIT, reference, "p1")


def as_user(db: Database, actor: Actor) -> DataAccess:
    return DataAccess(db, actor, channel="test")


@pytest.fixture
def readers(db: Database, make_user: UserFactory) -> tuple[DataAccess, DataAccess]:
    """A clearinghouse analyst who sees everything here, and a Lambeth investigator who does not."""
    clearinghouse, _ = make_user("maxine", SECRET_UNIT, "analyst")
    borough, _ = make_user("bob", "BOCU-LAMBETH", "investigator")
    return as_user(db, clearinghouse), as_user(db, borough)


# -- 1. who may judge: the API applies the page's rule ------------------------------------------------


def test_only_the_judging_roles_may_post_a_judgement_to_the_api(
    app: Any, access: DataAccess, make_user: UserFactory
) -> None:
    a = open_person(access, "R/1", "Arben Hoxha", birthDate=["1979-11-23"])
    b = open_person(access, "R/2", "Arben Hodja")
    body = {"left_id": a, "right_id": b, "judgement": "unsure"}
    refused = [
        make_user("ivy", "SCD6-MAXIM", "intake_officer"),
        make_user("dee", "SCD6-MAXIM", "data_protection_officer"),
        make_user("pat", "SCD6-MAXIM", "partner_liaison"),
        make_user("lee", "UKHTC", "analyst", external=True),  # a judging role, but external: never
    ]
    for _, token in refused:
        answer = client_for(app, token).post("/api/judgements", json=body)
        assert answer.status_code == 403, answer.text
        error = answer.json()["error"]
        assert error["status"] == 403 and error["errors"] == []
        assert error["title"].startswith("Only these roles may judge") and "Intelligence analyst" in error["title"]
    assert ResolutionAccess(access).current_judgements() == []  # nothing was recorded

    for n, role in enumerate(sorted(JUDGE_ROLES)):
        _, token = make_user(f"judge{n}", "SCD6-MAXIM", role)
        answer = client_for(app, token).post("/api/judgements", json=body)
        assert answer.status_code == 201, (role, answer.text)
        assert answer.json()["schema"] == "Person"
    assert len(ResolutionAccess(access).current_judgements()) == 1  # each superseded the last


# -- 2. a refusal names only judgements the reader may see ------------------------------------------


def test_a_refusal_does_not_name_judgements_on_mentions_the_reader_may_not_see(
    access: DataAccess, readers: tuple[DataAccess, DataAccess]
) -> None:
    clearinghouse, borough = readers
    a = open_person(access, "H/1", "Arben Hoxha")
    b = open_person(access, "H/2", "Arben Hodja")
    c = open_person(access, "H/3", "Arben Hoxhaj")
    hidden = secret_person(access, "MAX/H/1", "Arben Hoxha", phone=["07700 900999"])
    first = record_judgement(clearinghouse, a, hidden, "same").judgement_id
    second = record_judgement(clearinghouse, hidden, b, "same").judgement_id
    record_judgement(clearinghouse, hidden, c, "not_same")

    # The clearinghouse sees the chain, and is told every link of it.
    with pytest.raises(Conflict) as told:
        record_judgement(clearinghouse, a, b, "not_same")
    assert hidden in str(told.value) and "by maxine" in str(told.value)
    assert set(told.value.judgements) == {first, second}

    # Lambeth is refused just the same, without the hidden mention, its judges or their ids.
    with pytest.raises(Conflict) as apart:
        record_judgement(borough, a, b, "not_same")
    with pytest.raises(Conflict) as joined:
        record_judgement(borough, a, c, "same")
    for refusal in (apart.value, joined.value):
        message = str(refusal)
        assert hidden not in message and "maxine" not in message, message
        assert f"#{first}" not in message and f"#{second}" not in message
        assert "judgement you cannot see" in message or "judgements you cannot see" in message
        assert refusal.judgements == ()
    assert "2 judgements you cannot see" in str(apart.value) and apart.value.hidden == 2
    assert "two mentions judged not the same person in a judgement you cannot see" in str(joined.value)
    assert "someone who may see both its mentions" in str(joined.value)  # the fix, named
    assert len(ResolutionAccess(access).current_judgements()) == 3  # nothing recorded for Lambeth


def test_a_refusal_through_the_api_names_only_what_the_reader_may_see(
    app: Any, access: DataAccess, db: Database, make_user: UserFactory
) -> None:
    clearinghouse, _ = make_user("maxine", SECRET_UNIT, "analyst")
    _, token = make_user("bob", "BOCU-LAMBETH", "investigator")
    a = open_person(access, "HA/1", "Arben Hoxha")
    b = open_person(access, "HA/2", "Arben Hodja")
    hidden = secret_person(access, "MAX/HA/1", "Arben Hoxha")
    for left, right in ((a, hidden), (hidden, b)):
        record_judgement(as_user(db, clearinghouse), left, right, "same")
    answer = client_for(app, token).post("/api/judgements", json={"left_id": a, "right_id": b, "judgement": "not_same"})
    assert answer.status_code == 409
    assert hidden not in answer.text and "maxine" not in answer.text
    assert "judgements you cannot see" in answer.text
    error = answer.json()["error"]  # the one error envelope: the message is the title, not a dict's text
    assert error["status"] == 409 and "judgements you cannot see" in error["title"]
    assert not error["title"].startswith("{")
    assert [e["field"] for e in error["errors"]] == ["conflicting_judgements"]


# -- 3. the canonical view's judgement history -------------------------------------------------------


def test_the_judgement_history_leaves_out_judgements_touching_hidden_mentions(
    access: DataAccess, readers: tuple[DataAccess, DataAccess]
) -> None:
    clearinghouse, borough = readers
    a = open_person(access, "J/1", "Arben Hoxha", birthDate=["1979-11-23"])
    b = open_person(access, "J/2", "Gjergj Leka", birthDate=["1990-01-01"])
    hidden = secret_person(access, "MAX/J/1", "Arben Hoxha", birthDate=["1979-11-23"], phone=["07700 900999"])
    resolve(access)
    unsure = record_judgement(clearinghouse, a, b, "unsure").judgement_id
    split = record_judgement(clearinghouse, a, hidden, "not_same").judgement_id

    seen_all = canonical_view(clearinghouse, a)
    assert seen_all is not None
    assert {j["id"] for j in seen_all["judgements"]} == {unsure, split}  # positive control

    seen = canonical_view(borough, a)
    assert seen is not None
    assert [j["id"] for j in seen["judgements"]] == [unsure]
    assert hidden not in json.dumps(seen, default=str)


# -- 4. the canonical API of a hidden mention -------------------------------------------------------


def test_the_canonical_api_does_not_say_which_nominal_a_hidden_mention_belongs_to(
    app: Any, access: DataAccess, make_user: UserFactory
) -> None:
    _, clearinghouse = make_user("maxine", SECRET_UNIT, "analyst")
    bob, borough = make_user("bob", "BOCU-LAMBETH", "investigator")
    visible = open_person(access, "N/1", "Arben Hoxha", birthDate=["1979-11-23"])
    hidden = secret_person(access, "MAX/N/1", "Arben Hoxha", birthDate=["1979-11-23"], phone=["07700 900999"])
    resolve(access)
    whole = client_for(app, clearinghouse).get(f"/api/entities/{hidden}/canonical")
    assert whole.status_code == 200  # one nominal of both: the clearinghouse sees it from either
    assert {m["id"] for m in whole.json()["mentions"]} == {visible, hidden}

    lambeth = client_for(app, borough)
    assert lambeth.get(f"/api/entities/{visible}/canonical").status_code == 200
    answer = lambeth.get(f"/api/entities/{hidden}/canonical")
    assert answer.status_code == 404
    assert answer.json()["error"]["status"] == 404
    assert visible not in answer.text and whole.json()["canonical_id"] not in answer.text
    assert canonical_view(as_user(access.db, bob), hidden) is None  # the page's view data too
