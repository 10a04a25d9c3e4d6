"""Train and eval transforms (torchvision transforms v2), after torchvision's references/classification.

The eval preset is the deployment transform; `model.preprocess` is its numpy twin and a test holds
the two together. The train preset imitates phone photos: studio objects on real backgrounds,
crops at any scale, tilt, colour casts, blur, noise, JPEG and occlusion.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image
from torchvision.transforms import v2

from zerowaste.model.preprocess import DEFAULT, Preprocessing
from zerowaste.training.composite import Cutout, composite, cut_out


class WhiteBalance(torch.nn.Module):
    """Multiply each colour channel of a float image by its own gain near 1: the colour cast of a
    kitchen lamp or a phone's auto white balance. Small, because glass colour decides the container."""

    def __init__(self, strength: float = 0.08) -> None:
        super().__init__()
        self.strength = strength

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        gains = 1.0 + (torch.rand(3, 1, 1) * 2 - 1) * self.strength
        return (image * gains).clamp(0.0, 1.0)


class ClassificationPresetTrain:
    """A training view that looks like a citizen's phone photo.

    A studio photo's object may be cut from its plain sheet and put on a piece of a real phone photo's
    background, sometimes beside more objects of its kind (`training/composite.py`). Then every view
    gets what phones do: a crop at any scale, tilt and perspective, exposure and colour casts, blur,
    sensor noise, JPEG compression, and something in front of the object now and then."""

    def __init__(
        self,
        *,
        crop_size: int = DEFAULT.crop_size,
        composite_prob: float = 0.6,
        companion_prob: float = 0.25,
        backgrounds: Sequence[str] = (),
        min_scale: float = 0.3,
        rotation: float = 20.0,
        camera: bool = True,
        preprocessing: Preprocessing = DEFAULT,
        seed: int | None = None,
    ) -> None:
        for name, p in (("composite_prob", composite_prob), ("companion_prob", companion_prob)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {p}")
        # torchvision's transforms draw from torch's global generator; the compositing has its own.
        self.rng = np.random.default_rng(seed)
        self.composite_prob = composite_prob
        self.companion_prob = companion_prob
        self.backgrounds = list(backgrounds)
        steps: list[torch.nn.Module] = [
            v2.RandomResizedCrop(crop_size, scale=(min_scale, 1.0), antialias=True),
            v2.RandomHorizontalFlip(),
            v2.RandomApply([v2.RandomRotation(rotation)], p=0.3),
        ]
        if camera:
            steps.append(v2.RandomPerspective(distortion_scale=0.25, p=0.3))
        # Hue stays small: brown, green and white glass differ by colour alone.
        steps.append(v2.RandomApply([v2.ColorJitter(0.4, 0.4, 0.3, 0.02)], p=0.8))
        steps.append(v2.RandomApply([v2.GaussianBlur(7, sigma=(0.1, 2.5))], p=0.25 if camera else 0.3))
        steps.append(v2.PILToTensor())
        if camera:
            steps.append(v2.RandomApply([v2.JPEG((30, 95))], p=0.5))
        steps.append(v2.ToDtype(torch.float32, scale=True))
        if camera:
            steps += [v2.RandomApply([WhiteBalance()], p=0.5), v2.RandomApply([v2.GaussianNoise(sigma=0.03)], p=0.3)]
        steps.append(v2.Normalize(mean=list(preprocessing.mean), std=list(preprocessing.std)))
        if camera:
            # A finger, a lid or another thing in front of part of the object.
            steps.append(v2.RandomErasing(p=0.2, scale=(0.02, 0.12), value=0))
        self.transforms = v2.Compose(steps)

    def __call__(self, img: Image.Image, companions: Sequence[Image.Image] = ()) -> torch.Tensor:
        """`companions`: other photos of the same kind, candidates to stand beside the object."""
        if self.composite_prob and self.rng.random() < self.composite_prob and (main := cut_out(img)) is not None:
            others: list[Cutout] = []
            if companions and self.rng.random() < self.companion_prob:
                others = [c for c in map(cut_out, companions) if c is not None]
            background = None
            if self.backgrounds and self.rng.random() < 0.7:
                with Image.open(self.backgrounds[int(self.rng.integers(len(self.backgrounds)))]) as bg:
                    background = bg.convert("RGB")
            img = composite(self.rng, main, background, others)
        out: torch.Tensor = self.transforms(img)
        return out


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
        out: torch.Tensor = self.transforms(img)
        return out
