"""How a model is scored on labelled photos: top-1, macro-F1, per-class recall, calibration error.

numpy and ONNX Runtime only: `zerowaste evaluate` (training) and the registry's gate (service) score a
model with these same functions, so a number in a report and a number at the gate mean the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
from tqdm import tqdm

from zerowaste.model import taxonomy
from zerowaste.model.image_io import load_image
from zerowaste.model.runtime import Classifier, Prediction


class Labelled(Protocol):
    """A photo with its label and the set it came from (a manifest entry is one)."""

    path: str
    label: str
    source: str


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (confidence > lo) & (confidence <= hi)
        if sel.any():
            ece += sel.mean() * abs(correct[sel].mean() - confidence[sel].mean())
    return float(ece)


def calibration_view(probs: np.ndarray, labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(confidence, correct) per photo. For a group label (TrashNet's "glass") the prediction counts
    as its group and the confidence as the group's summed probability."""
    confidence = np.empty(len(probs))
    correct = np.empty(len(probs), dtype=bool)
    for i, (p, label) in enumerate(zip(probs, labels, strict=True)):
        pred = int(p.argmax())
        allowed = taxonomy.members(label)
        if label in taxonomy.GROUPS and pred in allowed:
            confidence[i] = p[list(allowed)].sum()
        else:
            confidence[i] = p[pred]
        correct[i] = pred in allowed
    return confidence, correct


def bin_top1(probs: np.ndarray, labels: Sequence[str], bin_of: Mapping[str, str]) -> float:
    """Share of photos whose top class goes in the same bin as their label (a group label: any
    member's bin). A citizen is told the bin, so paper for cardboard costs nothing in Wuppertal while
    green for brown glass sends the bottle to the wrong container. `bin_of` maps every class key to
    a bin; a municipality's rules file gives it (`MunicipalityRules.bin_of_class`)."""
    keys = [taxonomy.LABELS[int(i)] for i in probs.argmax(1)]
    right = [
        bin_of[k] in {bin_of[taxonomy.LABELS[m]] for m in taxonomy.members(lbl)}
        for k, lbl in zip(keys, labels, strict=True)
    ]
    return float(np.mean(right))


def material_top1(probs: np.ndarray, labels: Sequence[str]) -> float:
    """Share of photos whose top class is in the label's material group (paper and cardboard, the glass
    colours, clothes and shoes merged): what a photo set that cannot tell those apart can score."""
    if not len(labels):
        return float("nan")
    pred = [taxonomy.material_group(taxonomy.LABELS[int(i)]) for i in probs.argmax(1)]
    return float(np.mean([p == taxonomy.material_group(lbl) for p, lbl in zip(pred, labels, strict=True)]))


def risk_coverage(score: np.ndarray, correct: np.ndarray, points: int = 101) -> dict[str, object]:
    """How wrong the answers are when only the surest ones are given: photos sorted by `score`
    (higher: surer), for each coverage (share answered) the error rate among those answered.
    `aurc` is the area under the curve (lower is better); `at` the risk at a few coverages."""
    order = np.argsort(-np.asarray(score, dtype=np.float64), kind="stable")
    wrong = ~np.asarray(correct, dtype=bool)[order]
    n = len(wrong)
    if n == 0:
        return {"coverage": [], "risk": [], "aurc": float("nan"), "at": {}}
    risk_at = np.cumsum(wrong) / np.arange(1, n + 1)
    grid = np.linspace(1.0 / n, 1.0, points)
    idx = np.clip(np.ceil(grid * n).astype(int) - 1, 0, n - 1)
    return {
        "coverage": [round(float(c), 4) for c in grid],
        "risk": [round(float(risk_at[i]), 4) for i in idx],
        "aurc": float(risk_at.mean()),
        "at": {f"{c:.2f}": float(risk_at[max(int(np.ceil(c * n)) - 1, 0)]) for c in (0.5, 0.6, 0.8, 0.85, 0.9, 1.0)},
    }


def coverage_at_risk(score: np.ndarray, correct: np.ndarray, max_risk: float) -> float:
    """The largest share of photos that can be answered (surest first) with at most `max_risk` errors."""
    order = np.argsort(-np.asarray(score, dtype=np.float64), kind="stable")
    wrong = ~np.asarray(correct, dtype=bool)[order]
    if not len(wrong):
        return float("nan")
    risk_at = np.cumsum(wrong) / np.arange(1, len(wrong) + 1)
    ok = np.flatnonzero(risk_at <= max_risk)
    return float((ok.max() + 1) / len(wrong)) if len(ok) else 0.0


def predict_all(
    model: Classifier, entries: Sequence[Labelled], batch_size: int = 32, desc: str = "evaluate"
) -> Prediction:
    """Every output of `model` for the photos of `entries`, in order."""
    parts: list[Prediction] = []
    for start in tqdm(range(0, len(entries), batch_size), desc=desc, unit="batch", leave=False):
        images = [load_image(e.path) for e in entries[start : start + batch_size]]
        parts.append(model.predict_images(images))
    if not parts:
        return Prediction(np.zeros((0, len(model.spec.labels))), np.zeros((0, len(model.spec.item_labels))))
    distance = None if parts[0].distance is None else np.concatenate([p.distance for p in parts])
    return Prediction(np.concatenate([p.waste for p in parts]), np.concatenate([p.item for p in parts]), distance)


def predict_entries(
    model: Classifier, entries: Sequence[Labelled], batch_size: int = 32, desc: str = "evaluate"
) -> tuple[np.ndarray, np.ndarray]:
    pred = predict_all(model, entries, batch_size, desc)
    return pred.waste, pred.item


def part_metrics(probs: np.ndarray, labels: list[str], groups: tuple[str, ...]) -> dict[str, object]:
    """Top-1, macro-F1, per-class recall and the confusion matrix in a source's own label space.

    A label naming a group the source does not merge (drinks glass whose colour nobody could tell, among
    drinks labelled by colour) gets its own row: any member of the group is right for it, and it counts
    in top-1 and recall but not in macro-F1 (no prediction is ever "glass", so it has no precision)."""
    names = sorted({taxonomy.merged_key(k, groups) for k in taxonomy.LABELS})
    unmerged = sorted({lbl for lbl in labels if taxonomy.merged_key(lbl, groups) not in names})
    rows = names + unmerged
    index = {n: i for i, n in enumerate(rows)}
    true = np.array([index[taxonomy.merged_key(lbl, groups)] for lbl in labels])
    pred = np.array([index[taxonomy.merged_key(taxonomy.LABELS[int(i)], groups)] for i in probs.argmax(1)])
    cm = np.zeros((len(rows), len(names)), dtype=int)
    np.add.at(cm, (true, pred), 1)
    _, correct = calibration_view(probs, labels)
    present = sorted(set(true.tolist()))
    recall = {rows[i]: float(correct[true == i].mean()) for i in present}
    f1s = []
    for i in present:
        if i >= len(names):
            continue
        precision = cm[i, i] / cm[:, i].sum() if cm[:, i].sum() else 0.0
        r = recall[rows[i]]
        f1s.append(2 * precision * r / (precision + r) if precision + r else 0.0)
    conf, _ = calibration_view(probs, labels)
    return {
        "n": len(labels),
        "top1": float(correct.mean()),
        "material_top1": material_top1(probs, labels),
        "macro_f1": float(np.mean(f1s)) if f1s else float("nan"),
        "recall": recall,
        "ece": expected_calibration_error(conf, correct),
        "confusion": {"labels": names, "rows": rows, "matrix": cm.tolist()},
    }


def score(probs: np.ndarray, entries: Sequence[Labelled]) -> dict[str, object]:
    """The report of one model's probabilities on labelled photos: per source and overall."""
    labels = [e.label for e in entries]
    sources = np.array([e.source for e in entries])
    parts: dict[str, object] = {}
    for source in sorted(set(sources)):
        sel = np.flatnonzero(sources == source)
        parts[source] = part_metrics(probs[sel], [labels[i] for i in sel], taxonomy.source(source).scoring_groups)
    conf, correct = calibration_view(probs, labels)
    return {
        "parts": parts,
        "all": {"n": len(entries), "top1": float(correct.mean()), "ece": expected_calibration_error(conf, correct)},
    }
