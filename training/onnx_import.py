"""Back from an exported FP32 model to PyTorch, so that training (or only the item refit and the
release) can start from a shipped or registry model instead of the ImageNet weights.

The exporter folds each batch norm into its convolution: the graph holds one weight and one bias per
convolution. Loading puts them into the convolution and makes its batch norm the identity (scale 1,
shift = the folded bias, mean 0, variance 1 - eps): the same function, in a form that trains on
(training keeps batch-norm statistics frozen and learns scale and shift anyway).
"""

from __future__ import annotations

from pathlib import Path

import onnx
import torch
from onnx import numpy_helper
from torch import nn

from zerowaste.model import taxonomy
from zerowaste.model.architecture import EfficientNetLite
from zerowaste.model.spec import METADATA_KEY, ModelSpec


def refuse_other_labels(path: Path, labels: list[str]) -> None:
    """A model trained on other classes cannot be continued as this release's."""
    if labels != list(taxonomy.LABELS):
        raise SystemExit(f"{path}: labels {labels} are not this release's {list(taxonomy.LABELS)}")


def other_frozen_blocks(path: Path, frozen_blocks: int) -> SystemExit:
    """Training caches the output of the stem and the first `frozen_blocks` blocks from the ImageNet weights;
    a model whose early blocks differ would be trained on features it does not compute."""
    return SystemExit(
        f"{path}: its first {frozen_blocks} blocks are not the ImageNet weights that"
        " training caches; pick the --cut it was trained with"
    )


def _pairs(model: EfficientNetLite) -> list[tuple[nn.Conv2d, nn.BatchNorm2d]]:
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    if len(convs) != len(norms):
        raise AssertionError("every convolution of EfficientNetLite is followed by a batch norm")
    return list(zip(convs, norms, strict=True))


@torch.no_grad()
def _folded(conv: nn.Conv2d, norm: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    assert norm.running_var is not None and norm.running_mean is not None  # track_running_stats in this network
    scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
    return conv.weight * scale[:, None, None, None], norm.bias - norm.running_mean * scale


@torch.no_grad()
def load_exported(model: EfficientNetLite, path: Path, *, frozen_blocks: int) -> float:
    """Load `path` (an FP32 file `zerowaste train` exported) into `model` and return its temperature.

    The stem and the first `frozen_blocks` blocks must equal `model`'s own (`other_frozen_blocks`).
    """
    exported = onnx.load(str(path))
    meta = {p.key: p.value for p in exported.metadata_props}
    if METADATA_KEY not in meta:
        raise SystemExit(f"{path}: no {METADATA_KEY} metadata; not a file `zerowaste train` exported")
    spec = ModelSpec.from_json(meta[METADATA_KEY])
    if spec.precision != "fp32":
        raise SystemExit(f"{path}: a {spec.precision} file cannot be trained on; give the FP32 file")
    refuse_other_labels(path, list(spec.labels))
    graph = exported.graph
    init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    convs = [n for n in graph.node if n.op_type == "Conv"]
    pairs = _pairs(model)
    if len(convs) != len(pairs):
        raise SystemExit(f"{path}: {len(convs)} convolutions, EfficientNet-Lite0 has {len(pairs)}")
    frozen = {id(m) for m in (model.stem, *model.blocks[:frozen_blocks]) for m in m.modules()}
    for node, (conv, norm) in zip(convs, pairs, strict=True):
        weight = torch.from_numpy(init[node.input[1]].copy())
        bias = torch.from_numpy(init[node.input[2]].copy())
        if weight.shape != conv.weight.shape:
            raise SystemExit(
                f"{path}: convolution {node.name} has shape {tuple(weight.shape)}, expected {tuple(conv.weight.shape)}"
            )
        if id(conv) in frozen:
            ours, our_bias = _folded(conv, norm)
            if not (torch.allclose(ours, weight, atol=1e-5) and torch.allclose(our_bias, bias, atol=1e-5)):
                raise other_frozen_blocks(path, frozen_blocks)
        conv.weight.copy_(weight)
        norm.weight.fill_(1.0)
        norm.bias.copy_(bias)
        assert norm.running_mean is not None and norm.running_var is not None
        norm.running_mean.zero_()
        norm.running_var.fill_(1.0 - norm.eps)
    for name, layer in (("waste_head", model.waste_head), ("item_head", model.item_head)):
        layer.weight.copy_(torch.from_numpy(init[f"model.{name}.weight"].copy()))
        layer.bias.copy_(torch.from_numpy(init[f"model.{name}.bias"].copy()))
    return float(init["temperature"])
