"""FastAPI dependencies: settings, a database session per request, the loaded classifier, the photo store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from zerowaste.model.runtime import Classifier
from zerowaste.service.batching import MicroBatcher
from zerowaste.service.config import Settings
from zerowaste.service.guidance import Guide
from zerowaste.service.photos import PhotoStore
from zerowaste.service.rules import MunicipalityRules


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as session:
        yield session


def get_classifier(request: Request) -> Classifier:
    """The stable channel's model (checked every ZEROWASTE_MODEL_FOLLOW_INTERVAL_S seconds)."""
    return request.app.state.served.get()  # type: ignore[no-any-return]


def get_photos(request: Request) -> PhotoStore:
    return request.app.state.photos  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
ClassifierDep = Annotated[Classifier, Depends(get_classifier)]
PhotosDep = Annotated[PhotoStore, Depends(get_photos)]
# A database row id in a path: bounded to what an INTEGER column holds, so a huge number is a 422, not a 500.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def get_rules(request: Request) -> MunicipalityRules:
    return request.app.state.rules  # type: ignore[no-any-return]


RulesDep = Annotated[MunicipalityRules, Depends(get_rules)]


def get_guide(request: Request, session: SessionDep, settings: SettingsDep) -> Guide:
    """The municipality's rules as of their current revision (kept per process, see GuideCache)."""
    return request.app.state.guides.get(session, settings.municipality)  # type: ignore[no-any-return]


GuideDep = Annotated[Guide, Depends(get_guide)]


def get_batcher(request: Request) -> MicroBatcher:
    return request.app.state.batcher  # type: ignore[no-any-return]


BatcherDep = Annotated[MicroBatcher, Depends(get_batcher)]
