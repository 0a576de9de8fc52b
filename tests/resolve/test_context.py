"""Collective evidence: what a report names alongside a person helps decide who they are."""

from __future__ import annotations

from maxim.resolve.features import (
    COMMON_ASSOCIATE_FLOOR,
    MentionFeatures,
    features,
    report_contexts,
    without_common_associates,
)
from maxim.resolve.run import resolve
from maxim.store.access import DataAccess
from maxim.store.resolution_access import ResolutionAccess
from tests.factories import person
from tests.resolve.helpers import submit


def test_context_is_other_people_and_identifiers_but_not_the_persons_own() -> None:
    rows = [
        ("p1", "Person", "name", "Adaeze Okafor", None),
        ("p1", "Person", "phone", "+447700900111", "phone"),
        ("p2", "Person", "name", "Ikenna OBI", None),
        ("a1", "Address", "postalCode", "SE1 7XX", "postcode"),
        ("v1", "Vehicle", "registrationNumber", "AB12CDE", "vrm"),
    ]
    ctx = report_contexts(rows)
    obi = features("x", {"name": ["Obi Ikenna"]}).name_skel  # any order, any case
    okafor = features("x", {"name": ["OKAFOR Adaeze"]}).name_skel
    assert ctx["p1"] == [f"n:{obi}", "postcode:SE1 7XX", "vrm:AB12CDE"]
    assert ctx["p2"] == [f"n:{okafor}", "phone:+447700900111", "postcode:SE1 7XX", "vrm:AB12CDE"]
    assert "a1" not in ctx  # only people have a context


def test_a_name_without_date_of_birth_resolves_beside_the_same_associates_and_not_elsewhere(
    access: DataAccess,
) -> None:
    flat = {
        "id": "a1",
        "schema": "Address",
        "properties": {"full": ["Flat 3, 12 Example Road, London SE1 7XX"], "postalCode": ["SE1 7XX"]},
    }

    def named(reference: str, associate: str, *extra: dict[str, object]) -> str:
        return submit(access, reference, person("p1", "Adaeze Okafor"), person("p2", associate), *extra)[0]

    first = named("C/1", "Ikenna Obi", flat)
    second = named("C/2", "OBI Ikenna", flat)
    elsewhere = named("C/3", "Chidi Eze")
    resolve(access)
    links = ResolutionAccess(access).links([first, second, elsewhere])
    assert links[first]["canonical_id"] == links[second]["canonical_id"]
    assert links[elsewhere]["canonical_id"] != links[first]["canonical_id"]


def test_a_common_associates_name_leaves_every_context_but_identifiers_stay() -> None:
    def named(i: int, associate: str) -> tuple[str, MentionFeatures]:
        return f"m{i:03d}", features(
            f"m{i:03d}", {"name": [f"Person {i:03d}x"]}, context=[associate, "postcode:SE1 7XX"]
        )

    common = features("x", {"name": ["Arben Krasniqi"]}).name_skel
    rare = features("x", {"name": ["Ikenna Obi"]}).name_skel
    mentions = dict(named(i, f"n:{common}") for i in range(COMMON_ASSOCIATE_FLOOR + 1))
    mentions.update([named(100, f"n:{rare}"), named(101, f"n:{rare}")])
    pruned = without_common_associates(mentions)
    assert pruned["m000"].context == ["postcode:SE1 7XX"]  # named beside the common name 11 times: out
    assert pruned["m100"].context == [f"n:{rare}", "postcode:SE1 7XX"]  # twice: kept
    assert all(f.context and "postcode:SE1 7XX" in f.context for f in pruned.values())
