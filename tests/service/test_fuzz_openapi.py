"""Schemathesis generates requests from our own OpenAPI document: whatever it sends, no 5xx.

Runs on SQLite (the PostgreSQL path shares every line of request handling); staff routes are called
with a real staff key so that the fuzzing reaches past the credential check.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from zerowaste.service.config import Settings
from zerowaste.service.main import create_app
from zerowaste.service.security import create_key

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.specs.openapi.checks import not_a_server_error  # noqa: E402

STAFF: dict[str, str] = {}


@pytest.fixture(scope="session")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    app = create_app(Settings(environment="test", database_url=f"sqlite:///{tmp / 'fuzz.db'}", data_dir=tmp,
                              rate_limit="1000000/minute"))
    with TestClient(app):  # runs the lifespan: migrations, rules, model
        with app.state.sessionmaker() as session:
            STAFF["Authorization"] = "Bearer " + create_key(session, "fuzzer", "staff")
        yield app


@pytest.fixture(scope="session")
def api_schema(fuzz_app: object):
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case) -> None:
    headers = STAFF if case.path.startswith("/v1/staff") else None
    case.call_and_validate(headers=headers, checks=[not_a_server_error])
