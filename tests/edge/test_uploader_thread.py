"""The uploader's thread outlives a round that fails: it is a daemon, and had it ended, nothing would
say so while the weighings piled up on the device until the next restart."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from zerowaste.edge.queue import EventQueue
from zerowaste.edge.uploader import Backoff, Uploader
from zerowaste.wire import WEIGHINGS_PATH

pytestmark = pytest.mark.timeout(60)


def accepting_service(received: list[str]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == WEIGHINGS_PATH
        ids = [e["id"] for e in json.loads(request.content)["events"]]
        received.extend(ids)
        return httpx.Response(
            200,
            json={
                "server_time": dt.datetime.now(dt.UTC).isoformat(),
                "clock_offset_s": 0.0,
                "accepted": len(ids),
                "duplicates": 0,
                "rejected": 0,
                "results": [{"id": i, "status": "accepted"} for i in ids],
            },
        )

    return httpx.MockTransport(answer)


def test_a_round_that_raises_is_logged_and_the_thread_goes_on(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    queue = EventQueue(tmp_path / "queue.db")
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for event_id in ids:
        queue.put({"id": event_id, "bin": "bio-1"})
    asked = 0

    def donors() -> frozenset[str]:
        """The first round meets the withdrawal's write transaction in another process."""
        nonlocal asked
        asked += 1
        if asked == 1:
            raise sqlite3.OperationalError("database is locked")
        return frozenset()

    received: list[str] = []
    client = httpx.Client(base_url="http://service.test", transport=accepting_service(received))
    uploader = Uploader(queue, client, donors=donors, backoff=Backoff(base_s=0.01, cap_s=0.01))
    stop = threading.Event()
    thread = threading.Thread(target=uploader.run, args=(stop, 0.01), daemon=True)
    with caplog.at_level(logging.ERROR, logger="zerowaste.edge.uploader"):
        thread.start()
        deadline = time.monotonic() + 5
        while len(queue) and time.monotonic() < deadline:
            time.sleep(0.01)
        alive = thread.is_alive()
        stop.set()
        thread.join(timeout=10)
    assert alive and not thread.is_alive()
    assert sorted(received) == sorted(ids) and len(queue) == 0
    failed = [r for r in caplog.records if "upload round failed" in r.getMessage()]
    assert len(failed) == 1 and failed[0].exc_info is not None  # with its traceback
    assert asked > 1
    queue.close()
