"""The entity-resolution pages: the canonical nominal, judgement forms, the known nominals of a
report after intake; on both engines, through the whole app as a browser or API client would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from maxim.domain.ids import mention_id
from maxim.reference import load_reference
from maxim.resolve.permissions import JUDGE_ROLES
from maxim.resolve.run import resolve
from maxim.settings import Settings
from maxim.store.access import DataAccess
from maxim.web.app import create_app
from tests.conftest import UserFactory
from tests.factories import c_coded, person, report
from tests.web.test_pages import FORM, client_for, session_client


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[object]:
    application = create_app(Settings(database_url=database_url, data_dir=tmp_path))
    yield application
    application.state.db.dispose()


def named(reference: str, name: str, **fields: Any) -> dict[str, Any]:
    """A P report from Lambeth naming one person (props in `fields` that are lists)."""
    props = {k: v for k, v in fields.items() if isinstance(v, list)}
    rest = {k: v for k, v in fields.items() if not isinstance(v, list)}
    return report(reference=reference, text="Named subject.", entities=[person("p1", name, **props)], **rest)


def submit(client: TestClient, body: dict[str, Any]) -> tuple[str, str]:
    """Submit through the API; the report id and the mention id of its person p1."""
    response = client.post("/api/reports", json=body)
    assert response.status_code == 201, response.text
    return response.json()["report_id"], mention_id(body["originator"], body["reference"], "p1")


@pytest.fixture
def known(app: object, access: DataAccess, make_user: UserFactory) -> dict[str, str]:
    """Three reports about two people, resolved: ZHANG Wei and Wei Chang are one nominal."""
    _, token = make_user("ann", "BOCU-LAMBETH", "analyst")  # the reports' own unit submits them
    client = client_for(app, token)
    ids: dict[str, str] = {}
    ids["ra"], ids["a"] = submit(client, named("A/1", "ZHANG Wei", birthDate=["1984-03-02"], phone=["07700 900123"]))
    ids["rb"], ids["b"] = submit(
        client,
        named("A/2", "Wei Chang", birthDate=["1984-03-02"], source_evaluation="1", intelligence_assessment="A"),
    )
    ids["rc"], ids["c"] = submit(client, named("A/3", "Wei Zhang", birthDate=["1961-07-19"]))
    resolve(access)
    return ids


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_the_canonical_page_lists_every_value_with_its_source_and_grading(
    app: object, known: dict[str, str], make_user: UserFactory
) -> None:
    _, token = make_user("ian", "SCD6-HTT", "investigator")
    client = client_for(app, token)
    a, b = known["a"], known["b"]
    page = client.get(f"/entities/{a}/canonical")
    assert page.status_code == 200, page.text
    html = page.text
    assert '<h1 class="govuk-heading-l">Wei Chang</h1>' in html  # the first spelling captions it
    spellings = html[html.index('data-testid="spellings"') :]
    assert "ZHANG Wei" in spellings and "Wei Chang" in spellings
    values = html[html.index('data-testid="values"') : html.index('id="mentions"')]
    assert "Birth date" in values and "1984-03-02" in values and "+447700900123" in values
    assert f'href="/reports/{known["ra"]}">BOCU-LAMBETH A/1</a>' in values and "2B P" in values
    assert f'href="/reports/{known["rb"]}">BOCU-LAMBETH A/2</a>' in values and "1A P" in values
    assert "(given as “07700 900123”)" in values
    mentions = html[html.index('data-testid="mentions"') :]
    assert f'href="/entities/{a}"' in mentions and f'href="/entities/{b}"' in mentions
    assert "Matched by the model" in mentions and re.search(r"\d+\.\d%", mentions)
    assert "No analyst has judged these mentions yet." in html
    assert html.count("Record judgement") >= 2  # an investigator may judge both members

    # The JSON twin is the API's canonical view, with what the page adds around it.
    twin = client.get(f"/entities/{a}/canonical.json").json()
    api = client.get(f"/api/entities/{a}/canonical").json()
    assert {k: twin[k] for k in api} == api
    assert twin["resolved"] is True and twin["may_judge"] is True
    assert {m["id"] for m in twin["mentions"]} == {a, b}
    # The canonical id and a member's id reach the same page; the entity page links to it.
    assert client.get(f"/entities/{twin['canonical_id']}/canonical.json").json()["mentions"] == twin["mentions"]
    assert f'href="/entities/{a}/canonical"' in client.get(f"/entities/{a}").text
    assert client.get("/entities/nothing/canonical").status_code == 404


def test_a_judgement_form_posts_redirects_and_shows_a_banner_and_the_ledger(
    app: object, known: dict[str, str], make_user: UserFactory
) -> None:
    make_user("ann2", "SCD6-MAXIM", "analyst")
    client, csrf = session_client(app, "ann2")
    a, c = known["a"], known["c"]
    page = client.get(f"/entities/{a}/canonical")
    assert csrf_of(page.text) == csrf
    form = {"csrf_token": csrf, "right_id": c, "judgement": "same", "reason": "custody photograph"}
    response = client.post(f"/entities/{a}/judgements", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert re.fullmatch(rf"/entities/{a}/canonical\?judged=\d+", response.headers["location"])
    judged = response.headers["location"].rsplit("=", 1)[1]
    after = client.get(response.headers["location"]).text
    assert "govuk-notification-banner--success" in after
    banner = after[after.index("govuk-notification-banner__heading") :]
    banner = banner[: banner.index("</p>")]
    assert f"Judgement #{judged} recorded: " in banner and "– same person." in banner
    assert "ZHANG Wei" in banner and "Wei Zhang" in banner
    view = client.get(f"/entities/{a}/canonical.json").json()
    assert c in {m["id"] for m in view["mentions"]}
    assert next(m for m in view["mentions"] if m["id"] == c)["origin"] == "judgement"
    ledger = after[after.index('data-testid="judgements"') :]
    assert f'id="judgement-{judged}"' in ledger and "ann2" in ledger and "custody photograph" in ledger
    assert "Current" in ledger

    # A changed mind is a new judgement: the first is stamped superseded, never edited.
    again = {**form, "judgement": "unsure", "reason": "second look"}
    second = client.post(f"/entities/{a}/judgements", data=again, follow_redirects=False)
    assert second.status_code == 303
    history = client.get(f"/entities/{a}/canonical.json").json()["judgements"]
    first = next(j for j in history if str(j["id"]) == judged)
    assert first["superseded_at"] is not None and first["superseded_by"] is not None
    assert f"Superseded</strong> by #{first['superseded_by']}" in client.get(f"/entities/{a}/canonical").text

    # The form needs its CSRF token; the return path can only be one of Maxim's own pages.
    assert client.post(f"/entities/{a}/judgements", data={**form, "csrf_token": ""}).status_code == 403
    away = client.post(
        f"/entities/{a}/judgements", data={**form, "return_to": "https://example.org/"}, follow_redirects=False
    )
    assert away.headers["location"].startswith(f"/entities/{a}/canonical?judged=")


def test_a_contradiction_is_refused_in_an_error_summary_naming_the_judgements(
    app: object, known: dict[str, str], make_user: UserFactory
) -> None:
    _, token = make_user("ann2", "SCD6-MAXIM", "analyst")
    client = client_for(app, token)
    a, b, c = known["a"], known["b"], known["c"]
    ids = []
    for left, right in ((a, b), (b, c)):
        done = client.post(f"/entities/{left}/judgements", data={"right_id": right, "judgement": "same"})
        assert done.status_code == 200, done.text  # followed to the page
        ids.append(int(str(done.url).rsplit("=", 1)[1]))
    refused = client.post(f"/entities/{a}/judgements", data={"right_id": c, "judgement": "not_same", "reason": "x"})
    assert refused.status_code == 409
    html = refused.text
    assert "<title>Error: " in html
    summary = html[html.index("govuk-error-summary") : html.index("</ul>", html.index("govuk-error-summary"))]
    assert "There is a problem" in summary
    assert f'href="#j-{a}-{c}-same"' in summary
    assert f"#{ids[0]} " in summary and f"#{ids[1]} " in summary
    assert f"{a} (ZHANG Wei)" in summary  # ids the reader can see are named
    # The form comes back open with what was typed, and the conflicting rows are marked.
    assert (
        f'id="j-{a}-{c}-error"' in html
        and f'id="j-{a}-{c}-not_same" name="judgement" type="radio" value="not_same" checked' in html
    )
    assert html.count("Conflicts with your judgement") == 2
    history = client.get(f"/entities/{a}/canonical.json").json()["judgements"]
    assert [j["judgement"] for j in history] == ["same", "same"]  # nothing recorded

    # No verdict chosen: refused with the field named, nothing recorded.
    empty = client.post(f"/entities/{a}/judgements", data={"right_id": c})
    assert empty.status_code == 422 and "Choose same person, not the same, or unsure" in empty.text


def test_only_roles_that_may_judge_see_the_forms_and_may_post(
    app: object, known: dict[str, str], make_user: UserFactory
) -> None:
    assert load_reference().roles.keys() >= JUDGE_ROLES  # the rule names only roles that exist
    a, c = known["a"], known["c"]
    for username, unit, role in (
        ("ivy", "SCD6-MAXIM", "intake_officer"),
        ("dee", "SCD6-MAXIM", "data_protection_officer"),
    ):
        assert role not in JUDGE_ROLES
        _, token = make_user(username, unit, role)
        client = client_for(app, token)
        page = client.get(f"/entities/{a}/canonical")
        assert page.status_code == 200 and "Record judgement" not in page.text
        refused = client.post(f"/entities/{a}/judgements", data={"right_id": c, "judgement": "same"})
        assert refused.status_code == 403
        assert "Only these roles may judge" in refused.text and "Intelligence analyst" in refused.text
    _, token = make_user("lee", "UKHTC", "analyst", external=True)
    assert (
        client_for(app, token).post(f"/entities/{a}/judgements", data={"right_id": c, "judgement": "same"}).status_code
        == 403
    )
    assert client_for(app, token).get(f"/entities/{a}/canonical").status_code == 404  # external: sees none of it


def test_values_from_a_report_without_need_to_know_never_reach_the_page(
    app: object, access: DataAccess, make_user: UserFactory
) -> None:
    _, owner = make_user("max", "SCD6-MAXIM", "analyst")
    _, borough = make_user("bo", "BOCU-LAMBETH", "investigator")
    maxim = client_for(app, owner)
    _, open_id = submit(maxim, named("OPEN/1", "Arben Hoxha", birthDate=["1979-11-23"], originator="SCD6-MAXIM"))
    secret = c_coded(
        originator="SCD6-MAXIM",
        reference="MAX/SECRET/1",
        share_with=[],
        text="Named subject.",
        entities=[person("p1", "Arben Hoxha", birthDate=["1979-11-23"], phone=["07700 900999"])],
    )
    _, secret_id = submit(maxim, secret)
    resolve(access)  # the clearinghouse sees both: one nominal
    seen = maxim.get(f"/entities/{open_id}/canonical.json").json()
    assert {m["id"] for m in seen["mentions"]} == {open_id, secret_id}
    assert "+447700900999" in maxim.get(f"/entities/{open_id}/canonical").text  # positive control

    lambeth = client_for(app, borough)
    for path in (
        f"/entities/{open_id}/canonical",
        f"/entities/{open_id}/canonical.json",
        f"/entities/{seen['canonical_id']}/canonical",
    ):
        body = lambeth.get(path).text
        assert "Arben Hoxha" in body
        for marker in ("+447700900999", "07700 900999", "MAX/SECRET/1", secret_id, "2B C"):
            assert marker not in body, (path, marker)
    assert lambeth.get(f"/entities/{secret_id}/canonical").status_code == 404
    # Nor can the borough judge a mention it cannot see: refused as if it did not exist.
    refused = lambeth.post(f"/entities/{open_id}/judgements", data={"right_id": secret_id, "judgement": "not_same"})
    assert refused.status_code == 422 and "you can see" in refused.text and "+447700900999" not in refused.text


def test_the_intake_result_lists_the_known_nominals_each_person_may_be(
    app: object, known: dict[str, str], make_user: UserFactory
) -> None:
    make_user("ivy", "SCD6-MAXIM", "intake_officer")
    make_user("ann2", "SCD6-MAXIM", "analyst")
    canonical = (
        client_for(app, make_user("ann3", "SCD6-MAXIM", "analyst")[1])
        .get(f"/entities/{known['a']}/canonical.json")
        .json()["canonical_id"]
    )

    # The same candidates as POST /api/reports returns at intake.
    _, token = make_user("ann4", "BOCU-LAMBETH", "analyst")
    api = client_for(app, token)
    body = named("A/9", "Chang Wei", birthDate=["1984-03-02"], phone=["+447700900123"])
    submitted = api.post("/api/reports", json=body).json()
    assert submitted["candidates"] and submitted["candidates"][0]["canonical_id"] == canonical
    twin = api.get(f"/reports/{submitted['report_id']}/candidates.json").json()
    [row] = twin["people"]
    assert [{k: c[k] for k in submitted["candidates"][0]} for c in row["candidates"]] == submitted["candidates"]

    # Through the intake form: the report page loads them in place, and links to them without JS.
    client, csrf = session_client(app, "ivy")
    form = {
        **FORM,
        "csrf_token": csrf,
        "reference": "MAX/WEB/9",
        "subject-1-name": "Chang Wei",
        "subject-1-dob": "1984-03-02",
        "subject-1-phone": "07700 900123",
    }
    response = client.post("/reports/new", data=form, follow_redirects=False)
    assert response.status_code == 303
    report_id = response.headers["location"].split("?")[0].rsplit("/", 1)[1]
    page = client.get(response.headers["location"]).text
    assert f'hx-get="/reports/{report_id}/candidates"' in page and 'hx-select="#candidates"' in page
    assert f'href="/reports/{report_id}/candidates"' in page
    assert 'hx-get="' not in client.get(f"/reports/{report_id}").text  # only just after intake
    listed = client.get(f"/reports/{report_id}/candidates").text
    cards = listed[listed.index('id="candidates"') :]
    candidate = next(c for c in row["candidates"] if c["canonical_id"] == canonical)
    assert f'href="/entities/{candidate["mention_id"]}/canonical">{candidate["caption"]}</a>' in cards
    assert "date of birth agrees exactly: +" in cards and re.search(r"\d+\.\d%", cards)
    assert "Record judgement" not in cards  # an intake officer records, an analyst judges

    # An analyst judges the new mention against the candidate from the same page.
    analyst, analyst_csrf = session_client(app, "ann2")
    new_mention = mention_id("SCD6-MAXIM", "MAX/WEB/9", "p1")
    listed = analyst.get(f"/reports/{report_id}/candidates").text
    assert "Record judgement" in listed and f'action="/entities/{new_mention}/judgements"' in listed
    judged = analyst.post(
        f"/entities/{new_mention}/judgements",
        data={
            "csrf_token": analyst_csrf,
            "right_id": candidate["mention_id"],
            "judgement": "same",
            "return_to": f"/reports/{report_id}/candidates",
        },
        follow_redirects=False,
    )
    assert judged.status_code == 303 and judged.headers["location"].startswith(
        f"/reports/{report_id}/candidates?judged="
    )
    back = analyst.get(judged.headers["location"]).text
    assert "recorded: " in back and "Chang Wei" in back and "– same person." in back
    assert f'href="/entities/{new_mention}/canonical">resolved nominal of Chang Wei</a>' in back
    joined = analyst.get(f"/entities/{new_mention}/canonical.json").json()["mentions"]
    assert {new_mention, candidate["mention_id"]} <= {m["id"] for m in joined}
    assert "Already resolved into this nominal" in back


def test_a_mention_not_yet_resolved_has_a_page_saying_so(app: object, make_user: UserFactory) -> None:
    _, token = make_user("ann", "BOCU-LAMBETH", "analyst")
    client = client_for(app, token)
    report_id, mention = submit(client, report(reference="N/1"))  # a person and an address
    page = client.get(f"/entities/{mention}/canonical")
    assert page.status_code == 200 and "has not been resolved yet" in page.text
    twin = client.get(f"/entities/{mention}/canonical.json").json()
    assert twin["resolved"] is False and twin["mentions"][0]["origin"] == "unresolved"
    assert client.get(f"/api/entities/{mention}/canonical").status_code == 404  # the API says so its way
    address = next(
        e["id"] for e in client.get(f"/reports/{report_id}.json").json()["entities"] if e["schema"] == "Address"
    )
    assert client.get(f"/entities/{address}/canonical").status_code == 404
    candidates = client.get(f"/reports/{report_id}/candidates").text
    assert "entity resolution has not run" in candidates
