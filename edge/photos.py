"""Donated frames on the device: written beside the queue, sent after their event, then deleted.

Only a household that consented (`donate_photos: true` on its bin's camera) ever has a file here. The
frame is written before its event is queued and referenced in the event's transaction, so a crash
leaves either both or a file no row names (swept at the next start). It goes to the service only
after the event was accepted (the service takes a photo only for an event whose quality says
`photo_donated`), by PUT to the event's own path: a resend after a lost answer replaces the same
photo, so retrying is harmless. Acknowledged or finally refused, the local copy is deleted.

Consent can be withdrawn (the bin's camera config says `donate_photos: false` again). From then on
no frame of that bin leaves the device, however long ago it was taken: the agent deletes them when
it starts, the uploader before each round, and the uploader asks again just before each frame goes,
so a withdrawal written while an upload round runs stops the very next frame. Their events still go,
with their quality, marked not donated where they had not left yet.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from zerowaste import atomic
from zerowaste.edge.queue import EventQueue
from zerowaste.wire import DONATED_PHOTO_PATH, ID_CHARS

log = logging.getLogger(__name__)

# Answers after which sending the same photo again cannot succeed: the service does not know the
# event, its quality does not say donated, or the file is not a photo it takes.
FINAL_REFUSALS = frozenset({400, 403, 404, 409, 410, 413, 415, 422})
FRAME_NAME = re.compile(rf"{ID_CHARS}{{8,64}}\.jpg")
FRAME_TEMP = re.compile(rf"\.{ID_CHARS}{{8,64}}\.jpg\.[0-9a-f]{{8}}\.tmp")
# The bins whose household donates its frames as the config says at the moment of asking; None when
# that cannot be told now (the file is unreadable mid-edit): then no frame goes, and none is deleted.
Donors = Callable[[], frozenset[str] | None]


def default_folder(queue_path: Path) -> Path:
    return queue_path.with_name(f"{queue_path.stem}-photos")


def save(folder: Path, event_id: str, jpeg: bytes) -> Path:
    """Durable before the event is queued; readable by the agent's user only (a view into a home's bin)."""
    path = folder / f"{event_id}.jpg"
    atomic.write_bytes(path, jpeg, mode=0o600)
    return path


def _is_frame(name: str) -> bool:
    """A name `save` writes (`<event id>.jpg`), or its temporary file (zerowaste.atomic) a crash left."""
    return FRAME_NAME.fullmatch(name) is not None or FRAME_TEMP.fullmatch(name) is not None


def sweep(folder: Path, queue: EventQueue) -> int:
    """Delete the frames no queued reference names (left by a crash between writing and queueing).
    Only files named like frames: a photo folder set to a folder other files live in (the agent's
    own, with its queue and config) loses nothing else."""
    if not folder.is_dir():
        return 0
    kept = {path.resolve() for _, path in queue.photos()}
    gone = 0
    for path in folder.iterdir():
        if _is_frame(path.name) and path.is_file() and path.resolve() not in kept:
            path.unlink(missing_ok=True)
            gone += 1
    if gone:
        log.info("deleted %d frames in %s that no queued event names", gone, folder)
    return gone


def drop(queue: EventQueue, event_ids: list[str]) -> None:
    """Forget and delete the frames of these events (their events were rejected: nowhere to go)."""
    wanted = set(event_ids)
    paths = [p for i, p in queue.photos() if i in wanted]
    if not paths:
        return
    queue.forget_photos(list(wanted))
    for path in paths:
        path.unlink(missing_ok=True)


def withdraw(queue: EventQueue, donors: frozenset[str]) -> int:
    """Delete every frame whose bin is not among `donors`, unsent; a frame whose bin is not known (a
    queue from before frames named it) counts as withdrawn, since keeping it could send it unasked."""
    paths = queue.withdraw_photos(donors)
    for path in paths:
        # Not deleted now, it is named by no row: it never goes, and the next start's sweep takes it.
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
    if paths:
        log.info("photo consent withdrawn: deleted %d donated frames that had not left the device", len(paths))
    return len(paths)


@dataclass
class PhotoOutcome:
    sent: int = 0
    error: str | None = None


def upload(queue: EventQueue, client: httpx.Client, donors: Donors, batch: int = 50) -> PhotoOutcome:
    """PUT the frames whose events were accepted and whose bin still donates; stops at the first
    network or server trouble."""
    out = PhotoOutcome()
    while ready := queue.photos_ready(batch):
        for event_id, bin_id, path in ready:
            # Asked for each frame, not once a round: the answer may have changed since the last PUT.
            now = donors()
            if now is None:
                out.error = "photo consent unknown (the agent's config cannot be read); no frame goes"
                return out
            if bin_id is None or bin_id not in now:
                withdraw(queue, now)
                break  # what is ready has changed
            acknowledged, error = _send(queue, client, event_id, path)
            if error is not None:
                out.error = error
                return out
            out.sent += acknowledged
    return out


def _send(queue: EventQueue, client: httpx.Client, event_id: str, path: Path) -> tuple[bool, str | None]:
    """(the service has it, why it must wait); no reason to wait: the frame is done with."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        log.error("donated frame %s of event %s is gone; forgetting it", path, event_id)
        queue.forget_photos([event_id])
        return False, None
    except OSError as exc:  # a card's read error: raised, it ended the upload thread, weighings with it
        log.error("donated frame %s of event %s cannot be read (%s); forgetting it", path, event_id, exc)
        queue.forget_photos([event_id])
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return False, None
    try:
        r = client.put(
            DONATED_PHOTO_PATH.format(event_id=event_id), content=data, headers={"Content-Type": "image/jpeg"}
        )
    except httpx.TransportError as exc:
        return False, f"network: {type(exc).__name__}: {exc}"
    if r.status_code in FINAL_REFUSALS:
        # Kept, it would be sent forever; a photo nobody can use is not kept on the device either.
        log.error("donated frame of event %s refused (HTTP %s), deleted: %s", event_id, r.status_code, r.text[:300])
    elif not r.is_success:
        return False, f"photo upload: HTTP {r.status_code}"
    queue.forget_photos([event_id])
    path.unlink(missing_ok=True)
    return r.is_success, None
