"""The page tests' service: one SQLite app per test module, served by a real uvicorn thread."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.utils.browser import serving
from zerowaste.service.config import Settings
from zerowaste.service.main import create_app


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Settings:
    tmp = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    return Settings(environment="test", database_url=f"sqlite:///{tmp / 'web.db'}", data_dir=tmp)


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[str]:
    with serving(create_app(settings)) as url:
        yield url
