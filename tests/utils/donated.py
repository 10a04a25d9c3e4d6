"""What the photo-consent tests look for on the wire, on the device and in the service's database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from tests.utils.server import Server
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
