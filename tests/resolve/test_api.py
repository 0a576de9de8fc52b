"""The resolution API, mounted on a bare FastAPI app with the data-access layer as a dependency."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from maxim.domain.errors import ValidationFailed
from maxim.store.access import DataAccess
from maxim.web.api_resolution import make_router
from tests.conftest import UserFactory
from tests.factories import person, report
from tests.resolve.helpers import one


def client(access: DataAccess) -> TestClient:
    app = FastAPI()

    @app.exception_handler(ValidationFailed)
    async def _invalid(request: Request, exc: ValidationFailed) -> JSONResponse:
        return JSONResponse({"errors": [{"field": e.field, "reason": e.reason} for e in exc.errors]}, 422)

    app.include_router(make_router(lambda: access))
    return TestClient(app)


def test_resolve_match_judge_and_view(access: DataAccess, make_user: UserFactory) -> None:
    a = one(access, "A/1", "ZHANG Wei", birthDate=["1984-03-02"], phone=["07700 900123"])
    b = one(access, "A/2", "Wei Chang", birthDate=["1984-03-02"])
    c = one(access, "A/3", "Wei Zhang", birthDate=["1961-07-19"])
    http = client(access)
    ran = http.post("/api/resolve", json={"engine": "duckdb"})
    assert ran.status_code == 200, ran.text
    assert http.post("/api/resolve", json={"engine": "oracle"}).status_code == 422
    view = http.get(f"/api/entities/{a}/canonical").json()
    assert {m["id"] for m in view["mentions"]} == {a, b}
    assert "Wei Chang" in view["alternative_spellings"]
    assert http.get("/api/entities/nothing/canonical").status_code == 404
    body = report(reference="A/9", entities=[person("p1", "Chang Wei", birthDate=["1984-03-02"])])
    found = http.post("/api/match", json=body).json()["candidates"]
    assert found[0]["canonical_id"] == view["canonical_id"]
    assert found[0]["explanation"]
    assert http.post("/api/judgements", json={"left_id": a, "right_id": b, "judgement": "same"}).status_code == 403
    analyst, _ = make_user("ann", "SCD6-MAXIM", "analyst")
    http = client(DataAccess(access.db, analyst, channel="test"))  # administrators do not judge identity
    for left, right in ((a, b), (a, c)):
        same = http.post("/api/judgements", json={"left_id": left, "right_id": right, "judgement": "same"})
        assert same.status_code == 201, same.text
    refused = http.post("/api/judgements", json={"left_id": b, "right_id": c, "judgement": "not_same"})
    assert refused.status_code == 409
    assert refused.json()["detail"]["conflicting_judgements"]
