"""Factories for image files the tests write themselves (bad files, rotated photos, copies)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image


def jpeg_bytes(image: Image.Image, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def write_bad_files(folder: Path) -> dict[str, str]:
    """One file of each kind a scan must skip; returns name -> the words its reason must contain."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.jpg").write_bytes(b"")
    good = jpeg_bytes(Image.new("RGB", (64, 48), (200, 30, 30)))
    (folder / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (folder / "notes.jpg").write_text("this is not an image")
    png = io.BytesIO()
    Image.new("RGB", (32, 32), (0, 0, 255)).save(png, "PNG")
    (folder / "really-a-png.jpg").write_bytes(png.getvalue())
    (folder / "readme.txt").write_text("hello")
    return {
        "empty.jpg": "zero-byte",
        "truncated.jpg": "truncated",
        "notes.jpg": "not an image",
        "really-a-png.jpg": "content is PNG",
        "readme.txt": "extension",
    }
