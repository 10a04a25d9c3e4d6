"""`zerowaste data build` + `zerowaste train` on a small folder of real photos, all the way to the
INT8 file, its report and model card. Small and short, but every step is the real one."""

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import photos
from tests.utils.models import small_train_args

pytest.importorskip("torch")


@pytest.mark.slow
def test_small_training_run_produces_calibrated_fp32_and_int8_models(tmp_path: Path) -> None:
    from zerowaste.cli import main
    from zerowaste.model.image_io import load_image
    from zerowaste.model.runtime import OnnxClassifier

    src = tmp_path / "photos"
    for label in ("battery", "shoes", "green-glass"):
        (src / label).mkdir(parents=True)
        for f in photos("garbage12", label, n=20):
            shutil.copy(f, src / label / f.name)
    manifest = tmp_path / "manifest.jsonl"
    assert main(["data", "build", "--source", f"garbage12={src}", "--out", str(manifest)]) == 0

    out = tmp_path / "run"
    args = [*small_train_args(manifest, tmp_path / "cache", epochs=3), "--output", str(out)]
    assert main(args) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["parity"]["top1_identical"] == 1.0
    assert metrics["parity"]["max_abs_diff_waste"] < 1e-4
    assert metrics["training"]["temperature"] > 0
    int8 = OnnxClassifier(out / "zerowaste-int8.onnx")
    fp32 = OnnxClassifier(out / "zerowaste-fp32.onnx")
    assert int8.spec.precision == "int8" and fp32.spec.precision == "fp32"
    assert int8.spec.metrics["test"]["int8"]["parts"]["garbage12"]["n"] > 0
    assert (out / "zerowaste-int8.onnx").stat().st_size < 0.4 * (out / "zerowaste-fp32.onnx").stat().st_size
    for png in ("eval-int8/confusion-garbage12.png", "eval-int8/reliability.png"):
        assert (out / png).stat().st_size > 1000
    assert "Known limits" in (out / "MODEL_CARD.md").read_text()
    # One pass, three outputs: both heads and the distance from the training photos; the sure rule and the
    # fusion travel in the file, and the report puts the domains side by side.
    for clf in (int8, fp32):
        assert clf.has_distance
        pred = clf.predict_images([load_image(e) for e in photos("garbage12", "battery", n=2)])
        assert pred.distance is not None and pred.distance.shape == (2,) and (pred.distance >= 0).all()
        assert {"min_confidence", "max_distance", "groups"} <= set(clf.spec.sure)
        assert ["metal", "plastic"] in clf.spec.sure["groups"]
    assert metrics["test"]["int8"]["domains"]["studio"]["n"] == metrics["test"]["int8"]["all"]["n"]
    for png in ("eval-int8/risk-coverage.png",):
        assert (out / png).stat().st_size > 1000
    # Resuming from the last checkpoint with --test-only re-calibrates and exports again.
    assert main([*args, "--resume", str(out / "checkpoint.pth"), "--test-only", "--no-export"]) == 0
    # Starting another run from the saved weights (as a CPU release of a GPU run does) gives the same model:
    # the same validation answers and so the same temperature.
    trained = json.loads((out / "training.json").read_text())
    again = tmp_path / "again"
    assert (
        main([*args, "--init", str(out / "model_best.pth"), "--test-only", "--no-export", "--output", str(again)]) == 0
    )
    restarted = json.loads((again / "training.json").read_text())
    assert restarted["val_acc"] == trained["val_acc"]
    assert restarted["temperature"] == pytest.approx(trained["temperature"], rel=1e-5)
