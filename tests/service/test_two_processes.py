"""Two service processes, started at the same moment on a fresh PostgreSQL database, one Redis and one
data folder, as a city's IT runs them behind a proxy: both come up (migrations and rules loaded once,
one signing key), share the rate limit and the rules, and a stopped process finishes what it took."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from tests.conftest import photos
from tests.utils.databases import postgres_database
from tests.utils.server import Server
from zerowaste.service.db.models import ModelVersion, Stream
from zerowaste.service.keys import create_key

REDIS_URL = os.environ.get("ZEROWASTE_TEST_REDIS", "redis://127.0.0.1:6379/14")  # this test's own database
LIMIT = 40  # requests per minute and client, counted across both processes


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL)
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("ZEROWASTE_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis required but unreachable at {REDIS_URL}: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    forget_counts(REDIS_URL)  # counts left by an earlier run within the minute
    return REDIS_URL


def forget_counts(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter("LIMITS*"):
        client.delete(key)


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from postgres_database()


def test_two_processes_share_database_redis_and_data(tmp_path: Path, pg_url: str, redis_url: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    servers = [
        Server(pg_url, data, cli=True, rate_limit=f"{LIMIT}/minute", rate_limit_storage=redis_url) for _ in range(2)
    ]
    try:
        with ThreadPoolExecutor(2) as pool:  # started at the same moment, on an empty database
            list(pool.map(lambda s: s.start(), servers))
        a, b = (httpx.Client(base_url=s.base, timeout=60) for s in servers)

        # Started together on an empty database: the rules and the registry's first model are there once.
        engine = create_engine(pg_url)
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(ModelVersion)) == 1
            assert session.scalar(select(func.count()).select_from(Stream).where(Stream.key == "restmuell")) == 1
            staff = {"Authorization": f"Bearer {create_key(session, 'staff-two-processes', 'staff')}"}
        engine.dispose()
        assert len(list(data.glob("*.key"))) <= 1  # one signing key, made by one of them

        # The rules: an edit through one process is the other's answer from its next request.
        def stream_of(client: httpx.Client, q: str) -> str:
            return str(client.get("/v1/search", params={"q": q}).json()["results"][0]["stream"]["key"])

        assert stream_of(a, "Korken") == stream_of(b, "Korken") == "recyclinghof"
        assert b.patch("/v1/staff/items/kork", json={"stream": "restmuell"}, headers=staff).status_code == 200
        assert stream_of(a, "Korken") == "restmuell"

        # Both classify; the rate limit is one count for the client, whichever process it reaches.
        photo = photos("garbage12", "shoes", n=1)[0].read_bytes()
        for client in (a, b):
            r = client.post("/v1/classify", files={"file": ("p.jpg", photo, "image/jpeg")})
            assert r.status_code == 200 and r.json()["top"][0]["label"] == "shoes"
        statuses = [(a if i % 2 else b).get("/v1/search", params={"q": "Glas"}).status_code for i in range(LIMIT)]
        assert statuses.count(429) >= 4  # 40 per minute in all, and 5 of them already spent above
        assert all(s in (200, 429) for s in statuses)

        # A process told to stop (a deploy, a restart) answers what it has taken before it goes; a
        # request after that finds the port closed, which a proxy retries on the other process.
        forget_counts(redis_url)
        with ThreadPoolExecutor(8) as pool:
            pending = [
                pool.submit(a.post, "/v1/classify", files={"file": ("p.jpg", photo, "image/jpeg")}) for _ in range(8)
            ]
            time.sleep(0.05)
            assert servers[0].proc is not None
            servers[0].proc.send_signal(signal.SIGTERM)
            answered = []
            for f in pending:
                try:
                    answered.append(f.result(60).status_code)
                except httpx.TransportError as exc:
                    answered.append(type(exc).__name__)
        # uvicorn shuts down gracefully, then raises the signal again so that the exit says why
        assert servers[0].proc.wait(30) in (0, -signal.SIGTERM)
        assert "Finished server process" in servers[0].log.read_text()
        # not taken (the port closed before it connected): safe for a proxy to send elsewhere
        assert all(s in (200, "ConnectError") for s in answered), answered
        assert answered.count(200) >= 1
        with pytest.raises(httpx.ConnectError):
            a.get("/v1/health")
        assert b.post("/v1/classify", files={"file": ("p.jpg", photo, "image/jpeg")}).status_code == 200
    finally:
        for server in servers:
            server.stop()
