"""Re-fit the item head to the fine-tuned backbone: learning without forgetting, finished off.

Fine-tuning moves the pooled features under the ImageNet classifier; distillation during training
holds most of them in place, and much of what still drifts is linear, which a linear layer can follow.
After training, the item head alone is fitted by distillation to the original ImageNet logits of the
same cached training views. Nothing the waste head reads changes, so the waste answers stay exactly
as they are; the refit is kept only where it raises top-1 agreement with the original model on the
validation photos, which it never saw.
"""

from __future__ import annotations

import copy
import logging

import numpy as np
import torch
from tqdm import tqdm

from zerowaste.model.architecture import EfficientNetLite0
from zerowaste.training.features import FeatureCache
from zerowaste.training.utils import distillation

log = logging.getLogger(__name__)


@torch.no_grad()
def pooled_features(
    model: EfficientNetLite0, cut: int, trunk: np.ndarray, *, batch_size: int = 256, desc: str = "pooled features",
) -> torch.Tensor:
    """(N, 1280) float32: what both heads read, for cached trunk features (eval mode, on the CPU)."""
    model.eval()
    parts = []
    for start in tqdm(range(0, len(trunk), batch_size), desc=desc, unit="batch", leave=False):
        batch = torch.from_numpy(trunk[start : start + batch_size].astype(np.float32))
        parts.append(model.pooled(batch, cut))
    return torch.cat(parts) if parts else torch.empty(0, model.item_head.in_features)


@torch.no_grad()
def agreement(head: torch.nn.Linear, feats: torch.Tensor, teacher: torch.Tensor) -> float:
    return float((head(feats).argmax(1) == teacher.argmax(1)).float().mean())


def refit_item_head(
    model: EfficientNetLite0, cut: int, train: FeatureCache, val: FeatureCache, *,
    epochs: int, temperature: float, lr: float = 1e-3, batch_size: int = 256, seed: int = 0,
) -> dict[str, float]:
    """Fit `model.item_head` in place; returns the validation agreement before and after."""
    train_feats = pooled_features(model, cut, train.trunk, desc="item refit: train features")
    train_teacher = torch.from_numpy(train.teacher.astype(np.float32))
    val_feats = pooled_features(model, cut, val.trunk[:: val.views], desc="item refit: val features")
    val_teacher = torch.from_numpy(val.teacher[:: val.views].astype(np.float32))

    before = agreement(model.item_head, val_feats, val_teacher)
    head = copy.deepcopy(model.item_head)
    head.requires_grad_(True)
    best, best_state = before, None
    optimizer = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=0.0)
    steps = epochs * -(-len(train_feats) // batch_size)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(steps, 1))
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        order = torch.randperm(len(train_feats), generator=gen)
        total = 0.0
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            loss = distillation(head(train_feats[idx]), train_teacher[idx], temperature).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(idx)
        score = agreement(head, val_feats, val_teacher)
        log.info("item refit epoch %d: distillation %.4f, validation agreement %.4f", epoch, total / len(order), score)
        if score > best:
            best, best_state = score, copy.deepcopy(head.state_dict())
    if best_state is not None:
        model.item_head.load_state_dict(best_state)
    after = agreement(model.item_head, val_feats, val_teacher)
    log.info("item head refit: validation agreement with the original %.4f -> %.4f%s", before, after,
             "" if best_state is not None else " (refit not better; original head kept)")
    return {"val_item_agreement_before_refit": before, "val_item_agreement": after}
