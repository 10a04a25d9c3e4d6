"""Read ImageFolder-style sets into a manifest: one JSON line per usable photo.

Every file is opened and fully decoded once; anything unreadable (zero bytes, truncated, not an
image, an extension that lies about the format) is reported with a reason and skipped, never fatal.
Labels come from the taxonomy's source map, never from folder order.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from zerowaste import atomic
from zerowaste.model import taxonomy

log = logging.getLogger(__name__)

EXTENSIONS: dict[str, set[str]] = {
    ".jpg": {"JPEG", "MPO"},
    ".jpeg": {"JPEG", "MPO"},
    ".png": {"PNG"},
    ".webp": {"WEBP"},
    ".bmp": {"BMP"},
}
SPLITS = ("train", "val", "test")


@dataclass
class Entry:
    path: str
    label: str
    source: str
    sha256: str
    size: int
    width: int
    height: int
    phash: str
    group: int = -1
    split: str = ""
    kind: str = ""  # the source's own finer name (a clothing folder such as "hat"); the label when it has none
    domain: str = "studio"  # taxonomy.DOMAINS: studio sets or photos as citizens take them


@dataclass
class Problem:
    path: str
    reason: str


@dataclass
class ScanResult:
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def inspect_file(path: Path) -> tuple[int, int, str]:
    """Decode the whole file; return (width, height, phash) or raise ValueError with a reason."""
    ext = path.suffix.lower()
    if ext not in EXTENSIONS:
        raise ValueError(f"extension {ext or '(none)'} is not an image extension we read")
    if path.stat().st_size == 0:
        raise ValueError("zero-byte file")
    try:
        with Image.open(path) as im:
            fmt = im.format
            im.load()
            if fmt not in EXTENSIONS[ext]:
                raise ValueError(f"extension {ext} but the content is {fmt}")
            rgb = im.convert("RGB")
    except UnidentifiedImageError as exc:
        raise ValueError("not an image") from exc
    except (OSError, SyntaxError) as exc:
        raise ValueError(f"cannot be decoded (truncated or corrupt): {exc}") from exc
    import imagehash  # the train extra; reading a manifest (the service's gate) does not need it

    return rgb.width, rgb.height, str(imagehash.phash(rgb))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def scan_image_folder(
    root: Path, source: str, label_map: dict[str, str] | None = None, labels: dict[str, str] | None = None
) -> ScanResult:
    """Scan `root/<folder>/<file>`; folders map to labels through `label_map` (default: the taxonomy's
    source table). A source without folder labels (a flat folder of phone photos) takes each photo's
    label from `labels` (sha256 -> label, a labels file's usable labels); photos without one are
    reported and left out."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder")
    info = taxonomy.source(source)
    if label_map is None:
        label_map = info.labels
    result = ScanResult()
    files: list[tuple[Path, str | None, str]] = []
    if label_map is None:
        if labels is None:
            raise ValueError(f"source {source!r} has no label folders: give its labels file (--labels {source}=FILE)")
        files = [(f, None, "") for f in sorted(root.rglob("*")) if f.is_file()]
    else:
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            label = label_map.get(folder.name)
            if label is None or not taxonomy.is_known_label(label):
                result.problems.append(Problem(str(folder), f"folder name {folder.name!r} maps to no known label"))
                continue
            files += [(f, label, folder.name) for f in sorted(folder.rglob("*")) if f.is_file()]
    for path, folder_label, kind in tqdm(files, desc=f"scan {source}", unit="img", leave=False):
        sha = sha256_file(path) if path.stat().st_size else ""
        label = folder_label if folder_label is not None else (labels or {}).get(sha)
        if label is None:
            result.problems.append(Problem(str(path), "no label in the labels file (not labelled, or excluded)"))
            continue
        try:
            width, height, phash = inspect_file(path)
        except (ValueError, OSError) as exc:
            result.problems.append(Problem(str(path), str(exc)))
            continue
        result.entries.append(
            Entry(
                path=str(path.resolve()),
                label=label,
                source=source,
                sha256=sha,
                size=path.stat().st_size,
                width=width,
                height=height,
                phash=phash,
                kind=kind or label,
                domain=info.domain,
            )
        )
    for p in result.problems:
        log.warning("skipped %s: %s", p.path, p.reason)
    return result


def write_manifest(path: Path, entries: Iterable[Entry]) -> None:
    with atomic.atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as f:  # never half a manifest
        for e in entries:
            f.write(json.dumps(asdict(e), ensure_ascii=False) + "\n")


def read_manifest(path: Path) -> list[Entry]:
    with Path(path).open(encoding="utf-8") as f:
        return [Entry(**json.loads(line)) for line in f if line.strip()]


def read_splits(path: Path) -> dict[str, str]:
    """sha256 -> split from a manifest or a splits file (`datasets/splits/*.jsonl`: one
    `{"sha256": ..., "split": ...}` per line), the assignment a later build keeps."""
    splits: dict[str, str] = {}
    with Path(path).open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                sha, split = str(row["sha256"]), str(row["split"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{n}: not a manifest or splits line ({exc!r})") from None
            if split not in SPLITS:
                raise ValueError(f"{path}:{n}: split {split!r} is not one of {', '.join(SPLITS)}")
            splits[sha] = split
    return splits


def write_splits(path: Path, entries: Iterable[Entry]) -> None:
    """The split of every photo, by sha256, sorted: small enough to keep in the repository."""
    rows = sorted({(e.sha256, e.split) for e in entries})
    atomic.write_text(path, "".join(json.dumps({"sha256": sha, "split": split}) + "\n" for sha, split in rows))


def manifest_hash(entries: Iterable[Entry]) -> str:
    """Content hash of what was trained on: photo hashes, labels and splits, not file locations."""
    h = hashlib.sha256()
    for e in sorted(entries, key=lambda e: (e.sha256, e.label, e.split)):
        h.update(f"{e.sha256}\t{e.label}\t{e.split}\n".encode())
    return h.hexdigest()


def select(entries: Iterable[Entry], split: str) -> Iterator[Entry]:
    return (e for e in entries if e.split == split)
