"""CSV/Excel with a saved column mapping, HTCDS referrals and SARs: all or nothing, errors that name the place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from maxim.reference import load_reference
from maxim.share import htcds, sar, tabular
from maxim.share.imports import ImportRefused
from maxim.store.access import DataAccess, Forbidden, Outcome
from maxim.store.share_access import ShareAccess
from tests.share.helpers import as_

REF = load_reference()
MAPPING = """
report:
  originator: NCA
  source_evaluation: "2"
  intelligence_assessment: B
  handling_code: P
  themes: [TRAFFICKING]
  reference_column: Ref
  received_at_column: Date
columns:
  Name: Person.name
  DOB: Person.birthDate
  Phone: Person.phone
  VRM: Vehicle.registrationNumber
  Keeper: keeper:Person.name
roles: {Person: suspect, keeper: other}
role_details: {keeper: registered keeper}
links:
  - Vehicle.owner: keeper
"""
CSV = (
    "Ref,Date,Name,DOB,Phone,VRM,Keeper\n"
    "NCA-1,2025-05-01,Testperson Alpha,1984-03-02,07700 900123,AB12 CDE,Testperson Keeper\n"
    "NCA-2,2025-05-02,Testperson Beta,,07700 900456,,\n"
)


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_import_through_a_saved_mapping_with_preview_first(access: DataAccess, tmp_path: Path) -> None:
    spec = tabular.parse_mapping(MAPPING, "nca.yaml", REF)
    table = tabular.read_table(_file(tmp_path, "nominals.csv", CSV), spec)
    shown = tabular.preview(table, spec, REF, 1)
    assert len(shown) == 1 and shown[0]["problems"] == []
    assert {
        "entity": "Vehicle",
        "schema": "Vehicle",
        "property": "owner",
        "value": "keeper",
        "column": "(link)",
    } in shown[0]["cells"]
    assert access.counts()["reports"] == 0  # a preview stores nothing

    ShareAccess(access).save_mapping("nca-nominals", MAPPING)
    spec = tabular.parse_mapping(ShareAccess(access).load_mapping("nca-nominals"), "nca-nominals", REF)
    done = tabular.import_table(access, table, spec, REF)
    assert [s.reference for s in done] == ["NCA-1", "NCA-2"] and {s.outcome for s in done} == {Outcome.CREATED}
    view = access.report(done[0].report_id)
    assert view is not None and view["originator"] == "NCA"
    props = {(s["schema"], s["prop"]): s["value"] for s in view["statements"]}
    assert props[("Person", "phone")] == "+447700900123" and props[("Vehicle", "registrationNumber")] == "AB12CDE"
    assert {s["category"] for s in view["subjects"]} == {"suspect", "other"}
    assert {s.outcome for s in tabular.import_table(access, table, spec, REF)} == {Outcome.UNCHANGED}


def test_xlsx_import_reads_the_named_sheet(access: DataAccess, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Nominals"
    for line in CSV.splitlines():
        sheet.append(line.split(","))
    path = tmp_path / "nominals.xlsx"
    book.save(path)
    spec = tabular.parse_mapping(MAPPING + "sheet: Nominals\n", "nca.yaml", REF)
    assert len(tabular.import_table(access, tabular.read_table(path, spec), spec, REF)) == 2


def test_a_wrong_mapping_names_the_entry(tmp_path: Path) -> None:
    bad = MAPPING.replace("Person.birthDate", "Person.birthday").replace("Vehicle.registrationNumber", "Starship.name")
    with pytest.raises(ImportRefused) as refused:
        tabular.parse_mapping(bad, "nca.yaml", REF)
    text = [str(p) for p in refused.value.problems]
    assert "nca.yaml columns.DOB: Person.birthday: 'birthday' is not a property of Person" in text
    assert any(t.startswith("nca.yaml columns.VRM: Starship.name:") for t in text)
    spec = tabular.parse_mapping(MAPPING, "nca.yaml", REF)
    with pytest.raises(ImportRefused, match=r"VRM: is mapped by nca\.yaml but is not a column of the file"):
        tabular.read_table(_file(tmp_path, "x.csv", "Ref,Date,Name,DOB,Phone,Keeper\n"), spec)


def test_a_bad_row_names_file_row_and_column_and_imports_nothing(access: DataAccess, tmp_path: Path) -> None:
    text = CSV + "NCA-3,not a date,Testperson Gamma,,,,\n"
    spec = tabular.parse_mapping(MAPPING, "nca.yaml", REF)
    with pytest.raises(ImportRefused) as refused:
        tabular.import_table(access, tabular.read_table(_file(tmp_path, "n.csv", text), spec), spec, REF)
    assert [str(p) for p in refused.value.problems] == [
        "n.csv row 4: column 'Date' (received_at): is not a date: 'not a date'"
    ]
    assert access.counts()["reports"] == 0


HTCDS = [
    {
        "cas_CaseId": "SA-0001",
        "cas_IncomingReferralDate": "2025-05-03",
        "cas_IncomingReferralDetails": "Found at a car wash; documents held by the employer.",
        "prs_GivenName": "Victimperson",
        "prs_FamilyName": "Epsilon",
        "prs_Gender": "Female",
        "prs_YearOfBirth": "1999",
        "prs_Nationality": "al",
        "vic_TypeOfLabourExploitation": "true",
        "vic_TypeOfSexualExploitation": "false",
        "hte_Postcode": "SE1 7XX",
        "cas_SomethingUnmapped": "ignored",
    }
]


def test_htcds_records_become_referrals_through_ukhtc(access: DataAccess, tmp_path: Path) -> None:
    path = _file(tmp_path, "ngo.jsonl", "".join(json.dumps(r) + "\n" for r in HTCDS))
    # Recorded as UKHTC's: by an intake officer of its intake point (SCD6-MAXIM), here also the lead.
    lead = as_(access, "sally", "SCD6-MAXIM", "safeguarding_lead", "intake_officer")
    with pytest.raises(Forbidden):
        htcds.import_htcds(as_(access, "ann", "SCD6-MAXIM", "analyst"), path, ngo="NGO-SALVATION-ARMY", ref=REF)
    (done,) = htcds.import_htcds(lead, path, ngo="NGO-SALVATION-ARMY", ref=REF)
    assert (done.originator, done.reference) == ("UKHTC", "NGO-SALVATION-ARMY/SA-0001")
    view = lead.report(done.report_id)
    assert view is not None and view["kind"] == "referral" and view["handling_code"] == "C"
    assert [s["category"] for s in view["subjects"]] == ["victim"]
    assert "Labour" in view["text"] and "TRAFFICKING" in view["themes"]
    # An analyst who is not a safeguarding lead sees neither the report's victim nor its details.
    assert all(s["category"] != "victim" for s in (access.report(done.report_id) or {"subjects": []})["subjects"])

    bad = [{**HTCDS[0], "cas_IncomingReferralDate": "someday", "favourite_colour": "blue"}, {"prs_GivenName": "X"}]
    path = _file(tmp_path, "bad.jsonl", "".join(json.dumps(r) + "\n" for r in bad))
    with pytest.raises(ImportRefused) as refused:
        htcds.import_htcds(lead, path, ngo="NGO-SALVATION-ARMY", ref=REF)
    text = [str(p) for p in refused.value.problems]
    assert "bad.jsonl line 1: favourite_colour: is not an HTCDS field (cas_, prs_, vic_, hte_, prp_ ...)" in text
    assert "bad.jsonl line 2: cas_CaseId: is required: the NGO's case id" in text


SAR = {
    "sar_reference": "SAR-2025-000123",
    "submitted_at": "2025-05-04",
    "reporter_sector": "Retail bank",
    "reporter_name": "never stored",
    "reason_for_suspicion": "Cash deposits across branches, rent for several flats paid by one person. XXMSHTXX",
    "glossary_codes": ["XXOICXX"],
    "subjects": [
        {"id": "s1", "name": "Testperson Zeta", "birth_date": "1980-01-01", "postcode": "SE1 7XX"},
        {"id": "s2", "type": "company", "name": "Example Lettings Ltd", "company_number": "01234567"},
    ],
    "accounts": [
        {"id": "a1", "holder": "s1", "sort_code": "12-34-56", "account_number": "12345678", "bank_name": "Example Bank"}
    ],
    "transactions": [
        {
            "payer": "s1",
            "beneficiary": "s2",
            "payer_account": "a1",
            "amount": "9500",
            "currency": "GBP",
            "date": "2025-04-20",
        }
    ],
}


def test_sars_become_handling_c_reports_of_ukfiu_with_accounts_and_subjects(access: DataAccess, tmp_path: Path) -> None:
    path = _file(tmp_path, "sars.jsonl", json.dumps(SAR) + "\n")
    (done,) = sar.import_sar(access, path, ref=REF)
    view = access.report(done.report_id)
    assert view is not None
    assert (view["kind"], view["originator"], view["handling_code"], view["sanitisation_code"]) == (
        "sar",
        "UKFIU",
        "C",
        "S2",
    )
    assert {"TRAFFICKING", "PEOPLE_SMUGGLING", "MONEY_LAUNDERING"} <= set(view["themes"])
    schemas = {s["schema"] for s in view["statements"]}
    assert {"Person", "Company", "BankAccount", "Ownership", "Payment", "Address"} <= schemas
    assert "never stored" not in json.dumps(view, default=str)
    assert "XXMSHTXX" in view["text"] and "version 2022" in view["text"]
    assert {s.outcome for s in sar.import_sar(access, path, ref=REF)} == {Outcome.UNCHANGED}

    wrong = {**SAR, "sar_reference": "SAR-2", "glossary_codes": ["XXMSHTX"], "subjects": [{"id": "s1", "nmae": "x"}]}
    bad = _file(tmp_path, "bad.jsonl", json.dumps(wrong) + "\n{broken\n")
    with pytest.raises(ImportRefused) as refused:
        sar.import_sar(access, bad, ref=REF)
    text = [str(p) for p in refused.value.problems]
    assert "bad.jsonl line 1: glossary_codes: 'XXMSHTX' is not a UKFIU glossary code" in text
    assert any(t.startswith("bad.jsonl line 1: subjects[0].nmae: unknown field") for t in text)
    assert any(t.startswith("bad.jsonl line 2: line: is not valid JSON") for t in text)
    assert access.counts()["reports"] == 1
