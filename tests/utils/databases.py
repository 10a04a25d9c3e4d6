"""Fresh databases for tests: a temporary SQLite file, or a new database on the real PostgreSQL of
this machine (127.0.0.1:5432, trust auth), dropped afterwards. Where no server answers the
PostgreSQL tests skip, unless ZEROWASTE_REQUIRE_POSTGRES=1 (.ci/run sets it), where they fail."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG_ADMIN_URL = os.environ.get("ZEROWASTE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def postgres_database() -> Iterator[str]:
    name = f"zerowaste_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server
        if os.environ.get("ZEROWASTE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required but unreachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL}: {type(exc).__name__}")
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'zerowaste.db'}"
    else:
        yield from postgres_database()
