"""Donated frames on the device against a wrong answer or a wrong folder (issue 25 audit): the service's
answer acknowledges or drops only the events of the batch it answers, never another queued event or its
frame; the sweep at start deletes frames nobody names and nothing else, even where the photo folder is
a folder other files live in. No model and no service process: a scripted transport answers."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import httpx

from zerowaste.edge import photos
from zerowaste.edge.queue import EventQueue
from zerowaste.edge.uploader import Uploader
from zerowaste.wire import DONATED_PHOTO_PATH, WEIGHINGS_PATH

JPEG = b"\xff\xd8\xff\xe0 a frame"
BIN = "bio-1"


def donors() -> frozenset[str]:
    return frozenset({BIN})  # the household of the bin consented


def queued(queue: EventQueue, folder: Path, *, frame: bool) -> str:
    event_id = str(uuid.uuid4())
    path = photos.save(folder, event_id, JPEG) if frame else None
    queue.put({"id": event_id, "bin": BIN, "kind": "deposit"}, None, path)
    return event_id


def test_an_answer_acknowledges_and_drops_only_the_events_it_was_sent(tmp_path: Path) -> None:
    queue, folder = EventQueue(tmp_path / "queue.db"), tmp_path / "queue-photos"
    sent = queued(queue, folder, frame=True)
    waiting = queued(queue, folder, frame=True)  # next batch: the service has not seen it
    put: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            put.append(request.url.path)
            return httpx.Response(200, json={"status": "stored"})
        assert request.url.path == WEIGHINGS_PATH
        ids = [e["id"] for e in json.loads(request.content)["events"]]
        assert ids == [sent]
        results = [
            {"id": sent, "status": "accepted"},
            {"id": waiting, "status": "rejected", "reasons": ["a service that names what it was not sent"]},
            {"id": "never-queued-0001", "status": "accepted"},
        ]
        body = {"server_time": dt.datetime.now(dt.UTC).isoformat(), "clock_offset_s": 0.0}
        return httpx.Response(200, json={**body, "accepted": 2, "duplicates": 0, "rejected": 1, "results": results})

    client = httpx.Client(base_url="http://service.test", transport=httpx.MockTransport(answer))
    out = Uploader(queue, client, donors=donors, batch_size=1).upload_batch()
    assert out.acked == 1
    assert [e["id"] for e in queue.peek(10)] == [waiting]  # still queued, as it was
    assert [i for i, _ in queue.photos()] == [sent, waiting]
    assert (folder / f"{waiting}.jpg").read_bytes() == JPEG  # its frame kept for when it goes
    photos.upload(queue, client, donors)
    assert put == [DONATED_PHOTO_PATH.format(event_id=sent)]
    assert [i for i, _ in queue.photos()] == [waiting] and (folder / f"{waiting}.jpg").exists()
    assert not (folder / f"{sent}.jpg").exists()


def test_the_sweep_deletes_stray_frames_and_nothing_else(tmp_path: Path) -> None:
    # photo_dir set to the agent's own folder: the queue, its config and its model live there too
    queue = EventQueue(tmp_path / "queue.db")
    kept = queued(queue, tmp_path, frame=True)
    stray = photos.save(tmp_path, str(uuid.uuid4()), JPEG)  # crashed between writing and queueing
    half = tmp_path / f".{uuid.uuid4()}.jpg.0123abcd.tmp"  # crashed mid-write
    half.write_bytes(JPEG[:3])
    others = {name: f"{name}\n".encode() for name in ("agent.yaml", "token", "model.onnx", "notes.jpg.bak")}
    for name, data in others.items():
        (tmp_path / name).write_bytes(data)
    sub = tmp_path / "models"
    sub.mkdir()

    assert photos.sweep(tmp_path, queue) == 2
    assert not stray.exists() and not half.exists()
    assert (tmp_path / f"{kept}.jpg").read_bytes() == JPEG
    assert all((tmp_path / name).read_bytes() == data for name, data in others.items())
    assert sub.is_dir() and len(queue.peek(10)) == 1  # the queue's database untouched


def test_an_unreadable_frame_is_forgotten_and_the_uploads_go_on(tmp_path: Path) -> None:
    queue, folder = EventQueue(tmp_path / "queue.db"), tmp_path / "queue-photos"
    broken, fine = queued(queue, folder, frame=True), queued(queue, folder, frame=True)
    (folder / f"{broken}.jpg").unlink()
    (folder / f"{broken}.jpg").mkdir()  # what an I/O error on the card looks like to read_bytes
    queue.ack([broken, fine])
    put: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        put.append(request.url.path)
        return httpx.Response(200, json={"status": "stored"})

    client = httpx.Client(base_url="http://service.test", transport=httpx.MockTransport(answer))
    out = photos.upload(queue, client, donors)  # raised before, and the upload thread died with it
    assert out.sent == 1 and out.error is None
    assert put == [DONATED_PHOTO_PATH.format(event_id=fine)] and queue.photos() == []
