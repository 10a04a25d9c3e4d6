"""The item head's temperature, fitted on photos whose category is known.

The item head was distilled from the ImageNet model: its probabilities say what the ImageNet model
would say, not how often an answer is right on a citizen's photo. The category answer
(model/items.py) sums them, so the temperature is fitted for that decision: the negative
log-likelihood of the right *category bucket* (a category, or "none" for a thing with no second
life), with the temperature applied to the 1,000-class softmax first.

Which photos have a known category (`category_truth`):
- garments and shoes: garbage12's `clothes` and `shoes`, and the clothing set (second-hand clothes
  photographed by their owners): textiles or shoes, as their label says;
- biowaste and the drinks photos (cans and bottles in hands and on tables): no category;
- glass and battery photos: only by looking. A "white-glass" photo is as often a wine glass or a
  mug (kitchenware) as a jar, and a "battery" photo may be a power bank (a small electrical device),
  so their labels do not say it. The validation and test photos of both were labelled one by one
  (datasets/labels/item-categories.jsonl: two passes, disagreements decided by a third look).
Paper, cardboard, metal, plastic and trash photos are left out: a metal photo may show a pot
(kitchenware) or a tin (none), and nobody has looked at each yet.

    python -m zerowaste.training.item_calibration --model model/shipped/zerowaste-int8.onnx [--write]

fits on the validation photos, prints the reliability per category on the test photos, and with
`--write` stores the temperature in the file's spec (the weights stay as they are).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np

from zerowaste.datasets.manifest import Entry

NONE = "none"
UNCLEAR = "unclear"  # looked at: several kinds, or nothing one can name
# Labels whose photos show a thing of one known category, whatever the source.
CATEGORY_OF_LABEL = {"clothes": "textile", "shoes": "shoes"}
# Labels and sources whose photos show things with no second life (the map gives them no category).
NO_CATEGORY_LABELS = {"biological"}
NO_CATEGORY_SOURCES = {"drinks"}
LOOKED_AT = Path(__file__).resolve().parent.parent / "datasets" / "labels" / "item-categories.jsonl"
TEMPERATURES = np.exp(np.linspace(np.log(0.25), np.log(4.0), 81))
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8)
BINS = np.array([0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0 + 1e-9])


@cache
def looked_at_labels(path: Path = LOOKED_AT) -> dict[str, str]:
    """sha256 -> category (or NONE, UNCLEAR) decided by looking at the photo; empty without the file."""
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if "sha256" in row:
            out[row["sha256"]] = row["label"]
    return out


def category_truth(entry: Entry, looked_at: Mapping[str, str] | None = None) -> str | None:
    """The photo's category, NONE for no category, None where nobody knows."""
    looked = looked_at_labels() if looked_at is None else looked_at
    if entry.sha256 in looked:
        label = looked[entry.sha256]
        return None if label == UNCLEAR else label
    if entry.label in CATEGORY_OF_LABEL:
        return CATEGORY_OF_LABEL[entry.label]
    if entry.source in NO_CATEGORY_SOURCES or entry.label in NO_CATEGORY_LABELS:
        return NONE
    return None


def bucket_probs(item_probs: np.ndarray, temperature: float) -> tuple[np.ndarray, list[str]]:
    """(photos, categories + none): the category sums and what is left for "no category"."""
    from zerowaste.model.items import category_sums, item_map, with_temperature

    imap = item_map()
    cats = category_sums(with_temperature(item_probs, temperature), imap).astype(np.float64)
    none = np.clip(1.0 - cats.sum(axis=1, keepdims=True), 0.0, 1.0)
    return np.concatenate([cats, none], axis=1), [*imap.category_keys, NONE]


def bucket_nll(item_probs: np.ndarray, truth: Sequence[str], temperature: float) -> float:
    probs, keys = bucket_probs(item_probs, temperature)
    idx = np.array([keys.index(t) for t in truth])
    return float(-np.log(np.clip(probs[np.arange(len(idx)), idx], 1e-12, 1.0)).mean())


def fit_temperature(item_probs: np.ndarray, truth: Sequence[str]) -> float:
    """The temperature on a log grid (0.25-4) with the lowest bucket NLL: one number, no optimiser needed."""
    losses = [bucket_nll(item_probs, truth, float(t)) for t in TEMPERATURES]
    return round(float(TEMPERATURES[int(np.argmin(losses))]), 4)


@dataclass
class Shown:
    """What a citizen would see on each photo: the category of the item or the category alone."""

    category: list[str]  # NONE where nothing, or an item without a category, is shown
    probability: np.ndarray  # the shown category's summed probability (0 where none)


def shown_categories(item_probs: np.ndarray, temperature: float, category_threshold: float) -> Shown:
    from zerowaste.model.items import ItemThresholds, recognise

    cats: list[str] = []
    probs = np.zeros(len(item_probs))
    for i, p in enumerate(item_probs):
        r = recognise(p, ItemThresholds(category=category_threshold), temperature)
        if r is not None and r.category is not None:
            cats.append(r.category.key)
            probs[i] = r.category.probability
        else:
            cats.append(NONE)
    return Shown(cats, probs)


def reliability(item_probs: np.ndarray, truth: Sequence[str], temperature: float) -> dict[str, object]:
    """Per category: how often its answer is right, per band of its summed probability (threshold 0)."""
    shown = shown_categories(item_probs, temperature, category_threshold=1e-9)
    out: dict[str, object] = {}
    truth_arr = np.array(truth)
    cats = np.array(shown.category)
    for key in sorted(set(cats) - {NONE}):
        rows = []
        for lo, hi in zip(BINS[:-1], BINS[1:], strict=True):
            sel = (cats == key) & (shown.probability >= lo) & (shown.probability < hi)
            if sel.any():
                rows.append(
                    {
                        "band": f"{lo:.1f}-{min(hi, 1.0):.1f}",
                        "n": int(sel.sum()),
                        "mean_p": round(float(shown.probability[sel].mean()), 3),
                        "right": round(float((truth_arr[sel] == key).mean()), 3),
                    }
                )
        out[key] = rows
    return out


def threshold_table(
    item_probs: np.ndarray, truth: Sequence[str], temperature: float, thresholds: Sequence[float] = THRESHOLDS
) -> list[dict[str, float]]:
    """Per category threshold: share of photos with a category shown, and share of shown answers right."""
    truth_arr = np.array(truth)
    has = truth_arr != NONE
    rows = []
    for t in thresholds:
        cats = np.array(shown_categories(item_probs, temperature, t).category)
        shown = cats != NONE
        right = shown & (cats == truth_arr)
        rows.append(
            {
                "threshold": t,
                "shown_of_categorised": float(shown[has].mean()) if has.any() else 0.0,
                "right_of_categorised": float(right[has].mean()) if has.any() else 0.0,
                "shown_of_uncategorised": float(shown[~has].mean()) if (~has).any() else 0.0,
                "precision": float(right.sum() / max(1, shown.sum())),
            }
        )
    return rows


def labelled(entries: Sequence[Entry], split: str) -> tuple[list[Entry], list[str]]:
    chosen = [(e, t) for e in entries if e.split == split and (t := category_truth(e)) is not None]
    return [e for e, _ in chosen], [t for _, t in chosen]


def fit_on_validation(item_probs: np.ndarray, entries: Sequence[Entry]) -> tuple[float, dict[str, object]]:
    """The temperature fitted on the validation photos of `entries` (item_probs in the same order)."""
    truth = [category_truth(e) for e in entries]
    sel = np.array([t is not None and e.split == "val" for e, t in zip(entries, truth, strict=True)])
    val_truth = [t for t, s in zip(truth, sel, strict=True) if s and t is not None]
    if not val_truth:
        return 1.0, {"photos": 0}
    t = fit_temperature(item_probs[sel], val_truth)
    return t, {
        "photos": len(val_truth),
        "nll_before": round(bucket_nll(item_probs[sel], val_truth, 1.0), 4),
        "nll_after": round(bucket_nll(item_probs[sel], val_truth, t), 4),
    }


def main(argv: Sequence[str] | None = None) -> int:
    from zerowaste.datasets.build import DEFAULT_MANIFEST
    from zerowaste.datasets.manifest import read_manifest
    from zerowaste.model.runtime import OnnxClassifier
    from zerowaste.model.scoring import predict_all

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, action="append", required=True, help="ONNX file (repeatable)")
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--write", action="store_true", help="store the fitted temperature in the file's spec")
    args = parser.parse_args(argv)

    entries = read_manifest(args.manifest)
    val, val_truth = labelled(entries, "val")
    test, test_truth = labelled(entries, "test")
    for path in args.model:
        clf = OnnxClassifier(path)
        val_probs = predict_all(clf, val, desc=f"val {path.name}").item
        test_probs = predict_all(clf, test, desc=f"test {path.name}").item
        t = fit_temperature(val_probs, val_truth)
        report = {
            "model": str(path),
            "temperature": t,
            "val_photos": len(val),
            "test_photos": len(test),
            "val_nll": {"before": bucket_nll(val_probs, val_truth, 1.0), "after": bucket_nll(val_probs, val_truth, t)},
            "test_nll": {
                "before": bucket_nll(test_probs, test_truth, 1.0),
                "after": bucket_nll(test_probs, test_truth, t),
            },
            "test_thresholds": threshold_table(test_probs, test_truth, t),
            "test_reliability": reliability(test_probs, test_truth, t),
        }
        print(json.dumps(report, indent=1))
        if args.write:
            from zerowaste.training.export import write_metadata

            write_metadata(path, replace(clf.spec, item_temperature=t))
            print(f"wrote item_temperature={t} into {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
