"""The entity-resolution pages in Chromium: an analyst opens a resolved nominal, records a
judgement through the form (and sees a refused one explained), and after submitting a report
sees the known nominals its person may be, loaded in place by HTMX under the CSP. Every state
is screenshotted and checked by axe-core: no serious or critical violations, no console errors.

The journey's server holds a scenario but no resolution run; this module serves its own small
database, resolved before the server starts, so the nominals are known and few.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from maxim.domain.ids import mention_id
from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from maxim.resolve.run import resolve
from maxim.store.engine import connect
from tests.browser.conftest import seed_users, serving
from tests.browser.test_journey import Checker, sign_in
from tests.factories import person, report

pytestmark = pytest.mark.browser
PEOPLE = (
    ("RES/1", "ZHANG Wei", {"birthDate": ["1984-03-02"], "phone": ["07700 900123"]}),
    ("RES/2", "Wei Chang", {"birthDate": ["1984-03-02"]}),
    ("RES/3", "Wei Zhang", {}),  # no date of birth: a candidate, too uncertain to merge
)


def _seed(url: str) -> None:
    """Demo users, three reports naming two people, and a resolution run over them."""
    db = connect(url)
    try:
        access = seed_users(db)
        now = datetime.now(UTC)
        ref = load_reference()
        for reference, name, props in PEOPLE:
            raw = report(reference=reference, text="Named subject.", entities=[person("p1", name, **props)])
            access.submit([build_record(parse_report(raw, ref), received_by="admin", now=now)])
        resolve(access)
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def resolved_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("browser-resolution")
    url = f"sqlite:///{tmp / 'maxim.db'}"
    _seed(url)
    with serving(tmp, url) as base:
        yield base


@pytest.fixture
def context(browser: Browser) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


def test_an_analyst_judges_a_mention_on_the_canonical_page(context: Any, resolved_server: str, artifacts: Path) -> None:
    page = context.new_page()
    check = Checker(page, artifacts)
    sign_in(page, resolved_server, "analyst")
    first = mention_id("BOCU-LAMBETH", "RES/1", "p1")
    page.goto(f"{resolved_server}/entities/{first}")
    page.get_by_role("link", name="Resolved nominal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wei Chang")
    expect(page.get_by_test_id("values")).to_contain_text("BOCU-LAMBETH RES/1")
    expect(page.get_by_test_id("values")).to_contain_text("2B P")
    expect(page.get_by_test_id("mentions")).to_contain_text("Matched by the model")
    check("21-canonical")

    # Refused: no verdict chosen. The error summary names the field and the form stays open.
    forms = page.get_by_test_id("judge-mentions").locator("details")
    expect(forms).to_have_count(2)
    expect(page.get_by_test_id("candidate")).to_contain_text("Wei Zhang")  # another nominal it may be
    forms.nth(1).locator("summary").click()
    forms.nth(1).get_by_role("button", name="Record judgement").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Choose same person, not the same, or unsure")
    check("22-canonical-refused")

    # Recorded: "not the same" splits the nominal, and the banner says what was recorded.
    form = page.locator("details.maxim-judge[open]")
    form.get_by_label("Not the same").check()
    form.get_by_label("Reason (optional)").fill("different fathers' names on file")
    form.get_by_role("button", name="Record judgement").click()
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text(re.compile(r"Judgement #\d+ recorded: .* – not the same\."))
    expect(page.get_by_test_id("judgements")).to_contain_text("different fathers' names on file")
    expect(page.get_by_test_id("judgements")).to_contain_text("Current")
    expect(page.get_by_test_id("mentions").locator("tbody tr")).to_have_count(1)
    check("23-canonical-judged")


def test_the_report_page_after_intake_lists_known_nominals(context: Any, resolved_server: str, artifacts: Path) -> None:
    page = context.new_page()
    check = Checker(page, artifacts)
    sign_in(page, resolved_server, "analyst")
    page.goto(f"{resolved_server}/reports/new")
    page.get_by_label("Title").fill("Controller named by a second source")
    page.get_by_label("Originating unit or partner").select_option("SCD6-MAXIM")
    page.get_by_label("Source evaluation").select_option("2")
    page.get_by_label("Intelligence assessment").select_option("B")
    page.get_by_label(re.compile(r"^P – ")).check()
    page.get_by_label("Trafficking in human beings").check()
    page.locator("#subject-1-name").fill("Chang Wei")
    page.locator("#subject-1-dob").fill("1984-03-02")
    page.locator("#subject-1-phone").fill("07700 900123")
    page.locator("#subject-1-role").select_option("suspect")
    page.get_by_label("Intelligence text").fill("Chang Wei controls the flat.")
    page.get_by_role("button", name="Submit intelligence").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Report recorded")
    # Loaded in place by HTMX: the candidate card, with its explanation and a judgement form.
    card = page.get_by_test_id("candidate").first
    expect(card).to_contain_text("date of birth agrees exactly")
    expect(card).to_contain_text(re.compile(r"\d+\.\d%"))
    check("24-report-candidates")
    card.locator("summary").click()
    card.get_by_label("Same person").check()
    card.get_by_role("button", name="Record judgement").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("same person")
    expect(page.get_by_test_id("candidate").first).to_contain_text("Already resolved into this nominal")
    check("25-report-candidates-judged")
    page.get_by_role("link", name="resolved nominal of Chang Wei").click()
    expect(page.get_by_test_id("mentions")).to_contain_text("Chang Wei")
