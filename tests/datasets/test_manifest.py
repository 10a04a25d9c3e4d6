import logging
import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import photos
from tests.utils.images import write_bad_files
from zerowaste.datasets.build import build_manifest, report
from zerowaste.datasets.embed import CACHE_NAME
from zerowaste.datasets.manifest import manifest_hash, read_manifest, scan_image_folder

pytest.importorskip("imagehash")


@pytest.fixture
def two_sources(tmp_path: Path) -> dict[str, Path]:
    """A TrashNet-like and a garbage12-like folder built from real photos; the second holds resized,
    re-encoded copies of three photos of the first (as garbage12 does), and a folder of bad files."""
    a, b = tmp_path / "trashnet", tmp_path / "garbage12"
    for label in ("paper", "metal", "glass"):
        (a / label).mkdir(parents=True)
        for f in photos("trashnet", label, n=8):
            shutil.copy(f, a / label / f.name)
    for label in ("paper", "metal", "white-glass"):
        (b / label).mkdir(parents=True)
        for f in photos("garbage12", label, n=8):
            shutil.copy(f, b / label / f.name)
    for f in photos("trashnet", "paper", n=3):
        Image.open(f).resize((255, 255)).save(b / "paper" / f"copy-{f.name}", quality=80)
    write_bad_files(b / "metal")
    (b / "styrofoam").mkdir()
    return {"trashnet": a, "garbage12": b}


def test_bad_files_are_reported_and_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    expected = write_bad_files(folder / "paper")
    for f in photos("trashnet", "paper", n=2):
        shutil.copy(f, folder / "paper" / f.name)
    result = scan_image_folder(folder, "garbage12")
    assert len(result.entries) == 2
    reasons = {Path(p.path).name: p.reason for p in result.problems}
    for name, words in expected.items():
        assert words in reasons[name], (name, reasons[name])


def test_entries_carry_hash_size_and_taxonomy_label(two_sources: dict[str, Path]) -> None:
    result = scan_image_folder(two_sources["trashnet"], "trashnet")
    glass = [e for e in result.entries if e.label == "glass"]
    assert len(glass) == 8 and len(result.entries) == 24
    e = glass[0]
    assert len(e.sha256) == 64 and e.size > 0 and e.width > 0 and len(e.phash) == 16


def test_resized_copies_across_sources_share_a_group_and_a_split(two_sources: dict[str, Path], tmp_path: Path) -> None:
    result = build_manifest(two_sources, tmp_path / "m.jsonl")
    copies = [e for e in result.entries if Path(e.path).name.startswith("copy-")]
    assert len(copies) == 3
    for c in copies:
        original = [e for e in result.entries if e.source == "trashnet" and Path(e.path).name == Path(c.path).name[5:]]
        assert len(original) == 1
        assert original[0].group == c.group
        assert original[0].split == c.split
    assert any("styrofoam" in p.reason for p in result.problems)
    assert {e.split for e in result.entries} == {"train", "val", "test"}


def test_split_is_deterministic_and_groups_never_straddle(two_sources: dict[str, Path], tmp_path: Path) -> None:
    first = build_manifest(two_sources, tmp_path / "a.jsonl")
    second = build_manifest(two_sources, tmp_path / "b.jsonl")
    assert manifest_hash(first.entries) == manifest_hash(second.entries)
    assert manifest_hash(read_manifest(tmp_path / "a.jsonl")) == manifest_hash(first.entries)
    splits_by_group: dict[int, set[str]] = {}
    for e in first.entries:
        splits_by_group.setdefault(e.group, set()).add(e.split)
    assert all(len(s) == 1 for s in splits_by_group.values())
    other_seed = build_manifest(two_sources, None, seed=1)
    assert manifest_hash(other_seed.entries) != manifest_hash(first.entries)


def test_report_names_counts_duplicates_and_skips(two_sources: dict[str, Path]) -> None:
    result = build_manifest(two_sources)
    text = report(result.entries, result.problems)
    assert "near-duplicate groups" in text
    assert "skipped files" in text and "zero-byte" in text
    assert "white-glass" in text and "glass" in text


def test_a_cropped_copy_that_phash_misses_is_grouped_by_imagenet_features(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A web shop's second crop of one product shot: 20-36 pHash bits apart, so pHash alone lets the
    two into different splits; their ImageNet features put them in one group. Other photos stay apart."""
    root = tmp_path / "set"
    originals = photos("garbage12", "plastic", n=6)
    (root / "plastic").mkdir(parents=True)
    for f in originals:
        shutil.copy(f, root / "plastic" / f.name)
    with Image.open(originals[0]) as im:
        w, h = im.size
        im.convert("RGB").crop((int(0.15 * w), int(0.1 * h), w, h)).save(root / "plastic" / "crop.jpg", quality=90)
    sources = {"garbage12": root}

    def group_of(entries: list, name: str) -> int:
        return next(e.group for e in entries if Path(e.path).name == name)

    phash_only = build_manifest(sources, min_cosine=None).entries
    assert group_of(phash_only, "crop.jpg") != group_of(phash_only, originals[0].name)

    cache = tmp_path / "cache"
    with_features = build_manifest(sources, cache_dir=cache).entries
    assert group_of(with_features, "crop.jpg") == group_of(with_features, originals[0].name)
    assert len({e.group for e in with_features}) == len(originals)  # the five other photos: five groups
    assert (cache / CACHE_NAME).is_file()

    # A second build embeds nothing new: the cache is keyed by content, so it also survives a move.
    shutil.move(root, tmp_path / "moved")
    with caplog.at_level(logging.INFO, logger="zerowaste.datasets.embed"):
        again = build_manifest({"garbage12": tmp_path / "moved"}, cache_dir=cache).entries
    assert "embedded 0 photos (7 from cache)" in caplog.text
    assert [e.group for e in again] == [e.group for e in with_features]
