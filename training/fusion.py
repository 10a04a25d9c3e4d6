"""What the item head knows about the material, fused into the waste answer.

The waste head learnt materials from studio photos, where metal is mostly cans and plastic mostly
bottles; on a citizen's photo of a bucket it says "metal". The kept ImageNet head has seen a million
photos of buckets, crates and lotion bottles. `model/item_map.yaml` says, class by class, what such
a thing is usually made of (`materials`); the item head's probabilities spread that into material
evidence `m` (its mass `s` is how much of the item head's belief falls on classes that say
anything). The fused answer is a product of experts:

    fused logits = waste logits / T + beta * log((1 - lam) * (m + (1 - s) / C) + lam / C)

With the item head on classes that say nothing (s = 0) the evidence is flat and the waste head
answers alone; `lam` keeps a contradicting item from vetoing a class outright; `beta` says how much
the item evidence weighs. T, beta and lam are fitted together on the validation photos of both
domains (studio and phone), as temperature scaling alone was before: all three live in the ONNX
graph, one pass, INT8 included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from zerowaste.model.items import item_map
from zerowaste.training.utils import set_nll


@dataclass(frozen=True)
class Calibration:
    temperature: float
    beta: float = 0.0  # 0: the item head does not move the material answer
    lam: float = 1.0

    def to_dict(self) -> dict[str, float]:
        return {"temperature": self.temperature, "beta": self.beta, "lambda": self.lam}


def material_prior() -> torch.Tensor:
    """(1000, waste classes) float32 from the item map's `materials` section."""
    return torch.from_numpy(item_map().material.copy())


class MaterialFusion(nn.Module):
    """The calibrated, fused waste logits from raw waste and item logits (see the module docstring)."""

    prior: torch.Tensor
    temperature: torch.Tensor
    beta: torch.Tensor
    lam: torch.Tensor

    def __init__(self, calibration: Calibration, prior: torch.Tensor | None = None) -> None:
        super().__init__()
        prior = material_prior() if prior is None else prior
        self.register_buffer("prior", prior.float())
        self.register_buffer("temperature", torch.tensor(float(calibration.temperature)))
        self.register_buffer("beta", torch.tensor(float(calibration.beta)))
        self.register_buffer("lam", torch.tensor(float(calibration.lam)))

    def forward(self, waste: torch.Tensor, item: torch.Tensor) -> torch.Tensor:
        return fused_logits(waste, item, self.prior, self.temperature, self.beta, self.lam)


def fused_logits(
    waste: torch.Tensor,
    item: torch.Tensor,
    prior: torch.Tensor,
    temperature: torch.Tensor,
    beta: torch.Tensor,
    lam: torch.Tensor,
) -> torch.Tensor:
    classes = prior.shape[1]
    evidence = torch.softmax(item, dim=1) @ prior
    flat = (1.0 - evidence.sum(dim=1, keepdim=True)).clamp_min(0.0) / classes
    return waste / temperature + beta * torch.log((1.0 - lam) * (evidence + flat) + lam / classes)


def fit_calibration(
    waste: torch.Tensor, item: torch.Tensor, mask: torch.Tensor, weights: torch.Tensor, *, fuse: bool = True
) -> Calibration:
    """T (and beta, lam) minimising the weighted validation NLL; without `fuse`, temperature scaling."""
    prior = material_prior()
    log_t = torch.zeros(1, requires_grad=True)
    raw_beta = torch.tensor([-2.0], requires_grad=True)  # softplus: beta >= 0, starts near 0.13
    raw_lam = torch.tensor([1.0], requires_grad=True)  # sigmoid: lam in (0, 1), starts near 0.73
    params = [log_t, raw_beta, raw_lam] if fuse else [log_t]
    w = weights / weights.sum()
    opt = torch.optim.LBFGS(params, lr=0.1, max_iter=300, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        beta = F.softplus(raw_beta) if fuse else torch.zeros(1)
        lam = torch.sigmoid(raw_lam) if fuse else torch.ones(1)
        loss = (set_nll(fused_logits(waste, item, prior, log_t.exp(), beta, lam), mask) * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        if not fuse:
            return Calibration(float(log_t.exp()))
        return Calibration(float(log_t.exp()), float(F.softplus(raw_beta)), float(torch.sigmoid(raw_lam)))


def domain_weights(domains: list[str]) -> torch.Tensor:
    """Per-photo weights that give each domain the same total: studio photos outnumber phone photos,
    and the phone photos are what the fusion is for."""
    values, counts = np.unique(np.array(domains), return_counts=True)
    per = dict(zip(values.tolist(), (1.0 / counts).tolist(), strict=True))
    return torch.tensor([per[d] for d in domains], dtype=torch.float32)
