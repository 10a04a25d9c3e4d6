"""ONNX export (FP32): one graph, one pass, two outputs, calibrated probabilities, self-describing."""

from __future__ import annotations

from pathlib import Path

import onnx
import torch
from torch import nn

from zerowaste import atomic
from zerowaste.model.architecture import EfficientNetLite
from zerowaste.model.spec import DISTANCE_OUTPUT, INPUT_NAME, ITEM_OUTPUT, METADATA_KEY, WASTE_OUTPUT, ModelSpec
from zerowaste.training.fusion import Calibration, MaterialFusion
from zerowaste.training.ood import DistanceHead, FeatureDensity

OPSET = 17


class Deployable(nn.Module):
    """The shipped graph: calibrated waste probabilities (the item head's material evidence fused in,
    `training/fusion.py`) and ImageNet item probabilities."""

    def __init__(
        self, model: EfficientNetLite, calibration: Calibration | float, density: FeatureDensity | None = None
    ) -> None:
        super().__init__()
        if not isinstance(calibration, Calibration):
            calibration = Calibration(float(calibration))
        self.model = model
        # Its own initialiser named "temperature": onnx_import reads it back from an exported file.
        self.register_buffer("temperature", torch.tensor(float(calibration.temperature)))
        self.fusion = MaterialFusion(Calibration(1.0, calibration.beta, calibration.lam)) if calibration.beta else None
        # A third output, how far the photo lies from the training photos (training/ood.py).
        self.distance = DistanceHead(density) if density is not None else None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        # Called as a module, so that the exporter names its nodes /model/blocks.N/... (quantize.py reads them).
        waste, item, features = self.model(x, with_features=True)
        logits = waste / self.temperature
        if self.fusion is not None:
            logits = self.fusion(logits, item)
        outputs = (torch.softmax(logits, dim=1), torch.softmax(item, dim=1))
        return outputs if self.distance is None else (*outputs, self.distance(features))


def write_metadata(path: Path, spec: ModelSpec) -> None:
    set_metadata(path, METADATA_KEY, spec.to_json())


def set_metadata(path: Path, key: str, value: str) -> None:
    """The file's one metadata entry (its spec as JSON under `key`), written whole or not at all."""
    model = onnx.load(str(path))
    del model.metadata_props[:]
    entry = model.metadata_props.add()
    entry.key, entry.value = key, value
    model.producer_name = "zerowaste"
    with atomic.atomic_path(path, suffix=".onnx") as tmp:
        onnx.save(model, str(tmp))


def export_onnx(
    model: EfficientNetLite,
    calibration: Calibration | float,
    spec: ModelSpec,
    path: Path,
    density: FeatureDensity | None = None,
) -> Path:
    deployable = Deployable(model, calibration, density).eval()
    size = spec.preprocessing.crop_size
    path.parent.mkdir(parents=True, exist_ok=True)
    outputs = [WASTE_OUTPUT, ITEM_OUTPUT, *([DISTANCE_OUTPUT] if density is not None else [])]
    torch.onnx.export(
        deployable,
        (torch.zeros(1, 3, size, size),),
        str(path),
        input_names=[INPUT_NAME],
        output_names=outputs,
        dynamic_axes={name: {0: "batch"} for name in (INPUT_NAME, *outputs)},
        opset_version=OPSET,
        # The TorchScript exporter, which torch 2.14 calls legacy, on purpose: quantize.float_block_nodes
        # finds blocks 0-2 by the module path it writes into node names (/model/blocks.2/...), where the
        # torch.export-based one writes node_Conv_N and keeps the path only in node metadata (with local
        # source paths in stack traces); it also needs onnxscript and took 30-36 s per export here
        # against 3 s (2 cores, 2026-11-23). Its graph is cleaner (98 nodes, padding fused into Conv,
        # against 249): worth the move when torch drops this exporter, with the names rebuilt from
        # the metadata.
        dynamo=False,
    )
    write_metadata(path, spec)
    onnx.checker.check_model(str(path))
    return path


def export_original(spec: ModelSpec, path: Path) -> Path:
    """The untouched ImageNet model (random waste head) as ONNX: what the kept item head is measured against."""
    from zerowaste.model.pretrained import pretrained

    original = pretrained(len(spec.labels), spec.architecture).eval()
    return export_onnx(original, 1.0, spec, path)
