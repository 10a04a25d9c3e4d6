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
    # What the decoded pixels may take (width x height x bytes per pixel of the file's mode): a
    # one-colour 6300x6300 RGBA PNG is 154 kB of file and 159 MB of pixels.
    max_decoded_bytes: int = 200 * 1024 * 1024
    # Decode (JPEG: DCT scaling, before the pixels exist) or shrink (other formats) so that the longer
    # side is at most about this; None keeps the photo's size. The model reads 224 px.
    reduce_to: int | None = None


def decoded_bytes(image: Image.Image) -> int:
    """What `load()` will allocate for the opened (not yet loaded) image."""
    bits = {"1": 1, "L": 8, "P": 8, "RGB": 24, "RGBA": 32, "CMYK": 32, "YCbCr": 24, "LA": 16, "I;16": 16}
    w, h = image.size
    return w * h * bits.get(image.mode, 32) // 8


DECODED_BYTES = "zerowaste_decoded_bytes"  # Image.info key: the bytes the full decode took


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
            if decoded_bytes(image) > limits.max_decoded_bytes:
                raise ImageRejected(
                    f"image would take {decoded_bytes(image) >> 20} MB to decode ({w}x{h} {image.mode}); "
                    f"the limit is {limits.max_decoded_bytes >> 20} MB"
                )
            if limits.reduce_to and image.format in ("JPEG", "MPO"):
                image.draft("RGB", (limits.reduce_to, limits.reduce_to))
            image.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("image has too many pixels to decode safely") from exc
    except UnidentifiedImageError as exc:
        raise ImageRejected("not an image in a known format") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected(f"image could not be decoded (truncated or corrupt?): {exc}") from exc
    cost = decoded_bytes(image)  # as decoded (a JPEG's draft is already smaller)
    # In place, and no conversion of what is RGB already: two full-size copies less per photo.
    ImageOps.exif_transpose(image, in_place=True)
    upright = image if image.mode == "RGB" else image.convert("RGB")
    if limits.reduce_to and max(upright.size) > limits.reduce_to:
        upright.thumbnail((limits.reduce_to, limits.reduce_to), Image.Resampling.BILINEAR, reducing_gap=2.0)
    upright.info[DECODED_BYTES] = cost  # what the decode held in memory at its peak, for the caller
    return upright


def load_image(path: str | Path, limits: ImageLimits = ImageLimits()) -> Image.Image:
    return decode_image(Path(path).read_bytes(), limits)
