"""`zerowaste classify PATH...`: files or folders -> one line per image, ONNX Runtime only (no torch)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from zerowaste.model.image_io import ImageRejected, load_image
from zerowaste.model.items import DEFAULT_THRESHOLDS, ItemThresholds, recognise
from zerowaste.model.runtime import Classifier, OnnxClassifier, shipped_model_path
from zerowaste.model.uncertainty import SureRule

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".heic", ".heif"}


def iter_images(paths: Sequence[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
        else:
            yield p


def result_for(
    classifier: Classifier,
    probs: Any,
    item_probs: Any,
    path: Path,
    top: int,
    lang: str = "de",
    thresholds: ItemThresholds = DEFAULT_THRESHOLDS,
    distance: float | None = None,
) -> dict[str, Any]:
    labels = classifier.spec.labels
    order = probs.argsort()[::-1][:top]
    rule = SureRule.from_spec(classifier.spec)
    dist = None if distance is None else np.asarray([distance])
    found = recognise(item_probs, thresholds, classifier.spec.item_temperature)
    guess = found.item if found else None
    category = found.category if found else None
    item = (
        None
        if guess is None
        else {
            "imagenet": guess.item.imagenet,
            "abc": guess.item.abc,
            "name": guess.item.name(lang),
            "category": guess.item.category,
            "display": guess.label(lang),
            "probability": guess.probability,
        }
    )
    item_category = (
        None
        if category is None
        else {
            "key": category.key,
            "name": category.name(lang),
            "abc": category.abc(),
            "probability": category.probability,
        }
    )
    return {
        "path": str(path),
        "label": labels[int(order[0])],
        "confidence": round(float(probs[order[0]]), 4),
        "top": [[labels[int(i)], round(float(probs[i]), 4)] for i in order],
        # The one rule the service answers without a question by (model/uncertainty.py).
        "sure": bool(rule(probs[None, :], labels, dist)[0]),
        "item": item,
        "item_category": item_category,
    }


def print_result(r: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(r, ensure_ascii=False), flush=True)
    else:
        alts = ", ".join(f"{lbl} {p:.0%}" for lbl, p in r["top"][1:])
        if r["item"]:
            item = f"; item: {r['item']['display']} {r['item']['probability']:.0%}"
        elif r["item_category"]:
            item = f"; item category: {r['item_category']['name']} {r['item_category']['probability']:.0%}"
        else:
            item = ""
        unsure = "" if r["sure"] else " [not sure]"
        print(f"{r['path']}: {r['label']} ({r['confidence']:.0%}; then {alts}){item}{unsure}", flush=True)


def classify_files(
    classifier: Classifier,
    paths: Sequence[Path],
    *,
    as_json: bool = False,
    top: int = 3,
    batch_size: int = 16,
    lang: str = "de",
    thresholds: ItemThresholds = DEFAULT_THRESHOLDS,
) -> int:
    """Print one result per image; unreadable files print an error line and make the exit code 1."""
    failures = 0
    files = list(iter_images(paths))
    if not files:
        print("no image files found", file=sys.stderr)
        return 2
    for start in range(0, len(files), batch_size):
        images, good = [], []
        for f in files[start : start + batch_size]:
            try:
                images.append(load_image(f))
                good.append(f)
            except (ImageRejected, OSError) as exc:
                failures += 1
                line = {"path": str(f), "error": str(exc)}
                print(json.dumps(line) if as_json else f"{f}: error: {exc}", flush=True)
        if not images:
            continue
        pred = classifier.predict_images(images)
        distances = pred.distance if pred.distance is not None else [None] * len(good)
        for f, probs, item_probs, distance in zip(good, pred.waste, pred.item, distances, strict=True):
            print_result(result_for(classifier, probs, item_probs, f, top, lang, thresholds, distance), as_json)
    return 1 if failures else 0


def classify_paths(
    paths: Sequence[Path],
    *,
    model: Path | None = None,
    as_json: bool = False,
    top: int = 3,
    threads: int = 0,
    batch_size: int = 16,
    lang: str = "de",
    thresholds: ItemThresholds = DEFAULT_THRESHOLDS,
) -> int:
    """`zerowaste classify`: the shipped INT8 model (or `model`) on files and folders."""
    classifier = OnnxClassifier(model or shipped_model_path("int8"), threads)
    return classify_files(
        classifier, paths, as_json=as_json, top=top, batch_size=batch_size, lang=lang, thresholds=thresholds
    )
