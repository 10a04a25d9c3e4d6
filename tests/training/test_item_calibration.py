"""The item head's temperature fit and the photos it is fitted on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from zerowaste.datasets.manifest import Entry
from zerowaste.model.items import item_map
from zerowaste.training.item_calibration import (
    LOOKED_AT,
    NONE,
    UNCLEAR,
    bucket_probs,
    category_truth,
    fit_temperature,
    looked_at_labels,
)

SPLITS = Path(__file__).resolve().parents[2] / "datasets" / "splits" / "2026-11-30.jsonl"


def _draw(n: int, temperature: float, seed: int) -> tuple[np.ndarray, list[str]]:
    """Item-head outputs, and bucket truths drawn from them as if `temperature` were the calibrated one."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=3.0, size=(n, 1000))
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    buckets, keys = bucket_probs(probs, temperature)
    truth = [keys[rng.choice(len(keys), p=b / b.sum())] for b in buckets]
    return probs.astype(np.float32), truth


@pytest.mark.parametrize("temperature", [0.6, 1.0, 1.6])
def test_the_fit_finds_the_temperature_the_truths_were_drawn_with(temperature: float) -> None:
    probs, truth = _draw(3000, temperature, seed=int(temperature * 10))
    assert fit_temperature(probs, truth) == pytest.approx(temperature, rel=0.15)


def _entry(label: str, source: str = "garbage12", sha: str = "x") -> Entry:
    return Entry(path="p.jpg", label=label, source=source, sha256=sha, size=1, width=1, height=1, phash="0")


def test_which_photos_say_their_category() -> None:
    looked = {"a": "kitchenware", "b": UNCLEAR}
    assert category_truth(_entry("clothes", "clothing"), looked) == "textile"
    assert category_truth(_entry("shoes"), looked) == "shoes"
    assert category_truth(_entry("biological"), looked) == NONE
    assert category_truth(_entry("plastic", "drinks"), looked) == NONE
    # a glass or battery label says nothing by itself; looking at the photo does
    assert category_truth(_entry("white-glass"), looked) is None
    assert category_truth(_entry("white-glass", sha="a"), looked) == "kitchenware"
    assert category_truth(_entry("battery", sha="b"), looked) is None
    assert category_truth(_entry("metal"), looked) is None


def test_the_looked_at_labels_are_categories_and_only_on_held_out_photos() -> None:
    rows = [json.loads(line) for line in LOOKED_AT.read_text(encoding="utf-8").splitlines()]
    meta = rows[0]["_meta"]
    allowed = set(meta["allowed_labels"])
    assert allowed - {NONE, UNCLEAR} <= set(item_map().categories)
    labels = looked_at_labels()
    assert len(labels) == meta["photos"] == len(rows) - 1
    assert set(labels.values()) <= allowed
    for row in rows[1:]:
        # two independent passes, and a third look wherever they disagreed
        votes = row["votes"]
        assert votes[0]["by"] != votes[1]["by"]
        if votes[0]["label"] != votes[1]["label"]:
            assert row["status"] == "resolved" and votes[2]["label"] == row["label"]
    # never a training photo: these labels only calibrate and measure
    split = {r["sha256"]: r["split"] for r in map(json.loads, SPLITS.read_text().splitlines())}
    assert {split.get(sha) for sha in labels} <= {"val", "test"}
