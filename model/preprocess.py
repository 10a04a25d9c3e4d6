"""The one preprocessing function: export calibration, evaluation, the service and the edge all call it.

It matches torchvision's eval preset (Resize(resize_size) -> CenterCrop(crop_size) -> ToTensor ->
Normalize) on PIL images; `tests/model/test_preprocess.py` holds it to that. Resizing goes through
Pillow so that both paths use the same antialiasing filter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import cast

import numpy as np
from PIL import Image


def _triple(value: object) -> tuple[float, float, float]:
    """A per-channel triple (mean, std) as the model file's JSON holds it."""
    a, b, c = (float(v) for v in cast(Sequence[float], value))
    return a, b, c


@dataclass(frozen=True)
class Preprocessing:
    resize_size: int = 256
    crop_size: int = 224
    # EfficientNet-Lite's TensorFlow weights were trained on (x - 127) / 128.
    mean: tuple[float, float, float] = (127.0 / 255, 127.0 / 255, 127.0 / 255)
    std: tuple[float, float, float] = (128.0 / 255, 128.0 / 255, 128.0 / 255)
    layout: str = "NCHW"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Preprocessing:
        return cls(
            resize_size=int(cast(int, data["resize_size"])),
            crop_size=int(cast(int, data["crop_size"])),
            mean=_triple(data["mean"]),
            std=_triple(data["std"]),
            layout=str(data.get("layout", "NCHW")),
        )


DEFAULT = Preprocessing()


def for_resolution(resolution: int) -> Preprocessing:
    """A network's input size with the eval preset's margin (256 for 224: resize to size / 0.875)."""
    return Preprocessing(resize_size=round(resolution / 0.875), crop_size=resolution)


def resize_and_crop(image: Image.Image, p: Preprocessing = DEFAULT) -> Image.Image:
    """Shorter side to `resize_size` (bilinear, antialiased), then the centred `crop_size` square."""
    if image.mode != "RGB":  # convert() copies even when there is nothing to convert
        image = image.convert("RGB")
    w, h = image.size
    # Same rounding as torchvision.transforms.v2.functional.resize with an int size.
    if w <= h:
        new_w, new_h = p.resize_size, int(p.resize_size * h / w)
    else:
        new_w, new_h = int(p.resize_size * w / h), p.resize_size
    image = image.resize((new_w, new_h), Image.Resampling.BILINEAR)
    # Same offsets as torchvision's center_crop.
    top = int(round((new_h - p.crop_size) / 2.0))
    left = int(round((new_w - p.crop_size) / 2.0))
    return image.crop((left, top, left + p.crop_size, top + p.crop_size))


def to_input(image: Image.Image, p: Preprocessing = DEFAULT) -> np.ndarray:
    """A cropped RGB image -> normalised float32 array, channels first (3, H, W)."""
    scaled = np.asarray(image, dtype=np.float32) / 255.0
    x: np.ndarray = (scaled - np.asarray(p.mean, dtype=np.float32)) / np.asarray(p.std, dtype=np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def preprocess(image: Image.Image | np.ndarray, p: Preprocessing = DEFAULT) -> np.ndarray:
    """A PIL image or an RGB uint8 array (H, W, 3) -> model input (3, crop, crop) float32."""
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 array of shape (H, W, 3), got {image.dtype} {image.shape}")
        image = Image.fromarray(image, mode="RGB")
    return to_input(resize_and_crop(image, p), p)


def preprocess_batch(images: Iterable[Image.Image | np.ndarray], p: Preprocessing = DEFAULT) -> np.ndarray:
    return np.stack([preprocess(im, p) for im in images])
