"""JSON API of entity resolution: canonical view, judgements, real-time matches, batch runs.

Thin: each route parses, calls `maxim.resolve`, and shapes the answer. The data-access layer
comes from the dependency the application passes to `make_router`.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException
from pydantic import BaseModel

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.store.access import DataAccess, Forbidden

ADMIN_ROLE = "administrator"


class JudgementIn(BaseModel):
    left_id: str
    right_id: str
    judgement: str
    reason: str | None = None


class ResolveIn(BaseModel):
    engine: str = "duckdb"
    threshold: float = 0.8


def make_router(get_access: Callable[..., DataAccess]) -> APIRouter:
    router = APIRouter(tags=["resolution"])
    Access = Annotated[DataAccess, Depends(get_access)]

    @router.get("/api/entities/{entity_id}/canonical")
    def canonical(entity_id: str, data: Access) -> dict[str, Any]:
        """The canonical entity a mention belongs to, with every value, its report and grading.

        404 for a mention the reader may not see, as for one that does not exist: the answer
        would otherwise say which nominal the hidden mention belongs to.
        """
        from maxim.resolve.view import canonical_view

        found = canonical_view(data, entity_id)
        if found is None:
            raise HTTPException(404, "no such entity, or not resolved yet")
        return found

    @router.post("/api/judgements", status_code=201)
    def judge(data: Access, body: JudgementIn) -> dict[str, Any]:
        """Record same / not_same / unsure for two mentions; refused (409) if it contradicts others.

        Only the roles that judge may (`require_judge`, 403 in the error envelope otherwise): the
        same check as the judgement form, so the API is no way round it.
        """
        from maxim.resolve.judgements import Conflict, record_judgement
        from maxim.resolve.permissions import require_judge

        try:
            require_judge(data.actor)
        except Forbidden as exc:  # as the other API routers do, so the router answers 403 on its own too
            raise HTTPException(403, str(exc)) from exc
        try:
            done = record_judgement(data, body.left_id, body.right_id, body.judgement, body.reason)
        except Conflict as exc:
            raise HTTPException(409, {"message": str(exc), "conflicting_judgements": list(exc.judgements)}) from exc
        return {
            "id": done.judgement_id,
            "schema": done.schema,
            "left_canonical": done.left_canonical,
            "right_canonical": done.right_canonical,
        }

    @router.post("/api/match")
    def match(data: Access, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        """Candidates for the people a report (intake format, not stored) names, with explanations."""
        from datetime import UTC, datetime

        from maxim.intake.parse import parse_report
        from maxim.intake.statements import build_record
        from maxim.reference import load_reference
        from maxim.resolve.realtime import candidates_for

        record = build_record(
            parse_report(body, load_reference()), received_by=data.actor.username, now=datetime.now(UTC)
        )
        return {"candidates": [c.as_dict() for c in candidates_for(data, record)]}

    @router.post("/api/resolve")
    def run(data: Access, body: ResolveIn | None = None) -> dict[str, Any]:
        """Run batch resolution now (administrators only)."""
        from maxim.resolve.run import resolve
        from maxim.resolve.splink_engine import ENGINES

        if ADMIN_ROLE not in data.actor.roles:
            raise HTTPException(403, "only an administrator may run resolution")
        options = body or ResolveIn()
        if options.engine not in ENGINES:
            raise ValidationFailed([FieldError("engine", f"must be one of {', '.join(ENGINES)}")])
        if not 0 < options.threshold < 1:
            raise ValidationFailed([FieldError("threshold", "must be between 0 and 1")])
        s = resolve(data, engine=options.engine, threshold=options.threshold)
        return {
            "run_id": s.run_id,
            "engine": s.engine,
            "mentions": s.mentions,
            "canonical": s.canonical,
            "merged_clusters": s.merged_clusters,
            "unresolved": s.unresolved,
            "model": s.model_source,
        }

    return router
