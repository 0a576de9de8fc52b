"""Packages out: the formats open with standard readers, the rules stop what must not leave."""

from __future__ import annotations

import csv
import io
import json

import networkx as nx
import pytest
from followthemoney import model
from openpyxl import load_workbook
from sqlalchemy import func, select

from maxim.share.manifest import read_zip
from maxim.share.package import validate_proxy
from maxim.share.service import PackageBlocked, build_package, export_ftm
from maxim.store.access import DataAccess, Forbidden
from maxim.store.share_access import ShareAccess
from maxim.store.tables_share import share_packages
from tests.factories import c_coded, report
from tests.share.helpers import SIGNER, as_, audit_entries, entities, keys, submit, unzip, victim_report


def _packages(access: DataAccess) -> int:
    with access.db.reader.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(share_packages)).scalar_one())


def test_package_formats_open_with_standard_readers_and_the_disclosure_is_logged(access: DataAccess) -> None:
    rid = submit(access, victim_report())
    liaison = as_(access, "liz", "SCD6-MAXIM", "partner_liaison")
    result = build_package(liaison, "NCA", report_ids=[rid], purpose="Op TESTCASE", signer=SIGNER)
    verified = read_zip(result.zip_bytes, "test.zip", keys("OTHER-FORCE"))
    head, files = verified.head, verified.files
    assert head["recipient"] == {"code": "NCA", "name": "National Crime Agency", "class": "UK_LE"}
    assert {f["name"] for f in head["files"]} == set(files)

    ftm = entities(files)
    assert ftm, "the package has entities"
    for data in ftm:
        proxy = model.get_proxy(data, cleaned=False)
        assert validate_proxy(proxy) == []
        assert proxy.schema.validate(data) is None  # FollowTheMoney's own validation
    schemas = {e["schema"] for e in ftm}
    assert {"Person", "Address", "Vehicle"} <= schemas
    # The victim is hidden from this user, and so is the family link to them.
    assert "Family" not in schemas
    assert all("Victimperson" not in json.dumps(e) for e in ftm)

    nodes = list(csv.DictReader(io.StringIO(files["i2/entities.csv"].decode())))
    links = list(csv.DictReader(io.StringIO(files["i2/links.csv"].decode())))
    assert {n["Entity Type"] for n in nodes} >= {"Person", "Address", "Vehicle"}
    assert {"End 1 Identity", "End 2 Identity", "Link Type"} <= set(links[0])
    spec = json.loads(files["i2/import-specification.json"])
    assert spec["links"]["end1_identity_column"] == "End 1 Identity"

    graph = nx.read_graphml(io.BytesIO(files["network.graphml"]))
    assert set(graph.nodes) == {n["Identity"] for n in nodes}
    assert graph.number_of_edges() == len(links) >= 2
    gexf = nx.read_gexf(io.BytesIO(files["network.gexf"]))
    assert gexf.number_of_nodes() == graph.number_of_nodes()

    book = load_workbook(io.BytesIO(files["tables.xlsx"]))
    assert {"Person", "Address", "Vehicle", "i2 entities", "i2 links", "items"} <= set(book.sheetnames)
    person_csv = list(csv.DictReader(io.StringIO(files["csv/Person.csv"].decode())))
    assert person_csv[0]["grading"] == "2B P"

    (item,) = json.loads(files["items.json"])
    for key in ("grading", "intelligence_date", "date_created", "last_review", "basis", "received_at"):
        assert key in item
    assert item["grading"] == "2B P" and item["intelligence_date"] == "2025-04-28" and item["basis"] == "fact"

    (entry,) = [e for e in audit_entries(access, "DISCLOSURE") if e["object_type"] == "package"]
    assert "recipient: NCA (UK_LE)" in entry["justification"]
    assert result.package_id in entry["justification"] and "Op TESTCASE" in entry["justification"]
    assert entry["username"] == "liz" and rid in entry["object_ids"]
    record = ShareAccess(liaison).package(result.package_id)
    assert [i["status"] for i in record["items"]] == ["sent"]
    assert record["manifest_sha256"] == result.manifest_sha256


def test_c_conditions_travel_verbatim_on_every_item(access: DataAccess) -> None:
    conditions = "Contact DS Testcase, SCD6, before any executive action; no onward dissemination"
    rid = submit(access, c_coded(handling_conditions=conditions))
    liaison = as_(access, "liz", "SCD6-MAXIM", "partner_liaison")
    files = unzip(build_package(liaison, "NCA", report_ids=[rid], signer=SIGNER).zip_bytes)
    for data in entities(files):
        (context,) = data["maxim"]["reports"]
        assert context["handling_conditions"] == conditions
        assert (context["handling_code"], context["action_code"], context["sanitisation_code"]) == ("C", "A2", "S1")
    for name in [n for n in files if n.startswith("csv/")] + ["i2/entities.csv", "i2/links.csv"]:
        for row in csv.DictReader(io.StringIO(files[name].decode())):
            assert row["handling_conditions"] == conditions
    (entry,) = [e for e in audit_entries(access, "DISCLOSURE") if e["object_type"] == "package"]
    assert conditions in entry["justification"]


def test_c_material_to_a_class_the_policy_forbids_is_refused_and_nothing_is_logged(access: DataAccess) -> None:
    rid = submit(access, c_coded())
    supervisor = as_(access, "sam", "SCD6-MAXIM", "supervisor")
    before = len(audit_entries(access, "DISCLOSURE"))
    with pytest.raises(PackageBlocked) as refused:
        build_package(supervisor, "NGO-SALVATION-ARMY", report_ids=[rid], signer=SIGNER)
    assert "UK_NON_PROSECUTING_PARTNER" in str(refused.value)
    with pytest.raises(PackageBlocked):
        build_package(supervisor, "INDUSTRY", report_ids=[rid], signer=SIGNER)
    assert _packages(access) == 0
    assert len(audit_entries(access, "DISCLOSURE")) == before


def test_s2_and_a1_are_blocked_until_the_originator_is_consulted(access: DataAccess) -> None:
    s2 = submit(access, c_coded(reference="LAM/S2", sanitisation_code="S2"))
    a1 = submit(access, c_coded(reference="LAM/A1", action_code="A1"))
    liaison = as_(access, "liz", "SCD6-MAXIM", "partner_liaison")
    supervisor = as_(access, "sam", "SCD6-MAXIM", "supervisor")
    with pytest.raises(PackageBlocked) as refused:
        build_package(liaison, "NCA", report_ids=[s2, a1], signer=SIGNER)
    reasons = " ".join(why for _, why in refused.value.blocked)
    assert "S2: blocked until the originator (BOCU-LAMBETH) is consulted" in reasons
    assert "A1: blocked until the originator" in reasons
    assert "needs a supervisor" in reasons  # A1 to UK law enforcement: supervisor or above

    share = ShareAccess(liaison)
    share.record_consultation(
        s2, "NCA", consulted="BOCU-LAMBETH DI, intelligence unit", consulted_at=access.clock(), outcome="refused"
    )
    with pytest.raises(PackageBlocked, match="originator refused"):
        build_package(liaison, "NCA", report_ids=[s2], signer=SIGNER)
    share.record_consultation(
        s2, "NCA", consulted="BOCU-LAMBETH DI, intelligence unit", consulted_at=access.clock(), outcome="approved"
    )
    files = unzip(build_package(liaison, "NCA", report_ids=[s2], signer=SIGNER).zip_bytes)
    (item,) = json.loads(files["items.json"])
    assert item["originator_consulted"]["outcome"] == "approved"
    # A consultation is about one recipient: the same report to another is still blocked.
    with pytest.raises(PackageBlocked, match="consulted"):
        build_package(liaison, "HOIE", report_ids=[s2], signer=SIGNER)
    ShareAccess(supervisor).record_consultation(
        a1, "NCA", consulted="BOCU-LAMBETH DI", consulted_at=access.clock(), outcome="approved"
    )
    assert build_package(supervisor, "NCA", report_ids=[a1], signer=SIGNER).items == 1


def test_victims_leave_only_when_a_safeguarding_lead_releases_them_for_one_package(access: DataAccess) -> None:
    rid = submit(access, victim_report())
    lead = as_(access, "sally", "SCD6-MAXIM", "partner_liaison", "safeguarding_lead")
    victim = next(s["entity_id"] for s in lead.report(rid)["subjects"] if s["category"] == "victim")  # type: ignore[index]

    first = build_package(lead, "NCA", report_ids=[rid], signer=SIGNER)
    assert first.victims_withheld == 1
    ftm = entities(unzip(first.zip_bytes))
    assert victim not in {e["id"] for e in ftm}
    assert "Family" not in {e["schema"] for e in ftm}  # the link to the victim goes with them
    assert all(victim not in json.dumps(e) for e in ftm)

    liaison = as_(access, "liz", "SCD6-MAXIM", "partner_liaison")
    with pytest.raises(Forbidden):
        ShareAccess(liaison).record_release("NCA", rid, victim, "safeguarding referral")
    ShareAccess(lead).record_release("NCA", rid, victim, "NCA safeguarding team takes the case")
    second = build_package(lead, "NCA", report_ids=[rid], signer=SIGNER)
    released = {e["id"]: e for e in entities(unzip(second.zip_bytes))}
    assert victim in released and released[victim]["maxim"]["role"] == "victim"
    assert "Family" in {e["schema"] for e in released.values()}
    # A release is for one package: the next one withholds the victim again.
    third = build_package(lead, "NCA", report_ids=[rid], signer=SIGNER)
    assert victim not in {e["id"] for e in entities(unzip(third.zip_bytes))}


def test_reports_the_user_cannot_see_are_not_found_and_never_exported(access: DataAccess) -> None:
    hidden = submit(access, c_coded(reference="LAM/HIDDEN", share_with=[], handling_conditions="Lambeth only"))
    shown = submit(access, report(reference="LAM/SHOWN"))
    liaison = as_(access, "liz", "SCD6-MAXIM", "partner_liaison")
    with pytest.raises(PackageBlocked) as refused:
        build_package(liaison, "NCA", report_ids=[hidden, shown], signer=SIGNER)
    assert refused.value.blocked == [(f"report {hidden}", "not found")]
    result = build_package(liaison, "NCA", report_ids=[hidden, shown], exclude_blocked=True, signer=SIGNER)
    files = unzip(result.zip_bytes)
    assert "LAM/HIDDEN" not in files["entities.ftm.jsonl"].decode() + files["items.json"].decode()
    assert [i["reference"] for i in json.loads(files["items.json"])] == ["LAM/SHOWN"]
    # Staff outside the dissemination ladder build nothing, and an external account sees nothing.
    investigator = as_(access, "ian", "SCD6-MAXIM", "investigator")
    with pytest.raises(Forbidden):
        build_package(investigator, "NCA", report_ids=[shown], signer=SIGNER)


def test_the_officer_who_submitted_a_report_does_not_disseminate_it(access: DataAccess) -> None:
    officer = as_(access, "olly", "SCD6-MAXIM", "partner_liaison")
    rid = submit(officer, report(originator="SCD6-MAXIM", reference="MAX/OWN"))
    with pytest.raises(PackageBlocked, match="submitted"):
        build_package(officer, "NCA", report_ids=[rid], signer=SIGNER)


def test_choosing_an_entity_sends_it_with_its_links_only(access: DataAccess) -> None:
    rid = submit(access, victim_report())
    lead = as_(access, "sally", "SCD6-MAXIM", "partner_liaison", "safeguarding_lead")
    view = lead.report(rid)
    assert view is not None
    ids = {s["entity_id"]: s["schema"] for s in view["statements"]}
    car = next(e for e, schema in ids.items() if schema == "Vehicle")
    result = build_package(lead, "NCA", entity_ids=[car], signer=SIGNER)
    got = {e["schema"] for e in entities(unzip(result.zip_bytes))}
    assert got == {"Vehicle", "Person", "Address"}  # the car, its owner, the owner's address; no victim


def test_overseas_needs_a_transfer_basis_and_unknown_recipients_are_refused(access: DataAccess) -> None:
    rid = submit(access, report())
    supervisor = as_(access, "sam", "SCD6-MAXIM", "supervisor")
    with pytest.raises(ValueError, match="transfer-basis"):
        build_package(supervisor, "EUROPOL", report_ids=[rid], signer=SIGNER)
    assert (
        build_package(
            supervisor, "EUROPOL", report_ids=[rid], transfer_basis="DPA 2018 s73 adequacy", signer=SIGNER
        ).items
        == 1
    )
    with pytest.raises(ValueError, match="not a partner"):
        build_package(supervisor, "NOBODY", report_ids=[rid], signer=SIGNER)


def test_bulk_ftm_export_is_everything_visible_and_one_disclosure(access: DataAccess) -> None:
    submit(access, victim_report())
    submit(access, c_coded(reference="LAM/HIDDEN", share_with=[], handling_conditions="Lambeth only"))
    analyst = as_(access, "ann", "SCD6-MAXIM", "analyst")
    out = io.StringIO()
    count = export_ftm(analyst, out)
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert count == len(lines) > 0
    for data in lines:
        assert validate_proxy(model.get_proxy(data, cleaned=False)) == []
    text = out.getvalue()
    assert "Victimperson" not in text and "LAM/HIDDEN" not in text
    exports = [e for e in audit_entries(access, "DISCLOSURE") if e["object_type"] == "export"]
    assert len(exports) == 1 and "recipient: ann" in exports[0]["justification"]
