"""A household withdraws its photo consent (GDPR Art. 7(3)): no frame taken before leaves the device.

Frames are taken with consent while the service cannot be reached; the household's camera config then
says `donate_photos: false` and the agent restarts. The real agent (simulated scale and camera, the
shipped contamination model), its queue and the real uploader talk HTTP to a real service process,
every request recorded on the wire: no image is ever sent, no frame is left on the device, and every
weighing still arrives with its quality. The uploader also asks at the moment each frame would go, so
a withdrawal saved while a round runs stops the next frame, and consent is per bin's camera.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.utils.donated import QUEUE_FILES, bio_bin, carrying_images, files_on, pre_bin_queue, stored
from tests.utils.network import Wire
from tests.utils.pilot import bearer, enrol
from tests.utils.server import Server, sqlite_service
from zerowaste.edge import photos
from zerowaste.edge.agent import ScaleAgent, donors_in, load_config
from zerowaste.edge.queue import EventQueue
from zerowaste.edge.scales import ScaleReader
from zerowaste.edge.uploader import Backoff, Uploader
from zerowaste.model.contamination import ContaminationModel
from zerowaste.wire import DONATED_PHOTO_PATH

pytestmark = pytest.mark.timeout(300)
DAY = 86_400
JPEG = b"\xff\xd8\xff\xe0 a frame"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    with sqlite_service(tmp_path) as running:
        yield running


def write_config(path: Path, config: dict[str, Any], **consent: bool) -> None:
    """The agent's YAML with each named bin's camera consent set, saved as the household's app would."""
    for b in config["bins"]:
        if b["id"] in consent:
            b["camera"]["donate_photos"] = consent[b["id"]]
    path.write_text(yaml.safe_dump(config))


def test_withdrawn_consent_keeps_every_earlier_frame_on_the_device(
    service: tuple[Server, dict[str, str]],
    tmp_path: Path,
    contamination_model: ContaminationModel,
    caplog: pytest.LogCaptureFixture,
) -> None:
    srv, staff = service
    with httpx.Client(base_url=srv.base, timeout=30) as c:
        home = enrol(c, staff, streams=("bio",))
    bio, days = home.bins["bio"], 6
    start = time.time() - days * DAY
    device_dir = tmp_path / "device"
    config_path = tmp_path / "scale.yaml"
    config: dict[str, Any] = {
        "device_id": home.device,
        "server_url": srv.base,
        "queue_path": str(device_dir / "queue.db"),
        "bins": [bio_bin(bio, start, days)],
    }
    write_config(config_path, config, **{bio: True})
    wire = Wire()
    client = httpx.Client(base_url=srv.base, headers=bearer(home.device_token), transport=wire, timeout=30)
    created: dict[str, dict[str, Any]] = {}

    def start_agent(scales: dict[str, ScaleReader] | None = None) -> tuple[ScaleAgent, Uploader]:
        """What `zerowaste edge scale run` builds from the config file; the scale outlives a restart."""
        loaded = load_config(config_path)
        queue = EventQueue(loaded.queue_path)
        backoff = Backoff(base_s=0, cap_s=0)
        uploader = Uploader(queue, client, donors=donors_in(config_path), batch_size=3, backoff=backoff)
        return ScaleAgent(loaded, queue, scales), uploader

    def seen(agent: ScaleAgent) -> None:  # every event sits in the queue at least until the next upload
        created.update({e["id"]: e for e in agent.queue.peek(10_000)})

    # With consent: the first events reach the service before their frames (batches go first), then
    # the service is gone; more frames are taken while it cannot be reached.
    agent, uploader = start_agent()
    agent.replay_until(start + 2 * DAY)
    seen(agent)
    first = uploader.upload_batch()
    assert first.ok and first.acked == 3
    srv.stop()
    agent.replay_until(start + 4 * DAY)
    seen(agent)
    assert not uploader.drain().ok
    assessed = {i for i, e in created.items() if "quality" in e}
    assert all(created[i]["quality"]["photo_donated"] for i in assessed)
    waiting = agent.queue.photos()
    assert {i for i, _ in waiting} == assessed and all(p.is_file() for _, p in waiting)
    sent_first = {i for i in created if i not in {e["id"] for e in agent.queue.peek(10_000)}}
    assert sent_first & assessed  # some frames wait for an event the service already has

    # The household withdraws; the agent restarts (its process died with the old config).
    write_config(config_path, config, **{bio: False})
    agent.queue.close()
    with caplog.at_level(logging.INFO, logger="zerowaste.edge.photos"):
        agent, uploader = start_agent(agent.scales)
    assert agent.queue.photos() == [] and files_on(device_dir) <= QUEUE_FILES  # before any upload
    withdrawn = [r.getMessage() for r in caplog.records if "consent withdrawn" in r.getMessage()]
    assert withdrawn == [
        f"photo consent withdrawn: deleted {len(assessed)} donated frames that had not left the device"
    ]
    queued = {e["id"]: e for e in agent.queue.peek(10_000)}
    assert all(not e["quality"]["photo_donated"] for e in queued.values() if "quality" in e)
    agent.replay_until(float("inf"))  # and weighs on, without frames
    seen(agent)
    later = {i for i, e in created.items() if "quality" in e} - assessed
    assert later and all(not created[i]["quality"]["photo_donated"] for i in later)

    srv.start()  # the service is back
    for _ in range(10):
        out = uploader.drain()
        if out.ok and len(uploader.queue) == 0:
            break
    assert out.ok and len(uploader.queue) == 0, out

    assert carrying_images(wire.sent) == []  # not one image, not even an attempt while it was down
    assert [path for method, path, _ in wire.sent if method == "PUT"] == []
    assert files_on(device_dir) <= QUEUE_FILES and uploader.queue.photos() == []
    rows = stored(srv, set(created))
    assert set(rows) == set(created)  # every weighing, once
    for event_id in assessed | later:
        quality = rows[event_id].quality
        assert quality is not None and quality["model_sha256"] == contamination_model.sha256
        assert rows[event_id].photo_key is None
        # What the service had before the withdrawal says donated (it waits for no frame); the rest not.
        assert quality["photo_donated"] is (event_id in sent_first)


def test_a_withdrawal_during_an_upload_round_stops_the_next_frame(tmp_path: Path) -> None:
    """No restart: the config file changes between two PUTs of one round; consent is per bin."""
    config_path = tmp_path / "scale.yaml"
    config: dict[str, Any] = {
        "device_id": "scale-1",
        "server_url": "https://service.test",
        "queue_path": str(tmp_path / "queue.db"),
        "bins": [
            {"id": b, "stream": "bio", "driver": {"type": "simulated"}, "camera": {"kind": "simulated", "frames": "."}}
            for b in ("bio-a", "bio-b", "bio-c")
        ],
    }
    write_config(config_path, config, **{"bio-a": True, "bio-b": True, "bio-c": False})
    queue, folder = EventQueue(tmp_path / "queue.db"), tmp_path / "queue-photos"
    frames: dict[str, list[str]] = {}
    for bin_id in ("bio-a", "bio-b", "bio-a", "bio-b", "bio-c"):  # bio-c's from before an earlier withdrawal
        event_id = str(uuid.uuid4())
        quality = {"photo_donated": True}
        queue.put({"id": event_id, "bin": bin_id, "quality": quality}, None, photos.save(folder, event_id, JPEG))
        frames.setdefault(bin_id, []).append(event_id)
    queue.ack([i for ids in frames.values() for i in ids])  # the service has every event
    put: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        put.append(request.url.path)
        if len(put) == 1:  # the household of bio-a withdraws while its first frame is on the way
            write_config(config_path, config, **{"bio-a": False})
        return httpx.Response(200, json={"status": "stored"})

    client = httpx.Client(base_url="http://service.test", transport=httpx.MockTransport(answer))
    out = Uploader(queue, client, donors=donors_in(config_path)).drain()
    assert out.ok and out.photos == 3
    # bio-a's first went before the withdrawal; bio-b's donate still; bio-c's never do.
    assert put == [DONATED_PHOTO_PATH.format(event_id=i) for i in (frames["bio-a"][0], *frames["bio-b"])]
    assert queue.photos() == [] and list(folder.iterdir()) == []

    # A config that cannot be read at the moment (half written) sends nothing and deletes nothing.
    event_id = str(uuid.uuid4())
    queue.put({"id": event_id, "bin": "bio-b"}, None, photos.save(folder, event_id, JPEG))
    queue.ack([event_id])
    config_path.write_text("bins: [")
    out = Uploader(queue, client, donors=donors_in(config_path)).drain()
    assert not out.ok and "consent unknown" in (out.error or "")
    assert len(put) == 3 and [i for i, _ in queue.photos()] == [event_id] and (folder / f"{event_id}.jpg").is_file()


def test_frames_queued_before_frames_named_their_bin(tmp_path: Path) -> None:
    """A queue file from the earlier schema: a frame is attributed to its bin by its still-queued
    event; a frame whose event is gone cannot be, and a withdrawal deletes it rather than risk it."""
    path, folder = tmp_path / "queue.db", tmp_path / "queue-photos"
    ids = {name: str(uuid.uuid4()) for name in ("queued-a", "queued-b", "gone")}
    db = pre_bin_queue(path)
    for name, event_id in ids.items():
        db.execute("INSERT INTO photo VALUES (?, ?)", (event_id, str(photos.save(folder, event_id, JPEG))))
        if name != "gone":
            event = {"id": event_id, "bin": f"bio-{name[-1]}", "quality": {"photo_donated": True}}
            db.execute("INSERT INTO event (id, payload) VALUES (?, ?)", (event_id, json.dumps(event)))
    db.commit()
    db.close()

    queue = EventQueue(path)
    assert photos.withdraw(queue, frozenset({"bio-a"})) == 2
    assert [i for i, _ in queue.photos()] == [ids["queued-a"]]
    assert sorted(p.name for p in folder.iterdir()) == [f"{ids['queued-a']}.jpg"]
    donated = {e["id"]: e["quality"]["photo_donated"] for e in queue.peek(10)}
    assert donated == {ids["queued-a"]: True, ids["queued-b"]: False}


def open_together(path: Path, openers: int) -> tuple[list[EventQueue], list[BaseException]]:
    """`openers` threads, each with its own connection as a process has, opening one queue file at once."""
    together = threading.Barrier(openers)
    opened: list[EventQueue] = []
    failures: list[BaseException] = []

    def open_queue() -> None:
        together.wait()
        try:
            opened.append(EventQueue(path))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=open_queue) for _ in range(openers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return opened, failures


def test_processes_opening_a_pre_bin_queue_at_once_upgrade_it_once(tmp_path: Path) -> None:
    """The running agent and a `zerowaste edge scale status` (or two agents after an upgrade) open the
    old file together: each looks for the `bin` column and adds it if missing; none may fail because
    another added it in between ("duplicate column name: bin")."""
    for attempt in range(5):  # the window is narrow: several files, many openers each
        path = tmp_path / f"queue-{attempt}.db"
        event_id = str(uuid.uuid4())
        db = pre_bin_queue(path)
        db.execute("INSERT INTO photo VALUES (?, ?)", (event_id, str(tmp_path / f"{event_id}.jpg")))
        db.execute(
            "INSERT INTO event (id, payload) VALUES (?, ?)", (event_id, json.dumps({"id": event_id, "bin": "b"}))
        )
        db.commit()
        db.close()
        opened, failures = open_together(path, 16)
        assert failures == []
        assert photos.withdraw(opened[0], frozenset({"b"})) == 0  # the frame was named by its event
        for queue in opened:
            queue.close()
