"""Frames for the simulated bio-bin camera: Garbage-12 `biological` photos as clean views, the same with
a TrashNet plastic, glass or metal object pasted in as contaminated views.

A small cut-and-paste of its own rather than training/composite.py's: the edge tests run without the
training extra (torch), and importing training would pull it in. TrashNet shows one object on a white
sheet, so the object is what the border-connected near-white region leaves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

CONTAMINANT_SOURCES = {"plastic": "plastic_other", "glass": "glass", "metal": "metal"}  # TrashNet folder -> kind


@dataclass(frozen=True)
class Frame:
    path: Path
    contaminated: bool
    kind: str  # "clean" or the contaminant pasted in


def cut_object(image: Image.Image) -> tuple[np.ndarray, np.ndarray] | None:
    """(rgb, alpha) of the object on a plain sheet, cropped to it; None when it does not cut cleanly."""
    rgb = np.asarray(image.convert("RGB"))
    smooth = ndimage.gaussian_filter(rgb.astype(np.float32), sigma=(2, 2, 0))
    border = np.concatenate([smooth[:3].reshape(-1, 3), smooth[-3:].reshape(-1, 3), smooth[:, :3].reshape(-1, 3)])
    sheet = np.abs(smooth - np.median(border, axis=0)).max(axis=2) < 45
    labels, _ = ndimage.label(sheet)
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    background = np.isin(labels, np.unique(edge[edge > 0]))
    pieces, n = ndimage.label(ndimage.binary_opening(~background, iterations=2))
    if n == 0:
        return None
    largest = ndimage.binary_fill_holes(pieces == int(np.bincount(pieces.ravel())[1:].argmax()) + 1)
    if not 0.05 <= float(largest.mean()) <= 0.7:
        return None
    rows, cols = np.flatnonzero(largest.any(axis=1)), np.flatnonzero(largest.any(axis=0))
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    alpha = np.clip(ndimage.gaussian_filter(largest.astype(np.float32), 1.5), 0, 1)[box]
    return np.ascontiguousarray(rgb[box]), alpha


def paste(background: np.ndarray, obj: tuple[np.ndarray, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """The object, its longest side 35-55 % of the frame's, somewhere wholly inside the frame."""
    rgb, alpha = obj
    side = min(background.shape[:2])
    scale = side * rng.uniform(0.35, 0.55) / max(alpha.shape)
    size = (max(1, round(alpha.shape[1] * scale)), max(1, round(alpha.shape[0] * scale)))
    o = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR)).astype(np.float32)
    a = np.asarray(Image.fromarray((alpha * 255).astype(np.uint8)).resize(size)).astype(np.float32)[..., None] / 255
    h, w = a.shape[:2]
    top = int(rng.integers(0, background.shape[0] - h + 1))
    left = int(rng.integers(0, background.shape[1] - w + 1))
    out = background.astype(np.float32).copy()
    region = out[top : top + h, left : left + w]
    out[top : top + h, left : left + w] = a * o + (1 - a) * region
    return np.clip(out, 0, 255).astype(np.uint8)


def build_frames(
    garbage12: Path, trashnet: Path, out: Path, *, clean: int, contaminated: int, seed: int = 0
) -> list[Frame]:
    """`clean` plain biological views and `contaminated` ones with one object each (kinds in turn)."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    backgrounds = sorted((garbage12 / "biological").glob("*.jpg"))
    order = rng.permutation(len(backgrounds))
    frames: list[Frame] = []
    for i in range(clean):
        path = out / f"clean-{i:03d}.jpg"
        Image.open(backgrounds[order[i % len(order)]]).convert("RGB").save(path, quality=95)
        frames.append(Frame(path, False, "clean"))
    objects: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for folder in CONTAMINANT_SOURCES:
        for p in sorted((trashnet / folder).glob("*.jpg")):
            if (cut := cut_object(Image.open(p))) is not None:
                objects.setdefault(folder, []).append(cut)
            if len(objects.get(folder, [])) >= contaminated:
                break
    kinds = sorted(objects)
    for i in range(contaminated):
        folder = kinds[i % len(kinds)]
        bg = np.asarray(Image.open(backgrounds[order[-1 - i % len(order)]]).convert("RGB"))
        obj = objects[folder][int(rng.integers(len(objects[folder])))]
        path = out / f"contaminated-{i:03d}.jpg"
        Image.fromarray(paste(bg, obj, rng)).save(path, quality=95)
        frames.append(Frame(path, True, CONTAMINANT_SOURCES[folder]))
    return frames


def frame_folder(folder: Path, frames: list[Frame]) -> Path:
    """A camera's folder showing these frames in this order (links: the pool is not copied)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        (folder / f"{i:05d}{frame.path.suffix}").symlink_to(frame.path)
    return folder
