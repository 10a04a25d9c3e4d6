"""The bio-bin camera network: the EfficientNet-Lite trunk and a per-cell contaminant head.

The classifier's trunk with ImageNet weights; its head convolution's features at every cell of the
last grid (10×10 at 320 px, 7×7 at 224) go through one 1×1 convolution to a logit per contaminant. A view's score
per contaminant is its highest cell: one object anywhere in the bin is enough, and the cells say where.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from zerowaste.model.architecture import FEATURES, EfficientNetLite
from zerowaste.model.backbones import DEFAULT_BACKBONE
from zerowaste.model.pretrained import pretrained


class ContaminationNet(nn.Module):
    def __init__(self, model: EfficientNetLite, kinds: int, dropout: float = 0.2) -> None:
        super().__init__()
        self.model = model
        self.dropout = nn.Dropout2d(dropout)
        self.cells = nn.Conv2d(FEATURES, kinds, 1)
        assert self.cells.bias is not None
        nn.init.constant_(self.cells.bias, -4.0)  # most cells of most views hold nothing: start there

    @property
    def stages(self) -> int:
        """Blocks and the head convolution: stage i < stages - 1 is block i, the last is the head."""
        return len(self.model.blocks) + 1

    def run(self, x: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        """Stages start..stop-1 (`stages`) on the output of stage start-1."""
        for i in range(start, stop):
            x = self.run_stage(i)(x)
        return x

    def run_stage(self, i: int) -> nn.Module:
        stage: nn.Module = self.model.blocks[i] if i < len(self.model.blocks) else self.model.head
        return stage

    def tail_logits(self, trunk: torch.Tensor, cut: int) -> torch.Tensor:
        """Cell logits (N, K, h, w) from the output of stage cut-1."""
        logits: torch.Tensor = self.cells(self.dropout(self.run(trunk, cut, self.stages)))
        return logits

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(per-view probabilities (N, K), per-cell probabilities (N, K, h, w))."""
        logits = self.tail_logits(self.model.trunk(x, 0), 0)
        return torch.sigmoid(torch.amax(logits, dim=(2, 3))), torch.sigmoid(logits)


def build(
    kinds: int, backbone: str = DEFAULT_BACKBONE, init_from: Path | None = None, cut: int = 11
) -> ContaminationNet:
    """ImageNet weights in the trunk, or a released classifier's (`init_from`, its FP32 file): its
    blocks from `cut` on have learnt plastic, glass, metal and organic matter on the training split's
    photos. The classifier heads are not part of this model."""
    from zerowaste.model import taxonomy

    model = pretrained(len(taxonomy.LABELS), backbone)
    if init_from is not None:
        from zerowaste.training.onnx_import import load_exported

        with torch.no_grad():
            load_exported(model, init_from, frozen_blocks=cut)
    del model.waste_head, model.item_head
    return ContaminationNet(model, kinds)
