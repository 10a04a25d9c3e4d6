"""From a calibrated PyTorch model to the released files: FP32 ONNX, INT8 ONNX, reports, model card."""

from __future__ import annotations

import argparse
import json
import logging
import shutil
from dataclasses import replace
from pathlib import Path
from typing import cast

import numpy as np
import torch

from zerowaste.datasets.manifest import Entry, manifest_hash
from zerowaste.model import taxonomy
from zerowaste.model.architecture import EfficientNetLite
from zerowaste.model.image_io import load_image
from zerowaste.model.items import imagenet_labels
from zerowaste.model.preprocess import preprocess
from zerowaste.model.runtime import SHIPPED_FILES, OnnxClassifier
from zerowaste.model.scoring import predict_all
from zerowaste.model.spec import ModelSpec
from zerowaste.model.uncertainty import SureRule
from zerowaste.training.evaluate import evaluate_model, report_array, report_table
from zerowaste.training.export import Deployable, export_onnx, export_original, write_metadata
from zerowaste.training.fusion import Calibration
from zerowaste.training.item_calibration import fit_on_validation
from zerowaste.training.model_card import model_card
from zerowaste.training.ood import FeatureDensity
from zerowaste.training.provenance import command_line, timestamp
from zerowaste.training.quantize import calibration_subset, quantize_int8
from zerowaste.training.sure import fit_sure_rule, municipality_bins

log = logging.getLogger(__name__)
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "model" / "shipped"


def parity(
    model: EfficientNetLite,
    calibration: Calibration,
    onnx_path: Path,
    entries: list[Entry],
    density: FeatureDensity | None = None,
) -> dict[str, float]:
    """ONNX Runtime against PyTorch on the same real photos."""
    x = np.stack([preprocess(load_image(e.path), model.config.preprocessing()) for e in entries])
    with torch.no_grad():
        tw, ti, *_ = Deployable(model, calibration, density).eval()(torch.from_numpy(x))
    pred = OnnxClassifier(onnx_path).predict(x)
    return {
        "max_abs_diff_waste": float(np.abs(pred.waste - tw.numpy()).max()),
        "max_abs_diff_item": float(np.abs(pred.item - ti.numpy()).max()),
        "top1_identical": float((pred.waste.argmax(1) == tw.numpy().argmax(1)).mean()),
    }


def fit_file_rule(path: Path, val: list[Entry], bin_of: dict[str, str]) -> tuple[SureRule, float, dict[str, object]]:
    """The sure rule and the item head's temperature for one exported file, on its own outputs for the
    validation photos."""
    pred = predict_all(OnnxClassifier(path), val, desc=f"sure rule {path.name}")
    rule, fit = fit_sure_rule(pred.waste, [e.label for e in val], [e.domain for e in val], pred.distance, bin_of)
    temperature, item_fit = fit_on_validation(pred.item, val)
    return rule, temperature, {**fit, "item_temperature": temperature, "item_calibration": item_fit}


def file_metrics(
    report: dict[str, object], orig_item: np.ndarray, sources: np.ndarray, path: Path
) -> dict[str, object]:
    """What metrics.json and the model card keep of one file's test report."""
    parts = report_table(report, "parts")
    item_agree = report_array(report, "_item").argmax(1) == orig_item
    return {
        "all": report["all"],
        "domains": report["domains"],
        "parts": {k: {m: v[m] for m in ("n", "top1", "macro_f1", "ece", "recall")} for k, v in parts.items()},
        "item_agreement_with_imagenet": {s: float(item_agree[sources == s].mean()) for s in sorted(set(sources))},
        "size_bytes": path.stat().st_size,
    }


def int8_vs_fp32(reports: dict[str, dict[str, object]]) -> dict[str, float]:
    int8, fp32 = reports["int8"], reports["fp32"]
    agree = report_array(int8, "_probs").argmax(1) == report_array(fp32, "_probs").argmax(1)
    item_agree = report_array(int8, "_item").argmax(1) == report_array(fp32, "_item").argmax(1)
    return {"waste_top1_agreement": float(agree.mean()), "item_top1_agreement": float(item_agree.mean())}


def release(
    model: EfficientNetLite,
    calibration: Calibration,
    entries: list[Entry],
    args: argparse.Namespace,
    training: dict[str, object],
    *,
    density: FeatureDensity | None = None,
) -> dict[str, object]:
    out: Path = args.output
    test = [e for e in entries if e.split == "test"]
    spec = ModelSpec(
        labels=list(taxonomy.LABELS),
        label_names={c.key: {"de": c.de, "en": c.en} for c in taxonomy.CLASSES},
        item_labels=list(imagenet_labels()),
        taxonomy_version=taxonomy.TAXONOMY_VERSION,
        architecture=args.backbone,
        preprocessing=model.config.preprocessing(),
        temperature=calibration.temperature,
        fusion={"beta": calibration.beta, "lambda": calibration.lam} if calibration.beta else {},
        manifest_sha256=manifest_hash(entries),
        created=timestamp(),
        training_command=command_line(),
    )
    model.eval()
    fp32 = export_onnx(model, calibration, spec, out / SHIPPED_FILES["fp32"], density)
    checks = parity(model, calibration, fp32, test[:64], density)
    log.info("ONNX parity on 64 test photos: %s", checks)

    int8 = quantize_int8(
        fp32, out / SHIPPED_FILES["int8"], calibration_subset(entries, args.calibration_images), spec.preprocessing
    )
    sure_rules: dict[str, dict[str, object]] = {}
    item_temperatures: dict[str, float] = {}

    # Each file's sure rule, fitted on that file's own outputs for the validation photos: the service
    # answers with INT8, whose probabilities differ from FP32's in the third decimal.
    bin_of = municipality_bins(args.municipality)
    sure_fit: dict[str, object] = {}
    for name, path in (("fp32", fp32), ("int8", int8)):
        rule, item_temperatures[name], sure_fit[name] = fit_file_rule(
            path, [e for e in entries if e.split == "val"], bin_of
        )
        sure_rules[name] = rule.to_dict()
        write_metadata(
            path, replace(spec, precision=name, sure=sure_rules[name], item_temperature=item_temperatures[name])
        )
        log.info("sure rule of %s: %s; on validation photos %s", path.name, rule.to_dict(), sure_fit[name])

    # The untouched ImageNet model: what the item head must keep agreeing with.
    original_path = export_original(spec, out / "original-imagenet.onnx")

    reports = {
        name: evaluate_model(path, test, out / f"eval-{name}", bin_of=None if name == "original" else bin_of)
        for name, path in (("fp32", fp32), ("int8", int8), ("original", original_path))
    }
    orig_item = report_array(reports["original"], "_item").argmax(1)
    sources = np.array([e.source for e in test])
    metrics: dict[str, object] = {
        "test": {},
        "parity": checks,
        "training": {
            k: training[k]
            for k in (
                "seconds",
                "epochs_run",
                "val_acc",
                "val_item_agreement",
                "val_item_agreement_before_refit",
                "val_item_fit",
                "val_item_fit_before_refit",
                "temperature",
                "calibration",
                "val_acc_domains",
                "val_acc_domains_fused",
                "val_ece_before",
                "val_ece_after",
                "sure",
                "init",
            )
            if k in training
        },
    }
    for name, path in (("fp32", fp32), ("int8", int8)):
        cast(dict[str, object], metrics["test"])[name] = file_metrics(reports[name], orig_item, sources, path)
    metrics["int8_vs_fp32"] = int8_vs_fp32(reports)
    original_path.unlink()

    metrics["sure_validation"] = sure_fit
    spec.metrics = metrics
    write_metadata(fp32, replace(spec, sure=sure_rules["fp32"], item_temperature=item_temperatures["fp32"]))
    spec.precision, spec.sure, spec.item_temperature = "int8", sure_rules["int8"], item_temperatures["int8"]
    write_metadata(int8, spec)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    (out / "MODEL_CARD.md").write_text(model_card(spec, metrics, entries))
    log.info("released %s and %s", fp32, int8)
    if args.ship:
        ship([fp32, int8], out)
    return metrics


def ship(models: list[Path], out: Path) -> None:
    """Copy released files, their metrics and model card, and the INT8 file's plots into model/shipped/."""
    SHIPPED_DIR.mkdir(parents=True, exist_ok=True)
    for f in (*models, out / "metrics.json", out / "MODEL_CARD.md"):
        shutil.copy2(f, SHIPPED_DIR / f.name)
    for f in [*sorted((out / "eval-int8").glob("*.png")), out / "eval-int8" / "risk-coverage.json"]:
        if f.exists():
            shutil.copy2(f, SHIPPED_DIR / f"int8-{f.name}")
