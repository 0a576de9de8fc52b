"""The funding ledger reproduces the 2006 report's own figures (DOMAIN §0.6), and refuses bad files."""

from __future__ import annotations

import pytest

from maxim.domain.errors import ValidationFailed
from maxim.oversight.funding import load_ledger_text, load_shipped, shipped_text
from maxim.oversight.staffing import load_shipped_staffing
from maxim.reference import load_reference

REF = load_reference()
GBP = 100  # pence


def test_the_ledger_reproduces_the_document_figures() -> None:
    ledger = load_shipped(REF.units)
    # para 5: the MPS receives GBP 1.445M in 2006/7 and GBP 1.772M in 2007/8 from Reflex.
    assert ledger.total(financial_year=2006, grantors=["REFLEX"]) == 1_445_000 * GBP
    assert ledger.total(financial_year=2007, grantors=["REFLEX"]) == 1_772_000 * GBP
    # 1.772M is the GBP 980K continuation plus the GBP 792K trafficking team grant (paras 3, 4).
    assert ledger.total(financial_year=2007, kinds=["CONTINUATION"]) == 980_000 * GBP
    assert ledger.total(financial_year=2007, kinds=["HTT_GRANT"]) == 792_000 * GBP
    # para 3: pump priming of GBP 1M a year for three years from March 2003.
    assert [ledger.total(financial_year=y, kinds=["PUMP_PRIMING"]) for y in (2003, 2004, 2005)] == [1_000_000 * GBP] * 3
    # para 6: over 40 successful APF bids, over GBP 2.5M, May 2002 - March 2006.
    apf = ledger.apf_summary()
    assert apf["successful_bids"] > 40
    assert apf["total_pence"] > 2_500_000 * GBP
    assert apf["first"] >= "2002-05-01" and apf["last"] <= "2006-03-31"
    assert {
        "SCD6-MAXIM",
        "SCD10-SIS",
        "SCD5-CAIC",
        "CO14",
        "SO18-HSU",
        "BOCU-ENFIELD",
        "BOCU-LAMBETH",
        "BOCU-SUTTON",
    } <= set(apf["by_recipient_pence"])
    # para 24: match funding about GBP 1.1M in 2005/6, a similar figure in 2006/7.
    assert ledger.total(financial_year=2005, kinds=["MATCH"]) == 1_100_000 * GBP
    assert ledger.total(financial_year=2006, kinds=["MATCH"]) == 1_100_000 * GBP


def test_uncertain_money_is_kept_apart_in_the_forecast() -> None:
    ledger = load_shipped(REF.units)
    years = {f.label: f for f in ledger.forecast(2006, 3)}
    assert years["2006/07"].uncertain_pence == 0
    # D.1: post 2008 there is no certainty: the 2008/09 sum is a bid, not certain money.
    assert years["2008/09"].certain_pence == 0
    assert years["2008/09"].uncertain_pence > 0 and years["2008/09"].uncertain_kinds == ("NATIONAL",)


def test_a_bad_funding_file_is_refused_whole_with_every_fault_named() -> None:
    text = shipped_text().replace(
        'status: approved, basis: document,\n     conditions: "To create',
        'status: promised, basis: document,\n     conditions: "To create',
    )
    text = text.replace("recipient_unit: SCD8,", "recipient_unit: NOWHERE,", 1)
    with pytest.raises(ValidationFailed) as caught:
        load_ledger_text(text, REF.units)
    fields = {e.field for e in caught.value.errors}
    assert any(f.endswith(".status") for f in fields) and any(f.endswith(".recipient_unit") for f in fields)


def test_staffing_is_labelled_illustrative_and_adds_up() -> None:
    staffing = load_shipped_staffing(REF.units)
    assert staffing.illustrative
    totals = staffing.totals()
    assert totals["cost_pence"] == sum(p.cost_pence for p in staffing.posts)
    assert sum(r["cost_pence"] for r in staffing.by_unit()) == totals["cost_pence"]
