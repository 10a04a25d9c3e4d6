"""Labels files: what a person decided about each photo, kept as data and refused when it cannot be trusted."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from zerowaste.datasets.labels import (
    EXCLUDED,
    FORMAT,
    LabelsError,
    PhotoLabel,
    Vote,
    allowed_labels,
    read_labels,
    write_labels,
)
from zerowaste.model import taxonomy


def _sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _photo(name: str, label: str, status: str = "agreed", votes: tuple[str, ...] | None = None) -> PhotoLabel:
    given = votes if votes is not None else (label, label)
    return PhotoLabel(
        _sha(name),
        label,
        status,
        tuple(
            Vote(by, v, n, f"2026-11-30T10:0{n}:00Z")
            for n, (by, v) in enumerate(zip(("anna", "ben", "cem"), given, strict=False), 1)
        ),
    )


PHOTOS = [
    _photo("can", "metal"),
    _photo("bottle", "plastic"),
    _photo("jar", "glass", "resolved", ("white-glass", "green-glass", "glass")),
    _photo("card", "other"),
    _photo("pack", "mixed", "resolved", ("paper", "plastic", "mixed")),
    _photo("tin", "metal"),
]


def test_written_labels_read_back_with_header_counts_and_votes(tmp_path: Path) -> None:
    path = tmp_path / "labels" / "drinks.jsonl"  # the folder is created
    written = write_labels(path, "drinks", "2026.12-1", PHOTOS, meta={"licence": "CC BY 4.0"})
    read = read_labels(path)
    assert read.name == "drinks" and read.version == "2026.12-1"
    assert read.meta["format"] == FORMAT and read.meta["licence"] == "CC BY 4.0"
    assert read.meta["photos"] == 6
    assert read.meta["counts"] == {"glass": 1, "metal": 2, "mixed": 1, "other": 1, "plastic": 1}
    assert read.counts() == written.counts() == read.meta["counts"]
    assert read.labels == written.labels
    jar = read.labels[_sha("jar")]
    assert jar.status == "resolved" and jar.label == "glass"
    assert [(v.by, v.label, v.pass_) for v in jar.votes] == [
        ("anna", "white-glass", 1),
        ("ben", "green-glass", 2),
        ("cem", "glass", 3),
    ]
    assert not (tmp_path / "labels" / "drinks.jsonl.tmp").exists()


def test_photos_are_written_sorted_by_sha256_after_the_header(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    write_labels(path, "drinks", "1", reversed(PHOTOS))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert set(json.loads(lines[0])) == {"_meta"}
    shas = [json.loads(line)["sha256"] for line in lines[1:]]
    assert shas == sorted(p.sha256 for p in PHOTOS)
    vote = json.loads(lines[1])["votes"][0]
    assert set(vote) == {"by", "label", "pass", "at"}  # "pass", not the Python name pass_


def test_usable_drops_the_excluded_labels(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    write_labels(path, "drinks", "1", PHOTOS)
    usable = read_labels(path).usable()
    assert usable == {_sha("can"): "metal", _sha("bottle"): "plastic", _sha("jar"): "glass", _sha("tin"): "metal"}
    assert not set(usable.values()) & set(EXCLUDED)


def test_allowed_labels_are_the_classes_the_groups_and_the_exclusions() -> None:
    assert allowed_labels() == (*taxonomy.LABELS, "glass", "mixed", "other")


def test_the_shipped_drinks_labels_file_is_valid() -> None:
    labels = read_labels(Path(__file__).resolve().parents[2] / "datasets" / "labels" / "drinks.jsonl")
    assert labels.name == "drinks"
    assert sum(labels.counts().values()) == labels.meta["photos"] == len(labels.labels)
    assert labels.counts() == labels.meta["counts"]


def test_writing_a_photo_twice_or_a_bad_label_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    with pytest.raises(LabelsError, match="listed twice"):
        write_labels(path, "drinks", "1", [*PHOTOS, _photo("can", "plastic")])
    with pytest.raises(LabelsError, match="label 'wood' is not one of"):
        write_labels(path, "drinks", "1", [_photo("plank", "wood")])
    assert not path.exists()


def _write(path: Path, header: object, *records: object) -> Path:
    lines = [json.dumps(header) if not isinstance(header, str) else header]
    lines += [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD_HEADER = {"_meta": {"format": FORMAT, "name": "drinks", "version": "1"}}


def _record(name: str = "can", **changes: object) -> dict:
    record = {
        "sha256": _sha(name),
        "label": "metal",
        "status": "agreed",
        "votes": [{"by": "anna", "label": "metal", "pass": 1, "at": "2026-11-30T10:00:00Z"}],
    }
    record.update(changes)
    return record


def test_a_file_with_only_blank_lines_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    path.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(LabelsError, match="empty labels file"):
        read_labels(path)


@pytest.mark.parametrize(
    "header",
    [
        _record(),  # a photo where the header should be
        "not json at all",
        ["_meta"],
    ],
    ids=["photo-first", "not-json", "a-list"],
)
def test_a_missing_or_broken_header_is_refused_on_line_1(tmp_path: Path, header: object) -> None:
    path = _write(tmp_path / "l.jsonl", header, _record())
    with pytest.raises(LabelsError, match=r"l\.jsonl:1: the first line must be the header"):
        read_labels(path)


def test_a_header_of_another_format_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "l.jsonl", {"_meta": {"format": "zerowaste-labels-v0", "name": "x"}}, _record())
    with pytest.raises(LabelsError, match=r"l\.jsonl:1: format 'zerowaste-labels-v0', expected 'zerowaste-labels-v1'"):
        read_labels(path)
    path = _write(tmp_path / "m.jsonl", {"_meta": {"name": "x"}}, _record())
    with pytest.raises(LabelsError, match=r"m\.jsonl:1: format None"):
        read_labels(path)


def test_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    path = _write(tmp_path / "cans.jsonl", {"_meta": {"format": FORMAT}}, _record())
    labels = read_labels(path)
    assert labels.name == "cans" and labels.version == "" and labels.usable() == {_sha("can"): "metal"}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (_record(sha256="ABC"), "sha256 'ABC' is not 64 lower-case hex digits"),
        (_record(sha256=_sha("can").upper()), "is not 64 lower-case hex digits"),
        (_record(sha256=_sha("can")[:-1] + "g"), "is not 64 lower-case hex digits"),
        (_record(label="wood"), "label 'wood' is not one of battery, "),
        (
            _record(votes=[{"by": "ben", "label": "wood", "pass": 1, "at": "t"}]),
            "a vote by 'ben' has the unknown label 'wood'",
        ),
        (_record(status="guessed"), "status 'guessed' is not one of agreed, resolved"),
        ({"sha256": _sha("can"), "status": "agreed"}, "malformed record"),
        (_record(votes=[{"by": "ben", "label": "metal", "pass": "first", "at": "t"}]), "malformed record"),
        (_record(votes=[{"by": "ben", "label": "metal"}]), "malformed record"),
        ('{"sha256": "abc", "label": ', "not JSON"),
    ],
    ids=[
        "short-sha",
        "upper-case-sha",
        "non-hex-sha",
        "unknown-label",
        "unknown-vote-label",
        "bad-status",
        "no-label",
        "pass-not-a-number",
        "vote-missing-fields",
        "malformed-json",
    ],
)
def test_a_bad_photo_line_is_refused_naming_its_line(tmp_path: Path, bad: object, message: str) -> None:
    path = _write(tmp_path / "l.jsonl", GOOD_HEADER, _record("tin"), bad, _record("tub"))
    with pytest.raises(LabelsError, match=r"l\.jsonl:3: ") as caught:
        read_labels(path)
    assert message in str(caught.value)


def test_a_photo_listed_twice_is_refused_naming_the_second_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "l.jsonl", GOOD_HEADER, _record("can"), _record("tin"), _record("can", label="plastic"))
    with pytest.raises(LabelsError, match=r"l\.jsonl:4: photo [0-9a-f]{12}… is listed twice"):
        read_labels(path)


def test_a_group_label_and_the_exclusions_are_accepted(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "l.jsonl",
        GOOD_HEADER,
        _record("a", label="glass"),
        _record("b", label="other", status="resolved"),
        _record("c", label="mixed", votes=[]),
    )
    labels = read_labels(path)
    assert labels.counts() == {"glass": 1, "mixed": 1, "other": 1}
    assert labels.usable() == {_sha("a"): "glass"}


def test_the_line_named_is_the_files_line_even_after_a_blank_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "l.jsonl", GOOD_HEADER, _record("tin"), "", _record(label="wood"))
    with pytest.raises(LabelsError, match=r"l\.jsonl:4: label 'wood'"):
        read_labels(path)


@pytest.mark.parametrize("meta", ["zerowaste-labels-v1", None, [1, 2]])
def test_a_header_whose_meta_is_not_an_object_is_refused_on_line_1(tmp_path: Path, meta: object) -> None:
    path = _write(tmp_path / "l.jsonl", {"_meta": meta}, _record())
    with pytest.raises(LabelsError, match=r"l\.jsonl:1: "):
        read_labels(path)
