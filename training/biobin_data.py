"""The composite sets the bio-bin camera model trains and is judged on (`zerowaste contamination data`).

Which photos feed which kind, and in which split: every photo keeps the split the repository's
splits file gives it (`datasets/splits/`, near-duplicates grouped), so a test view is made only of
test objects on test backgrounds and never of anything training saw. Plastic photos are split into
bags and film or other plastic by the labels people gave them (`datasets/labels/contamination/`);
photos of the real-photo evaluation set are left out of every composite.

A set is a folder per split: `NNNNN.jpg` views, `views.jsonl` (file, kinds present, sha256) and
`masks.npz` (each view's visible masks), so training, evaluation and the benchmark read the same
views; `data_sha256` names the set in the model file.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from zerowaste import atomic
from zerowaste.datasets.build import RELEASE_SPLITS
from zerowaste.datasets.dedup import near_duplicate_pairs
from zerowaste.datasets.manifest import inspect_file, read_splits, sha256_file
from zerowaste.model.image_io import load_image
from zerowaste.training.biobin import MASK_SIZE, Pools, make_view
from zerowaste.training.composite import Cutout, cut_out
from zerowaste.wire import CONTAMINANTS

log = logging.getLogger(__name__)

LABELS_DIR = Path(__file__).resolve().parent.parent / "datasets" / "labels" / "contamination"
PLASTIC_LABELS = LABELS_DIR / "plastic-kind.jsonl"
REAL_LABELS = LABELS_DIR / "biobin-real.jsonl"
ORGANIC_LABELS = LABELS_DIR / "organic-pure.jsonl"
DEFAULT_OUT = Path("runs/biobin")
CUTOUT_CACHE = Path("runs/cache/cutouts")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}

# (shared folder, class folder) -> kind; "plastic" is decided per photo by the plastic-kind labels.
SOURCES: dict[str, list[tuple[str, str]]] = {
    "plastic": [("trashnet", "plastic"), ("garbage12", "plastic"), ("garbage12-more", "plastic")],
    "glass": [("trashnet", "glass")]
    + [(s, f"{c}-glass") for s in ("garbage12", "garbage12-more") for c in ("brown", "green", "white")],
    "metal": [("trashnet", "metal"), ("garbage12", "metal"), ("garbage12-more", "metal")],
    # Batteries and textiles are what else ends up in a bio bin that people can photograph apart.
    "other": [(s, c) for s in ("garbage12", "garbage12-more") for c in ("battery", "clothes")],
    "organic": [("garbage12", "biological"), ("garbage12-more", "biological")],
}
# Views per split and the share of them with a contaminant; one in five contaminated views has two.
DEFAULT_COUNTS = {"train": 6000, "val": 1200, "test": 1600}
CONTAMINATED_SHARE, TWO_SHARE = 0.5, 0.2


class BiobinDataError(ValueError):
    """The photos or labels a composite set needs are missing or inconsistent."""


@dataclass(frozen=True)
class Photo:
    path: Path
    sha256: str
    kind: str  # a contaminant kind or "organic"
    split: str


def read_jsonl(path: Path) -> list[dict[str, object]]:
    if not path.is_file():
        return []
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [line for line in lines if "_meta" not in line]


def plastic_kinds(path: Path = PLASTIC_LABELS) -> dict[str, str]:
    """sha256 -> plastic_bag | plastic_other (unclear photos are left out)."""
    return {
        str(r["sha256"]): str(r["label"]) for r in read_jsonl(path) if r["label"] in ("plastic_bag", "plastic_other")
    }


def pure_organic(path: Path = ORGANIC_LABELS) -> set[str]:
    """sha256 of the organic photos people saw showing organic matter only (no plate, jar, tray, bag,
    packaging, cutlery, hand or graphic): what a clean bin's view may be made of."""
    return {str(r["sha256"]) for r in read_jsonl(path) if r["label"] == "organic_only"}


def real_photo_hashes(path: Path = REAL_LABELS) -> set[str]:
    return {str(r["sha256"]) for r in read_jsonl(path)}


def _split_of(sha: str, splits: dict[str, str]) -> str:
    if sha in splits:
        return splits[sha]
    # A photo the splits file does not know (a newer copy of a set): a fixed split from its hash.
    h = int(sha[:8], 16) % 100
    return "train" if h < 70 else "val" if h < 85 else "test"


def list_photos(root: Path, splits_file: Path = RELEASE_SPLITS) -> list[Photo]:
    """Every usable source photo under the shared datasets folder `root`, with its kind and split."""
    splits, kinds, excluded = read_splits(splits_file), plastic_kinds(), real_photo_hashes()
    organic = pure_organic()
    if not kinds:
        raise BiobinDataError(f"no plastic-kind labels in {PLASTIC_LABELS}: bags cannot be told from other plastic")
    if not organic:
        raise BiobinDataError(f"no organic-only labels in {ORGANIC_LABELS}: clean views would show jars and trays")
    photos: list[Photo] = []
    real: list[Path] = []
    for kind, folders in SOURCES.items():
        for source, folder in folders:
            d = root / source / folder
            if not d.is_dir():
                log.warning("%s is missing: its photos are left out", d)
                continue
            for path in sorted(p for p in d.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
                sha = sha256_file(path)
                if sha in excluded:
                    real.append(path)
                    continue
                k = kinds.get(sha) if kind == "plastic" else kind
                if kind == "organic" and sha not in organic:
                    continue  # a plate, jar, tray or packaging in it: no part of a clean view
                if k is not None:
                    photos.append(Photo(path, sha, k, _split_of(sha, splits)))
    return _without_copies_of_real(photos, real)


# pHash distance at or under which an organic photo counts as a copy of a real evaluation photo. Looser
# than the data build's 6: the real photos are stock pictures sold again by several sites (resized,
# re-cropped, watermarked), and a copy of one in the composites' heaps would flatter the real-photo figure.
REAL_COPY_DISTANCE = 10


def _without_copies_of_real(photos: list[Photo], real: list[Path]) -> list[Photo]:
    """Drop organic photos whose pHash lies near a real evaluation photo's: copies stay out of training."""
    organic = [p for p in photos if p.kind == "organic"]
    if not real or not organic:
        return photos
    hashes = [inspect_file(p.path)[2] for p in organic] + [inspect_file(path)[2] for path in real]
    copies = {
        organic[k].sha256
        for pair in near_duplicate_pairs(hashes, REAL_COPY_DISTANCE)
        if min(pair) < len(organic) <= max(pair)
        for k in pair
        if k < len(organic)
    }
    log.info("left out %d organic photos that are copies of real evaluation photos", len(copies))
    return [p for p in photos if p.sha256 not in copies]


def _cut(path_sha: tuple[Path, str]) -> tuple[str, Cutout | None]:
    path, sha = path_sha
    cached = CUTOUT_CACHE / f"{sha}.npz"
    if cached.is_file():
        with np.load(cached) as z:
            return sha, Cutout(z["rgb"], z["alpha"]) if z["rgb"].size else None
    try:
        cut = cut_out(load_image(path))
    except Exception as exc:  # noqa: BLE001 - an unreadable photo is one cut-out fewer, not a failed build
        log.warning("%s: %s", path, exc)
        cut = None
    buf = io.BytesIO()
    if cut is None:
        np.savez(buf, rgb=np.zeros(0, np.uint8), alpha=np.zeros(0, np.float32))
    else:
        np.savez(buf, rgb=cut.rgb, alpha=cut.alpha.astype(np.float16))
    atomic.write_bytes(cached, buf.getvalue(), durable=False)
    return sha, cut


def cut_all(photos: Iterable[Photo], workers: int = 0) -> dict[str, Cutout | None]:
    """sha256 -> the photo's cut-out (None: not a plain-background photo), cached under runs/cache."""
    todo = sorted({(p.path, p.sha256) for p in photos}, key=lambda t: t[1])
    CUTOUT_CACHE.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        results = dict(tqdm(pool.map(_cut, todo, chunksize=16), total=len(todo), desc="cutting out", unit="photo"))
    return {sha: (None if c is None else Cutout(c.rgb, c.alpha.astype(np.float32))) for sha, c in results.items()}


def pools_for(split: str, photos: list[Photo], cuts: dict[str, Cutout | None]) -> Pools:
    mine = [p for p in photos if p.split == split]
    contaminants: dict[str, list[Cutout]] = {
        k: [c for p in mine if p.kind == k and (c := cuts[p.sha256]) is not None] for k in CONTAMINANTS
    }
    organic = [c for p in mine if p.kind == "organic" and (c := cuts[p.sha256]) is not None]
    # Photos of organic waste that are not studio shots are the heaps the views are made of.
    backgrounds = [
        image
        for p in mine
        if p.kind == "organic" and cuts[p.sha256] is None and not _studio_white(image := load_image(p.path))
    ]
    if not organic:
        raise BiobinDataError(f"no organic cut-outs in the {split} split")
    return Pools(contaminants, organic, backgrounds)


def _studio_white(image: Image.Image) -> bool:
    """A product shot on white (several fruits on a sheet): no view into a bin looks like that."""
    small = np.asarray(image.convert("RGB").resize((64, 64)))
    return bool((small.min(axis=2) > 220).mean() > 0.3)


def plan(rng: np.random.Generator, kinds: list[str], n: int) -> list[list[str]]:
    """Which kinds each of n views holds: half clean, kinds balanced."""
    out: list[list[str]] = []
    for _ in range(n):
        if rng.random() >= CONTAMINATED_SHARE:
            out.append([])
        else:
            count = 2 if rng.random() < TWO_SHARE else 1
            out.append(sorted(rng.choice(kinds, size=min(count, len(kinds)), replace=False).tolist()))
    return out


_POOLS: Pools | None = None  # the worker processes' pools (set once by the pool's initializer)


def _init_worker(pools: Pools) -> None:
    global _POOLS
    _POOLS = pools


def _render(job: tuple[Path, int, list[str], list[int]]) -> tuple[dict[str, object], dict[str, np.ndarray]]:
    """One view, from its own seed: the same set whatever the number of workers."""
    folder, i, kinds, seed = job
    assert _POOLS is not None
    rng = np.random.default_rng([*seed, i])
    view = make_view(rng, _POOLS, kinds)
    buf = io.BytesIO()
    view.image.save(buf, "JPEG", quality=int(rng.integers(55, 95)))
    name = f"{i:05d}.jpg"
    atomic.write_bytes(folder / name, buf.getvalue(), durable=False)
    row: dict[str, object] = {
        "file": name,
        "present": view.present,
        "sha256": hashlib.sha256(buf.getvalue()).hexdigest(),
    }
    return row, {f"{i:05d}:{k}": m.astype(np.float16) for k, m in view.masks.items()}


def write_set(out: Path, split: str, pools: Pools, n: int, seed: int, workers: int = 0) -> Path:
    """n views of one split under out/split; returns the views file."""
    folder = out / split
    folder.mkdir(parents=True, exist_ok=True)
    key = [seed, ["train", "val", "test"].index(split)]
    jobs = [(folder, i, kinds, key) for i, kinds in enumerate(plan(np.random.default_rng(key), pools.kinds, n))]
    rows, masks = [], {}
    with ProcessPoolExecutor(workers or os.cpu_count() or 1, initializer=_init_worker, initargs=(pools,)) as pool:
        for row, m in tqdm(pool.map(_render, jobs, chunksize=8), total=n, desc=f"{split} views", unit="view"):
            rows.append(row)
            masks.update(m)
    np.savez_compressed(folder / "masks.npz", allow_pickle=False, **masks)
    views = folder / "views.jsonl"
    atomic.write_text(views, "".join(json.dumps(r) + "\n" for r in rows))
    return views


@dataclass
class ViewSet:
    folder: Path
    files: list[str]
    present: list[list[str]]
    masks: dict[str, np.ndarray]

    def mask(self, i: int, kind: str) -> np.ndarray | None:
        return self.masks.get(f"{self.files[i][:-4]}:{kind}")

    def view_masks(self, i: int) -> dict[str, np.ndarray]:
        return {k: m.astype(np.float32) for k in self.present[i] if (m := self.mask(i, k)) is not None}


def read_set(folder: Path) -> ViewSet:
    rows = read_jsonl(folder / "views.jsonl")
    if not rows:
        raise BiobinDataError(f"no views in {folder}: run `zerowaste contamination data` first")
    with np.load(folder / "masks.npz") as z:
        masks = {k: z[k] for k in z.files}
    for m in masks.values():
        assert m.shape == (MASK_SIZE, MASK_SIZE)
    return ViewSet(folder, [str(r["file"]) for r in rows], [list(r["present"]) for r in rows], masks)  # type: ignore[call-overload]


def set_sha256(out: Path) -> str:
    """One hash over every split's views file: which composite set a model was trained and judged on."""
    h = hashlib.sha256()
    for split in ("train", "val", "test"):
        path = out / split / "views.jsonl"
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()
