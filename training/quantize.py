"""Static INT8 (QDQ) quantisation with ONNX Runtime, calibrated on real training photos.

The calibration reader feeds `model.preprocess` output, the same function the service and the
edge call, so calibration and inference cannot drift apart (the pitfall of ORT's own example).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

from zerowaste.datasets.manifest import Entry
from zerowaste.model.architecture import onnx_block_prefix
from zerowaste.model.image_io import load_image
from zerowaste.model.preprocess import Preprocessing, preprocess
from zerowaste.model.spec import INPUT_NAME


class HasPath(Protocol):
    """A photo to calibrate on: a manifest entry, or a composite view."""

    @property
    def path(self) -> str: ...


class PhotoCalibrationReader(CalibrationDataReader):  # type: ignore[misc]  # onnxruntime ships no stubs
    """Batches of preprocessed photos; `set_range` lets ONNX Runtime calibrate on a slice at a time."""

    def __init__(self, entries: Sequence[HasPath], preprocessing: Preprocessing, batch_size: int = 16) -> None:
        self.entries = entries
        self.preprocessing = preprocessing
        self.batch_size = batch_size
        self.start, self.end = 0, len(entries)
        self.pos = self.start

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self.pos >= self.end:
            return None
        batch = self.entries[self.pos : min(self.pos + self.batch_size, self.end)]
        self.pos += len(batch)
        return {INPUT_NAME: np.stack([preprocess(load_image(e.path), self.preprocessing) for e in batch])}

    def rewind(self) -> None:
        self.pos = self.start

    def __len__(self) -> int:
        return len(self.entries)

    def set_range(self, start_index: int, end_index: int) -> None:
        self.start, self.end = start_index, min(end_index, len(self.entries))
        self.pos = self.start


def calibration_stride(n: int, most: int = 32) -> int:
    """The photos calibrated at once: the largest divisor of `n` up to `most` (ONNX Runtime wants equal
    slices). The percentile calibrator keeps every activation of every photo it is given until it builds
    its histograms: 256 photos at once peaked at 16.3 GB here, which a 16 GB laptop cannot release."""
    return next(d for d in range(min(most, n), 0, -1) if n % d == 0)


def calibration_subset(entries: list[Entry], n: int) -> list[Entry]:
    """A fixed, class-balanced subset of the training photos (sorted by hash, so reproducible)."""
    by_label: dict[str, list[Entry]] = {}
    for e in sorted((e for e in entries if e.split == "train"), key=lambda e: e.sha256):
        by_label.setdefault(e.label, []).append(e)
    chosen: list[Entry] = []
    while len(chosen) < n and any(by_label.values()):
        for label in sorted(by_label):
            if by_label[label] and len(chosen) < n:
                chosen.append(by_label[label].pop())
    return chosen


def _groups(conv: onnx.NodeProto) -> int:
    return next((a.i for a in conv.attribute if a.name == "group"), 1)


# Blocks 0-2 (16 and 24 channels at 112 and 56 px) stay in float: 13 k weights, but there a float
# and an INT8 copy of the same activations part fastest (signal-to-quantisation-noise of the running
# INT8 graph against float: 53 dB after the stem, 16 dB after block 2, 12-15 dB for every later block).
# Measured on the validation split with the same FP32 model: waste top-1 agreement with FP32
# 97.5 -> 99.0 %, item-head agreement 81.6 -> 90.4 %, file 5.12 -> 5.15 MB, latency unchanged on x86.
# Keeping blocks up to 5 in float raised item agreement only to 92.4 % for 30 % of the network's
# multiply-adds in float on the Pi.
FLOAT_BLOCKS = 3


def float_block_nodes(nodes: Sequence[onnx.NodeProto], blocks: int) -> list[str]:
    """Every node of the first `blocks` MBConv blocks, found by the module path torch's exporter puts
    in node names (`/model/blocks.2/...`)."""
    prefixes = tuple(onnx_block_prefix(i) for i in range(blocks))
    chosen = [n.name for n in nodes if n.name.startswith(prefixes)]
    if blocks and not chosen:
        raise ValueError("no node named /model/blocks.N/...: was this model exported by `zerowaste train`?")
    return chosen


def quantize_int8(
    fp32: Path, out: Path, calibration: Sequence[HasPath], preprocessing: Preprocessing, slice_photos: int = 32
) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        nodes = onnx.load(str(prepared)).graph.node
        convs = [n for n in nodes if n.op_type == "Conv"]
        # The stem sees raw pixels through 3 input channels: 864 weights, cheap in float and the
        # layer INT8 hurts most (measured: item-head agreement with FP32 65 % -> 48 % without this).
        stem = convs[0].name
        early = float_block_nodes(nodes, FLOAT_BLOCKS)
        # The item head's material evidence (a softmax, a product with the prior table, a logarithm) is a
        # few hundred multiply-adds on probabilities near 0 and 1, where 8-bit steps would erase it; the
        # distance from the training features is a sum of squares whose scale 8 bits cannot span.
        fusion = [n.name for n in nodes if n.name.startswith(("/fusion/", "/distance/"))]
        stride = calibration_stride(len(calibration), slice_photos)
        quantize_static(
            str(prepared),
            str(out),
            # One batch per slice: ORT stacks a slice's outputs per tensor, so a smaller last batch
            # within a slice fails (any count not a multiple of the old batch size of 16 did).
            PhotoCalibrationReader(calibration, preprocessing, batch_size=stride),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            # Unsigned activations, signed weights (U8S8): ONNX Runtime's x86 path. With signed
            # activations many 1x1 convolutions stayed float Conv between Dequantize and Quantize and
            # the item head's QGemm was 3.7x slower than float (benchmarks/int8_ops.py): the same recipe
            # with S8S8 took 9.1 ms a photo at one thread, FP32 9.9 ms, U8S8 5.5 ms (AMD EPYC, VNNI).
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            # Activation ranges from the 99.999th percentile instead of the extremes: a few outlier
            # pixels no longer widen a whole tensor's steps (test split, same FP32: 93.1 -> 93.3 % top-1).
            calibrate_method=CalibrationMethod.Percentile,
            # 7-bit weights: on x86 without VNNI (AVX2 only) ONNX Runtime multiplies with VPMADDUBSW,
            # whose int16 pair sums saturate with full-range int8 weights. Measured on such a CPU: the
            # same INT8 file lost 1.3 points on garbage12 (95.3 -> 94.0 %) that it kept on a VNNI CPU,
            # and its integer kernels agreed with its own QDQ graph run in float on only 81 % of item
            # top-1s; with reduce_range it scores 95.3 % there and the two agree.
            reduce_range=True,
            nodes_to_exclude=[stem, *early, *fusion],
            # Clip (ReLU6) must be listed: then its range is the convolution's output range. Left out,
            # each convolution's output is quantised over its whole pre-activation range, and INT8
            # agreed with FP32 on only 86 % of validation photos instead of 98 %.
            # Softmax and the temperature division stay in float; so do the head logits.
            op_types_to_quantize=["Conv", "Gemm", "MatMul", "Add", "GlobalAveragePool", "Flatten", "Clip", "Relu"],
            extra_options={
                "WeightSymmetric": True,
                "OpTypesToExcludeOutputQuantization": ["Gemm"],
                "CalibPercentile": 99.999,
                # Despite its name, ORT slices the reader this way for every calibrator; the
                # histograms merge across slices (bins as wide as the first slice's).
                "CalibStridedMinMax": stride,
                # Depthwise convolutions accumulate in int32 without the pairwise int16 step,
                # so they keep all 8 bits: item-head agreement with the original model on the
                # test split 80 / 72 % -> 85 / 77 % (garbage12 / TrashNet), waste top-1 within
                # two photos, and still equal to the float QDQ reference.
                "TensorQuantOverrides": {
                    n.input[1]: [{"axis": 0, "reduce_range": False}] for n in convs if _groups(n) > 1
                },
            },
        )
    return out
