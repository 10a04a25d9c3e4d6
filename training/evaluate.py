"""`zerowaste evaluate`: an ONNX model on a manifest split -> JSON report, confusion matrix and
reliability diagram as PNG. Runs the model through ONNX Runtime exactly as the service does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from zerowaste.datasets.manifest import Entry
from zerowaste.model import taxonomy
from zerowaste.model.image_io import load_image
from zerowaste.model.runtime import OnnxClassifier
from zerowaste.training.utils import expected_calibration_error

# How each source is scored: its own label set, with the groups it cannot tell apart merged.
PART_GROUPS: dict[str, tuple[str, ...]] = {"trashnet": ("glass",), "garbage12": ()}


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


def predict_entries(model: OnnxClassifier, entries: list[Entry], batch_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    waste, item = [], []
    for start in tqdm(range(0, len(entries), batch_size), desc=f"evaluate {model.path.name}", unit="batch"):
        images = [load_image(e.path) for e in entries[start : start + batch_size]]
        pred = model.predict_images(images)
        waste.append(pred.waste)
        item.append(pred.item)
    return np.concatenate(waste), np.concatenate(item)


def part_metrics(probs: np.ndarray, labels: list[str], groups: tuple[str, ...]) -> dict[str, object]:
    """Top-1, macro-F1, per-class recall and the confusion matrix in a source's own label space."""
    names = sorted({taxonomy.merged_key(k, groups) for k in taxonomy.LABELS})
    index = {n: i for i, n in enumerate(names)}
    true = np.array([index[taxonomy.merged_key(lbl, groups)] for lbl in labels])
    pred = np.array([index[taxonomy.merged_key(taxonomy.LABELS[int(i)], groups)] for i in probs.argmax(1)])
    cm = np.zeros((len(names), len(names)), dtype=int)
    np.add.at(cm, (true, pred), 1)
    present = sorted(set(true.tolist()))
    recall = {names[i]: float(cm[i, i] / cm[i].sum()) for i in present}
    f1s = []
    for i in present:
        precision = cm[i, i] / cm[:, i].sum() if cm[:, i].sum() else 0.0
        r = recall[names[i]]
        f1s.append(2 * precision * r / (precision + r) if precision + r else 0.0)
    conf, correct = calibration_view(probs, labels)
    return {
        "n": len(labels),
        "top1": float((true == pred).mean()),
        "macro_f1": float(np.mean(f1s)),
        "recall": recall,
        "ece": expected_calibration_error(conf, correct),
        "confusion": {"labels": names, "matrix": cm.tolist()},
    }


def evaluate_model(model_path: Path, entries: list[Entry], out_dir: Path | None = None) -> dict[str, object]:
    model = OnnxClassifier(model_path)
    probs, item = predict_entries(model, entries)
    labels = [e.label for e in entries]
    sources = np.array([e.source for e in entries])
    report: dict[str, object] = {"model": model_path.name, "sha256": model.sha256, "parts": {}}
    parts: dict[str, object] = {}
    for source in sorted(set(sources)):
        sel = np.flatnonzero(sources == source)
        parts[source] = part_metrics(probs[sel], [labels[i] for i in sel], PART_GROUPS.get(source, ()))
    report["parts"] = parts
    conf, correct = calibration_view(probs, labels)
    report["all"] = {"n": len(entries), "top1": float(correct.mean()), "ece": expected_calibration_error(conf, correct)}
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "report.json").write_text(json.dumps(report, indent=2))
        from zerowaste.training.plots import confusion_png, reliability_png

        for source, m in parts.items():
            assert isinstance(m, dict)
            confusion_png(m["confusion"], out_dir / f"confusion-{source}.png", f"{model_path.name} on {source}")
        reliability_png(conf, correct, out_dir / "reliability.png", model_path.name)
    report["_probs"] = probs
    report["_item"] = item
    return report
