"""The gate's rules on their own: which score changes pass, and a test set that cannot be used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zerowaste.service.model_gate import FixedTestSet, compare


def score(top1: float, **recall: float) -> dict:
    return {"all": {"top1": top1}, "parts": {"garbage12": {"recall": recall}}}


def test_top1_may_not_fall_and_no_class_may_lose_more_than_the_margin() -> None:
    base = score(0.90, battery=1.0, shoes=0.8)
    ok = compare(score(0.90, battery=0.96, shoes=0.85), base, top1_tolerance=0.0, max_recall_drop=0.05)
    assert all(c.ok for c in ok)
    worse = compare(score(0.91, battery=0.90, shoes=0.95), base, top1_tolerance=0.0, max_recall_drop=0.05)
    assert [c.name for c in worse if not c.ok] == ["recall"] and "garbage12/battery 100 % -> 90 %" in worse[1].detail
    lower = compare(score(0.89, battery=1.0, shoes=0.8), base, top1_tolerance=0.0, max_recall_drop=0.05)
    assert [c.name for c in lower if not c.ok] == ["top1"]
    tolerated = compare(score(0.89, battery=1.0, shoes=0.8), base, top1_tolerance=0.02, max_recall_drop=0.05)
    assert all(c.ok for c in tolerated)


def test_a_test_set_with_missing_photos_or_no_test_split_is_refused(tmp_path: Path) -> None:
    row = {
        "path": str(tmp_path / "gone.jpg"),
        "label": "battery",
        "source": "garbage12",
        "sha256": "0" * 64,
        "size": 1,
        "width": 1,
        "height": 1,
        "phash": "0",
        "group": 0,
        "split": "test",
    }
    (tmp_path / "m.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(ValueError, match="missing"):
        FixedTestSet.from_manifest(tmp_path / "m.jsonl")
    (tmp_path / "t.jsonl").write_text(json.dumps({**row, "split": "train"}) + "\n")
    with pytest.raises(ValueError, match="no test photos"):
        FixedTestSet.from_manifest(tmp_path / "t.jsonl")
