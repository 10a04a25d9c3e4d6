"""On the real shared sets: the garbage12 copies of TrashNet photos are found and kept in one split."""

from pathlib import Path

import pytest

from zerowaste.datasets.build import build_manifest

pytest.importorskip("imagehash")


@pytest.mark.slow
def test_cross_source_duplicates_are_found_and_never_leak(trashnet: Path, garbage12: Path) -> None:
    result = build_manifest({"trashnet": trashnet, "garbage12": garbage12})
    groups: dict[int, list] = {}
    for e in result.entries:
        groups.setdefault(e.group, []).append(e)
    cross = [g for g in groups.values() if len({e.source for e in g}) == 2]
    # The shared README: "several hundred exact or near-exact copies, cardboard most of all".
    assert len(cross) >= 200
    assert max(("cardboard" in {e.label for e in g}) for g in cross)
    assert all(len({e.split for e in g}) == 1 for g in groups.values())
    fractions = {s: sum(e.split == s for e in result.entries) / len(result.entries) for s in ("train", "val", "test")}
    assert fractions["train"] == pytest.approx(0.7, abs=0.03)
    assert fractions["test"] == pytest.approx(0.15, abs=0.03)
