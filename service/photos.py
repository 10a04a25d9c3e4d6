"""Donated photos: a filesystem store by default (one folder shared by all workers).

Photos are re-encoded before they are written, which drops EXIF (GPS position, device) and any
payload hidden after the image data.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

from PIL import Image

from zerowaste import atomic


class PhotoStore:
    """Files readable by the service's user alone (0600 in a 0700 folder): citizens' photos are not for
    the other accounts of the machine, whatever the umask."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.root.chmod(0o700)

    def _path(self, key: str) -> Path:
        if not key.replace("-", "").isalnum():
            raise ValueError(f"bad photo key {key!r}")
        return self.root / f"{key}.jpg"

    def put(self, image: Image.Image) -> str:
        """A new file under a random key."""
        return self._write(str(uuid.uuid4()), _jpeg(image))

    def put_shared(self, image: Image.Image) -> str:
        """Under a key made from the re-encoded bytes: the same photo donated again is stored once.
        A caller deleting it must first know that nothing else still names the key."""
        data = _jpeg(image)
        key = "sha-" + hashlib.sha256(data).hexdigest()[:40]
        return key if self.exists(key) else self._write(key, data)

    def _write(self, key: str, data: bytes) -> str:
        atomic.write_bytes(self._path(key), data, mode=0o600)  # readers never see half a file
        return key

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> bool:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def exists(self, key: str) -> bool:
        return self._path(key).exists()


def _jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()
