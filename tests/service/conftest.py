"""The service under test runs on SQLite and on the real PostgreSQL of this machine
(one fresh database per test session; see tests/utils/databases.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.utils.databases import database
from zerowaste.service.config import Settings
from zerowaste.service.main import create_app


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from database(request.param, tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        data_dir=Path(tmp_path_factory.mktemp("data")),
        max_upload_bytes=2 * 1024 * 1024,
        max_upload_pixels=30_000_000,
        rate_limit="100000/minute",
        max_event_age_days=365,  # the weekly tests weigh up to 30 weeks back
    )  # the suite itself would trip the default


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c
