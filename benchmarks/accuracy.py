"""Accuracy of the shipped models on the de-duplicated test split: INT8 against FP32, same photos.

    python benchmarks/accuracy.py [--manifest runs/data/manifest.jsonl]

Builds the manifest from ../shared/datasets first if it does not exist.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, manifest_entries  # noqa: E402

from zerowaste.datasets.build import DEFAULT_CACHE_DIR, DEFAULT_MANIFEST  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--split", default="test")
    args = parser.parse_args()

    from zerowaste.model.runtime import shipped_model_path
    from zerowaste.training.evaluate import evaluate_model

    manifest = manifest_entries(args.manifest)
    entries = [e for e in manifest if e.split == args.split]
    print(f"machine: {machine()}")
    reports = {}
    for precision in ("fp32", "int8"):
        t = time.perf_counter()
        reports[precision] = evaluate_model(shipped_model_path(precision), entries)
        reports[precision]["seconds"] = time.perf_counter() - t
    print(f"{args.split} split: {len(entries)} photos, no near-duplicate of any training photo\n")
    print("| model | TrashNet top-1 (6 cl.) | garbage12 top-1 (12 cl.) | macro-F1 TN / G12 | ECE | "
          "top-1 agreement with FP32 | Δ top-1 vs FP32 (TN / G12) | eval time s |")
    print("|---|---|---|---|---|---|---|---|")
    base = reports["fp32"]
    for precision in ("fp32", "int8"):
        r = reports[precision]
        p, bp = r["parts"], base["parts"]
        agree = float((r["_probs"].argmax(1) == base["_probs"].argmax(1)).mean())
        print(f"| {precision.upper()} | {p['trashnet']['top1']:.1%} | {p['garbage12']['top1']:.1%} | "
              f"{p['trashnet']['macro_f1']:.3f} / {p['garbage12']['macro_f1']:.3f} | {r['all']['ece']:.1%} | "
              f"{agree:.1%} | {100 * (p['trashnet']['top1'] - bp['trashnet']['top1']):+.1f} / "
              f"{100 * (p['garbage12']['top1'] - bp['garbage12']['top1']):+.1f} pt | {r['seconds']:.0f} |")
    item = float((reports["int8"]["_item"].argmax(1) == base["_item"].argmax(1)).mean())
    print(f"\nitem head (ImageNet), INT8 vs FP32 top-1 agreement: {item:.1%}")
    from zerowaste.model.scoring import calibration_view

    sources = np.array([e.source for e in entries])
    views = {p: calibration_view(r["_probs"], [e.label for e in entries]) for p, r in reports.items()}
    correct = {p: right for p, (_, right) in views.items()}
    intervals(sources, views)
    bin_table(entries, sources, {p: r["_probs"] for p, r in reports.items()}, correct)
    look_alike_table(entries, [e for e in manifest if e.split == "train"], sources, correct)


def intervals(sources: np.ndarray, views: dict[str, tuple[np.ndarray, np.ndarray]], resamples: int = 2000) -> None:
    """95 % bootstrap intervals of top-1 per set and of ECE over all photos: how far another draw of as
    many photos could land. (ECE on resamples leans high: repeated photos sharpen each bin's gap.)"""
    from zerowaste.model.scoring import expected_calibration_error

    rng = np.random.default_rng(0)
    print(f"\n95 % bootstrap intervals ({resamples} resamples of the test photos of each set):\n")
    print("| model | TrashNet top-1 | garbage12 top-1 | ECE, both sets |")
    print("|---|---|---|---|")
    for precision, (confidence, right) in views.items():
        cells = []
        for source in ("trashnet", "garbage12"):
            c = right[sources == source]
            means = c[rng.integers(0, len(c), size=(resamples, len(c)))].mean(1)
            lo, hi = np.percentile(means, [2.5, 97.5])
            cells.append(f"{c.mean():.1%} ({lo:.1%}–{hi:.1%})")
        draws = rng.integers(0, len(right), size=(resamples, len(right)))
        eces = [expected_calibration_error(confidence[d], right[d]) for d in draws]
        lo, hi = np.percentile(eces, [2.5, 97.5])
        cells.append(f"{expected_calibration_error(confidence, right):.1%} ({lo:.1%}–{hi:.1%})")
        print(f"| {precision.upper()} | " + " | ".join(cells) + " |")


def bin_table(entries: list, sources: np.ndarray, probs: dict[str, np.ndarray], correct: dict[str, np.ndarray],
              municipality: str = "wuppertal") -> None:
    """Top-1 beside the share of photos sent to the right bin under a municipality's rules: a citizen
    is told the bin, and some class mix-ups (paper for cardboard, metal for plastic) share one."""
    from zerowaste.model.scoring import bin_top1
    from zerowaste.service.rules import read_rules, rules_path

    bin_of = read_rules(rules_path(municipality)).bin_of_class()
    labels = [e.label for e in entries]
    print(f"\nright bin under {municipality}'s rules (the stream, and the container's colour for glass; "
          "metal and plastic count as the yellow bin, before the service asks whether it is packaging):\n")
    print("| model | TrashNet top-1 / right bin | garbage12 top-1 / right bin | both sets: right bin |")
    print("|---|---|---|---|")
    for precision, pr in probs.items():
        cells = []
        for source in ("trashnet", "garbage12"):
            sel = np.flatnonzero(sources == source)
            right_bin = bin_top1(pr[sel], [labels[i] for i in sel], bin_of)
            cells.append(f"{correct[precision][sel].mean():.1%} / {right_bin:.1%}")
        cells.append(f"{bin_top1(pr, labels, bin_of):.1%}")
        print(f"| {precision.upper()} | " + " | ".join(cells) + " |")


def look_alike_table(entries: list, train: list, sources: np.ndarray, correct: dict[str, np.ndarray]) -> None:
    """Top-1 by how close each photo's nearest training photo is (cosine of untouched ImageNet
    features): 0.8-0.9 is mostly the same object photographed again in another pose, which the
    split may not separate; below 0.8 is the better guess for photos of objects nobody trained on."""
    from zerowaste.datasets.embed import imagenet_embeddings

    nearest = (imagenet_embeddings(entries, DEFAULT_CACHE_DIR) @ imagenet_embeddings(train, DEFAULT_CACHE_DIR).T).max(1)
    bands = [("< 0.8 (new objects)", nearest < 0.8), (">= 0.8 (look-alike in training)", nearest >= 0.8)]
    print("\nby nearest training photo (cosine of untouched ImageNet features):\n")
    print("| nearest training photo | TrashNet photos | FP32 / INT8 TrashNet | garbage12 photos"
          " | FP32 / INT8 garbage12 |")
    print("|---|---|---|---|---|")
    for name, band in bands:
        cells = []
        for source in ("trashnet", "garbage12"):
            sel = band & (sources == source)
            cells += [str(int(sel.sum())), " / ".join(f"{correct[p][sel].mean():.1%}" for p in ("fp32", "int8"))]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
