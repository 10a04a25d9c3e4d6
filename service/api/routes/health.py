from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy import text

from zerowaste.service import schemas
from zerowaste.service.api.deps import ClassifierDep, SessionDep, SettingsDep
from zerowaste.service.api.tags import Tags
from zerowaste.service.db.models import Municipality

router = APIRouter(tags=[Tags.health])


@router.get("/health", response_model=schemas.Health, summary="The process is alive")
def health() -> schemas.Health:
    return schemas.Health(status="ok")


@router.get(
    "/ready",
    response_model=schemas.Readiness,
    summary="Database reachable, rules and model loaded",
    responses={503: {"description": "not ready; the detail says why"}},
)
def ready(session: SessionDep, classifier: ClassifierDep, settings: SettingsDep) -> schemas.Readiness:
    try:
        session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any database failure means "not ready"
        raise HTTPException(503, f"database unreachable: {type(exc).__name__}") from exc
    if session.get(Municipality, settings.municipality) is None:
        raise HTTPException(503, f"rules for {settings.municipality!r} not loaded")
    return schemas.Readiness(
        status="ready",
        database=session.get_bind().dialect.name,
        model_sha256=classifier.sha256,
        municipality=settings.municipality,
    )
