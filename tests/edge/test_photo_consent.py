"""The bio-bin frame never leaves the device without the household's consent (issue 25).

The real agent (simulated scale and camera, the shipped contamination model), its SQLite queue and
the real uploader talk HTTP to a real service process. Every request that leaves the device is
recorded on the wire. Without consent no request carries image bytes and no frame is ever written
on the device; with consent each assessed event's frame arrives exactly once, through a dropped
network and lost answers, and the device's copy is gone once the service acknowledged it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.utils.donated import QUEUE_FILES, bio_bin, carrying_images, files_on, stored
from tests.utils.network import Wire
from tests.utils.pilot import Enrolled, bearer, enrol
from tests.utils.server import Server, sqlite_service
from zerowaste.edge.agent import AgentConfig, ScaleAgent
from zerowaste.edge.queue import EventQueue
from zerowaste.edge.uploader import Backoff, Uploader
from zerowaste.model.contamination import ContaminationModel

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    with sqlite_service(tmp_path) as running:
        yield running


def device(tmp_path: Path, srv: Server, home: Enrolled, consent: bool) -> tuple[AgentConfig, Wire, Uploader]:
    days = 4
    config = AgentConfig.model_validate(
        {
            "device_id": home.device,
            "server_url": srv.base,
            "queue_path": str(tmp_path / "device" / "queue.db"),
            "bins": [bio_bin(home.bins["bio"], time.time() - days * 86_400, days, consent)],
        }
    )
    wire = Wire()
    client = httpx.Client(base_url=srv.base, headers=bearer(home.device_token), transport=wire, timeout=30)
    queue = EventQueue(config.queue_path)
    uploader = Uploader(queue, client, donors=config.donating_bins, batch_size=3, backoff=Backoff(base_s=0, cap_s=0))
    return config, wire, uploader


@pytest.mark.parametrize("consent", [False, True], ids=["no-consent", "consent"])
def test_the_frame_leaves_the_device_only_with_consent(
    service: tuple[Server, dict[str, str]], tmp_path: Path, contamination_model: ContaminationModel, consent: bool
) -> None:
    srv, staff = service
    with httpx.Client(base_url=srv.base, timeout=30) as c:
        home = enrol(c, staff, streams=("bio",))
    config, wire, uploader = device(tmp_path, srv, home, consent)
    agent = ScaleAgent(config, uploader.queue)
    agent.replay_until(float("inf"))
    events = {e["id"]: e for e in agent.queue.peek(10_000)}
    assessed = {i for i, e in events.items() if "quality" in e}
    assert assessed and all(e["quality"]["photo_donated"] is consent for e in events.values() if "quality" in e)
    assert all(e["kind"] == "deposit" for i, e in events.items() if i in assessed)

    wire.down = True  # the uplink is down: nothing goes, nothing is lost
    assert not uploader.drain().ok
    wire.down, wire.lose_answers = False, 0.3  # back, but answers get lost after the service acted
    for _ in range(30):
        uploader.drain()
    wire.lose_answers = 0.0
    out = uploader.drain()
    assert out.ok and len(uploader.queue) == 0, out

    rows = stored(srv, set(events))
    assert set(rows) == set(events)  # every event, with its quality, once
    for event_id in assessed:
        assert rows[event_id].quality is not None
        assert rows[event_id].quality["model_sha256"] == contamination_model.sha256
    puts = [(path, body) for method, path, body in wire.sent if method == "PUT"]
    with_images = carrying_images(wire.sent)

    if not consent:
        assert puts == [] and with_images == []
        assert all(w.photo_key is None for w in rows.values())
        assert files_on(tmp_path / "device") <= QUEUE_FILES  # no frame was ever written on the device
        assert not config.photo_dir().exists()
        return

    # Consent: one frame per assessed event stored by the service, sent again only where an answer was lost.
    assert wire.lost > 0
    assert {w.event_id for w in rows.values() if w.photo_key is not None} == assessed
    assert {path.split("/")[-2] for path, _ in puts} == assessed
    assert set(with_images) == {path for path, _ in puts}  # frames travel only in their own PUT
    assert all(body[:3] == b"\xff\xd8\xff" for _, body in puts)
    # Each event's resends carry the same frame.
    by_event: dict[str, set[bytes]] = {}
    for path, body in puts:
        by_event.setdefault(path, set()).add(body)
    assert all(len(bodies) == 1 for bodies in by_event.values())
    # Acknowledged: the device keeps no copy.
    assert uploader.queue.photos() == []
    assert files_on(tmp_path / "device") <= QUEUE_FILES
