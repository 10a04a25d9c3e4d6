"""Alembic, driven from code: `zerowaste serve` and the tests migrate to head before anything else.

Several processes may start at once on a fresh database (`zerowaste serve --workers 2`, a deploy
that starts replicas together): each would create `alembic_version` and the tables, and all but one
crashed. `upgrade` therefore holds a lock while it migrates, an advisory lock on PostgreSQL and a
file lock beside the SQLite file, so the first migrates and the others find the database at head.
The service loads its municipality's rules under the same lock, for the same reason.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ALEMBIC_DIR = Path(__file__).resolve().parent.parent / "alembic"
ADVISORY_KEY = 0x7A65726F77  # "zerow": one lock id for this application's migrations


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@contextlib.contextmanager
def migration_lock(url: str) -> Iterator[None]:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_KEY})
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
        finally:
            engine.dispose()
    elif parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        import fcntl  # POSIX: the service's platforms

        lock_path = Path(str(parsed.database) + ".migrate-lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
    else:
        yield


def upgrade(url: str, revision: str = "head") -> None:
    with migration_lock(url):
        command.upgrade(alembic_config(url), revision)
