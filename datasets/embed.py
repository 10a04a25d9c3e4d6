"""What the untouched ImageNet EfficientNet-Lite0 sees in each photo: pooled features for duplicate search.

pHash misses copies that were cropped, shifted or re-framed (a web shop's product shot in two crops,
a TrashNet photo taken again a moment later). Their ImageNet features still point the same way:
cosine >= 0.9 on these features pairs photos a person calls "the same picture"; different photos of
similar objects stay below it (README, "Data"). The model is the ImageNet one, never a fine-tuned
one, so the split does not depend on any training run.

Features are cached by file sha256, so rebuilding a manifest embeds only new photos.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from zerowaste import atomic
from zerowaste.datasets.manifest import Entry
from zerowaste.model.architecture import EfficientNetLite
from zerowaste.model.image_io import load_image
from zerowaste.model.preprocess import preprocess
from zerowaste.model.pretrained import pretrained
from zerowaste.model.spec import INPUT_NAME
from zerowaste.model.torch_session import cpu_session

log = logging.getLogger(__name__)

CACHE_NAME = "imagenet-embeddings.npz"
# Photos as people re-share them: mirrored, turned by a quarter or half. A copy turned or mirrored has
# features pointing elsewhere (cosine 0.57-0.70 for two drinks copies), but one of these turns brings
# it back.
TURNS: dict[str, tuple[Image.Transpose, ...]] = {
    "mirror": (Image.Transpose.FLIP_LEFT_RIGHT,),
    "flip": (Image.Transpose.FLIP_TOP_BOTTOM,),
    "rot90": (Image.Transpose.ROTATE_90,),
    "rot180": (Image.Transpose.ROTATE_180,),
    "rot270": (Image.Transpose.ROTATE_270,),
    "transpose": (Image.Transpose.TRANSPOSE,),
    "transverse": (Image.Transpose.TRANSVERSE,),
}


class _Pooled(torch.nn.Module):
    def __init__(self, model: EfficientNetLite) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.pooled(self.model.trunk(x, 0), 0)


def _read_cache(path: Path | None) -> dict[str, np.ndarray]:
    if path is None or not path.exists():
        return {}
    with np.load(path) as data:
        return dict(zip(data["sha256"].tolist(), data["features"], strict=True))


def _write_cache(path: Path, cached: dict[str, np.ndarray]) -> None:
    keys = sorted(cached)
    # a crash mid-write leaves the old cache, never half a file
    with atomic.atomic_path(path, suffix=".npz", durable=False) as tmp:
        np.savez(tmp, sha256=np.array(keys), features=np.stack([cached[k] for k in keys]).astype(np.float16))


def _turned(image: Image.Image, turn: str) -> Image.Image:
    for step in TURNS.get(turn, ()):
        image = image.transpose(step)
    return image


def imagenet_embeddings(
    entries: Sequence[Entry], cache_dir: Path | None = None, *, batch_size: int = 32, threads: int = 0, turn: str = ""
) -> np.ndarray:
    """(N, 1280) L2-normalised float32 features of the untouched ImageNet model, one row per entry;
    with `turn` (a key of TURNS) of each photo mirrored or rotated that way."""
    if turn and turn not in TURNS:
        raise ValueError(f"unknown turn {turn!r}; known: {', '.join(TURNS)}")
    cache_path = cache_dir / (CACHE_NAME if not turn else f"imagenet-embeddings-{turn}.npz") if cache_dir else None
    cached = _read_cache(cache_path)
    todo = list({e.sha256: e for e in entries if e.sha256 not in cached}.values())
    if todo:
        session = cpu_session(_Pooled(pretrained(1)), ["pooled"], threads)
        for start in tqdm(range(0, len(todo), batch_size), desc="embed", unit="batch", leave=False):
            batch = todo[start : start + batch_size]
            x = np.stack([preprocess(_turned(load_image(e.path), turn)) for e in batch])
            (pooled,) = session.run(None, {INPUT_NAME: x})
            cached.update(zip((e.sha256 for e in batch), pooled, strict=True))
        if cache_path is not None:
            _write_cache(cache_path, cached)
    log.info("embedded %d photos (%d from cache)", len(todo), len(entries) - len(todo))
    features = np.stack([cached[e.sha256] for e in entries]).astype(np.float32) if entries else np.zeros((0, 1))
    return np.asarray(features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12))
