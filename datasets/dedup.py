"""Near-duplicate groups across all sources: same bytes, perceptual hashes a few bits apart, or
ImageNet features pointing the same way.

garbage12 holds hundreds of TrashNet photos again (resized, re-encoded); a split that lets one copy
into training and another into the test set measures memory, not recognition. pHash finds resized and
re-encoded copies; crops and shifts of one picture change it too much, the features (`datasets.embed`)
find those.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from zerowaste.datasets.manifest import Entry

# Hamming distance between 64-bit pHashes at or under which two photos count as the same photo.
# Re-encoded and resized copies land at 0-4; different photos of similar objects on a white
# background rarely come below 10.
DEFAULT_MAX_DISTANCE = 6
# Cosine of untouched ImageNet features at or over which two photos count as the same picture.
# Looked at on the shared sets: >= 0.9 are crops or shifts of one photo (35 such pairs had landed in
# different splits with pHash alone); 0.8-0.9 are mostly one object photographed again in another pose,
# and from 0.85 down the groups chain into hundreds of merely similar photos.
DEFAULT_MIN_COSINE = 0.9


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def near_duplicate_pairs(hashes: Sequence[str], max_distance: int) -> list[tuple[int, int]]:
    values = np.array([int(h, 16) for h in hashes], dtype=np.uint64)
    pairs: list[tuple[int, int]] = []
    block = 1024
    for start in range(0, len(values), block):
        chunk = values[start : start + block]
        dist = np.bitwise_count(chunk[:, None] ^ values[None, :])
        rows, cols = np.nonzero(dist <= max_distance)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            i = start + r
            if i < c:
                pairs.append((i, c))
    return pairs


def similar_pairs(features: np.ndarray, min_cosine: float) -> list[tuple[int, int]]:
    """Pairs (i < j) of L2-normalised feature rows whose cosine is at least `min_cosine`."""
    pairs: list[tuple[int, int]] = []
    block = 1024
    for start in range(0, len(features), block):
        sim = features[start : start + block] @ features.T
        rows, cols = np.nonzero(sim >= min_cosine)
        pairs += [(start + r, c) for r, c in zip(rows.tolist(), cols.tolist(), strict=True) if start + r < c]
    return pairs


def similar_across(
    rows: np.ndarray, features: np.ndarray, index: Sequence[int], min_cosine: float
) -> list[tuple[int, int]]:
    """Pairs (i, j), i != j, of `rows` (features of the photos at `index`, e.g. each turned a quarter) and
    `features` (every photo as it is) whose cosine is at least `min_cosine`, ordered i < j."""
    pairs: set[tuple[int, int]] = set()
    block = 512
    for start in range(0, len(rows), block):
        sim = rows[start : start + block] @ features.T
        for r, c in zip(*np.nonzero(sim >= min_cosine), strict=True):
            i = int(index[start + int(r)])
            if i != int(c):
                pairs.add((min(i, int(c)), max(i, int(c))))
    return sorted(pairs)


def same_original_pairs(entries: Sequence[Entry]) -> list[tuple[int, int]]:
    """Pairs (i < j) of photos of one source that its file names call copies of one original
    (`taxonomy.Source.copies_of`): an export's augmented copies are one photo, however they were rotated."""
    import re
    from pathlib import PurePath

    from zerowaste.model import taxonomy

    first: dict[tuple[str, str], int] = {}
    pairs: list[tuple[int, int]] = []
    for i, e in enumerate(entries):
        pattern = taxonomy.source(e.source).copies_of
        if pattern is None:
            continue
        match = re.match(pattern, PurePath(e.path).stem)
        if match is None:
            continue
        key = (e.source, match.group("original"))
        if key in first:
            pairs.append((first[key], i))
        else:
            first[key] = i
    return pairs


def assign_groups(
    entries: list[Entry], max_distance: int = DEFAULT_MAX_DISTANCE, similar: Sequence[tuple[int, int]] = ()
) -> int:
    """Set `entry.group` (the smallest index in its group); return the number of duplicate pairs.
    `similar` (from `similar_pairs`) adds the pairs pHash misses."""
    uf = _UnionFind(len(entries))
    first_by_sha: dict[str, int] = {}
    pairs = 0
    for i, e in enumerate(entries):
        if e.sha256 in first_by_sha:
            uf.union(first_by_sha[e.sha256], i)
            pairs += 1
        else:
            first_by_sha[e.sha256] = i
    near = near_duplicate_pairs([e.phash for e in entries], max_distance)
    near = sorted(set(near) | set(similar))
    for a, b in near:
        uf.union(a, b)
    for i, e in enumerate(entries):
        e.group = uf.find(i)
    return pairs + len(near)
