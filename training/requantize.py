"""A new INT8 file from a released FP32 file, without training again.

The quantisation recipe may improve after a release (training/quantize.py); the FP32 file, its fusion,
distance and sure rule stay as they are. The INT8 file is quantised, its own sure rule and item
temperature are fitted on the validation photos as in a release, both files are evaluated on the test
photos, and the INT8 parts of metrics.json and the model card are replaced. The release's bound holds:
INT8 within one point of FP32 on every test source, or nothing is shipped.

    zerowaste requantize [--fp32 model/shipped/zerowaste-fp32.onnx] [--ship]
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np

from zerowaste.datasets.manifest import Entry
from zerowaste.model.runtime import SHIPPED_FILES, read_spec
from zerowaste.training.evaluate import evaluate_model, report_array, report_table
from zerowaste.training.export import export_original, write_metadata
from zerowaste.training.model_card import model_card
from zerowaste.training.provenance import timestamp
from zerowaste.training.quantize import calibration_subset, quantize_int8
from zerowaste.training.release import file_metrics, fit_file_rule, int8_vs_fp32
from zerowaste.training.release import ship as ship_files
from zerowaste.training.sure import municipality_bins

log = logging.getLogger(__name__)
MAX_DROP = 0.01  # INT8 top-1 may fall at most one point below FP32's, per test source


class QuantisationRejected(Exception):
    pass


def requantize(
    fp32: Path,
    entries: list[Entry],
    out: Path,
    *,
    calibration_images: int = 256,
    municipality: str = "wuppertal",
    ship: bool = False,
) -> dict[str, object]:
    spec = read_spec(fp32)
    if spec is None or not spec.metrics:
        raise ValueError(f"{fp32} carries no release metadata; requantize a file `zerowaste train` released")
    out.mkdir(parents=True, exist_ok=True)
    int8 = quantize_int8(
        fp32, out / SHIPPED_FILES["int8"], calibration_subset(entries, calibration_images), spec.preprocessing
    )
    val = [e for e in entries if e.split == "val"]
    test = [e for e in entries if e.split == "test"]
    bin_of = municipality_bins(municipality)
    rule, temperature, fit = fit_file_rule(int8, val, bin_of)
    released = replace(spec, precision="int8", sure=rule.to_dict(), item_temperature=temperature)
    write_metadata(int8, released)

    original = export_original(spec, out / "original-imagenet.onnx")
    reports = {
        name: evaluate_model(path, test, out / f"eval-{name}", bin_of=None if name == "original" else bin_of)
        for name, path in (("fp32", fp32), ("int8", int8), ("original", original))
    }
    original.unlink()
    orig_item = report_array(reports["original"], "_item").argmax(1)
    sources = np.array([e.source for e in test])
    metrics = json.loads(json.dumps(spec.metrics))  # a copy
    metrics["test"]["int8"] = file_metrics(reports["int8"], orig_item, sources, int8)
    metrics["int8_vs_fp32"] = int8_vs_fp32(reports)
    metrics.setdefault("sure_validation", {})["int8"] = fit
    metrics["requantized"] = {"at": timestamp(), "from_fp32": fp32.name, "calibration_images": calibration_images}

    fp32_parts, int8_parts = report_table(reports["fp32"], "parts"), report_table(reports["int8"], "parts")
    drops = {source: fp32_parts[source]["top1"] - int8_parts[source]["top1"] for source in fp32_parts}
    log.info("INT8 below FP32 per test source: %s", drops)
    worst = max(drops.values())
    if worst > MAX_DROP:
        raise QuantisationRejected(f"INT8 is {100 * worst:.1f} points below FP32 on a test source: {drops}")

    write_metadata(int8, replace(released, metrics=metrics))
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    (out / "MODEL_CARD.md").write_text(model_card(replace(released, metrics=metrics), metrics, entries))
    if ship:
        ship_files([int8], out)
    return {"int8": str(int8), "drops": drops, "int8_vs_fp32": metrics["int8_vs_fp32"]}
