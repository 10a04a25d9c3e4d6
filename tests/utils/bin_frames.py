"""Frames for the simulated bio-bin camera: composite views into a bio bin made now, by the same code
the contamination model's data comes from (training/biobin.py), from TEST-split photos only, so the
frames show objects and heaps the model never trained on. Contaminated frames hold one kind each,
the kinds in turn; a planned object that ends up buried beyond recognition makes a clean frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Frame:
    path: Path
    contaminated: bool
    kind: str  # "clean" or the contaminant that stays visible


def build_frames(datasets: Path, out: Path, *, clean: int, contaminated: int, seed: int = 0) -> list[Frame]:
    """`clean` clean views and `contaminated` views with a visible contaminant (kinds in turn)."""
    from zerowaste.training import biobin_data as bd  # the train extra (scipy); the dev install has it
    from zerowaste.training.biobin import make_view

    photos = [p for p in bd.list_photos(datasets) if p.split == "test"]
    pools = bd.pools_for("test", photos, bd.cut_all(photos, workers=2))
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    frames: list[Frame] = []
    n_clean = n_dirty = 0
    while n_clean < clean or n_dirty < contaminated:
        kind = pools.kinds[n_dirty % len(pools.kinds)] if n_dirty < contaminated else None
        view = make_view(rng, pools, [kind] if kind else [])
        if view.present and n_dirty < contaminated:
            n_dirty += 1
        elif not view.present and n_clean < clean:
            n_clean += 1
        else:
            continue
        path = out / f"{'-'.join(view.present) or 'clean'}-{len(frames):03d}.jpg"
        view.image.save(path, quality=90)
        frames.append(Frame(path, bool(view.present), view.present[0] if view.present else "clean"))
    return frames


def frame_folder(folder: Path, frames: list[Frame]) -> Path:
    """A camera's folder showing these frames in this order (links: the pool is not copied)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        (folder / f"{i:05d}{frame.path.suffix}").symlink_to(frame.path)
    return folder
