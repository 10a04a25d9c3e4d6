"""The one way a photo enters the service: bounded read, format told by the bytes, safe decode, clear errors."""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Callable
from functools import cache, partial
from typing import Protocol, TypeVar

import numpy as np
from anyio import to_thread
from PIL import Image

from zerowaste.model.image_io import DECODED_BYTES, FormatRejected, ImageLimits, ImageRejected, decode_image
from zerowaste.model.preprocess import Preprocessing, preprocess
from zerowaste.service.config import Settings
from zerowaste.service.errors import InvalidInput, TooLarge, UnsupportedFormat

# What the API documents: JPEG (MPO is a camera's JPEG with a second frame), PNG, WebP and HEIC. The
# declared content type is not asked: many clients send application/octet-stream for a real photo,
# and a name says nothing about the bytes.
T = TypeVar("T")

UPLOAD_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "HEIF"})
# A bin camera's donated frame (wire.DONATED_PHOTO_PATH): what a device's camera writes, nothing else.
DEVICE_PHOTO_FORMATS = frozenset({"JPEG", "PNG"})


class AsyncReader(Protocol):
    """What an upload is to the domain code: bytes read in pieces (FastAPI's UploadFile is one)."""

    async def read(self, size: int = -1, /) -> bytes: ...


async def read_bounded(upload: AsyncReader, limit: int) -> bytes:
    """Read at most `limit` bytes; one byte more means the upload is too large (never read it all)."""
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"photo larger than {limit} bytes")
    return data


@cache
def _decode_slots(n: int) -> threading.BoundedSemaphore:
    """At most `n` decodes at once in this process, whatever the thread pool's size."""
    return threading.BoundedSemaphore(n)


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name else None


# Decoded photos from this size on are given back to the system at once (below it, the arenas the
# decode threads keep are reused by the next photo: at most max_concurrent_decodes of them).
TRIM_FROM_BYTES = 32 << 20


def _trim() -> None:
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def _decode(data: bytes, limits: ImageLimits, slots: threading.BoundedSemaphore, then: Callable[[Image.Image], T]) -> T:
    with slots:
        decoded = 0
        try:
            image = decode_image(data, limits)
            decoded = int(image.info.get(DECODED_BYTES, 0))
            return then(image)
        except ImageRejected:
            decoded = TRIM_FROM_BYTES  # a refused bomb may have allocated on its way
            raise
        finally:
            # glibc keeps freed decode buffers in its arenas: a burst of large photos would hold the
            # process's memory at its peak for good. malloc_trim gives it back, but walks the whole heap
            # (5 % of a classify's CPU when done after every photo), so only after a large one.
            if decoded >= TRIM_FROM_BYTES:
                _trim()


async def _read(
    upload: AsyncReader,
    settings: Settings,
    then: Callable[[Image.Image], T],
    formats: frozenset[str] = UPLOAD_FORMATS,
) -> T:
    """TooLarge over the byte limit, UnsupportedFormat for an image in another format (GIF, BMP, TIFF, …),
    InvalidInput for anything that is not a readable photo."""
    data = await read_bounded(upload, settings.max_upload_bytes)
    limits = ImageLimits(
        max_bytes=settings.max_upload_bytes,
        max_pixels=settings.max_upload_pixels,
        formats=formats,
        max_decoded_bytes=settings.max_decoded_mb << 20,
        reduce_to=settings.decode_max_side,
    )
    try:
        slots = _decode_slots(settings.max_concurrent_decodes)
        return await to_thread.run_sync(_decode, data, limits, slots, then)
    except FormatRejected as exc:
        raise UnsupportedFormat(str(exc)) from exc
    except ImageRejected as exc:
        raise InvalidInput(str(exc)) from exc


async def read_photo(upload: AsyncReader, settings: Settings, formats: frozenset[str] = UPLOAD_FORMATS) -> Image.Image:
    """The upright RGB photo in one of `formats` (see `_read` for the errors)."""
    return await _read(upload, settings, lambda image: image, formats)


async def read_model_input(upload: AsyncReader, settings: Settings, p: Preprocessing) -> np.ndarray:
    """The photo as the model takes it, decoded and preprocessed in one trip to a worker thread; the
    full-size photo is gone before the answer is computed."""
    return await _read(upload, settings, partial(preprocess, p=p))
