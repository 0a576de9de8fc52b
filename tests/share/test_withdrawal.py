"""Withdrawal and correction end to end, acknowledgements, and the package API."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from maxim.domain.errors import ValidationFailed
from maxim.reference import load_reference
from maxim.share.imports import Defaults, import_package
from maxim.share.service import build_package
from maxim.store.access import DataAccess, Forbidden
from maxim.store.share_access import NotFound, ShareAccess
from maxim.web.api_share import make_router
from tests.factories import c_coded, report
from tests.share.helpers import SIGNER, as_, submit, trust, unzip


def test_a_withdrawn_item_shows_on_the_record_and_the_next_package_carries_the_notice(access: DataAccess) -> None:
    first_id = submit(access, report(reference="LAM/W1"))
    second_id = submit(access, report(reference="LAM/W2", title="Second"))
    liaison = as_(access, "liz", "SCD6-MAXIM", "partner_liaison")
    share = ShareAccess(liaison)
    sent = build_package(liaison, "NCA", report_ids=[first_id], signer=SIGNER)
    share.acknowledge(sent.package_id, by="NCA intelligence hub, duty officer", at=access.clock(), note="received")
    share.withdraw(sent.package_id, first_id, kind="withdrawn", reason="source retracted the account")
    with pytest.raises(NotFound):
        share.withdraw(sent.package_id, second_id, kind="withdrawn", reason="never sent")
    with pytest.raises(Forbidden):
        ShareAccess(as_(access, "ian", "SCD6-MAXIM", "investigator")).withdraw(
            sent.package_id, first_id, kind="withdrawn", reason="x"
        )

    record = share.package(sent.package_id)
    assert [i["status"] for i in record["items"]] == ["withdrawn"]
    assert record["withdrawals"][0]["notified_in"] is None
    assert record["acknowledgements"][0]["acknowledged_by"] == "NCA intelligence hub, duty officer"

    # Another recipient's package does not carry NCA's notice; the next one to NCA does.
    other = unzip(build_package(liaison, "HOIE", report_ids=[second_id], signer=SIGNER).zip_bytes)
    assert json.loads(other["notices.json"]) == []
    following = build_package(liaison, "NCA", report_ids=[second_id], signer=SIGNER)
    (notice,) = json.loads(unzip(following.zip_bytes)["notices.json"])
    assert notice["notice"] == "withdrawn" and notice["reference"] == "LAM/W1"
    assert notice["package_id"] == sent.package_id and notice["reason"] == "source retracted the account"
    assert share.package(sent.package_id)["withdrawals"][0]["notified_in"] == following.package_id
    # Carried once: the package after that has no notice.
    assert (
        json.loads(
            unzip(build_package(liaison, "NCA", report_ids=[second_id], signer=SIGNER).zip_bytes)["notices.json"]
        )
        == []
    )

    # A correction names the correcting version; the recipient's Maxim reports the notice on import.
    share.withdraw(following.package_id, second_id, kind="corrected", reason="wrong date", corrected_by=first_id)
    carrier = build_package(liaison, "NCA", report_ids=[first_id], signer=SIGNER)
    trust(access, "OTHER-FORCE")
    result = import_package(
        access, carrier.zip_bytes, source="c.zip", partner="OTHER-FORCE", defaults=Defaults(), ref=load_reference()
    )
    assert [(n["notice"], n["corrected_by"]) for n in result.notices] == [("corrected", first_id)]


def _client(access: DataAccess, signing_key: Path) -> TestClient:
    app = FastAPI()

    @app.exception_handler(ValidationFailed)
    async def _invalid(request: Request, exc: ValidationFailed) -> JSONResponse:
        return JSONResponse({"errors": [{"field": e.field, "reason": e.reason} for e in exc.errors]}, 422)

    app.include_router(make_router(lambda: access, signing_key))
    return TestClient(app)


def test_package_api_create_list_withdraw_acknowledge(access: DataAccess, tmp_path: Path) -> None:
    rid = submit(access, report())
    blocked = submit(access, c_coded(reference="LAM/S2", sanitisation_code="S2"))
    http = _client(as_(access, "liz", "SCD6-MAXIM", "partner_liaison"), tmp_path / "signing.key")
    refused = http.post("/api/share/packages", json={"to": "NCA", "reports": [rid, blocked]})
    assert refused.status_code == 422
    assert "consulted" in refused.json()["errors"][0]["reason"]
    made = http.post("/api/share/packages", json={"to": "NCA", "reports": [rid], "purpose": "Op TESTCASE"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert "manifest.json" in unzip(base64.b64decode(body["zip_base64"]))
    pid = body["package_id"]
    assert [p["id"] for p in http.get("/api/share/packages").json()] == [pid]
    assert (
        http.post(f"/api/share/packages/{pid}/withdrawals", json={"report_id": rid, "reason": "retracted"}).status_code
        == 201
    )
    assert http.post(f"/api/share/packages/{pid}/acknowledgements", json={"by": "NCA hub"}).status_code == 201
    shown = http.get(f"/api/share/packages/{pid}").json()
    assert shown["items"][0]["status"] == "withdrawn" and shown["acknowledgements"][0]["acknowledged_by"] == "NCA hub"
    assert http.get("/api/share/packages/PKG-NONE").status_code == 404
    consult = {"report_id": blocked, "to": "NCA", "consulted": "BOCU-LAMBETH DI", "outcome": "approved"}
    assert http.post("/api/share/consultations", json=consult).status_code == 201
    assert http.post("/api/share/packages", json={"to": "NCA", "reports": [blocked]}).status_code == 201
    outsider = _client(as_(access, "ian", "SCD6-MAXIM", "investigator"), tmp_path / "signing.key")
    assert outsider.get("/api/share/packages").status_code == 403
    assert outsider.post("/api/share/packages", json={"to": "NCA", "reports": [rid]}).status_code == 403
