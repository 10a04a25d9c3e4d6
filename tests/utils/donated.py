"""What the photo-consent tests look for on the wire, on the device and in the service's database."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from tests.conftest import shared_folder
from tests.utils.server import Server
from zerowaste.edge.trace import TraceSpec
from zerowaste.service.db.models import Weighing

# The first bytes of every image format a frame could be sent as.
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF", b"GIF8", b"BM")
QUEUE_FILES = {"queue.db", "queue.db-wal", "queue.db-shm"}


def carrying_images(sent: list[tuple[str, str, bytes]]) -> list[str]:
    """The paths of the recorded requests (tests.utils.network.Wire.sent) whose body holds an image."""
    return [path for _, path, body in sent if any(m in body for m in IMAGE_MAGIC)]


def stored(srv: Server, ids: set[str]) -> dict[str, Weighing]:
    engine = create_engine(srv.env["ZEROWASTE_DATABASE_URL"])
    with Session(engine) as session:
        rows = {w.event_id: w for w in session.scalars(select(Weighing).where(Weighing.event_id.in_(ids)))}
        session.expunge_all()
    engine.dispose()
    return rows


def files_on(folder: Path) -> set[str]:
    """Every file under the device's folder, relative to it."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def bio_bin(bin_id: str, start: float, days: int, consent: bool | None = None) -> dict[str, Any]:
    """A simulated bio bin with a simulated lid camera on real biowaste photos, as both consent tests use
    it; `consent` None leaves `donate_photos` out, for a test that writes it into the file itself."""
    camera: dict[str, Any] = {
        "kind": "simulated",
        "frames": str(shared_folder("garbage12", "biological")),
        "order": "random",
        "seed": 2,
    }
    if consent is not None:
        camera["donate_photos"] = consent
    return {
        "id": bin_id,
        "stream": "bio",
        "calibration": {"zero": 8400.0, "factor": -1 / 21000},
        "driver": {
            "type": "simulated",
            "start": start,
            "generate": TraceSpec(seed=4, days=days, deposits_per_day=2).model_dump(),
        },
        "camera": camera,
    }


def pre_bin_queue(path: Path) -> sqlite3.Connection:
    """A queue file as the agent wrote it before frames named their bin (no `bin` column in `photo`),
    in WAL mode as that agent left it; the caller fills it and closes the connection."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(
        "CREATE TABLE event (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, payload TEXT NOT NULL,"
        " attempts INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE quarantine (id TEXT PRIMARY KEY, payload TEXT NOT NULL, reason TEXT NOT NULL,"
        " at TEXT NOT NULL DEFAULT (datetime('now')));"
        "CREATE TABLE photo (event_id TEXT PRIMARY KEY, path TEXT NOT NULL);"
    )
    return db
