"""`zerowaste evaluate`: an ONNX model on a manifest split -> JSON report, confusion matrices, reliability
diagram and risk-coverage curves as PNG. Runs the model through ONNX Runtime exactly as the service does.

Every report puts the two domains side by side: studio photos (one object on a plain sheet) and phone
photos (what citizens send), with top-1, the material group, the right bin under a municipality's
rules, and how many answers the `sure` rule gives without a question at what risk.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from zerowaste.datasets.manifest import Entry
from zerowaste.model import taxonomy
from zerowaste.model.runtime import OnnxClassifier
from zerowaste.model.scoring import calibration_view, material_top1, predict_all, risk_coverage, score
from zerowaste.model.uncertainty import SureRule


def report_array(report: Mapping[str, object], key: str) -> np.ndarray:
    """One of the arrays evaluate_model keeps under a `_` key (`_probs`, `_item`) of its report."""
    value = report[key]
    if not isinstance(value, np.ndarray):
        raise TypeError(f"report[{key!r}] is a {type(value).__name__}, not an array")
    return value


def report_table(report: Mapping[str, object], key: str) -> dict[str, dict[str, Any]]:
    """One of the per-part tables of a report (`parts`, `domains`): name → its figures."""
    value = report[key]
    if not isinstance(value, dict):
        raise TypeError(f"report[{key!r}] is a {type(value).__name__}, not a table")
    return value


def right_bins(probs: np.ndarray, labels: list[str], bin_of: Mapping[str, str]) -> np.ndarray:
    keys = [taxonomy.LABELS[int(i)] for i in probs.argmax(1)]
    return np.array(
        [
            bin_of[k] in {bin_of[taxonomy.LABELS[m]] for m in taxonomy.members(lbl)}
            for k, lbl in zip(keys, labels, strict=True)
        ],
        dtype=bool,
    )


def sure_ranking(rule: SureRule, probs: np.ndarray, distance: np.ndarray | None) -> np.ndarray:
    """A score whose order is the rule's: photos beyond the distance threshold come after all others."""
    conf = rule.confidence(probs, taxonomy.LABELS)
    if rule.max_distance is None or distance is None:
        return conf
    return np.asarray(conf - 2.0 * (np.asarray(distance) > rule.max_distance))


def domain_summary(
    probs: np.ndarray, entries: list[Entry], distance: np.ndarray | None, rule: SureRule, bin_of: Mapping[str, str]
) -> dict[str, Any]:
    """Per domain: top-1, material group, right bin, the sure rule's coverage and risk, and the
    risk-coverage curve of the rule's ordering (risk: wrong bin)."""
    labels = [e.label for e in entries]
    domains = np.array([e.domain for e in entries])
    _, correct = calibration_view(probs, labels)
    right = right_bins(probs, labels, bin_of)
    sure = rule(probs, taxonomy.LABELS, distance)
    ranking = sure_ranking(rule, probs, distance)
    sources = np.array([e.source for e in entries])
    out: dict[str, Any] = {}
    for d in taxonomy.DOMAINS:
        sel = np.flatnonzero(domains == d)
        if not len(sel):
            continue
        n_sure = int(sure[sel].sum())
        out[d] = {
            "n": len(sel),
            "top1": float(correct[sel].mean()),
            "material_top1": material_top1(probs[sel], [labels[i] for i in sel]),
            "right_bin": float(right[sel].mean()),
            "sure_coverage": n_sure / len(sel),
            "sure_right_bin": float(right[sel][sure[sel]].mean()) if n_sure else float("nan"),
            "risk_coverage": risk_coverage(ranking[sel], right[sel]),
            "per_source": {
                src: {
                    "n": int(m.sum()),
                    "right_bin": float(right[m].mean()),
                    "material_top1": material_top1(probs[m], [labels[i] for i in np.flatnonzero(m)]),
                    "sure_coverage": float(sure[m].mean()),
                    "sure_right_bin": float(right[m & sure].mean()) if (m & sure).any() else float("nan"),
                }
                for src in sorted(set(sources[sel]))
                if (m := (sources == src) & (domains == d)).any()
            },
            "per_label": {
                lbl: {
                    "n": int(m.sum()),
                    "material_top1": material_top1(probs[sel][m], [lbl] * int(m.sum())),
                    "right_bin": float(right[sel][m].mean()),
                }
                for lbl in sorted({labels[i] for i in sel})
                if (m := np.array([labels[i] == lbl for i in sel])).any()
            },
        }
    return out


def evaluate_model(
    model_path: Path, entries: list[Entry], out_dir: Path | None = None, bin_of: Mapping[str, str] | None = None
) -> dict[str, object]:
    model = OnnxClassifier(model_path)
    pred = predict_all(model, entries, desc=f"evaluate {model_path.name}")
    probs = pred.waste
    report: dict[str, object] = {"model": model_path.name, "sha256": model.sha256, **score(probs, entries)}
    rule = SureRule.from_spec(model.spec)
    if bin_of is not None:
        report["domains"] = domain_summary(probs, entries, pred.distance, rule, bin_of)
        report["sure_rule"] = rule.to_dict()
    parts = report["parts"]
    assert isinstance(parts, dict)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "report.json").write_text(json.dumps(report, indent=2))
        from zerowaste.training.plots import confusion_png, reliability_png, risk_coverage_png

        conf, correct = calibration_view(probs, [e.label for e in entries])
        for source, m in parts.items():
            assert isinstance(m, dict)
            confusion_png(m["confusion"], out_dir / f"confusion-{source}.png", f"{model_path.name} on {source}")
        reliability_png(conf, correct, out_dir / "reliability.png", model_path.name)
        domains = report.get("domains")
        if isinstance(domains, dict) and domains:
            curves = {f"{d} ({s['n']} photos)": s["risk_coverage"] for d, s in domains.items()}
            (out_dir / "risk-coverage.json").write_text(
                json.dumps(
                    {
                        d: {
                            **s["risk_coverage"],
                            "sure_coverage": s["sure_coverage"],
                            "sure_right_bin": s["sure_right_bin"],
                        }
                        for d, s in domains.items()
                    },
                    indent=2,
                )
            )
            risk_coverage_png(
                curves,
                out_dir / "risk-coverage.png",
                f"{model_path.name}: wrong bin vs. coverage",
                targets={"phone target": (0.60, 0.03), "studio target": (0.85, 0.01)},
            )
    report["_probs"] = probs
    report["_item"] = pred.item
    report["_distance"] = pred.distance
    return report
