"""A deterministic, stratified split in which no near-duplicate group straddles two parts."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict

from zerowaste.datasets.manifest import SPLITS, Entry

DEFAULT_FRACTIONS = (0.7, 0.15, 0.15)
# Phone photos are scarce and they are what the model is judged on out of its studio domain: half
# of them train, and a quarter each make the out-of-domain validation and test splits, large
# enough to measure a class on.
PHONE_FRACTIONS = (0.5, 0.25, 0.25)


def _order_key(seed: int, group_key: str) -> str:
    return hashlib.sha256(f"{seed}:{group_key}".encode()).hexdigest()


def _check(fractions: tuple[float, float, float]) -> None:
    if len(fractions) != 3 or abs(sum(fractions) - 1.0) > 1e-6 or min(fractions) < 0:
        raise ValueError(f"fractions must be three non-negative numbers that sum to 1, got {fractions}")


def assign_splits(
    entries: list[Entry],
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
    seed: int = 0,
    phone_fractions: tuple[float, float, float] = PHONE_FRACTIONS,
    previous: dict[str, str] | None = None,
) -> None:
    """Give each group one split. Groups are stratified by (source, majority kind) and dealt out in
    a seed-determined order so that each stratum fills its parts close to `fractions` (studio sets)
    or `phone_fractions` (photos as citizens take them).

    `previous` (sha256 -> split of an earlier manifest) keeps what a released model was trained and
    tested on where it was: a group holding an earlier photo keeps that photo's split, so an earlier
    test photo does not train and the registry's fixed test set stays fixed. Where better duplicate
    search joins an earlier training photo with earlier validation or test photos, the group trains:
    those photos were never a fair test of a model that trained on their copy, and leaving the group in
    test would put the training photo there too. Otherwise a group takes its most held-back earlier
    split (test, then val). Only new groups are dealt out, towards the same shares."""
    _check(fractions)
    _check(phone_fractions)
    members: dict[int, list[Entry]] = defaultdict(list)
    for e in entries:
        if e.group < 0:
            raise ValueError("assign groups (datasets.dedup.assign_groups) before splitting")
        members[e.group].append(e)
    strata: dict[tuple[str, str], list[int]] = defaultdict(list)
    for gid, group in members.items():
        source, kind = Counter((e.source, e.kind or e.label) for e in group).most_common(1)[0][0]
        strata[(source, kind)].append(gid)
    for (source, _), gids in strata.items():
        domain = next(e.domain for g in gids[:1] for e in members[g] if e.source == source)
        parts = phone_fractions if domain == "phone" else fractions
        # The group key is its smallest photo hash, so the order does not depend on scan order.
        gids.sort(key=lambda g: _order_key(seed, min(e.sha256 for e in members[g])))
        total = sum(len(members[g]) for g in gids)
        filled = dict.fromkeys(SPLITS, 0)
        new = []
        for gid in gids:
            kept = {previous[e.sha256] for e in members[gid] if previous and e.sha256 in previous}
            if not kept:
                new.append(gid)
                continue
            split = "train" if "train" in kept else next(s for s in reversed(SPLITS) if s in kept)
            for e in members[gid]:
                e.split = split
            filled[split] += len(members[gid])
        for gid in new:
            # The part furthest below its target share takes the next group.
            split = min(SPLITS, key=lambda s: filled[s] / total - parts[SPLITS.index(s)])
            for e in members[gid]:
                e.split = split
            filled[split] += len(members[gid])
