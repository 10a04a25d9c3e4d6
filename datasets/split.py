"""A deterministic, stratified split in which no near-duplicate group straddles two parts."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict

from zerowaste.datasets.manifest import SPLITS, Entry

DEFAULT_FRACTIONS = (0.7, 0.15, 0.15)


def _order_key(seed: int, group_key: str) -> str:
    return hashlib.sha256(f"{seed}:{group_key}".encode()).hexdigest()


def assign_splits(
    entries: list[Entry], fractions: tuple[float, float, float] = DEFAULT_FRACTIONS, seed: int = 0
) -> None:
    """Give each group one split. Groups are stratified by (source, majority label) and dealt out in
    a seed-determined order so that each stratum fills its parts close to `fractions`."""
    if abs(sum(fractions) - 1.0) > 1e-6 or min(fractions) < 0:
        raise ValueError(f"fractions must be non-negative and sum to 1, got {fractions}")
    members: dict[int, list[Entry]] = defaultdict(list)
    for e in entries:
        if e.group < 0:
            raise ValueError("assign groups (datasets.dedup.assign_groups) before splitting")
        members[e.group].append(e)
    strata: dict[tuple[str, str], list[int]] = defaultdict(list)
    for gid, group in members.items():
        source, label = Counter((e.source, e.label) for e in group).most_common(1)[0][0]
        strata[(source, label)].append(gid)
    for gids in strata.values():
        # The group key is its smallest photo hash, so the order does not depend on scan order.
        gids.sort(key=lambda g: _order_key(seed, min(e.sha256 for e in members[g])))
        total = sum(len(members[g]) for g in gids)
        filled = dict.fromkeys(SPLITS, 0)
        for gid in gids:
            # The part furthest below its target share takes the next group.
            split = min(SPLITS, key=lambda s: filled[s] / total - fractions[SPLITS.index(s)])
            for e in members[gid]:
                e.split = split
            filled[split] += len(members[gid])
