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
