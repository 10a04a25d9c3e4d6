"""Sources with a domain and a finer kind, phone photos labelled by a labels file, and the split that
deals both out: phone photos half to training, a quarter each to validation and test, per (source, kind)."""

from __future__ import annotations

import hashlib
import shutil
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import photos, shared_folder
from zerowaste.datasets.build import build_manifest
from zerowaste.datasets.labels import PhotoLabel, Vote, read_labels, write_labels
from zerowaste.datasets.manifest import Entry, read_manifest, scan_image_folder, sha256_file
from zerowaste.datasets.split import DEFAULT_FRACTIONS, PHONE_FRACTIONS, assign_splits

pytest.importorskip("imagehash")


def _entry(name: str, source: str, kind: str, domain: str, group: int, label: str | None = None) -> Entry:
    return Entry(
        path=f"/photos/{name}.jpg",
        label=label or kind,
        source=source,
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        size=1000,
        width=256,
        height=256,
        phash="0" * 16,
        group=group,
        kind=kind,
        domain=domain,
    )


def _counts(entries: list[Entry]) -> tuple[int, int, int]:
    c = Counter(e.split for e in entries)
    return c["train"], c["val"], c["test"]


def test_phone_photos_split_half_and_quarters_studio_photos_seventy_and_fifteens() -> None:
    assert PHONE_FRACTIONS == (0.5, 0.25, 0.25) and DEFAULT_FRACTIONS == (0.7, 0.15, 0.15)
    phone = [_entry(f"drinks-{i}", "drinks", "metal", "phone", i) for i in range(40)]
    studio = [_entry(f"g12-{i}", "garbage12", "metal", "studio", 100 + i) for i in range(40)]
    assign_splits(phone + studio)
    assert _counts(phone) == (20, 10, 10)
    assert _counts(studio) == (28, 6, 6)


def test_fractions_of_each_domain_can_be_chosen() -> None:
    phone = [_entry(f"drinks-{i}", "drinks", "metal", "phone", i) for i in range(20)]
    studio = [_entry(f"g12-{i}", "garbage12", "metal", "studio", 100 + i) for i in range(20)]
    assign_splits(phone + studio, fractions=(0.5, 0.5, 0.0), phone_fractions=(0.0, 0.5, 0.5))
    assert _counts(phone) == (0, 10, 10)
    assert _counts(studio) == (10, 10, 0)


def test_each_kind_of_a_source_is_its_own_stratum() -> None:
    """Four hats, four dresses, ...: all labelled clothes, and each kind is split 2/1/1 on its own
    (one stratum for all of clothes would leave some kind without a validation photo)."""
    kinds = ("hat", "dress", "pants", "shirt")
    entries = [
        _entry(f"{kind}-{i}", "clothing", kind, "phone", 10 * k + i, label="clothes")
        for k, kind in enumerate(kinds)
        for i in range(4)
    ]
    assign_splits(entries)
    for kind in kinds:
        assert _counts([e for e in entries if e.kind == kind]) == (2, 1, 1), kind


def test_a_group_takes_the_kind_most_of_its_photos_have_and_never_straddles() -> None:
    entries = []
    for g in range(12):
        # three photos of one hat, one of them filed under "dress" by mistake
        entries += [_entry(f"hat-{g}-{i}", "clothing", "hat", "phone", g, label="clothes") for i in range(2)]
        entries.append(_entry(f"dress-{g}", "clothing", "dress", "phone", g, label="clothes"))
    assign_splits(entries)
    for g in range(12):
        assert len({e.split for e in entries if e.group == g}) == 1
    assert _counts(entries) == (18, 9, 9)  # one (clothing, hat) stratum of 12 groups: 6/3/3 groups


def test_the_split_depends_on_the_seed_not_on_the_order() -> None:
    def build(seed: int, reverse: bool) -> dict[str, str]:
        entries = [_entry(f"drinks-{i}", "drinks", "plastic", "phone", i) for i in range(30)]
        if reverse:
            entries.reverse()
        assign_splits(entries, seed=seed)
        return {e.sha256: e.split for e in entries}

    assert build(0, False) == build(0, True)
    assert build(0, False) != build(1, False)


def test_earlier_photos_keep_their_split_and_a_photo_that_trained_keeps_its_group_in_train() -> None:
    a = [_entry(f"a{i}", "drinks", "metal", "phone", 1) for i in range(3)]
    b = [_entry(f"b{i}", "drinks", "metal", "phone", 2) for i in range(2)]
    c = [_entry(f"c{i}", "drinks", "metal", "phone", 3) for i in range(2)]
    d = [_entry("d0", "drinks", "metal", "phone", 4)]
    new = [_entry(f"new{i}", "drinks", "metal", "phone", 10 + i) for i in range(4)]
    previous = {
        a[0].sha256: "train",
        a[1].sha256: "test",
        a[2].sha256: "val",  # a group of train, val and test photos: the copy trained, so it trains
        b[0].sha256: "val",
        b[1].sha256: "train",  # the same
        c[1].sha256: "val",  # val and test only: the most held back, test
        c[0].sha256: "test",
        d[0].sha256: "train",
        hashlib.sha256(b"gone").hexdigest(): "test",  # a photo no longer in the sources: ignored
    }
    entries = a + b + c + d + new
    assign_splits(entries, previous=previous)
    assert {e.split for e in a} == {"train"}
    assert {e.split for e in b} == {"train"}
    assert {e.split for e in c} == {"test"}
    assert d[0].split == "train"
    # Kept: 6 train, 2 test of 12 photos; the phone shares want 6/3/3, so the four new groups go to
    # validation and test.
    assert [e.split for e in new].count("train") == 0
    assert _counts(entries)[0] == 6


def test_a_split_kept_from_an_earlier_manifest_survives_any_seed() -> None:
    entries = [_entry(f"drinks-{i}", "drinks", "glass", "phone", i) for i in range(30)]
    assign_splits(entries, seed=0)
    before = {e.sha256: e.split for e in entries}
    assign_splits(entries, seed=7, previous=before)
    assert {e.sha256: e.split for e in entries} == before


@pytest.mark.parametrize(
    "fractions",
    [(0.5, 0.5, 0.5), (0.6, 0.5, -0.1), (0.5, 0.5), (0.4, 0.3, 0.2, 0.1)],
    ids=["sum-over-1", "negative", "two", "four"],
)
def test_invalid_fractions_are_refused(fractions: tuple) -> None:
    entries = [_entry("x", "drinks", "metal", "phone", 0)]
    with pytest.raises(ValueError, match="fractions must be three non-negative numbers that sum to 1"):
        assign_splits(entries, fractions=fractions)
    with pytest.raises(ValueError, match="fractions must be three non-negative numbers that sum to 1"):
        assign_splits(entries, phone_fractions=fractions)


def test_entries_without_a_group_are_refused() -> None:
    with pytest.raises(ValueError, match="assign groups"):
        assign_splits([_entry("x", "drinks", "metal", "phone", -1)])


# --- phone photos from a flat folder, labelled by a labels file ------------------------------------


@pytest.fixture
def drinks(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Ten real drinks photos in a flat folder, and sha256 -> label for the first seven."""
    shared_folder("drinks-unlabelled")
    folder = tmp_path / "drinks"
    folder.mkdir()
    files = photos("drinks-unlabelled", n=10)
    assert len(files) == 10
    for f in files:
        shutil.copy(f, folder / f.name)
    chosen = ("metal", "plastic", "glass", "brown-glass", "metal", "white-glass", "paper")
    labels = {sha256_file(f): label for f, label in zip(files, chosen, strict=False)}
    return folder, labels


def test_labelled_phone_photos_become_entries_and_the_rest_are_reported(drinks: tuple[Path, dict[str, str]]) -> None:
    folder, labels = drinks
    result = scan_image_folder(folder, "drinks", labels=labels)
    assert len(result.entries) == 7
    for e in result.entries:
        assert e.source == "drinks" and e.domain == "phone"
        assert e.label == labels[e.sha256] and e.kind == e.label
        assert e.width > 0 and len(e.phash) == 16
    assert len(result.problems) == 3
    assert all("no label in the labels file" in p.reason for p in result.problems)
    assert {Path(p.path).name for p in result.problems}.isdisjoint({Path(e.path).name for e in result.entries})


def test_a_source_without_label_folders_needs_its_labels_file(drinks: tuple[Path, dict[str, str]]) -> None:
    folder, _ = drinks
    with pytest.raises(ValueError, match=r"source 'drinks' has no label folders: .*--labels drinks=FILE"):
        scan_image_folder(folder, "drinks")
    assert scan_image_folder(folder, "drinks", labels={}).entries == []


def _labels_file(path: Path, labels: dict[str, str], excluded: list[str]) -> Path:
    votes = (Vote("anna", "x", 1, "2026-11-30T10:00:00Z"),)
    given = [
        PhotoLabel(sha, label, "agreed", tuple(Vote(v.by, label, v.pass_, v.at) for v in votes))
        for sha, label in labels.items()
    ]
    given += [PhotoLabel(sha, "mixed", "resolved") for sha in excluded]
    write_labels(path, "drinks", "test-1", given)
    return path


def test_a_build_joins_phone_photos_with_their_labels_file(drinks: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    folder, labels = drinks
    unlabelled = sorted({sha256_file(f) for f in folder.iterdir()} - set(labels))
    path = _labels_file(tmp_path / "drinks.jsonl", labels, excluded=unlabelled[:1])
    assert read_labels(path).counts()["mixed"] == 1
    result = build_manifest({"drinks": folder}, tmp_path / "m.jsonl", labels={"drinks": path}, min_cosine=None)
    assert {e.sha256: e.label for e in result.entries} == labels  # the excluded photo is left out too
    assert len(result.problems) == 3
    assert {e.domain for e in result.entries} == {"phone"}
    assert {e.split for e in result.entries} <= {"train", "val", "test"} and all(e.split for e in result.entries)
    assert [(e.sha256, e.split) for e in read_manifest(tmp_path / "m.jsonl")] == [
        (e.sha256, e.split) for e in result.entries
    ]


def test_labels_for_a_source_that_is_not_built_are_refused(drinks: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    folder, labels = drinks
    path = _labels_file(tmp_path / "drinks.jsonl", labels, excluded=[])
    with pytest.raises(ValueError, match=r"labels given for \['cans'\], which are not among the sources \['drinks'\]"):
        build_manifest({"drinks": folder}, labels={"drinks": path, "cans": path}, min_cosine=None)


def test_a_labelled_source_built_without_its_labels_is_refused(drinks: tuple[Path, dict[str, str]]) -> None:
    folder, _ = drinks
    with pytest.raises(ValueError, match="--labels drinks="):
        build_manifest({"drinks": folder}, min_cosine=None)


# --- clothing: a folder per kind, labelled by the source's map -------------------------------------


def test_clothing_kinds_map_to_clothes_and_shoes_and_keep_their_kind(tmp_path: Path) -> None:
    root = tmp_path / "clothing"
    for kind in ("hat", "shoes"):
        (root / kind).mkdir(parents=True)
        files = photos("clothing", kind, n=3)
        assert len(files) == 3
        for f in files:
            shutil.copy(f, root / kind / f.name)
    (root / "socks").mkdir()  # a kind the source table does not know
    result = scan_image_folder(root, "clothing")
    assert Counter((e.label, e.kind) for e in result.entries) == {("clothes", "hat"): 3, ("shoes", "shoes"): 3}
    assert {e.domain for e in result.entries} == {"phone"}
    assert [p.reason for p in result.problems] == ["folder name 'socks' maps to no known label"]


def test_a_studio_source_keeps_the_folder_as_kind_and_the_studio_domain(tmp_path: Path) -> None:
    root = tmp_path / "garbage12"
    (root / "battery").mkdir(parents=True)
    for f in photos("garbage12", "battery", n=2):
        shutil.copy(f, root / "battery" / f.name)
    result = scan_image_folder(root, "garbage12")
    assert [(e.label, e.kind, e.domain) for e in result.entries] == [("battery", "battery", "studio")] * 2


# --- copies that pHash and the plain feature cosine miss ------------------------------------------------


def test_files_an_export_names_after_one_original_are_one_photo() -> None:
    from zerowaste.datasets.dedup import same_original_pairs

    def at(name: str, source: str = "drinks") -> Entry:
        e = _entry(name, source, "metal", "phone", -1)
        e.path = f"/shared/drinks-unlabelled/{name}.jpg"
        return e

    entries = [
        at("102_jpg.rf.aaa111"),
        at("102_jpg.rf.bbb222"),
        at("102_png_jpg.rf.ccc333"),
        at("103_jpg.rf.ddd444"),
        at("102_jpg.rf.eee555"),
        at("102_jpg.rf.fff666", source="clothing"),
        at("plain-name"),
    ]
    # Only sources whose file names say so (drinks: Roboflow's `<original>.rf.<hash>`); clothing's do not.
    assert same_original_pairs(entries) == [(0, 1), (0, 4)]


def test_a_turned_or_mirrored_copy_of_a_phone_photo_joins_its_original(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from PIL import Image, ImageOps

    folder = tmp_path / "drinks"
    folder.mkdir()
    originals = photos("drinks-unlabelled", n=3)
    for f in originals:
        shutil.copy(f, folder / f"orig-{f.name}")
    with Image.open(originals[0]) as im:
        im.convert("RGB").rotate(90, expand=True).save(folder / "copy-turned.jpg", quality=90)
    with Image.open(originals[1]) as im:
        ImageOps.mirror(im.convert("RGB")).save(folder / "copy-mirrored.jpg", quality=90)
    labels = {sha256_file(f): "metal" for f in folder.iterdir()}
    path = _labels_file(tmp_path / "drinks.jsonl", labels, excluded=[])
    entries = build_manifest({"drinks": folder}, labels={"drinks": path}, cache_dir=tmp_path / "cache").entries
    group = {Path(e.path).name: e.group for e in entries}
    assert group["copy-turned.jpg"] == group[f"orig-{originals[0].name}"]
    assert group["copy-mirrored.jpg"] == group[f"orig-{originals[1].name}"]
    assert group[f"orig-{originals[2].name}"] not in {group["copy-turned.jpg"], group["copy-mirrored.jpg"]}
    by_group = {}
    for e in entries:
        by_group.setdefault(e.group, set()).add(e.split)
    assert all(len(splits) == 1 for splits in by_group.values())
