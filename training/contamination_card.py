"""The bio-bin camera model's card: what it was trained on, how it scores, a risk–coverage picture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import onnxruntime as ort

from zerowaste import atomic
from zerowaste.model.contamination import METADATA_KEY, ContaminationSpec
from zerowaste.model.spec import file_sha256
from zerowaste.training.plots import risk_coverage_png

CARD = "CONTAMINATION_CARD.md"
METRICS = "contamination-metrics.json"
PLOT = "contamination-risk-coverage.png"


def _spec(path: Path) -> ContaminationSpec:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return ContaminationSpec.from_json(session.get_modelmeta().custom_metadata_map[METADATA_KEY])


def _pct(x: float) -> str:
    return "–" if x != x else f"{100 * x:.1f} %"


def _rows(name: str, m: dict[str, Any]) -> list[str]:
    g = m["groups"]
    cells = [f"{_pct(g[k]['found'])} ({_pct(g[k]['found_at_5pct_false_alarms'])})" if k in g else "–" for k in g]
    return [f"| {name} | {m['views']} | {_pct(m['false_alarm_rate'])} | " + " | ".join(cells) + " |"]


def write_card(files: dict[str, Path], out: Path, real: dict[str, dict[str, int]] | None = None) -> list[Path]:
    """CONTAMINATION_CARD.md, the metrics JSON and the risk–coverage PNG beside the model files; `real`:
    each file's counts on the labelled real photos (`real_photo_counts`), reported beside the composites."""
    specs = {precision: _spec(path) for precision, path in files.items()}
    metrics = {
        p: {"sha256": file_sha256(files[p]), "size": files[p].stat().st_size, **s.metrics, "thresholds": s.thresholds}
        for p, s in specs.items()
    }
    if real is not None:
        metrics["real_photos"] = real
    atomic.write_text(out / METRICS, json.dumps(metrics, indent=1, ensure_ascii=False))
    curves = {f"{p} test views": s.metrics["test_risk_coverage"] for p, s in specs.items()}
    risk_coverage_png(
        curves,
        out / PLOT,
        "bio-bin views: contaminated or clean",
        xlabel="coverage (share of bins answered, surest first)",
        ylabel="wrong verdict among those answered (%)",
    )
    spec = specs["int8"]
    groups = list(spec.metrics["test"]["groups"])
    head = "| file, set | views | false alarms on clean views | " + " | ".join(groups) + " |"
    lines = [
        "# Bio-bin contamination model",
        "",
        "A view into a bio bin (lid camera, or the truck's camera while emptying) -> which contaminants it",
        "shows (" + ", ".join(spec.labels) + "), each with a probability and the cells where it lies.",
        f"Backbone {spec.architecture}, input {spec.preprocessing.crop_size} px (the whole square view),"
        f" one pass; data set sha256 `{spec.data_sha256[:16]}…`.",
        f"Training command: `{spec.training_command}`.",
        "",
        "Trained and judged on composites (`training/biobin.py`, `training/README.md`): no labelled photos of",
        "contaminated biowaste exist here. Test views are made only of test-split objects on test-split",
        "backgrounds. Per group: found at the file's thresholds (in brackets: found at 5 % false alarms on",
        "this very set).",
        "",
        head,
        "|" + "---|" * (3 + len(groups)),
    ]
    for p, s in specs.items():
        lines += _rows(f"{p} ({files[p].stat().st_size / 1e6:.2f} MB), validation", s.metrics["validation"])
        lines += _rows(f"{p}, test", s.metrics["test"])
    lines += ["", "Thresholds (INT8): " + ", ".join(f"{k} {v:.3f}" for k, v in spec.thresholds.items()), ""]
    if real:
        lines += [
            "Real photos of organic waste (`datasets/labels/contamination/biobin-real.jsonl`, labelled by looking;"
            " mostly stock close-ups of produce, not views into a bin), counts, beside the composite test above:",
            "",
            "| file | photos | contaminated found | clean flagged |",
            "|---|---|---|---|",
            *(
                f"| {p} | {r['photos']} | {r['found']} / {r['contaminated']} | {r['flagged']} / {r['clean']} |"
                for p, r in real.items()
            ),
            "",
        ]
    lines += [f"![risk–coverage]({PLOT})", ""]
    atomic.write_text(out / CARD, "\n".join(lines))
    return [out / CARD, out / METRICS, out / PLOT]
