"""EfficientNet-Lite with two heads: waste classes and the kept ImageNet item classes.

Lite variants drop squeeze-excite and use ReLU6, which keeps INT8 accurate. Padding follows
TensorFlow's "same" rule the pretrained weights were trained with: for a stride-2 convolution on an
even-sized input that is one pixel less on the top/left than on the bottom/right.

Lite0 to Lite4 differ only in width, depth and input size (`LiteConfig`), scaled as TensorFlow's
efficientnet_lite_builder does: channels rounded to multiples of 8, repeats rounded up, and the
stem, the head and the first and last stages' repeats left unscaled. `model/backbones.py` names
them and says where their ImageNet weights lie.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from zerowaste.model.preprocess import Preprocessing, for_resolution

# (repeats, kernel, stride, expand ratio, in channels, out channels) per stage, width/depth 1.0
Stage = tuple[int, int, int, int, int, int]
STAGES: tuple[Stage, ...] = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
STEM = 32
BN_EPS = 1e-3
BN_MOMENTUM = 0.01
FEATURES = 1280
IMAGENET_CLASSES = 1000


@dataclass(frozen=True)
class LiteConfig:
    """One EfficientNet-Lite variant: width and depth multipliers and its input size."""

    width: float = 1.0
    depth: float = 1.0
    resolution: int = 224

    def channels(self, c: int) -> int:
        scaled = c * self.width
        rounded = max(8, int(scaled + 4) // 8 * 8)
        return rounded + 8 if rounded < 0.9 * scaled else rounded

    def stages(self) -> tuple[Stage, ...]:
        out: list[Stage] = []
        for i, (repeats, kernel, stride, expand, cin, cout) in enumerate(STAGES):
            fixed = i in (0, len(STAGES) - 1)
            n = repeats if fixed else math.ceil(self.depth * repeats)
            out.append((n, kernel, stride, expand, STEM if i == 0 else self.channels(cin), self.channels(cout)))
        return tuple(out)

    def blocks(self) -> int:
        return sum(s[0] for s in self.stages())

    def preprocessing(self) -> Preprocessing:
        return for_resolution(self.resolution)


LITE0 = LiteConfig()


def onnx_block_prefix(index: int) -> str:
    """The node-name prefix torch's ONNX exporter gives block `index` (the module path model.blocks.N):
    what quantisation selects blocks by."""
    return f"/model/blocks.{index}/"


def conv_bn(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1, act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = []
    if stride == 1:
        conv = nn.Conv2d(cin, cout, kernel, 1, kernel // 2, groups=groups, bias=False)
    else:
        total = kernel - stride
        layers.append(nn.ZeroPad2d((total // 2, total - total // 2, total // 2, total - total // 2)))
        conv = nn.Conv2d(cin, cout, kernel, stride, 0, groups=groups, bias=False)
    layers += [conv, nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM)]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class MBConv(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = conv_bn(cin, mid, 1) if expand != 1 else nn.Identity()
        self.depthwise = conv_bn(mid, mid, kernel, stride, groups=mid)
        self.project = conv_bn(mid, cout, 1, act=False)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.depthwise(self.expand(x)))
        out: torch.Tensor = x + y if self.residual else y
        return out


class EfficientNetLite(nn.Module):
    """`forward` returns (waste logits, item logits); `item_head` is the ImageNet classifier."""

    def __init__(self, num_classes: int, dropout: float = 0.2, config: LiteConfig = LITE0) -> None:
        super().__init__()
        self.config = config
        self.stem = conv_bn(3, STEM, 3, 2)
        blocks: list[nn.Module] = []
        stages = config.stages()
        for repeats, kernel, stride, expand, cin, cout in stages:
            for i in range(repeats):
                blocks.append(MBConv(cin if i == 0 else cout, cout, kernel, stride if i == 0 else 1, expand))
        self.blocks = nn.Sequential(*blocks)
        self.head = conv_bn(stages[-1][5], FEATURES, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.waste_head = nn.Linear(FEATURES, num_classes)
        self.item_head = nn.Linear(FEATURES, IMAGENET_CLASSES)

    def trunk(self, x: torch.Tensor, cut: int) -> torch.Tensor:
        """The stem and the first `cut` blocks (what training keeps frozen and caches)."""
        trunk: torch.Tensor = self.blocks[:cut](self.stem(x))
        return trunk

    def pooled(self, trunk: torch.Tensor, cut: int) -> torch.Tensor:
        """Blocks from `cut` on and the head convolution, pooled: what both heads read."""
        return torch.flatten(self.pool(self.head(self.blocks[cut:](trunk))), 1)

    def tail(self, trunk: torch.Tensor, cut: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Blocks from `cut` on, the head convolution and both heads."""
        feats = self.pooled(trunk, cut)
        return self.waste_head(self.dropout(feats)), self.item_head(feats)

    def forward(self, x: torch.Tensor, with_features: bool = False) -> tuple[torch.Tensor, ...]:
        """(waste logits, item logits), and the pooled features both heads read with `with_features`."""
        features = self.pooled(self.trunk(x, 0), 0)
        heads = (self.waste_head(self.dropout(features)), self.item_head(features))
        return (*heads, features) if with_features else heads


def num_blocks(config: LiteConfig = LITE0) -> int:
    return config.blocks()
