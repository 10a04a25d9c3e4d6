"""API keys checked per request: the bearer token's key (service/keys.py) must grant the route's role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from zerowaste.service.api.deps import SessionDep
from zerowaste.service.db.models import ApiKey, Device, Household
from zerowaste.service.keys import GRANTS, hash_token

_bearer = HTTPBearer(auto_error=False, description="an API key from `zerowaste keys create`")


def require_role(role: str) -> Callable[..., ApiKey]:
    def check(
        session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> ApiKey:
        if credentials is None:
            raise HTTPException(
                401, "credentials required: Authorization: Bearer <api key>", headers={"WWW-Authenticate": "Bearer"}
            )
        key = session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_token(credentials.credentials))).first()
        if key is None or key.revoked:
            raise HTTPException(401, "unknown or revoked api key", headers={"WWW-Authenticate": "Bearer"})
        if role not in GRANTS.get(key.role, set()):
            raise HTTPException(403, f"this key has role {key.role!r}; {role!r} is needed")
        return key

    return check


StaffDep = Annotated[ApiKey, Depends(require_role("staff"))]
AdminDep = Annotated[ApiKey, Depends(require_role("admin"))]


Owner = TypeVar("Owner", Device, Household)


def _key_owner(model: type[Owner], role: str, missing: str) -> Callable[..., Owner]:
    """A dependency giving the device or household a key of `role` belongs to."""

    # The dependency is a default, not an annotation: annotations are resolved from module globals.
    def owner(session: SessionDep, key: ApiKey = Depends(require_role(role))) -> Owner:  # noqa: B008
        row = session.scalars(select(model).where(model.api_key_id == key.id)).first()
        if row is None:
            raise HTTPException(403, missing)
        return row

    return owner


DeviceDep = Annotated[Device, Depends(_key_owner(Device, "device", "this device key belongs to no registered device"))]
HouseholdDep = Annotated[
    Household, Depends(_key_owner(Household, "household", "this household key belongs to no household (deleted?)"))
]
