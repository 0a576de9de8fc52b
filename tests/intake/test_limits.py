"""Size limits on one report (`maxim/reference/limits.yaml`): a report naming thousands of people,
or giving thousands of values, is refused whole with the field named and the reason in words,
nothing stored, through the parser, the API and a batch; the request body is capped before it
is parsed; a report at the limits is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from maxim.domain.errors import ValidationFailed
from maxim.intake.batch import ingest_file
from maxim.intake.parse import parse_report
from maxim.reference import load_reference
from maxim.reference.limits import load_limits
from maxim.settings import Settings
from maxim.store.access import DataAccess
from maxim.store.engine import Database
from maxim.store.tables import entities, reports, statements
from maxim.web.app import create_app
from tests.conftest import UserFactory
from tests.factories import person, report

REF = load_reference()
LIMITS = load_limits()


def people(n: int, **props: list[str]) -> list[dict[str, Any]]:
    return [person(f"p{i}", f"Testperson Number{i}", **props) for i in range(n)]


def refused(raw: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as info:
        parse_report(raw, REF)
    return [(e.field, e.reason) for e in info.value.errors]


def stored(db: Database) -> tuple[int, int, int]:
    with db.reader.connect() as conn:
        return tuple(  # type: ignore[return-value]
            int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in (reports, entities, statements)
        )


def test_the_limits_sit_far_above_a_real_report() -> None:
    assert (LIMITS.report_entities, LIMITS.report_statements) == (500, 5000)
    assert LIMITS.body_bytes == 2 * 2**20


def test_a_report_naming_more_entities_than_the_limit_is_refused_naming_the_field() -> None:
    assert refused(report(entities=people(LIMITS.report_entities + 1))) == [
        ("entities", "names 501 entities; a report may name at most 500: split it into several reports")
    ]


def test_twenty_thousand_people_are_refused_without_reading_each_of_them() -> None:
    # entities that would each be refused too are not read: the one reason is the size
    bad = [{"schema": "NoSuchSchema"}] * 20_000
    assert refused(report(entities=bad)) == [
        ("entities", "names 20,000 entities; a report may name at most 500: split it into several reports")
    ]


def test_a_report_giving_more_values_than_the_statement_limit_is_refused() -> None:
    names = [f"Alias {i}" for i in range(LIMITS.report_statements)]
    got = refused(report(entities=[person("p1", "Testperson Alpha", alias=names)]))
    assert got == [
        (
            "entities",
            "give 5,001 property values (one statement each); a report may give at most 5,000: "
            "split it into several reports",
        )
    ]


def test_a_report_at_the_limits_parses() -> None:
    each = LIMITS.report_statements // LIMITS.report_entities - 1  # the name, and this many phones
    phones = [f"07700 900{j:03d}" for j in range(each)]
    parsed = parse_report(report(entities=people(LIMITS.report_entities, phone=phones)), REF)
    assert len(parsed.entities) == LIMITS.report_entities
    assert sum(len(v) for e in parsed.entities for v in e.properties.values()) == LIMITS.report_statements


@pytest.fixture
def client(database_url: str, tmp_path: Path, make_user: UserFactory) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, data_dir=tmp_path))
    _, token = make_user("ann", "SCD6-MAXIM", "analyst")
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as test_client:
        yield test_client
    app.state.db.dispose()


def test_the_api_refuses_an_oversized_report_and_stores_nothing(client: TestClient, db: Database) -> None:
    response = client.post("/api/reports", json=report(entities=people(LIMITS.report_entities + 1)))
    assert response.status_code == 422
    assert response.json()["error"]["errors"] == [
        {
            "field": "entities",
            "reason": "names 501 entities; a report may name at most 500: split it into several reports",
        }
    ]
    assert stored(db) == (0, 0, 0)


def test_a_body_over_the_limit_is_refused_before_it_is_parsed(client: TestClient, db: Database) -> None:
    body = json.dumps(report(entities=people(20_000, phone=["07700 900123"]))).encode()
    assert len(body) > LIMITS.body_bytes  # the size of the report that once held the server
    expected = {
        "status": 413,
        "title": "The request is too large",
        "errors": [
            {"field": "body", "reason": "is larger than 2,097,152 bytes (2 MiB), the most one request may send"}
        ],
    }
    declared = client.post("/api/reports", content=body, headers={"Content-Type": "application/json"})
    assert (declared.status_code, declared.json()["error"]) == (413, expected)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for at in range(0, len(body), 65_536):
            yield body[at : at + 65_536]

    streamed = client.post("/api/reports", content=chunks(), headers={"Content-Type": "application/json"})
    assert (streamed.status_code, streamed.json()["error"]) == (413, expected)
    assert stored(db) == (0, 0, 0)


def test_a_report_at_the_limit_is_stored_through_the_api(client: TestClient, db: Database) -> None:
    # The client's own unit (SCD6-MAXIM): the only originator it may submit as.
    response = client.post(
        "/api/reports", json=report(originator="SCD6-MAXIM", entities=people(LIMITS.report_entities))
    )
    assert response.status_code == 201, response.text
    assert stored(db)[1] >= LIMITS.report_entities


def test_a_batch_rejects_the_oversized_row_and_keeps_the_others(
    tmp_path: Path, access: DataAccess, db: Database
) -> None:
    rows = [report(reference="R/1"), report(reference="R/2", entities=people(LIMITS.report_entities + 1))]
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    summary = ingest_file(path, access, REF)
    assert (summary.created, summary.rejected) == (1, 1)
    assert summary.first_errors == [
        "row 2: entities: names 501 entities; a report may name at most 500: split it into several reports"
    ]
    assert stored(db)[0] == 1
