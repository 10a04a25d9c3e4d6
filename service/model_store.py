"""Registry model files on disk, named by their sha256 (one folder shared by all workers).

A file is written under a temporary name and renamed into place, so a reader (a device downloading
it) never sees half a model, and the same bytes uploaded twice are stored once.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from zerowaste.service.errors import InvalidInput, TooLarge
from zerowaste.service.uploads import AsyncReader

MIN_MODEL_BYTES = 64  # an ONNX file is a protobuf without a fixed magic number; tiny ones are surely not models


class ModelStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValueError(f"bad model sha256 {sha256!r}")
        return self.root / f"{sha256}.onnx"

    def _commit(self, tmp: Path, sha256: str) -> Path:
        final = self.path(sha256)
        os.replace(tmp, final)
        return final

    async def receive(self, upload: AsyncReader, limit: int) -> tuple[Path, str, int]:
        """Stream an upload to disk, hashing it on the way; TooLarge past `limit` bytes, InvalidInput for a
        file too small to be a model."""
        h, size = hashlib.sha256(), 0
        fd, name = tempfile.mkstemp(dir=self.root, suffix=".part")
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as f:
                while chunk := await upload.read(1 << 20):
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(f"model file larger than {limit} bytes")
                    h.update(chunk)
                    f.write(chunk)
            if size < MIN_MODEL_BYTES:
                raise InvalidInput(f"a {size}-byte file is not an ONNX model")
            return self._commit(tmp, h.hexdigest()), h.hexdigest(), size
        finally:
            tmp.unlink(missing_ok=True)

    def add_file(self, source: Path, sha256: str) -> Path:
        final = self.path(sha256)
        if not final.exists():
            fd, name = tempfile.mkstemp(dir=self.root, suffix=".part")
            os.close(fd)
            shutil.copyfile(source, name)
            self._commit(Path(name), sha256)
        return final
