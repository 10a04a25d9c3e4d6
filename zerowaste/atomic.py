"""Files that appear whole or not at all: written beside their place, flushed to disk, renamed into it.

A crash or a power cut mid-write (a Pi's SD card, a training run stopped at night) leaves the previous
version, never half a file; readers in other processes never see a partial one. One helper for every
writer in the package (manifests, label files, caches, checkpoints, device state, donated photos).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def fsync(path: Path) -> None:
    """Flush a file, or a folder: a rename in a folder is durable once the folder is (POSIX: the
    directory entry is data of the directory)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: Path, *, suffix: str = "", durable: bool = True) -> Iterator[Path]:
    """A temporary path beside `path` to write to; on a clean exit it replaces `path`, on an error it
    is removed. `suffix` keeps the extension a writer insists on (np.savez appends ".npz").
    `durable`: flush the file and the folder to disk (a device's state, a checkpoint); a cache that can
    be made again may skip it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp{suffix}")
    try:
        yield tmp
        if durable:
            fsync(tmp)
        os.replace(tmp, path)
        if durable:
            fsync(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes, *, durable: bool = True, mode: int = 0o644) -> None:
    with atomic_path(path, durable=durable) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)


def write_text(path: Path, text: str, *, durable: bool = True) -> None:
    write_bytes(path, text.encode("utf-8"), durable=durable)
