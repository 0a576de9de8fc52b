"""JSON API for dissemination packages (no `from __future__ import annotations`: FastAPI reads
the annotations at definition time).

Thin: each route parses the request and calls `maxim.share.service` or `ShareAccess`. A package
that may not go is 422 with every blocked report and reason in the error envelope; the zip
itself is returned base64-encoded with its manifest hash, and is also on the sender's record.
Imports are CLI-only (`maxim import ...`): they read files and are all-or-nothing batches.
"""

import base64
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.share.service import PackageBlocked, build_package, package_summary
from maxim.share.signing import SigningKeyError, installation_key
from maxim.store.access import DataAccess, Forbidden
from maxim.store.share_access import NetworkUnavailable, NotFound, ShareAccess


class PackageIn(BaseModel):
    to: str = Field(description="Partner code (partners.yaml) or unit code.")
    reports: list[str] = Field(default_factory=list)
    entities: list[str] = Field(default_factory=list)
    network: str | None = None
    purpose: str | None = None
    transfer_basis: str | None = None
    exclude_blocked: bool = False


class ConsultationIn(BaseModel):
    report_id: str
    to: str
    consulted: str
    outcome: str
    consulted_at: datetime | None = None
    note: str | None = None


class ReleaseIn(BaseModel):
    report_id: str
    entity_id: str
    to: str
    reason: str


class WithdrawIn(BaseModel):
    report_id: str
    reason: str
    corrected_by: str | None = None


class AckIn(BaseModel):
    by: str
    at: datetime | None = None
    note: str | None = None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except PackageBlocked as exc:
        raise ValidationFailed([FieldError(what, why) for what, why in exc.blocked]) from exc
    except Forbidden as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from exc
    except SigningKeyError as exc:  # the server's key file, not the request, is wrong
        raise HTTPException(status_code=500, detail=str(exc)) from exc
    except (NotFound, NetworkUnavailable) as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except ValueError as exc:
        raise ValidationFailed([FieldError("request", str(exc))]) from exc


def make_router(get_access: Callable[..., DataAccess], signing_key: Path) -> APIRouter:
    """The share routes; packages are signed with the installation key at `signing_key` (settings)."""
    router = APIRouter(prefix="/api/share", tags=["share"])
    Access = Annotated[DataAccess, Depends(get_access)]

    @router.post("/packages", status_code=201, summary="Build, record and log a package for a recipient")
    def create_package(access: Access, body: PackageIn) -> Any:
        with _errors():
            result = build_package(
                access,
                body.to,
                signer=installation_key(signing_key),
                report_ids=body.reports,
                entity_ids=body.entities,
                network_id=body.network,
                purpose=body.purpose,
                transfer_basis=body.transfer_basis,
                exclude_blocked=body.exclude_blocked,
            )
        return {**package_summary(result), "zip_base64": base64.b64encode(result.zip_bytes).decode("ascii")}

    @router.get("/packages", summary="Packages sent, newest first")
    def list_packages(access: Access, to: str | None = None) -> Any:
        with _errors():
            return _jsonable(ShareAccess(access).packages(to))

    @router.get("/packages/{package_id}", summary="A package's record: items, withdrawals, acknowledgements")
    def show_package(access: Access, package_id: str) -> Any:
        with _errors():
            return _jsonable(ShareAccess(access).package(package_id))

    @router.post("/packages/{package_id}/withdrawals", status_code=201, summary="Withdraw or correct a sent item")
    def withdraw(access: Access, package_id: str, body: WithdrawIn) -> Any:
        kind = "corrected" if body.corrected_by else "withdrawn"
        with _errors():
            number = ShareAccess(access).withdraw(
                package_id, body.report_id, kind=kind, reason=body.reason, corrected_by=body.corrected_by
            )
        return {"id": number, "kind": kind}

    @router.post("/packages/{package_id}/acknowledgements", status_code=201, summary="Record an acknowledgement")
    def acknowledge(access: Access, package_id: str, body: AckIn) -> Any:
        with _errors():
            number = ShareAccess(access).acknowledge(
                package_id, by=body.by, at=body.at or access.clock(), note=body.note
            )
        return {"id": number}

    @router.post("/consultations", status_code=201, summary="Record an originator-consulted decision")
    def consult(access: Access, body: ConsultationIn) -> Any:
        with _errors():
            number = ShareAccess(access).record_consultation(
                body.report_id,
                body.to,
                consulted=body.consulted,
                consulted_at=body.consulted_at or access.clock(),
                outcome=body.outcome,
                note=body.note,
            )
        return {"id": number}

    @router.post("/victim-releases", status_code=201, summary="Release a victim's details to the next package")
    def release(access: Access, body: ReleaseIn) -> Any:
        with _errors():
            number = ShareAccess(access).record_release(body.to, body.report_id, body.entity_id, body.reason)
        return {"id": number}

    return router
