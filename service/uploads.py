"""The one way a photo enters the service: allowed content type, bounded read, safe decode, clear 4xx."""

from __future__ import annotations

from fastapi import HTTPException, UploadFile
from fastapi.concurrency import run_in_threadpool
from PIL import Image

from zerowaste.model.image_io import ImageLimits, ImageRejected, decode_image
from zerowaste.service.config import Settings

ACCEPTED_TYPES = {"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"}


async def read_bounded(upload: UploadFile, limit: int) -> bytes:
    """Read at most `limit` bytes; one byte more means the upload is too large (never read it all)."""
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"photo larger than {limit} bytes")
    return data


async def read_photo(upload: UploadFile, settings: Settings) -> Image.Image:
    """415 for a wrong content type, 413 over the byte limit, 422 for anything that is not a photo."""
    if upload.content_type not in ACCEPTED_TYPES:
        raise HTTPException(415, f"content type {upload.content_type!r} is not one of {sorted(ACCEPTED_TYPES)}")
    data = await read_bounded(upload, settings.max_upload_bytes)
    limits = ImageLimits(max_bytes=settings.max_upload_bytes, max_pixels=settings.max_upload_pixels)
    try:
        return await run_in_threadpool(decode_image, data, limits)
    except ImageRejected as exc:
        raise HTTPException(422, str(exc)) from exc
