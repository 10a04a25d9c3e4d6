"""Cache what the frozen part of the network computes, so a 2-core CPU can fine-tune in minutes.

The stem and the first `cut` blocks stay frozen at their ImageNet weights. They run once per
augmented view through ONNX Runtime (several times faster than PyTorch eager on a CPU), together
with the original ImageNet head, whose outputs are the targets that keep the item head intact
(learning without forgetting). Training then runs only the blocks after `cut` and the heads.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from zerowaste import atomic
from zerowaste.datasets.manifest import Entry, manifest_hash
from zerowaste.model.architecture import LITE0, EfficientNetLite, LiteConfig
from zerowaste.model.preprocess import Preprocessing
from zerowaste.model.spec import INPUT_NAME
from zerowaste.model.torch_session import cpu_session
from zerowaste.training.presets import ClassificationPresetEval, ClassificationPresetTrain

log = logging.getLogger(__name__)


class _Teacher(nn.Module):
    def __init__(self, model: EfficientNetLite, cut: int) -> None:
        super().__init__()
        self.model = model
        self.cut = cut

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        trunk = self.model.trunk(x, self.cut)
        return trunk, self.model.tail(trunk, self.cut)[1]


class _Views(Dataset[tuple[torch.Tensor, int]]):
    def __init__(
        self, entries: list[Entry], views: int, train: bool, seed: int, aug: Augmentation, preprocessing: Preprocessing
    ) -> None:
        self.entries = entries
        self.preprocessing = preprocessing
        self.views = views
        self.train = train
        self.seed = seed
        self.aug = aug
        self.eval_tf = ClassificationPresetEval(preprocessing=preprocessing)
        # Studio photos of the same label: the companions a composite may put beside the object.
        self.same_label: dict[str, list[int]] = {}
        for i, e in enumerate(entries):
            if e.domain == "studio":
                self.same_label.setdefault(e.label, []).append(i)
        # Backgrounds come from the phone photos being trained on, never from a validation or test photo.
        self.backgrounds = [e.path for e in entries if e.domain == "phone"]

    def __len__(self) -> int:
        return len(self.entries) * self.views

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        entry = self.entries[i // self.views]
        with Image.open(entry.path) as im:
            img = im.convert("RGB")
        if not self.train:
            return self.eval_tf(img), i
        # One seed per view: the same seed gives the same cache whatever the worker layout.
        view_seed = self.seed * 1_000_003 + i
        torch.manual_seed(view_seed)
        studio = entry.domain == "studio"
        preset = ClassificationPresetTrain(
            crop_size=self.preprocessing.crop_size,
            preprocessing=self.preprocessing,
            composite_prob=self.aug.composite_prob if studio else 0.0,
            companion_prob=self.aug.companion_prob,
            backgrounds=self.backgrounds,
            min_scale=self.aug.min_scale,
            camera=self.aug.camera,
            seed=view_seed,
        )
        companions: list[Image.Image] = []
        pool = self.same_label.get(entry.label, []) if studio else []
        if pool and self.aug.companion_prob:
            rng = np.random.default_rng(view_seed + 1)
            for j in rng.choice(pool, size=min(2, len(pool)), replace=False):
                with Image.open(self.entries[int(j)].path) as other:
                    companions.append(other.convert("RGB"))
        return preset(img, companions), i


@dataclass(frozen=True)
class Augmentation:
    """How training views are made (`zerowaste train --composite-prob ...`); part of the cache key."""

    composite_prob: float = 0.6
    companion_prob: float = 0.25
    min_scale: float = 0.3
    camera: bool = True


@dataclass
class FeatureCache:
    trunk: np.ndarray  # (N * views, C, H, W) float16
    teacher: np.ndarray  # (N * views, 1000) float16: original ImageNet logits of the same view
    views: int


def cache_key(
    entries: list[Entry],
    *,
    cut: int,
    views: int,
    train: bool,
    seed: int,
    aug: Augmentation | None = None,
    config: LiteConfig = LITE0,
) -> str:
    spec = json.dumps(
        {
            "m": manifest_hash(entries),
            "cut": cut,
            "views": views,
            "train": train,
            "seed": seed,
            "v": 3,
            **({"aug": asdict(aug)} if train and aug is not None else {}),
            # another backbone makes other features (Lite0's key stays as it was)
            **({"backbone": asdict(config)} if config != LITE0 else {}),
        }
    )
    return hashlib.sha256(spec.encode()).hexdigest()[:16]


def compute_features(
    entries: list[Entry],
    model: EfficientNetLite,
    *,
    cut: int,
    views: int,
    train: bool,
    cache_dir: Path,
    seed: int,
    workers: int,
    threads: int,
    desc: str,
    aug: Augmentation | None = None,
) -> FeatureCache:
    aug = aug or Augmentation()
    key = cache_key(entries, cut=cut, views=views, train=train, seed=seed, aug=aug, config=model.config)
    path = cache_dir / f"features-{key}.npz"
    if path.exists():
        data = np.load(path)
        log.info("features from cache %s", path)
        return FeatureCache(data["trunk"], data["teacher"], views)
    session = cpu_session(_Teacher(model, cut), ["trunk", "teacher"], threads, size=model.config.resolution)
    loader = DataLoader(
        _Views(entries, views, train, seed, aug, model.config.preprocessing()),
        batch_size=32,
        num_workers=workers,
        shuffle=False,
    )
    trunks: list[np.ndarray] = []
    logits: list[np.ndarray] = []
    for x, _ in tqdm(loader, desc=desc, unit="batch"):
        t, z = session.run(None, {INPUT_NAME: x.numpy()})
        trunks.append(t.astype(np.float16))
        logits.append(z.astype(np.float16))
    result = FeatureCache(np.concatenate(trunks), np.concatenate(logits), views)
    with atomic.atomic_path(path, suffix=".npz", durable=False) as tmp:  # a cache: made again if lost
        np.savez(tmp, trunk=result.trunk, teacher=result.teacher)
    return result
