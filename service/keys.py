"""API keys for staff, devices, households and scrapers: random tokens, stored as SHA-256, with roles."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.orm import Session

from zerowaste.service.db.models import ApiKey

ROLES = ("admin", "staff", "device", "household", "metrics")
# Which roles may do what a role may do: an admin may do everything staff may do. `metrics` may only
# read /metrics (a Prometheus scraper's key), which staff may read too.
GRANTS = {
    "admin": {"admin", "staff", "metrics"},
    "staff": {"staff", "metrics"},
    "device": {"device"},
    "household": {"household"},
    "metrics": {"metrics"},
}
TOKEN_PREFIX = "zw_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_key(session: Session, name: str, role: str) -> tuple[ApiKey, str]:
    """Add a key to the session (not committed) and return it with its token, which is never stored."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, role=role, key_hash=hash_token(token))
    session.add(key)
    session.flush()
    return key, token


def create_key(session: Session, name: str, role: str) -> str:
    """Store a new key and return it; the plain token cannot be shown again."""
    _, token = new_key(session, name, role)
    session.commit()
    return token
