"""End to end in Chromium, as a new analyst would: sign in, submit a graded C-coded report, see
the identifiers found, open the entity, its link chart (expand a node, select a link), its
timeline, search, and find the audit trail closed to analysts; the DPO reads it. Every page is
screenshotted into test-artifacts/ and checked by axe-core: no serious or critical violations,
and no Content-Security-Policy violation or script error in the console."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser
AXE = Axe()


class Checker:
    """Screenshots a page, runs axe-core on it and keeps the console's errors."""

    def __init__(self, page: Page, artifacts: Path) -> None:
        self.page = page
        self.artifacts = artifacts
        self.console: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        # A refused form (422) and a refused page (403) are the documents' own statuses, not faults.
        if message.type == "error" and not re.search(r"status of (422|403)\b", message.text):
            self.console.append(message.text)

    def __call__(self, name: str) -> None:
        self.page.wait_for_load_state("networkidle")
        self.page.screenshot(path=str(self.artifacts / f"{name}.png"), full_page=True)
        results = AXE.run(self.page)
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == [], f"axe-core on {name} ({self.page.url}):\n" + "\n".join(bad)
        assert self.console == [], f"console errors on {name}: {self.console}"
        for text in ("OFFICIAL-SENSITIVE",):
            expect(self.page.locator(".maxim-classification").first).to_have_text(text)


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("user")).to_be_visible()


@pytest.fixture
def context(browser: Browser) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    yield ctx
    ctx.close()


def test_analyst_journey_from_intake_to_link_chart(context: Any, server: str, artifacts: Path) -> None:
    page = context.new_page()
    check = Checker(page, artifacts)
    page.goto(f"{server}/login")
    check("01-login")
    sign_in(page, server, "analyst")
    expect(page.get_by_test_id("user")).to_contain_text("Ann Analyst (demo) · SCD6-MAXIM")
    expect(page.get_by_role("heading", name="My unit's queue")).to_be_visible()
    check("02-home")

    page.get_by_role("link", name="Submit intelligence").first.click()
    expect(page.get_by_role("heading", name="Submit intelligence")).to_be_visible()
    # With JavaScript the C-code fields stay hidden until C is chosen.
    expect(page.locator("#handling_conditions")).to_be_hidden()
    check("03-submit-form")

    # A refused submission names each field in a GOV.UK error summary.
    page.get_by_label("Title").fill("")
    page.get_by_role("button", name="Submit intelligence").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Title: enter a short title")
    expect(summary).to_contain_text("Source evaluation")
    expect(summary).to_contain_text("Handling code")
    check("04-submit-refused")

    page.get_by_label("Title").fill("Women controlled at flat above nail bar")
    page.get_by_label("Originating unit or partner").select_option("SCD6-MAXIM")
    page.get_by_label("Source evaluation").select_option("2")
    page.get_by_label("Intelligence assessment").select_option("B")
    page.get_by_label(re.compile(r"^C – ")).check()
    expect(page.locator("#handling_conditions")).to_be_visible()
    page.get_by_label("Handling conditions (C only)").fill("Contact originator before any executive action")
    page.get_by_label("Action code (C only)").select_option("A2")
    page.get_by_label("Sanitisation code (C only)").select_option("S1")
    page.get_by_label("Trafficking in human beings").check()
    page.locator("#subject-1-name").fill("Testperson Alpha")
    page.locator("#subject-1-dob").fill("1984-03-02")
    page.locator("#subject-1-phone").fill("07700 900123")
    page.locator("#subject-1-role").select_option("suspect")
    page.get_by_label("Intelligence text").fill(
        "Phone 07700 900123 used by the controller; flat at SE1 7XX; car AB12 CDE seen outside."
    )
    page.get_by_role("button", name="Submit intelligence").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text("Report recorded")
    extracted = page.get_by_test_id("extracted")
    for value in ("+447700900123", "SE1 7XX", "AB12CDE"):
        expect(extracted).to_contain_text(value)
    expect(page.locator(".govuk-summary-list")).to_contain_text("2B C")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Contact originator before any executive action")
    check("05-report")
    report_url = page.url.split("?")[0]

    page.get_by_role("link", name="Testperson Alpha").first.click()
    expect(page.get_by_role("heading", name="Testperson Alpha")).to_be_visible()
    expect(page.get_by_test_id("links")).to_contain_text("Testperson Bravo")
    check("06-entity")

    page.get_by_role("link", name="Link chart").click()
    chart = page.locator("#chart-app")
    expect(chart).to_have_attribute("data-nodes", re.compile(r"^[3-9]|\d\d"))
    nodes_before = int(chart.get_attribute("data-nodes") or 0)
    bravo = page.evaluate("() => window.maximChart.cy.nodes().filter(n => n.data('label') === 'Testperson Bravo').id()")
    page.evaluate(f"() => {{ window.maximChart.cy.getElementById('{bravo}').select(); }}")
    page.get_by_role("button", name="Expand selected entity").click()
    expect(chart).not_to_have_attribute("data-nodes", str(nodes_before))
    labels = page.evaluate("() => window.maximChart.cy.nodes().map(n => n.data('label'))")
    assert "14 Example Road, London SE1 7XX" in labels  # reached only through Bravo
    page.evaluate("() => { window.maximChart.cy.edges().filter(e => e.data('type') === 'phone').first().select(); }")
    expect(page.get_by_test_id("edge-reports")).to_contain_text("Women controlled at flat above nail bar")
    page.get_by_label("phone").uncheck()
    # Cytoscape applies style changes on its next frame: wait for the phone links to disappear.
    page.wait_for_function("() => window.maximChart.cy.edges(\"[type = 'phone']\").every(e => e.hidden())")
    with page.expect_download() as png:
        page.get_by_role("button", name="Export PNG").click()
    assert png.value.suggested_filename.endswith(".png")
    check("07-link-chart")
    page.get_by_label("phone").check()

    page.go_back()
    page.get_by_role("link", name="Timeline").click()
    expect(page.get_by_role("link", name="Women controlled at flat above nail bar")).to_be_visible()
    check("08-timeline")

    page.get_by_role("link", name="Search").first.click()
    page.get_by_label("Words, names or identifiers").fill("Testperson Bravoo")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("entity-results")).to_contain_text("Testperson Bravo")
    expect(page.get_by_test_id("entity-results")).to_contain_text("similar name")
    page.get_by_label("Words, names or identifiers").fill("nail bar")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#results")).to_contain_text("Women controlled at flat above nail bar")
    check("09-search")

    response = page.goto(f"{report_url}/audit")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading")).to_contain_text("Only the data-protection officer may read the audit trail")
    check("10-audit-refused")


def test_the_data_protection_officer_reads_the_audit_trail(context: Any, server: str, artifacts: Path) -> None:
    page = context.new_page()
    check = Checker(page, artifacts)
    sign_in(page, server, "dpo")
    page.goto(f"{server}/search?q=car+wash")
    page.get_by_role("link", name="Controller seen at car wash").click()
    page.get_by_role("link", name="Audit trail").click()
    trail = page.get_by_test_id("audit-trail")
    expect(trail).to_contain_text("COLLECTION")
    expect(trail).to_contain_text("dpo")
    check("11-audit-trail")


def test_the_intake_form_works_without_javascript(browser: Browser, server: str, artifacts: Path) -> None:
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        sign_in(page, server, "intake")
        page.goto(f"{server}/reports/new")
        # Without JavaScript the C-code fields are in the page and explained.
        expect(page.locator("#handling_conditions")).to_be_visible()
        expect(page.get_by_text("If you choose C, complete the fields below")).to_be_visible()
        page.get_by_label("Title").fill("Minibus drops workers at factory")
        page.get_by_label("Originating unit or partner").select_option("SCD6-MAXIM")
        page.get_by_label("Source evaluation").select_option("1")
        page.get_by_label("Intelligence assessment").select_option("B")
        page.get_by_label(re.compile(r"^P – ")).check()
        page.get_by_label("Handling conditions (C only)").fill("ignored under P")
        page.get_by_label("People smuggling and organised facilitation of illegal immigration").check()
        page.get_by_label("Intelligence text").fill("Minibus AB12 CDE seen at 06:00.")
        page.get_by_role("button", name="Submit intelligence").click()
        expect(page.locator(".govuk-summary-list")).to_contain_text("1B P")
        expect(page.get_by_test_id("extracted")).to_contain_text("AB12CDE")
        page.screenshot(path=str(artifacts / "12-no-js-report.png"), full_page=True)
    finally:
        ctx.close()
