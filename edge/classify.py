"""`zerowaste edge classify`: files, folders or a camera, offline, with the model this device runs best.

On start the device times the FP32 and the INT8 model on its own CPU with the configured threads and
keeps the faster one, provided the INT8 model's test accuracy (written into its metadata at release)
lies within the model card's bound of the FP32 model's. INT8 is not always faster: on the x86
machine that trains the model it is slower than FP32 with two threads.

Results are the lines `zerowaste classify` prints (same preprocessing, same item map), so the
service, the CLI and the device agree on every photo.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zerowaste.edge.camera import camera_frames as camera_frames  # its one definition; benchmarks import it here
from zerowaste.model.classify import classify_files, print_result, result_for
from zerowaste.model.items import DEFAULT_THRESHOLDS, ItemThresholds
from zerowaste.model.runtime import OnnxClassifier, Precision, shipped_model_path

# The model card's promise for INT8: within 1 point of FP32 top-1 on every test set.
INT8_BOUND_POINTS = 1.0


@dataclass
class Choice:
    classifier: OnnxClassifier
    precision: str
    timings_ms: dict[str, float]  # precision -> median ms per image, batch 1
    reason: str


def median_ms(classifier: OnnxClassifier, runs: int) -> float:
    size = classifier.spec.preprocessing.crop_size
    x = np.random.default_rng(0).standard_normal((1, 3, size, size)).astype(np.float32)
    classifier.predict(x)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        classifier.predict(x)
        times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times))


def int8_within_bound(int8: OnnxClassifier, fp32: OnnxClassifier, bound: float = INT8_BOUND_POINTS) -> tuple[bool, str]:
    """Reads the test results both files carry; a file without them is not trusted to be close enough."""
    try:
        a = int8.spec.metrics["test"]["int8"]["parts"]
        b = fp32.spec.metrics["test"]["fp32"]["parts"]
        worst = max(100 * (b[s]["top1"] - a[s]["top1"]) for s in b)
    except (KeyError, TypeError):
        return False, "the INT8 file carries no test results to compare"
    return worst <= bound, f"INT8 is at most {worst:+.1f} points below FP32 (bound {bound})"


def choose_model(
    threads: int = 0, runs: int = 30, fp32_path: Path | None = None, int8_path: Path | None = None
) -> Choice:
    paths: dict[str, Path] = {
        "fp32": fp32_path or shipped_model_path("fp32"),
        "int8": int8_path or shipped_model_path("int8"),
    }
    models = {p: OnnxClassifier(path, threads) for p, path in paths.items()}
    timings = {p: round(median_ms(m, runs), 2) for p, m in models.items()}
    ok, why = int8_within_bound(models["int8"], models["fp32"])
    faster = min(timings, key=timings.__getitem__)
    precision = faster if ok else "fp32"
    reason = f"{faster} is faster ({timings['int8']} ms INT8, {timings['fp32']} ms FP32); {why}"
    return Choice(models[precision], precision, timings, reason)


def load(model: Path | None, precision: Precision | None, threads: int, runs: int) -> Choice:
    if model is not None:
        c = OnnxClassifier(model, threads)
        return Choice(c, c.spec.precision, {}, f"given: {model}")
    if precision is not None:
        c = OnnxClassifier(shipped_model_path(precision), threads)
        return Choice(c, precision, {}, f"asked for {precision}")
    return choose_model(threads, runs)


def run(
    paths: Sequence[Path],
    *,
    camera: str | None = None,
    frames: int = 0,
    every_s: float = 0.0,
    model: Path | None = None,
    precision: Precision | None = None,
    threads: int = 0,
    as_json: bool = False,
    lang: str = "de",
    thresholds: ItemThresholds = DEFAULT_THRESHOLDS,
    benchmark_runs: int = 30,
) -> int:
    choice = load(model, precision, threads, benchmark_runs)
    print(
        json.dumps(
            {
                "model": choice.precision,
                "sha256": choice.classifier.sha256,
                "threads": threads,
                "timings_ms": choice.timings_ms,
                "reason": choice.reason,
            }
        ),
        file=sys.stderr,
        flush=True,
    )
    clf = choice.classifier
    if camera is None:
        return classify_files(clf, paths, as_json=as_json, lang=lang, thresholds=thresholds)
    for name, frame in camera_frames(camera, every_s, frames):
        pred = clf.predict_images([frame])
        distance = None if pred.distance is None else float(pred.distance[0])
        print_result(result_for(clf, pred.waste[0], pred.item[0], Path(name), 3, lang, thresholds, distance), as_json)
    return 0
