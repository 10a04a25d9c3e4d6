"""INT8 calibration on real photos, a slice at a time: the ranges must be those of all photos at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from tests.conftest import photos
from zerowaste.datasets.manifest import Entry, sha256_file
from zerowaste.model.preprocess import DEFAULT
from zerowaste.model.runtime import OnnxClassifier, shipped_model_path
from zerowaste.training.quantize import PhotoCalibrationReader, calibration_stride, quantize_int8


def entries(files: list[Path]) -> list[Entry]:
    return [
        Entry(
            path=str(f),
            label="metal",
            source="garbage12",
            sha256=sha256_file(f),
            size=f.stat().st_size,
            width=0,
            height=0,
            phash="0" * 16,
            group=i,
            split="train",
        )
        for i, f in enumerate(files)
    ]


def test_slices_divide_the_photos_evenly() -> None:
    assert calibration_stride(256) == 32
    assert calibration_stride(100) == 25
    assert calibration_stride(16) == 16
    assert calibration_stride(37) == 1  # a prime: one photo at a time, slower but still bounded
    assert all(n % calibration_stride(n) == 0 for n in range(1, 300))


def test_the_reader_yields_exactly_the_photos_of_its_range() -> None:
    files = photos("garbage12", "metal", n=5)
    reader = PhotoCalibrationReader(entries(files), DEFAULT, batch_size=2)
    assert len(reader) == 5
    reader.set_range(1, 4)
    sizes = []
    while (batch := reader.get_next()) is not None:
        sizes.append(len(next(iter(batch.values()))))
    assert sizes == [2, 1]
    reader.rewind()
    assert len(next(iter(reader.get_next().values()))) == 2  # back to the start of the range, not of all photos
    reader.set_range(4, 10)
    assert [len(next(iter(b.values()))) for b in iter(reader.get_next, None)] == [1]


@pytest.mark.slow
def test_calibrating_in_slices_gives_the_ranges_of_one_pass(tmp_path: Path) -> None:
    files = (
        photos("garbage12", "metal", n=8)
        + photos("garbage12", "paper", n=8)
        + photos("garbage12", "shoes", n=8)
        + photos("trashnet", "glass", n=8)
        + photos("trashnet", "cardboard", n=8)
    )
    calibration = entries(files)
    fp32 = shipped_model_path("fp32")
    whole = quantize_int8(fp32, tmp_path / "whole.onnx", calibration, DEFAULT, slice_photos=len(calibration))
    sliced = quantize_int8(fp32, tmp_path / "sliced.onnx", calibration, DEFAULT, slice_photos=10)

    def activation_scales(path: Path) -> dict[str, float]:
        graph = onnx.load(str(path)).graph
        init = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        return {
            n.input[1]: float(init[n.input[1]])
            for n in graph.node
            if n.op_type == "QuantizeLinear" and init[n.input[1]].size == 1
        }

    a, b = activation_scales(whole), activation_scales(sliced)
    assert a.keys() == b.keys() and len(a) >= 40  # every quantised activation from block 3 on
    rel = np.array([abs(a[k] - b[k]) / a[k] for k in a])
    # Slices share the first slice's bin width: the 99.999th percentile may move by a bin or two of 2,048.
    assert np.median(rel) < 0.001 and rel.max() < 0.01, sorted(rel)[-5:]

    others = photos("garbage12", "battery", n=8) + photos("trashnet", "plastic", n=8)
    from zerowaste.model.image_io import load_image

    images = [load_image(f) for f in others]
    ref = OnnxClassifier(fp32).predict_images(images).waste.argmax(1)
    for path in (whole, sliced):
        assert np.mean(OnnxClassifier(path).predict_images(images).waste.argmax(1) == ref) >= 0.9
