"""Partner material in: packages and FollowTheMoney, all or nothing, idempotent, round trip."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from maxim.domain import ids
from maxim.reference import load_reference
from maxim.security.users import ensure_local_admin
from maxim.share.imports import Defaults, ImportRefused, import_ftm, import_package
from maxim.share.manifest import PackageRefused
from maxim.share.service import build_package
from maxim.store.access import DataAccess, Outcome
from maxim.store.engine import connect
from maxim.store.tables import reports
from tests.factories import c_coded, person, report
from tests.share.helpers import SIGNER, as_, entities, rezip, submit, trust, unzip, victim_report

REF = load_reference()
GRADED = Defaults(
    source_evaluation="2", intelligence_assessment="C", handling_code="P", received_at=datetime(2025, 5, 1, tzinfo=UTC)
)


@pytest.fixture
def fresh(sqlite_template: Path, tmp_path: Path) -> Iterator[DataAccess]:
    """Another, empty Maxim (the recipient's), on its own SQLite file."""
    path = tmp_path / "recipient.db"
    shutil.copy(sqlite_template, path)
    db = connect(f"sqlite:///{path}")
    yield DataAccess(db, ensure_local_admin(db), channel="test")
    db.dispose()


def _count(access: DataAccess) -> int:
    with access.db.reader.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(reports)).scalar_one())


def _facts(view: dict[str, object], rename: dict[str, str]) -> set[tuple[str, str, str, str]]:
    return {
        (rename.get(s["entity_id"], s["entity_id"]), s["schema"], s["prop"], rename.get(s["value"], s["value"]))
        for s in view["statements"]  # type: ignore[attr-defined]
        if s["origin"] == "given"
    }


def test_round_trip_gives_the_same_statements_minus_what_the_recipient_may_not_have(
    access: DataAccess, fresh: DataAccess
) -> None:
    plain = submit(access, victim_report())
    coded = submit(
        access, c_coded(reference="LAM/C1", entities=[person("p9", "Testperson Gamma", phone=["bad phone"])])
    )
    lead = as_(access, "sally", "SCD6-MAXIM", "partner_liaison", "safeguarding_lead")
    package = build_package(lead, "OTHER-FORCE", report_ids=[plain, coded], signer=SIGNER)

    # The recipient is another force running Maxim; for it, we are a partner (here: NCA's code),
    # and it has registered our public key as NCA's.
    trust(fresh, "NCA")
    result = import_package(
        fresh, package.zip_bytes, source="p.zip", partner="NCA", defaults=Defaults(share_with=("SCD6-MAXIM",)), ref=REF
    )
    assert result.package_id == package.package_id
    assert [s.outcome for s in result.submitted] == [Outcome.CREATED, Outcome.CREATED]
    for original_id in (plain, coded):
        original = lead.report(original_id)
        assert original is not None
        new_ref = f"{original['originator']}/{original['reference']}"
        imported = next(s for s in result.submitted if s.reference == new_ref)
        copy = fresh.report(imported.report_id)
        assert copy is not None
        assert (copy["source_evaluation"], copy["intelligence_assessment"], copy["handling_code"]) == (
            original["source_evaluation"],
            original["intelligence_assessment"],
            original["handling_code"],
        )
        assert copy["handling_conditions"] == original["handling_conditions"]
        assert copy["originator"] == "NCA" and copy["kind"] == "partner"
        victims = {s["entity_id"] for s in original["subjects"] if s["category"] == "victim"}
        rename = {s["entity_id"]: ids.mention_id("NCA", new_ref, s["entity_id"]) for s in original["statements"]}
        expected = {
            f
            for f in _facts(original, rename)
            if not ({f[0], f[3]} & {rename[v] for v in victims}) and f[1] != "Family"
        }
        assert _facts(copy, {}) == expected
        assert expected
    # Invalid identifiers travel outside FtM's properties and come back as given, with the reason.
    bad = [
        s
        for s in fresh.report(next(s.report_id for s in result.submitted if "C1" in s.reference))["statements"]
        if s["prop"] == "phone"
    ]  # type: ignore[index]
    assert bad[0]["value"] == "bad phone" and not bad[0]["valid"]

    same = Defaults(share_with=("SCD6-MAXIM",))
    again = import_package(fresh, package.zip_bytes, source="p.zip", partner="NCA", defaults=same, ref=REF)
    assert {s.outcome for s in again.submitted} == {Outcome.UNCHANGED}


def test_a_tampered_package_is_refused_and_nothing_is_imported(access: DataAccess, fresh: DataAccess) -> None:
    rid = submit(access, report())
    liaison = as_(access, "liz", "SCD6-MAXIM", "partner_liaison")
    files = unzip(build_package(liaison, "NCA", report_ids=[rid], signer=SIGNER).zip_bytes)
    trust(fresh, "NCA")
    before = _count(fresh)
    altered = dict(files)
    altered["entities.ftm.jsonl"] = files["entities.ftm.jsonl"].replace(b"Testperson Alpha", b"Someone Else")
    with pytest.raises(PackageRefused, match=r"entities.ftm.jsonl: SHA-256 does not match"):
        import_package(fresh, rezip(altered), source="p.zip", partner="NCA", defaults=Defaults(), ref=REF)
    slipped = {**files, "extra.csv": b"a,b\n"}
    with pytest.raises(PackageRefused, match=r"extra\.csv: in the zip but not in the manifest"):
        import_package(fresh, rezip(slipped), source="p.zip", partner="NCA", defaults=Defaults(), ref=REF)
    dropped = {k: v for k, v in files.items() if k != "items.json"}
    with pytest.raises(PackageRefused, match=r"items\.json: listed in the manifest but missing"):
        import_package(fresh, rezip(dropped), source="p.zip", partner="NCA", defaults=Defaults(), ref=REF)
    with pytest.raises(PackageRefused, match="not a zip"):
        import_package(fresh, b"not a zip", source="p.zip", partner="NCA", defaults=Defaults(), ref=REF)
    assert _count(fresh) == before


FTM = [
    {"id": "os-p1", "schema": "Person", "properties": {"name": ["Testperson Delta"], "nationality": ["al"]}},
    {"id": "os-c1", "schema": "Company", "properties": {"name": ["Example Carwash Ltd"]}},
    {"id": "os-d1", "schema": "Directorship", "properties": {"director": ["os-p1"], "organization": ["os-c1"]}},
    {"id": "os-v1", "schema": "Vehicle", "properties": {"registrationNumber": ["XY12 ABC"]}, "datasets": ["partner"]},
]


def _lines(rows: list[dict[str, object]]) -> list[str]:
    return [json.dumps(r) for r in rows]


def test_ftm_import_asks_for_grading_then_is_idempotent(access: DataAccess) -> None:
    with pytest.raises(ImportRefused, match="no grading or handling code supplied; give --source-evaluation"):
        import_ftm(
            access,
            _lines(FTM),
            source="aleph.jsonl",
            partner="NCA",
            defaults=Defaults(received_at=GRADED.received_at),
            ref=REF,
        )
    assert _count(access) == 0
    first = import_ftm(access, _lines(FTM), source="aleph.jsonl", partner="NCA", defaults=GRADED, ref=REF)
    # Linked entities travel together: one report for the director and company, one for the vehicle.
    assert len(first) == 2 and {s.outcome for s in first} == {Outcome.CREATED}
    view = access.report(first[0].report_id)
    assert view is not None and view["originator"] == "NCA" and view["kind"] == "partner"
    person_subject = [s for s in view["subjects"] if s["schema"] == "Person"]
    assert person_subject and person_subject[0]["category"] == "other"
    again = import_ftm(access, _lines(FTM), source="aleph.jsonl", partner="NCA", defaults=GRADED, ref=REF)
    assert {s.outcome for s in again} == {Outcome.UNCHANGED}
    assert _count(access) == 2


def test_bad_ftm_names_file_line_and_property_and_imports_nothing(access: DataAccess) -> None:
    rows = [
        *FTM,
        {"id": "x1", "schema": "Spaceship", "properties": {}},
        {"id": "x2", "schema": "Person", "properties": {"name": ["A"], "warpDrive": ["on"]}},
        {"id": "x3", "schema": "Vehicle", "properties": {"owner": ["nobody"]}},
    ]
    lines = [*_lines(rows), "{not json"]
    with pytest.raises(ImportRefused) as refused:
        import_ftm(access, lines, source="bad.jsonl", partner="NCA", defaults=GRADED, ref=REF)
    text = [str(p) for p in refused.value.problems]
    assert "bad.jsonl line 5: schema: is not a FollowTheMoney schema: 'Spaceship'" in text
    assert "bad.jsonl line 6: properties.warpDrive: is not a property of Person" in text
    assert "bad.jsonl line 7: properties.owner: points at 'nobody', which is not an entity in this file" in text
    assert any(t.startswith("bad.jsonl line 8: is not valid JSON") for t in text)
    assert _count(access) == 0
    with pytest.raises(ImportRefused, match="not a partner code"):
        import_ftm(access, _lines(FTM), source="x.jsonl", partner="NOBODY", defaults=GRADED, ref=REF)


def test_maxims_own_ftm_export_imports_with_its_grading(access: DataAccess, fresh: DataAccess) -> None:
    rid = submit(access, c_coded(reference="LAM/C7"))
    liaison = as_(access, "liz", "SCD6-MAXIM", "partner_liaison")
    ftm = entities(unzip(build_package(liaison, "NCA", report_ids=[rid], signer=SIGNER).zip_bytes))
    done = import_ftm(
        fresh,
        _lines(ftm),
        source="e.jsonl",
        partner="NCA",
        defaults=Defaults(share_with=("SCD6-MAXIM",), received_at=GRADED.received_at),
        ref=REF,
    )
    view = fresh.report(done[0].report_id)
    assert view is not None
    assert (view["handling_code"], view["action_code"], view["sanitisation_code"]) == ("C", "A2", "S1")
    assert view["handling_conditions"] == "Contact originator before any executive action"
