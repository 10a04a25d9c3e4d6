"""A batch that cannot go as a whole no longer blocks a device forever (issue 21, item 4): a scale that
once measured NaN put an event in the queue that is no JSON (the upload thread died on it), and a batch
the service refuses with 400/422 was resent at every interval. The uploader halves the batch until the culprit is alone,
sets it aside in the queue's quarantine (kept on the device, shown by `edge scale status`) and sends
the rest. A real service process on SQLite."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.utils.pilot import bearer, enrol, event
from tests.utils.server import Server, sqlite_service
from zerowaste.edge.queue import EventQueue
from zerowaste.edge.uploader import Backoff, Uploader


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    with sqlite_service(tmp_path) as running:
        yield running


def test_a_poison_event_is_quarantined_and_the_rest_get_through(server, tmp_path: Path) -> None:
    srv, staff = server
    with httpx.Client(base_url=srv.base, timeout=30) as c:
        home = enrol(c, staff)
    queue = EventQueue(tmp_path / "queue.db")
    good = [event(home, net_kg=0.5 + i / 10) for i in range(11)]
    poison = event(home, net_kg=math.nan)  # serialised as NaN: not JSON
    for e in [*good[:6], poison, *good[6:]]:
        queue.put(e)
    client = httpx.Client(base_url=srv.base, headers=bearer(home.device_token), timeout=30)
    uploader = Uploader(queue, client, donors=frozenset, batch_size=8, backoff=Backoff(base_s=0, cap_s=0))

    out = uploader.drain(max_batches=50)
    assert out.ok and len(queue) == 0, out
    assert out.acked == len(good)
    (kept,) = queue.quarantined()
    assert kept["id"] == poison["id"] and kept["reason"].startswith("not JSON")
    assert uploader.batch_size == 8  # back to full batches once the culprit is found
    with httpx.Client(base_url=srv.base, timeout=30) as c:
        rows = c.get("/v1/staff/exports/weighings.csv", headers=staff).text
    assert all(e["id"] in rows for e in good) and poison["id"] not in rows
