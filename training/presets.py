"""Train and eval transforms (torchvision transforms v2), after torchvision's references/classification.

The eval preset is the deployment transform; `model.preprocess` is its numpy twin and a test holds
the two together. The train preset imitates phone photos: off-centre crops, tilt, colour casts,
blur, and backgrounds that are not the white sheet TrashNet was shot on.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from scipy import ndimage
from torchvision.transforms import v2

from zerowaste.model.preprocess import DEFAULT, Preprocessing


class RandomBackground(torch.nn.Module):
    """Replace the bright, flat background that touches the border with a random colour gradient and
    noise. Only regions connected to the border change, so white objects (paper) keep their colour."""

    def __init__(self, p: float = 0.5, threshold: int = 200, seed: int | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = p
        self.threshold = threshold
        self.rng = np.random.default_rng(seed)

    def forward(self, image: Image.Image) -> Image.Image:
        if not isinstance(image, Image.Image):
            raise TypeError(f"RandomBackground expects a PIL image, got {type(image).__name__}")
        if self.rng.random() >= self.p:
            return image
        arr = np.asarray(image.convert("RGB"))
        bright = (arr.min(axis=2) >= self.threshold) & (arr.max(axis=2).astype(int) - arr.min(axis=2) < 30)
        labels, _ = ndimage.label(bright)
        border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        mask = np.isin(labels, border[border > 0])
        if mask.mean() < 0.05:
            return image
        h, w = mask.shape
        c0, c1 = self.rng.integers(0, 256, size=(2, 3))
        t = np.linspace(0.0, 1.0, w if self.rng.random() < 0.5 else h)
        grad = t[None, :, None] if len(t) == w else t[:, None, None]
        bg = c0 * (1 - grad) + c1 * grad + self.rng.normal(0, 12, size=(h, w, 3))
        bg = np.broadcast_to(bg, (h, w, 3))
        mask = ndimage.binary_erosion(mask, iterations=1)
        out = np.where(mask[..., None], np.clip(bg, 0, 255), arr).astype(np.uint8)
        return Image.fromarray(out)


class ClassificationPresetTrain:
    def __init__(
        self,
        *,
        crop_size: int = DEFAULT.crop_size,
        background_prob: float = 0.5,
        min_scale: float = 0.35,
        rotation: float = 25.0,
        preprocessing: Preprocessing = DEFAULT,
        seed: int | None = None,
    ) -> None:
        self.transforms = v2.Compose(
            [
                # torchvision's transforms draw from torch's global generator; this one has its own.
                RandomBackground(p=background_prob, seed=seed),
                v2.RandomResizedCrop(crop_size, scale=(min_scale, 1.0), antialias=True),
                v2.RandomHorizontalFlip(),
                v2.RandomApply([v2.RandomRotation(rotation)], p=0.5),
                # Hue stays small: brown, green and white glass differ by colour alone.
                v2.RandomApply([v2.ColorJitter(0.4, 0.4, 0.3, 0.02)], p=0.8),
                v2.RandomApply([v2.GaussianBlur(5, sigma=(0.1, 2.0))], p=0.3),
                v2.PILToTensor(),
                v2.ToDtype(torch.float32, scale=True),
                v2.Normalize(mean=list(preprocessing.mean), std=list(preprocessing.std)),
            ]
        )

    def __call__(self, img: Image.Image) -> torch.Tensor:
        return self.transforms(img)


class ClassificationPresetEval:
    def __init__(self, *, preprocessing: Preprocessing = DEFAULT) -> None:
        self.transforms = v2.Compose(
            [
                v2.Resize(preprocessing.resize_size, interpolation=v2.InterpolationMode.BILINEAR, antialias=True),
                v2.CenterCrop(preprocessing.crop_size),
                v2.PILToTensor(),
                v2.ToDtype(torch.float32, scale=True),
                v2.Normalize(mean=list(preprocessing.mean), std=list(preprocessing.std)),
            ]
        )

    def __call__(self, img: Image.Image) -> torch.Tensor:
        return self.transforms(img)
