"""Alembic makes what the ORM models describe, on SQLite and PostgreSQL; the newest migration also undoes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tests.utils.databases import database
from zerowaste.service.db.engine import make_engine
from zerowaste.service.db.migrate import alembic_config, upgrade
from zerowaste.service.db.models import Base

LABELLING = {"label_photo", "label_vote", "label_claim"}


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from database(request.param, tmp_path)


def test_migrations_at_head_match_the_models(fresh_url: str) -> None:
    upgrade(fresh_url)
    engine = make_engine(fresh_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], "the models and the migrations differ; add a migration:\n" + "\n".join(map(str, diff))


def test_the_labelling_migration_downgrades_and_upgrades_again(fresh_url: str) -> None:
    upgrade(fresh_url)
    engine = make_engine(fresh_url)
    try:
        assert LABELLING <= set(inspect(engine).get_table_names())
        command.downgrade(alembic_config(fresh_url), "0006")
        engine.dispose()
        assert not LABELLING & set(inspect(engine).get_table_names())
        upgrade(fresh_url)
        engine.dispose()
        assert LABELLING <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_processes_starting_together_on_a_fresh_database_all_migrate(fresh_url: str) -> None:
    """`zerowaste serve --workers 2` on a fresh data folder crashed one worker: both created
    alembic_version at once (issue 21, item 6). Four processes upgrading together now all succeed."""
    import subprocess
    import sys

    code = "import sys; from zerowaste.service.db.migrate import upgrade; upgrade(sys.argv[1])"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, fresh_url], stderr=subprocess.PIPE, text=True) for _ in range(4)
    ]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    engine = make_engine(fresh_url)
    try:
        assert LABELLING <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
