"""Scan sources, group near-duplicates, split, and write the manifest in one step."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from zerowaste.datasets.dedup import (
    DEFAULT_MAX_DISTANCE,
    DEFAULT_MIN_COSINE,
    assign_groups,
    same_original_pairs,
    similar_across,
    similar_pairs,
)
from zerowaste.datasets.label_sets import CLASSIFIER
from zerowaste.datasets.labels import read_labels
from zerowaste.datasets.manifest import SPLITS, Entry, Problem, read_splits, scan_image_folder, write_manifest
from zerowaste.datasets.split import DEFAULT_FRACTIONS, assign_splits

# Where `zerowaste data build` writes and where training, evaluation and the benchmarks look by default.
DEFAULT_MANIFEST = Path("runs/data/manifest.jsonl")
# Photo features cached by sha256: the data build's embeddings and training's trunk features share it.
DEFAULT_CACHE_DIR = Path("runs/cache")


# What a release trains on, by folder name under ../shared/datasets, and the data the repository keeps
# for it: the drinks photos' labels and every photo's split (so a rebuild gives the same split).
_HERE = Path(__file__).resolve().parent
RELEASE_SOURCES = {
    "trashnet": "trashnet",
    "garbage12": "garbage12",
    "garbage12-more": "garbage12-more",
    "clothing": "clothing",
    "drinks": "drinks-unlabelled",
}
RELEASE_LABELS = {"drinks": _HERE / "labels" / "drinks.jsonl"}
RELEASE_SPLITS = _HERE / "splits" / "2026-11-30.jsonl"


def release_sources(root: Path) -> tuple[dict[str, Path], dict[str, Path]]:
    """(sources, labels files) of a release under the shared datasets folder `root`; sets that are not
    there are left out."""
    sources = {name: root / folder for name, folder in RELEASE_SOURCES.items() if (root / folder).is_dir()}
    return sources, {name: path for name, path in RELEASE_LABELS.items() if name in sources}


@dataclass
class BuildResult:
    entries: list[Entry]
    problems: list[Problem]
    duplicate_pairs: int


def build_manifest(
    sources: dict[str, Path],
    out: Path | None = None,
    *,
    labels: dict[str, Path] | None = None,
    keep_splits: Path | None = None,
    max_distance: int = DEFAULT_MAX_DISTANCE,
    min_cosine: float | None = DEFAULT_MIN_COSINE,
    cache_dir: Path | None = None,
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
    seed: int = 0,
) -> BuildResult:
    entries: list[Entry] = []
    problems: list[Problem] = []
    unknown = set(labels or {}) - set(sources)
    if unknown:
        raise ValueError(f"labels given for {sorted(unknown)}, which are not among the sources {sorted(sources)}")
    for name, root in sources.items():
        given = None
        if labels and name in labels:
            read = read_labels(labels[name])
            # A bio-bin queue's export says "clean" or "plastic_bag": no waste class a classifier learns.
            if read.label_set != CLASSIFIER:
                raise ValueError(
                    f"{labels[name]}: label set {read.label_set.name!r}, a data set takes classifier labels"
                )
            given = read.usable()
        scanned = scan_image_folder(root, name, labels=given)
        entries += scanned.entries
        problems += scanned.problems
    similar = same_original_pairs(entries)
    if min_cosine is not None:
        from zerowaste.datasets.embed import TURNS, imagenet_embeddings  # torch: the train extra, as ImageHash

        features = imagenet_embeddings(entries, cache_dir)
        similar += similar_pairs(features, min_cosine)
        # Phone photos get re-shared turned and mirrored: compare each phone photo turned every way with
        # every photo as it is. (Studio sets were photographed upright on a sheet; turning all of them
        # would cost seven more passes over 10,000 photos for copies nobody has seen there.)
        phone = [i for i, e in enumerate(entries) if e.domain == "phone"]
        for turn in TURNS if phone else ():
            turned = imagenet_embeddings([entries[i] for i in phone], cache_dir, turn=turn)
            similar += similar_across(turned, features, phone, min_cosine)
    pairs = assign_groups(entries, max_distance, similar)
    previous = read_splits(keep_splits) if keep_splits is not None else None
    assign_splits(entries, fractions, seed, previous=previous)
    if out is not None:
        write_manifest(out, entries)
    return BuildResult(entries, problems, pairs)


def report(entries: list[Entry], problems: list[Problem] | None = None) -> str:
    """Counts per class and source per split, duplicate groups, and skipped files, as plain text."""
    lines: list[str] = []
    sources = sorted({e.source for e in entries})
    labels = sorted({e.label for e in entries})
    counts = Counter((e.source, e.label, e.split) for e in entries)
    header = f"{'label':<14}" + "".join(f"{s + ' ' + p:>18}" for s in sources for p in SPLITS)
    lines += [header, "-" * len(header)]
    for label in labels:
        row = f"{label:<14}" + "".join(f"{counts[(s, label, p)]:>18}" for s in sources for p in SPLITS)
        lines.append(row)
    totals = f"{'total':<14}" + "".join(
        f"{sum(v for (s2, _, p2), v in counts.items() if s2 == s and p2 == p):>18}" for s in sources for p in SPLITS
    )
    lines += ["-" * len(header), totals, ""]
    sizes = Counter(e.group for e in entries)
    dup_groups = [g for g, n in sizes.items() if n > 1]
    cross = sum(1 for g in dup_groups if len({e.source for e in entries if e.group == g}) > 1)
    lines.append(
        f"photos: {len(entries)}; near-duplicate groups: {len(dup_groups)} holding "
        f"{sum(sizes[g] for g in dup_groups)} photos ({cross} groups span two sources); "
        f"photos kept apart from their duplicates' split: 0 by construction"
    )
    by_split = Counter(e.split for e in entries)
    lines.append("split: " + ", ".join(f"{p} {by_split[p]}" for p in SPLITS))
    by_domain = Counter((e.domain, e.split) for e in entries)
    for domain in sorted({e.domain for e in entries}):
        lines.append(f"  {domain}: " + ", ".join(f"{p} {by_domain[(domain, p)]}" for p in SPLITS))
    if problems:
        lines.append(f"skipped files: {len(problems)}")
        lines += [f"  {p.path}: {p.reason}" for p in problems]
    return "\n".join(lines)
