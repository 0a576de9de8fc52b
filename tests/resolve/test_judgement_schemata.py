"""Judgements on vehicles, addresses and organisations take effect at once, as on people, and
agree with the next run (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from maxim.domain.errors import ValidationFailed
from maxim.resolve.judgements import Conflict, record_judgement
from maxim.resolve.run import resolve
from maxim.store.access import DataAccess
from maxim.store.resolution_access import ResolutionAccess
from maxim.web.views_resolution import canonical_page_view
from tests.resolve.helpers import p, submit


def entity(local_id: str, schema: str, **props: list[str]) -> dict[str, Any]:
    return {"id": local_id, "schema": schema, "properties": props}


def vehicle(mark: str) -> dict[str, Any]:
    return entity("v1", "Vehicle", registrationNumber=[mark])


def links(access: DataAccess, *ids: str) -> list[dict[str, Any]]:
    found = ResolutionAccess(access).links(ids)
    return [found[i] for i in ids]


def canon(access: DataAccess, *ids: str) -> list[str]:
    return [link["canonical_id"] for link in links(access, *ids)]


def vehicles(access: DataAccess) -> tuple[str, str, str, str]:
    """Three mentions of one mark written three ways, and another vehicle; resolved."""
    (a,) = submit(access, "V/1", vehicle("AB12 CDE"))
    (b,) = submit(access, "V/2", vehicle("AB12CDE"))
    (c,) = submit(access, "V/3", vehicle("ab12cde"))
    (d,) = submit(access, "V/4", vehicle("XY51 ABC"))
    resolve(access)
    ca, cb, cc, cd = canon(access, a, b, c, d)
    assert ca == cb == cc != cd
    return a, b, c, d


def outcome(access: DataAccess, *ids: str) -> dict[str, tuple[str, str]]:
    return {m: (link["canonical_id"], link["origin"]) for m, link in zip(ids, links(access, *ids), strict=True)}


def test_a_vehicle_pair_judged_not_same_is_split_at_once(access: DataAccess) -> None:
    a, b, c, d = vehicles(access)
    split = record_judgement(access, a, b, "not_same", "cloned plate: different makes")
    ca, cb = canon(access, a, b)
    assert ca != cb  # now, not at the next run
    assert {split.left_canonical, split.right_canonical} == {ca, cb}
    assert split.schema == "Vehicle"
    notes = [link["note"] or "" for link in links(access, a, b)]
    assert any("kept apart: judged not the same (" in note for note in notes), notes
    at_once = outcome(access, a, b, c, d)
    resolve(access)
    assert outcome(access, a, b, c, d) == at_once  # the next run agrees


def test_a_vehicle_pair_judged_same_is_merged_at_once(access: DataAccess) -> None:
    a, _, c, d = vehicles(access)
    joined = record_judgement(access, c, d, "same", "plate changed after the sale")
    ca, cc, cd = canon(access, a, c, d)
    assert ca == cc == cd  # now, not at the next run
    assert joined.left_canonical == joined.right_canonical == cd
    assert joined.schema == "Vehicle"
    assert links(access, d)[0]["origin"] == "judgement"
    at_once = outcome(access, a, c, d)
    resolve(access)
    assert outcome(access, a, c, d) == at_once  # the next run agrees


def test_messages_name_the_kind_of_thing_judged(access: DataAccess) -> None:
    (a,) = submit(access, "K/1", vehicle("AB12 CDE"))
    (b,) = submit(access, "K/2", vehicle("XY51 ABC"))
    (c,) = submit(access, "K/3", vehicle("GH65 XYZ"))
    person = submit(access, "K/4", p("Arben Hoxha"))[0]
    record_judgement(access, a, b, "same")
    record_judgement(access, b, c, "same")
    with pytest.raises(Conflict) as refused:
        record_judgement(access, a, c, "not_same")
    assert "already judged the same vehicle" in str(refused.value) and "person" not in str(refused.value)
    with pytest.raises(ValidationFailed) as mixed:
        record_judgement(access, a, person, "same")
    [error] = mixed.value.errors
    assert error.field == "right_id"
    assert "is a Person mention and left_id a Vehicle mention" in error.reason


def test_an_organisation_judgement_splits_at_once(access: DataAccess) -> None:
    def company(reference: str, name: str, **props: list[str]) -> str:
        return submit(access, reference, entity("o1", "Company", name=[name], **props))[0]

    a = company("O/1", "ACME Trading Ltd", registrationNumber=["01234567"], jurisdiction=["gb"])
    b = company("O/2", "Acme Nails", registrationNumber=["1234567"], jurisdiction=["gb"])
    c = company("O/3", "Acme Trading", registrationNumber=["05555555"])
    resolve(access)
    assert len(set(canon(access, a, b))) == 1
    split = record_judgement(access, a, b, "not_same", "two companies, one number misread")
    assert len(set(canon(access, a, b))) == 2
    assert split.schema == "Company" and split.left_canonical != split.right_canonical
    joined = record_judgement(access, b, c, "same")
    assert joined.left_canonical == joined.right_canonical == canon(access, c)[0]
    before = canon(access, a, b, c)
    resolve(access)
    assert canon(access, a, b, c) == before


def test_a_vehicles_canonical_page_asks_about_the_same_vehicle(access: DataAccess) -> None:
    a, _b, _c, _d = vehicles(access)
    view = canonical_page_view(access, a)
    assert view is not None and view["noun"] == "vehicle"
    assert {m["schema"] for m in view["mentions"]} == {"Vehicle"}
