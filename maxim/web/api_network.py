"""JSON API for networks, harm scores, key nominals, evidence paths and deconfliction alerts (no
`from __future__ import annotations`: FastAPI reads the annotations at definition time).

Thin: each route calls `NetworkAccess`, which reads only what the actor may see. Networks are
read from what is stored for the actor's scope (computed on a scope's first request, kept up to
date as reports arrive); `?refresh=true` on the list recomputes them. A path reads only the
reports around its two ends, through the scope's stored node index, never the whole graph. An
unknown network or entity is 404, indistinguishable from one the actor may not see.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.store.access import DataAccess
from maxim.store.network_access import NetworkAccess
from maxim.web.models import AlertsOut, NetworkOut, NetworksOut, NominalsOut, PathOut


def make_router(get_access: Callable[..., DataAccess]) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["networks"])

    def network_access(access: Annotated[DataAccess, Depends(get_access)]) -> NetworkAccess:
        return NetworkAccess(access)

    Networks = Annotated[NetworkAccess, Depends(network_access)]

    @router.get(
        "/networks",
        summary="Networks the user may see, ranked by harm, each with its breakdown",
        response_model=NetworksOut,
    )
    def list_networks(
        store: Networks,
        top: Annotated[int, Query(ge=1, le=1000, description="How many of the highest-ranked networks")] = 50,
        refresh: Annotated[bool, Query(description="Recompute this scope's networks first")] = False,
    ) -> JSONResponse:
        if refresh or not store.is_computed():
            store.refresh()
        return _answer({"networks": store.ranked(top)})

    @router.get(
        "/networks/{network_id}",
        summary="A network: members, edges with their reports, key nominals",
        response_model=NetworkOut,
    )
    def get_network(store: Networks, network_id: str) -> JSONResponse:
        if not store.is_computed():  # stored results are read; the first request of a scope makes them
            store.refresh()
        found = store.network(network_id)
        if found is None:
            raise HTTPException(status_code=404, detail="no such network")
        return _answer(found)

    @router.get(
        "/networks/{network_id}/nominals",
        summary="Key nominals of a network with scores and roles",
        response_model=NominalsOut,
    )
    def get_nominals(store: Networks, network_id: str) -> JSONResponse:
        if not store.is_computed():
            store.refresh()
        found = store.network(network_id)
        if found is None:
            raise HTTPException(status_code=404, detail="no such network")
        return _answer({"network_id": network_id, "key_nominals": found["key_nominals"]})

    @router.get(
        "/path", summary="How is A connected to B: shortest paths with the reports per hop", response_model=PathOut
    )
    def get_path(
        store: Networks,
        from_: Annotated[str | None, Query(alias="from", description="An entity or node id (required)")] = None,
        to: Annotated[str | None, Query(description="An entity or node id (required)")] = None,
    ) -> JSONResponse:
        errors = []
        if not from_:
            errors.append(FieldError("from", "required: an entity or node id"))
        if not to:
            errors.append(FieldError("to", "required: an entity or node id"))
        if errors:
            raise ValidationFailed(errors)
        assert from_ is not None and to is not None
        if not store.is_computed():  # the stored node index lets a path read only around its ends
            store.refresh()
        found = store.path(from_, to)
        if found is None:
            raise HTTPException(status_code=404, detail="no such entity")
        return _answer(found)

    @router.get(
        "/deconfliction/alerts",
        summary="Deconfliction alerts for my unit and for reports I submitted",
        response_model=AlertsOut,
    )
    def alerts(store: Networks) -> JSONResponse:
        return _answer(
            {
                "alerts": [
                    {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in a.items()} for a in store.alerts()
                ]
            }
        )

    return router


def _answer(payload: dict[str, Any]) -> JSONResponse:
    """The payload as FastAPI would encode it; the route's model documents it, never filters it."""
    return JSONResponse(jsonable_encoder(payload))
