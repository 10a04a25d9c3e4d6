"""Accuracy of the shipped models on the test split, studio photos and phone photos side by side.

    python benchmarks/accuracy.py [--manifest runs/data/manifest.jsonl] [--split test] [--out runs/bench-accuracy]
                                  [--baseline previous-int8.onnx]

The phone photos (clothing, drinks) are held out: never trained on, though other photos of the same
sources train. Prints, for the
FP32 and INT8 files on the same photos: top-1, the material group, the right bin under Wuppertal's
rules, what the `sure` rule answers without a question and how often that answer is right; per class
and per source; 95 % bootstrap intervals; and the risk-coverage figures (JSON and PNG in --out).
`--baseline` scores another file (say the previous release, `git show REV:model/shipped/zerowaste-int8.onnx`)
on the same photos in the same run; a file without a sure rule answers from 0.6 on, as the service did.
Builds the manifest from ../shared/datasets first if it does not exist.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, manifest_entries  # noqa: E402

from zerowaste.datasets.build import DEFAULT_MANIFEST  # noqa: E402


def pct(v: float) -> str:
    return "–" if v != v else f"{100 * v:.1f} %"  # noqa: PLR0124 - NaN check


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--split", default="test")
    parser.add_argument("--out", type=Path, default=Path("runs/bench-accuracy"))
    parser.add_argument("--baseline", type=Path, help="another model file scored on the same photos")
    args = parser.parse_args()

    from zerowaste.model.runtime import shipped_model_path
    from zerowaste.training.evaluate import evaluate_model
    from zerowaste.training.sure import municipality_bins

    bin_of = municipality_bins("wuppertal")
    entries = [e for e in manifest_entries(args.manifest) if e.split == args.split]
    print(f"machine: {machine()}")
    models = {"fp32": shipped_model_path("fp32"), "int8": shipped_model_path("int8")}
    if args.baseline is not None:
        models["baseline"] = args.baseline
    reports = {}
    for precision, path in models.items():
        t = time.perf_counter()
        reports[precision] = evaluate_model(path, entries, args.out / precision, bin_of=bin_of)
        reports[precision]["seconds"] = time.perf_counter() - t
        print(
            f"{precision}: {reports[precision]['model']} sha256 {reports[precision]['sha256'][:12]}, "
            f"{reports[precision]['seconds']:.0f} s"
        )
    print(f"\n{args.split} split: {len(entries)} photos, none in a near-duplicate group with a training photo")
    domain_table(reports)
    source_table(reports)
    class_table(reports)
    intervals(reports, entries, bin_of)
    risk_table(reports)
    print(f"\nrisk-coverage curves: {args.out}/int8/risk-coverage.png and .json (FP32 beside it)")


def domain_table(reports: dict) -> None:
    print("\nstudio: one object on a plain sheet; phone: clothing and drinks photos as people take them, held out\n")
    print("| model | domain | photos | top-1 | material group | right bin | sure: share answered | sure: right bin |")
    print("|---|---|---|---|---|---|---|---|")
    for precision, r in reports.items():
        for d, m in r["domains"].items():
            print(
                f"| {precision.upper()} | {d} | {m['n']} | {pct(m['top1'])} | {pct(m['material_top1'])} | "
                f"{pct(m['right_bin'])} | {pct(m['sure_coverage'])} | {pct(m['sure_right_bin'])} |"
            )
    a, b = reports["int8"]["_probs"].argmax(1), reports["fp32"]["_probs"].argmax(1)
    print(f"\nINT8 vs FP32: same top class on {pct(float((a == b).mean()))} of photos")
    if "baseline" in reports:
        print(f"BASELINE: {reports['baseline']['model']} sha256 {reports['baseline']['sha256'][:12]}")


def source_table(reports: dict) -> None:
    print("\nper source (TrashNet in its 6 classes; drinks glass of a colour nobody could tell: any glass is right):\n")
    print(
        "| source | domain | photos | FP32 top-1 | INT8 top-1 | INT8 material group | INT8 right bin "
        "| INT8 sure share / right bin |"
    )
    print("|---|---|---|---|---|---|---|---|")
    r8, r32 = reports["int8"], reports["fp32"]
    for d, m in r8["domains"].items():
        for src, v in m["per_source"].items():
            print(
                f"| {src} | {d} | {v['n']} | {pct(r32['parts'][src]['top1'])} | {pct(r8['parts'][src]['top1'])} | "
                f"{pct(v['material_top1'])} | {pct(v['right_bin'])} | {pct(v['sure_coverage'])} / "
                f"{pct(v['sure_right_bin'])} |"
            )


def class_table(reports: dict) -> None:
    """Per label and domain: material group and right bin, FP32 and INT8."""
    print("\nper class (material group / right bin):\n")
    print("| domain | label | photos | FP32 | INT8 |")
    print("|---|---|---|---|---|")
    for d in reports["int8"]["domains"]:
        for label, v in reports["int8"]["domains"][d]["per_label"].items():
            f = reports["fp32"]["domains"][d]["per_label"][label]
            print(
                f"| {d} | {label} | {v['n']} | {pct(f['material_top1'])} / {pct(f['right_bin'])} | "
                f"{pct(v['material_top1'])} / {pct(v['right_bin'])} |"
            )


def intervals(reports: dict, entries: list, bin_of: dict, resamples: int = 2000) -> None:
    """95 % bootstrap intervals of the material group and the right bin per domain: how far another draw
    of as many photos could land."""
    from zerowaste.model import taxonomy
    from zerowaste.training.evaluate import right_bins

    rng = np.random.default_rng(0)
    labels = [e.label for e in entries]
    domains = np.array([e.domain for e in entries])
    print(f"\n95 % bootstrap intervals ({resamples} resamples per domain):\n")
    print("| model | domain | material group | right bin |")
    print("|---|---|---|---|")
    for precision, r in reports.items():
        probs = r["_probs"]
        material = np.array(
            [
                taxonomy.material_group(taxonomy.LABELS[int(i)]) == taxonomy.material_group(lbl)
                for i, lbl in zip(probs.argmax(1), labels, strict=True)
            ]
        )
        right = right_bins(probs, labels, bin_of)
        for d in r["domains"]:
            cells = []
            for values in (material, right):
                v = values[domains == d]
                means = v[rng.integers(0, len(v), size=(resamples, len(v)))].mean(1)
                lo, hi = np.percentile(means, [2.5, 97.5])
                cells.append(f"{pct(v.mean())} ({pct(lo)}–{pct(hi)})")
            print(f"| {precision.upper()} | {d} | " + " | ".join(cells) + " |")


def risk_table(reports: dict) -> None:
    """Risk (wrong bin) at fixed coverages, surest answers first, by the sure rule's own ordering."""
    print("\nrisk-coverage (wrong bin among the surest answers; AURC: area under the curve, lower is better):\n")
    print("| model | domain | AURC | risk @ 50 % | @ 60 % | @ 85 % | @ 100 % |")
    print("|---|---|---|---|---|---|---|")
    for precision, r in reports.items():
        for d, m in r["domains"].items():
            rc = m["risk_coverage"]
            print(
                f"| {precision.upper()} | {d} | {rc['aurc']:.4f} | {pct(rc['at']['0.50'])} | "
                f"{pct(rc['at']['0.60'])} | {pct(rc['at']['0.85'])} | {pct(rc['at']['1.00'])} |"
            )
    rule = reports["int8"].get("sure_rule")
    if rule:
        print(f"\nsure rule in the INT8 file: {json.dumps(rule)}")


if __name__ == "__main__":
    main()
