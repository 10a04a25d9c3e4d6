"""`zerowaste requantize` on the shipped FP32 file and real photos: a new INT8 file that describes
itself (its own sure rule and item temperature), the INT8 parts of the metrics replaced, the FP32 file
untouched, and the one-point bound enforced."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import photos

pytest.importorskip("torch")
pytest.importorskip("onnx")

LABELS = ("battery", "shoes", "green-glass", "cardboard", "metal")


def _entries(split: str, offset: int) -> list:
    from zerowaste.datasets.manifest import Entry

    out = []
    for label in LABELS:
        for f in photos("garbage12", label, n=offset + 4)[offset:]:
            digest = hashlib.sha256(f.read_bytes()).hexdigest()
            out.append(Entry(str(f), label, "garbage12", digest, f.stat().st_size, 0, 0, "", split=split))
    return out


def test_requantize_makes_a_self_describing_int8_file_and_keeps_fp32(tmp_path: Path) -> None:
    from zerowaste.model.runtime import OnnxClassifier, read_spec, shipped_model_path
    from zerowaste.model.spec import file_sha256
    from zerowaste.training.requantize import QuantisationRejected, requantize

    fp32 = shipped_model_path("fp32")
    before = file_sha256(fp32)
    entries = _entries("train", 0) + _entries("val", 4) + _entries("test", 8)
    try:
        metrics = requantize(fp32, entries, tmp_path, calibration_images=16)
    except QuantisationRejected as exc:  # 20 test photos: one photo is five points
        pytest.fail(f"the shipped FP32 file quantises within a point on these photos: {exc}")
    assert file_sha256(fp32) == before
    int8 = tmp_path / "zerowaste-int8.onnx"
    spec = read_spec(int8)
    assert spec is not None and spec.precision == "int8" and spec.sure and spec.item_temperature > 0
    assert metrics["drops"] == {"garbage12": pytest.approx(0.0, abs=0.01)}
    written = json.loads((tmp_path / "metrics.json").read_text())
    assert written["requantized"]["from_fp32"] == fp32.name and written["test"]["int8"]["parts"]["garbage12"]["n"] == 20
    assert spec.metrics["requantized"] == written["requantized"]  # the file carries what metrics.json says
    assert "INT8" in (tmp_path / "MODEL_CARD.md").read_text(encoding="utf-8")
    clf = OnnxClassifier(int8)
    assert clf.spec.labels == read_spec(fp32).labels  # type: ignore[union-attr]


def test_a_file_without_release_metadata_is_refused(tmp_path: Path) -> None:
    import onnx

    from zerowaste.model.runtime import shipped_model_path
    from zerowaste.training.requantize import requantize

    bare = onnx.load(str(shipped_model_path("fp32")))
    del bare.metadata_props[:]
    path = tmp_path / "bare.onnx"
    onnx.save(bare, str(path))
    with pytest.raises(ValueError, match="no release metadata"):
        requantize(path, _entries("val", 0), tmp_path / "out")
