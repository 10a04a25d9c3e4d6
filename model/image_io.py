"""Decoding photos safely: EXIF orientation, format allow-list, byte and pixel limits."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC from iPhones, where the service extra installed pillow-heif
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover - the edge does not need it
    pass

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "MPO", "HEIF", "GIF", "BMP", "TIFF"})


class ImageRejected(ValueError):
    """The bytes are not a photo we accept; the message says why, for a developer."""


class FormatRejected(ImageRejected):
    """The bytes are an image, in a format the caller does not accept (told by the bytes, not a name)."""


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int = 15 * 1024 * 1024
    max_pixels: int = 40_000_000
    formats: frozenset[str] = ALLOWED_FORMATS


def decode_image(data: bytes, limits: ImageLimits = ImageLimits()) -> Image.Image:
    """Bytes -> upright RGB image, or ImageRejected with a reason."""
    if not data:
        raise ImageRejected("empty file")
    if len(data) > limits.max_bytes:
        raise ImageRejected(f"file is {len(data)} bytes; the limit is {limits.max_bytes}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in limits.formats:
                raise FormatRejected(f"format {image.format} is not accepted ({', '.join(sorted(limits.formats))})")
            w, h = image.size
            if w * h > limits.max_pixels:
                raise ImageRejected(f"image has {w}x{h} pixels; the limit is {limits.max_pixels} pixels")
            image.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("image has too many pixels to decode safely") from exc
    except UnidentifiedImageError as exc:
        raise ImageRejected("not an image in a known format") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected(f"image could not be decoded (truncated or corrupt?): {exc}") from exc
    return ImageOps.exif_transpose(image).convert("RGB")


def load_image(path: str | Path, limits: ImageLimits = ImageLimits()) -> Image.Image:
    return decode_image(Path(path).read_bytes(), limits)
