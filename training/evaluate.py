"""`zerowaste evaluate`: an ONNX model on a manifest split -> JSON report, confusion matrix and
reliability diagram as PNG. Runs the model through ONNX Runtime exactly as the service does."""

from __future__ import annotations

import json
from pathlib import Path

from zerowaste.datasets.manifest import Entry
from zerowaste.model.runtime import OnnxClassifier
from zerowaste.model.scoring import calibration_view, predict_entries, score


def evaluate_model(model_path: Path, entries: list[Entry], out_dir: Path | None = None) -> dict[str, object]:
    model = OnnxClassifier(model_path)
    probs, item = predict_entries(model, entries, desc=f"evaluate {model_path.name}")
    report: dict[str, object] = {"model": model_path.name, "sha256": model.sha256, **score(probs, entries)}
    parts = report["parts"]
    assert isinstance(parts, dict)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "report.json").write_text(json.dumps(report, indent=2))
        from zerowaste.training.plots import confusion_png, reliability_png

        conf, correct = calibration_view(probs, [e.label for e in entries])
        for source, m in parts.items():
            assert isinstance(m, dict)
            confusion_png(m["confusion"], out_dir / f"confusion-{source}.png", f"{model_path.name} on {source}")
        reliability_png(conf, correct, out_dir / "reliability.png", model_path.name)
    report["_probs"] = probs
    report["_item"] = item
    return report
