"""FastAPI dependencies: everything a route needs from the app, typed (settings, a database session per
request, the served classifier, the rules, the photo and model stores, the signing key, the metrics).

The lifespan in `service/main.py` puts these objects on `app.state`; routes take them only through
the dependencies here, so a route's signature says what it uses and its types are checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, TypeVar, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session, sessionmaker

from zerowaste.model.runtime import Classifier
from zerowaste.service.batching import MicroBatcher
from zerowaste.service.config import Settings
from zerowaste.service.guidance import Guide, GuideCache
from zerowaste.service.metrics import Metrics
from zerowaste.service.model_store import ModelStore
from zerowaste.service.photos import PhotoStore
from zerowaste.service.rules import MunicipalityRules
from zerowaste.service.served_model import ServedModel

T = TypeVar("T")


def _state(request: Request, name: str, kind: type[T]) -> T:
    # Starlette's app.state is untyped; this is the one place it is read, and what it holds is checked.
    value = getattr(request.app.state, name)
    if not isinstance(value, kind):
        raise TypeError(f"app.state.{name} is a {type(value).__name__}, not a {kind.__name__}")
    return value


def get_app_settings(request: Request) -> Settings:
    return _state(request, "settings", Settings)


def get_sessionmaker(request: Request) -> sessionmaker[Session]:
    return cast("sessionmaker[Session]", request.app.state.sessionmaker)


def get_session(request: Request) -> Iterator[Session]:
    with get_sessionmaker(request)() as session:
        yield session


def get_classifier(request: Request) -> Classifier:
    """The stable channel's model (checked every ZEROWASTE_MODEL_FOLLOW_INTERVAL_S seconds)."""
    return _state(request, "served", ServedModel).get()


def get_photos(request: Request) -> PhotoStore:
    return _state(request, "photos", PhotoStore)


def get_rules(request: Request) -> MunicipalityRules:
    return _state(request, "rules", MunicipalityRules)


def get_model_store(request: Request) -> ModelStore:
    return _state(request, "model_store", ModelStore)


def get_signing_key(request: Request) -> Ed25519PrivateKey:
    key = request.app.state.signing_key
    if not isinstance(key, Ed25519PrivateKey):  # an abstract class: _state's type[T] cannot name it
        raise TypeError(f"app.state.signing_key is a {type(key).__name__}")
    return key


def get_metrics(request: Request) -> Metrics:
    return _state(request, "metrics", Metrics)


def get_batcher(request: Request) -> MicroBatcher:
    return _state(request, "batcher", MicroBatcher)


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
SessionmakerDep = Annotated[sessionmaker[Session], Depends(get_sessionmaker)]
SessionDep = Annotated[Session, Depends(get_session)]
ClassifierDep = Annotated[Classifier, Depends(get_classifier)]
PhotosDep = Annotated[PhotoStore, Depends(get_photos)]
RulesDep = Annotated[MunicipalityRules, Depends(get_rules)]
ModelStoreDep = Annotated[ModelStore, Depends(get_model_store)]
SigningKeyDep = Annotated[Ed25519PrivateKey, Depends(get_signing_key)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
BatcherDep = Annotated[MicroBatcher, Depends(get_batcher)]
# A database row id in a path: bounded to what an INTEGER column holds, so a huge number is a 422, not a 500.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def get_guide(request: Request, session: SessionDep, settings: SettingsDep) -> Guide:
    """The municipality's rules as of their current revision (kept per process, see GuideCache)."""
    return _state(request, "guides", GuideCache).get(session, settings.municipality)


GuideDep = Annotated[Guide, Depends(get_guide)]
