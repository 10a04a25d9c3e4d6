"""Schemathesis generates requests from our own OpenAPI document: whatever it sends, no 5xx.

Runs on SQLite (the PostgreSQL path shares every line of request handling); staff routes are called
with a real staff key so that the fuzzing reaches past the credential check. Schemathesis's own
pytest plugin does not run under pytest 9, so each operation's Hypothesis strategy is driven here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from zerowaste.service.config import Settings
from zerowaste.service.keys import create_key
from zerowaste.service.main import create_app

schemathesis = pytest.importorskip("schemathesis")


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    app = create_app(
        Settings(
            environment="test", database_url=f"sqlite:///{tmp / 'fuzz.db'}", data_dir=tmp, rate_limit="1000000/minute"
        )
    )
    with TestClient(app):  # runs the lifespan: migrations, rules, model
        with app.state.sessionmaker() as session:
            staff = {"Authorization": "Bearer " + create_key(session, "fuzzer", "staff")}
        yield app, staff


def test_no_server_errors_on_any_operation(fuzz_app: tuple[FastAPI, dict[str, str]]) -> None:
    app, staff = fuzz_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures: list[str] = []
    statuses: dict[int, int] = {}
    for op in operations:

        @given(case=op.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case) -> None:  # noqa: ANN001 - a schemathesis Case
            headers = staff if case.path.startswith("/v1/staff") else None
            response = case.call(headers=headers)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}")

        run()
    assert not failures, "\n".join(failures[:10])
    # The fuzzing got past validation too, not only into 4xx answers.
    assert sum(statuses.values()) >= 5 * len(operations), statuses
    assert statuses.get(200, 0) + statuses.get(201, 0) + statuses.get(204, 0) > 0, statuses
