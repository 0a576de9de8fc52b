"""The synthetic scenario: deterministic, valid intake reports, exact ground truth."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from followthemoney import model
from schwifty import IBAN

from maxim.scenario import iter_scenario, write_scenario
from maxim.scenario.writer import intended_rates

REFERENCE = Path(__file__).resolve().parents[2] / "maxim" / "reference"
KINDS = {"intelligence", "referral", "sar", "precursor", "partner"}
DPA_ROLES = {"suspect", "convicted", "victim", "witness", "other"}
C_FIELDS = ("handling_conditions", "action_code", "sanitisation_code")
PHONE = re.compile(r"^(?:07700 ?900\d{3}|\+447700900\d{3}|020 ?7946 ?0\d{3}|\+442079460\d{3})$")
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")
VRM = re.compile(r"^[A-HJ-PR-Y]{2}[0-9]{2} [A-HJ-PR-Z]{3}$")


def _yaml(name: str) -> Any:
    return yaml.safe_load((REFERENCE / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def codes() -> dict[str, set[str]]:
    units = _yaml("units.yaml")
    originators = {u["code"] for u in units["units"]}
    originators |= {f"BOCU-{b}" for b in units["boroughs"]["names"]}
    originators |= {p["code"] for p in _yaml("partners.yaml")["partners"]}
    return {"originators": originators, "themes": set(_yaml("themes.yaml")["themes"])}


@pytest.fixture(scope="module")
def run2k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scenario2k")
    write_scenario(out, seed=7, reports=2000)
    return out


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_same_seed_same_bytes_different_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_scenario(a, seed=3, reports=300)
    write_scenario(b, seed=3, reports=300)
    write_scenario(c, seed=4, reports=300)
    for name in ("reports.jsonl", "truth.jsonl", "networks.json", "summary.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "reports.jsonl").read_bytes() != (c / "reports.jsonl").read_bytes()


def test_progress_counts_reports_written_since_the_last_call(tmp_path: Path) -> None:
    steps: list[int] = []
    write_scenario(tmp_path, seed=3, reports=2300, progress=steps.append)
    assert steps == [1000, 1000, 300]  # a progress bar adds them up to the reports written


def _check_report(r: dict[str, Any], codes: dict[str, set[str]]) -> list[str]:
    errors: list[str] = []
    for f in ("kind", "originator", "reference", "received_at", "nim_level", "themes", "entities"):
        if f not in r:
            errors.append(f"{f}: missing")
    if r["kind"] not in KINDS:
        errors.append("kind")
    if r["originator"] not in codes["originators"]:
        errors.append(f"originator {r['originator']}")
    if not set(r["themes"]) <= codes["themes"] or not r["themes"]:
        errors.append(f"themes {r['themes']}")
    if r["nim_level"] not in (1, 2, 3):
        errors.append("nim_level")
    if "intelligence_date" in r and r["intelligence_date"] > r["received_at"][:10]:
        errors.append("intelligence_date after received_at")
    if "legacy_grading" in r:
        if not re.fullmatch(r"[A-E] ?[1-5] ?[1-5]", r["legacy_grading"]):
            errors.append("legacy_grading")
    else:
        if r.get("source_evaluation") not in ("1", "2", "3"):
            errors.append("source_evaluation")
        if r.get("intelligence_assessment") not in tuple("ABCDE"):
            errors.append("intelligence_assessment")
        hc = r.get("handling_code")
        if hc == "C":
            if not all(r.get(f) for f in C_FIELDS):
                errors.append("C fields missing")
            if r["action_code"] not in ("A1", "A2", "A3") or r["sanitisation_code"] not in (
                "S1",
                "S2",
            ):
                errors.append("C codes")
        elif hc == "P":
            if any(f in r for f in C_FIELDS):
                errors.append("C fields under P")
        else:
            errors.append("handling_code")
    if r["kind"] == "sar" and r.get("handling_code") != "C":
        errors.append("SAR not C")
    local_ids = [e["id"] for e in r["entities"]]
    if len(local_ids) != len(set(local_ids)):
        errors.append("duplicate local ids")
    for e in r["entities"]:
        schema = model.get(e["schema"])
        if schema is None:
            errors.append(f"schema {e['schema']}")
            continue
        for prop, values in e["properties"].items():
            p = schema.get(prop)
            if p is None:
                errors.append(f"{e['schema']}.{prop} unknown")
                continue
            if not values or not all(isinstance(v, str) and v for v in values):
                errors.append(f"{e['schema']}.{prop} values")
            if p.type.name == "entity" and not set(values) <= set(local_ids):
                errors.append(f"{e['schema']}.{prop} -> {values} not a local id")
            if prop == "phone" and not all(PHONE.match(v) for v in values):
                errors.append(f"phone {values}")
            if prop == "postalCode" and not all(POSTCODE.match(v) for v in values):
                errors.append(f"postcode {values}")
            if prop == "registrationNumber" and not all(VRM.match(v) for v in values):
                errors.append(f"vrm {values}")
            if prop == "iban" and not all(IBAN(v, allow_invalid=True).is_valid for v in values):
                errors.append(f"iban {values}")
        if e["schema"] == "Person":
            if e.get("role") not in DPA_ROLES:
                errors.append("person role")
            if e.get("role") == "other" and not e.get("role_detail"):
                errors.append("other without role_detail")
        elif "role" in e:
            errors.append("role on non-Person")
    return errors


def test_every_report_is_valid_intake(run2k: Path, codes: dict[str, set[str]]) -> None:
    reports = _lines(run2k / "reports.jsonl")
    assert len(reports) == 2000
    for r in reports:
        assert _check_report(r, codes) == [], r["reference"]
    sars = [r for r in reports if r["kind"] == "sar"]
    assert sars and all(re.search(r"XXMSHTXX|XXOICXX", r["text"]) for r in sars)
    graded = [r for r in reports if "legacy_grading" not in r]
    share_c = sum(r["handling_code"] == "C" for r in graded) / len(graded)
    assert 0.18 < share_c < 0.32
    legacy = sum("legacy_grading" in r for r in reports) / len(reports)
    assert 0.01 < legacy < 0.06
    grades = Counter(r["source_evaluation"] + r["intelligence_assessment"] for r in graded)
    assert {g for g, _ in grades.most_common(3)} == {"2B", "2C", "1B"}
    assert {r["kind"] for r in reports} == KINDS
    assert {r["originator"] for r in reports if r["kind"] == "precursor"} == {"INDUSTRY"}
    assert {r["originator"] for r in reports if r["kind"] == "sar"} == {"UKFIU"}


def test_truth_covers_person_mentions_exactly() -> None:
    for report, truth in iter_scenario(5, 400):
        persons = [e["id"] for e in report["entities"] if e["schema"] == "Person"]
        assert [t.local_id for t in truth] == persons
        assert all(t.originator == report["originator"] and t.reference == report["reference"] for t in truth)


def test_truth_file_one_row_per_first_version_mention(run2k: Path) -> None:
    truth = _lines(run2k / "truth.jsonl")
    keys = [(t["originator"], t["reference"], t["local_id"]) for t in truth]
    assert len(keys) == len(set(keys))
    mentions = set()
    versions: dict[tuple[str, str], set[str]] = {}
    for r in _lines(run2k / "reports.jsonl"):
        key = (r["originator"], r["reference"])
        versions.setdefault(key, set()).add(json.dumps(r, sort_keys=True))
        for e in r["entities"]:
            if e["schema"] == "Person":
                mentions.add((*key, e["id"]))
    assert mentions == set(keys)
    summary = json.loads((run2k / "summary.json").read_text())
    assert summary["truth_rows"] == len(truth)
    assert summary["unique_reports"] == len(versions)
    assert summary["corrections"] == sum(len(v) - 1 for v in versions.values())
    assert summary["corrections"] > 10 and summary["duplicates"] > 5


def test_planted_network_is_most_harmful(run2k: Path) -> None:
    networks = json.loads((run2k / "networks.json").read_text())
    planted = [n for n in networks if n["planted_most_harmful"]]
    assert len(planted) == 1
    top = planted[0]
    assert top["harm"]["child_victims"] >= 5 and top["harm"]["violence"] and top["harm"]["weapons"]
    assert top["nim_level"] == 3
    for n in networks:
        if n is not top:
            assert n["harm"]["child_victims"] < top["harm"]["child_victims"]
            assert not n["harm"]["weapons"]
    truth = _lines(run2k / "truth.jsonl")
    seen_children = {t["person_id"] for t in truth if t["network_id"] == top["id"] and t["is_child"]}
    assert len(seen_children) >= 3
    texts = [r["text"] for r in _lines(run2k / "reports.jsonl")]
    assert any("machete" in t or "handgun" in t or "firearm" in t or "knife" in t for t in texts)


def test_variant_rates_in_band(run2k: Path) -> None:
    summary = json.loads((run2k / "summary.json").read_text())
    rates, intended = summary["rates"], intended_rates()
    for name, target in intended.items():
        tolerance = max(0.03, target * 0.35)
        assert abs(rates[name] - target) <= tolerance, (name, rates[name], target)
    # independently: how often a mention's name differs from the true canonical name
    networks = json.loads((run2k / "networks.json").read_text())
    canonical = {m["person_id"]: m["name"] for n in networks for m in n["members"]}
    names = {}
    for r in _lines(run2k / "reports.jsonl"):
        for e in r["entities"]:
            if e["schema"] == "Person":
                names[(r["originator"], r["reference"], e["id"])] = e["properties"]["name"][0]
    differ = total = 0
    for t in _lines(run2k / "truth.jsonl"):
        if t["person_id"] in canonical:
            total += 1
            differ += names[(t["originator"], t["reference"], t["local_id"])].casefold() != (
                canonical[t["person_id"]].casefold()
            )
    assert 0.35 < differ / total < 0.75
    assert summary["counts"]["homonym_persons"] > 0


def test_hard_negatives_and_shared_identifiers(run2k: Path) -> None:
    networks = json.loads((run2k / "networks.json").read_text())
    members = [m for n in networks for m in n["members"]]
    by_name: dict[str, set[str]] = {}
    for m in members:
        by_name.setdefault(m["name"], set()).add(m["birthDate"])
    assert any(len(dobs) > 1 for dobs in by_name.values())  # same name, different people
    by_flat = Counter(m["address"] for m in members if m.get("address"))
    assert max(by_flat.values()) >= 3  # people living at the same flat
    assert any(n["shared_phone"] for n in networks)


def test_small_and_streaming_sizes(tmp_path: Path) -> None:
    summary = write_scenario(tmp_path, seed=1, reports=100)
    assert summary.reports == 100
    assert len((tmp_path / "reports.jsonl").read_text(encoding="utf-8").splitlines()) == 100
    assert summary.networks >= 6
    seen = list(iter_scenario(1, 100))
    assert len(seen) == 100
