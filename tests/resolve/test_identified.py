"""Vehicles, addresses and organisations resolved by their identifiers (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from maxim.resolve.export import iter_resolution
from maxim.resolve.judgements import record_judgement
from maxim.resolve.run import resolve
from maxim.store.access import DataAccess
from maxim.store.resolution_access import ResolutionAccess
from tests.resolve.helpers import submit
from tests.resolve.test_api import client


def entity(local_id: str, schema: str, **props: list[str]) -> dict[str, Any]:
    return {"id": local_id, "schema": schema, "properties": props}


def vehicle(**props: list[str]) -> dict[str, Any]:
    return entity("v1", "Vehicle", **props)


def place(full: str, postcode: str, **props: list[str]) -> dict[str, Any]:
    return entity("a1", "Address", full=[full], postalCode=[postcode], **props)


def links(access: DataAccess, *ids: str) -> list[dict[str, Any]]:
    found = ResolutionAccess(access).links(ids)
    return [found[i] for i in ids]


def canon(access: DataAccess, *ids: str) -> list[str]:
    return [link["canonical_id"] for link in links(access, *ids)]


def test_one_vrm_written_two_ways_is_one_vehicle(access: DataAccess) -> None:
    (spaced,) = submit(access, "V/1", vehicle(registrationNumber=["ab12 cde"], model=["Ford Transit"]))
    (tight,) = submit(access, "V/2", vehicle(registrationNumber=["AB12CDE"]))
    (other,) = submit(access, "V/3", vehicle(registrationNumber=["XY51 ABC"]))
    (bare,) = submit(access, "V/4", vehicle(model=["Toyota Prius"]))
    (foreign,) = submit(access, "V/5", vehicle(registrationNumber=["B-123-XYZ-99"]))
    summary = resolve(access)
    a, b, c, d, e = links(access, spaced, tight, other, bare, foreign)
    assert a["canonical_id"] == b["canonical_id"] != c["canonical_id"]
    assert (a["origin"], a["match_probability"], a["note"]) == ("model", 1.0, "same registration mark AB12CDE")
    assert (c["origin"], c["match_probability"]) == ("model", None)
    assert (d["origin"], d["note"]) == ("unresolved", "no registration mark")
    assert e["origin"] == "unresolved"
    assert "not a UK vehicle registration mark" in e["note"]
    assert summary.mentions == 5
    assert summary.merged_clusters == 1
    assert summary.unresolved == 2
    run = ResolutionAccess(access).latest_run()
    assert run is not None
    assert run["metrics"]["identified"]["vehicle"] == {
        "mentions": 5,
        "canonical": 4,
        "merged_clusters": 1,
        "unresolved": 2,
    }
    view = client(access).get(f"/api/entities/{tight}/canonical").json()
    assert {m["id"] for m in view["mentions"]} == {spaced, tight}
    assert view["canonical_id"] == a["canonical_id"]
    assert view["values"]["registrationNumber"][0]["value"] == "AB12CDE"
    exported = {row["entity_id"]: row for row in iter_resolution(access)}
    assert exported[tight]["canonical_id"] == a["canonical_id"]
    assert exported[bare]["origin"] == "unresolved"


def test_same_postcode_and_house_with_the_street_misspelt_is_one_address(access: DataAccess) -> None:
    (first,) = submit(access, "A/1", place("Flat 3, 12 Example Road, London SE1 7XX", "SE1 7XX"))
    (misspelt,) = submit(access, "A/2", place("Flat 3, 12 Exampel Rd, London", "se17xx"))
    (street_only,) = submit(access, "A/3", place("London", "SE1 7XX", street=["12 Example Rd"]))
    (other_house,) = submit(access, "A/4", place("Flat 3, 14 Example Road, London SE1 7XX", "SE1 7XX"))
    (other_flat,) = submit(access, "A/5", place("Flat 4, 12 Example Road, London SE1 7XX", "SE1 7XX"))
    (no_number,) = submit(access, "A/6", place("The Old Dairy, Example Road, London", "SE1 7XX"))
    resolve(access)
    a, b, c, d, e, f = links(access, first, misspelt, street_only, other_house, other_flat, no_number)
    assert a["canonical_id"] == b["canonical_id"]
    assert d["canonical_id"] != a["canonical_id"]
    assert e["canonical_id"] not in {a["canonical_id"], d["canonical_id"]}
    assert c["canonical_id"] not in {a["canonical_id"], d["canonical_id"]}  # no flat: not flat 3
    assert b["note"] == "same postcode SE1 7XX, flat 3, number 12, exampel road ~ example road"
    assert (f["origin"], f["note"]) == ("unresolved", "no house number and street")


def test_house_without_flat_matches_on_the_street_property(access: DataAccess) -> None:
    (full,) = submit(access, "H/1", place("12 Example Road, London SE1 7XX", "SE1 7XX"))
    (street,) = submit(access, "H/2", place("London", "SE1 7XX", street=["12 Example Rd"]))
    (elsewhere,) = submit(access, "H/3", place("12 Example Road, London SE1 7XY", "SE1 7XY"))
    resolve(access)
    a, b, c = canon(access, full, street, elsewhere)
    assert a == b != c


def test_companies_resolve_by_registration_number_or_name_and_postcode(access: DataAccess) -> None:
    def company(reference: str, name: str, *, postcode: str | None = None, **props: list[str]) -> str:
        entities = [entity("c1", "Company", name=[name], **props)]
        if postcode:
            entities[0]["properties"]["addressEntity"] = ["a1"]
            entities.append(place(f"1 High Street, London {postcode}", postcode))
        return submit(access, reference, *entities)[0]

    registered = company("C/1", "ACME Trading Ltd", registrationNumber=["01234567"], jurisdiction=["gb"])
    renamed = company("C/2", "Acme Nails", registrationNumber=["1234567"])
    abroad = company("C/3", "Acme Trading", registrationNumber=["05555555"], jurisdiction=["fr"])
    at_home = company("C/4", "Acme Trading", registrationNumber=["05555555"], jurisdiction=["gb"])
    either = company("C/5", "Acme Trading", registrationNumber=["05555555"])
    at_e1 = company("C/6", "Bright Star Car Wash Limited", postcode="E1 6AN")
    also_e1 = company("C/7", "Bright-Star Car Wash Ltd", postcode="e1 6an")
    elsewhere = company("C/8", "Bright Star Car Wash Ltd", postcode="N1 9GU")
    numbered = company("C/9", "Bright Star Car Wash Ltd", postcode="E1 6AN", registrationNumber=["09999999"])
    other_number = company("C/10", "Bright Star Car Wash", postcode="E1 6AN", registrationNumber=["08888888"])
    (unresolved,) = submit(access, "C/11", entity("o1", "Organization", name=["Brothers of the Road"]))
    resolve(access)
    assert len(set(canon(access, registered, renamed))) == 1  # one number, written with and without zeros
    assert links(access, renamed)[0]["note"] == "same registration number 1234567"
    # The same number in two jurisdictions is two companies; given without one, it is neither.
    assert len(set(canon(access, abroad, at_home, either))) == 3
    e1, e1b, n1, num, oth = canon(access, at_e1, also_e1, elsewhere, numbered, other_number)
    assert e1 == e1b != n1
    assert len({e1, num, oth}) == 2  # two registration numbers never end in one company
    assert num != oth
    refused = links(access, other_number if num == e1 else numbered)[0]["note"]
    assert "kept apart: registration numbers differ (8888888, 9999999)" in refused
    (lone,) = links(access, unresolved)
    assert (lone["origin"], lone["note"]) == ("unresolved", "no registration number, and no name with a postcode")


def test_judgements_win_over_identifiers(access: DataAccess) -> None:
    (a,) = submit(access, "J/1", vehicle(registrationNumber=["AB12 CDE"]))
    (b,) = submit(access, "J/2", vehicle(registrationNumber=["AB12CDE"]))
    (c,) = submit(access, "J/3", vehicle(registrationNumber=["ab12cde"]))
    (d,) = submit(access, "J/4", vehicle(registrationNumber=["XY51 ABC"]))
    resolve(access)
    assert len(set(canon(access, a, b, c))) == 1
    record_judgement(access, a, b, "not_same", "cloned plate: different makes")
    record_judgement(access, c, d, "same", "plate changed after the sale")
    resolve(access)
    ca, cb, cc, cd = canon(access, a, b, c, d)
    assert ca != cb  # a "not same" survives the shared mark and the chain through c
    assert cc == cd
    assert cc in {ca, cb}
    assert links(access, d)[0]["origin"] == "judgement"
    apart = links(access, b if cc == ca else a)[0]
    assert apart["origin"] == "model"
    assert "kept apart: judged not the same" in apart["note"]
    ledger = ResolutionAccess(access).current_judgements()
    assert [(j.judgement, j.reason) for j in ledger] == [
        ("not_same", "cloned plate: different makes"),
        ("same", "plate changed after the sale"),
    ]
