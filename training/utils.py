"""Helpers kept out of the training script: label masks, the set loss, calibration metrics, seeding."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import torch
import torch.nn.functional as F

from zerowaste.model import taxonomy


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def label_masks(labels: list[str]) -> torch.Tensor:
    """(N, classes) bool: which classes each label allows (one, or all glass colours for "glass")."""
    mask = torch.zeros(len(labels), len(taxonomy.LABELS), dtype=torch.bool)
    for i, label in enumerate(labels):
        mask[i, list(taxonomy.members(label))] = True
    return mask


def class_weights(labels: list[str]) -> dict[str, float]:
    """Loss weight per label, inverse square-root frequency: rare classes (clothes) count more
    without drowning the rest."""
    counts = Counter(labels)
    most = max(counts.values())
    return {label: (most / c) ** 0.5 for label, c in counts.items()}


def balanced_sampling(keys: list[tuple[str, str]]) -> torch.Tensor:
    """Per-photo draw probabilities from (source, label) pairs: each source's share grows with the
    square root of its class count, not with its size, and within a source each class's share with
    the square root of its size. garbage12's 3,600 studio photos no longer drown 600 phone photos of
    drinks, and a rare class (TrashNet's trash) is drawn more often without being repeated to death."""
    if not keys:
        return torch.empty(0)
    per_pair = Counter(keys)
    per_source = Counter(s for s, _ in keys)
    p = torch.tensor([per_pair[k] ** -0.5 * per_source[k[0]] ** -0.5 for k in keys], dtype=torch.float64)
    return (p / p.sum()).float()


def set_nll(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """-log of the probability summed over the allowed classes, per sample. With one allowed class it
    is cross-entropy; for TrashNet's colourless glass it trains on P(any glass)."""
    allowed = logits.masked_fill(~mask, float("-inf"))
    return torch.logsumexp(logits, dim=1) - torch.logsumexp(allowed, dim=1)


def distillation(student: torch.Tensor, teacher: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(teacher || student) on softened outputs, scaled by T^2 (Hinton et al.), per sample."""
    t = temperature
    log_p = F.log_softmax(student / t, dim=1)
    q = F.softmax(teacher / t, dim=1)
    return (q * (torch.log(q.clamp_min(1e-12)) - log_p)).sum(dim=1) * t * t


def set_correct(probs: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.asarray(mask[np.arange(len(probs)), probs.argmax(axis=1)])


def fit_temperature(logits: torch.Tensor, mask: torch.Tensor) -> float:
    """Temperature scaling (Guo et al. 2017): the T > 0 that minimises validation NLL."""
    log_t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = set_nll(logits / log_t.exp(), mask).mean()
        loss.backward()
        return loss

    opt.step(closure)
    return log_t.exp().item()
