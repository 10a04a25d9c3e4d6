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

from zerowaste.model.architecture import EfficientNetLite
from zerowaste.model.items import item_map
from zerowaste.training.features import FeatureCache
from zerowaste.training.utils import distillation, set_nll

log = logging.getLogger(__name__)


@torch.no_grad()
def pooled_features(
    model: EfficientNetLite,
    cut: int,
    trunk: np.ndarray,
    *,
    batch_size: int = 256,
    desc: str = "pooled features",
) -> torch.Tensor:
    """(N, 1280) float32: what both heads read, for cached trunk features (eval mode, on the CPU)."""
    model.eval()
    parts = []
    for start in tqdm(range(0, len(trunk), batch_size), desc=desc, unit="batch", leave=False):
        batch = torch.from_numpy(trunk[start : start + batch_size].astype(np.float32))
        parts.append(model.pooled(batch, cut))
    return torch.cat(parts) if parts else torch.empty(0, model.item_head.in_features)


# Waste labels whose photos show a thing the item map names by category: a garment must come out as a
# textile item, a shoe as a shoe (the clothing set's hats, skirts and dresses mostly did not).
ITEM_CATEGORY_OF_LABEL = {"clothes": "textile", "shoes": "shoes"}


def item_targets(labels: list[str]) -> torch.Tensor:
    """(N, ImageNet classes) bool: the item classes that fit each photo's label; all False where the
    label says nothing about the item."""
    imap = item_map()
    by_category: dict[str, list[int]] = {}
    for c in imap.classes:
        if c.category is not None:
            by_category.setdefault(c.category, []).append(c.index)
    targets = torch.zeros(len(labels), len(imap.group_of), dtype=torch.bool)
    for i, label in enumerate(labels):
        category = ITEM_CATEGORY_OF_LABEL.get(label)
        if category is not None:
            targets[i, by_category[category]] = True
    return targets


@torch.no_grad()
def agreement(head: torch.nn.Linear, feats: torch.Tensor, teacher: torch.Tensor) -> float:
    return float((head(feats).argmax(1) == teacher.argmax(1)).float().mean())


@torch.no_grad()
def fit_rate(head: torch.nn.Linear, feats: torch.Tensor, targets: torch.Tensor) -> float:
    """Share of photos whose top item class is one that fits their label."""
    return float(targets[torch.arange(len(feats)), head(feats).argmax(1)].float().mean())


def _score(
    head: torch.nn.Linear, feats: torch.Tensor, teacher: torch.Tensor, targets: torch.Tensor | None
) -> tuple[float, float, float]:
    """(selection score, agreement on photos without an item target, fit rate on photos with one)."""
    has = targets.any(1) if targets is not None else torch.zeros(len(feats), dtype=torch.bool)
    agree = agreement(head, feats[~has], teacher[~has]) if (~has).any() else float("nan")
    fit = fit_rate(head, feats[has], targets[has]) if targets is not None and has.any() else float("nan")
    parts = [v for v in (agree, fit) if v == v]  # noqa: PLR0124 - NaN where a part has no photos
    return float(np.mean(parts)), agree, fit


def refit_item_head(
    model: EfficientNetLite,
    cut: int,
    train: FeatureCache,
    val: FeatureCache,
    *,
    epochs: int,
    temperature: float,
    lr: float = 1e-3,
    batch_size: int = 256,
    seed: int = 0,
    train_targets: torch.Tensor | None = None,
    val_targets: torch.Tensor | None = None,
    fit_weight: float = 1.0,
) -> dict[str, float]:
    """Fit `model.item_head` in place; returns the validation agreement (and fit rate) before and after.

    With targets (`item_targets` of each photo's label, repeated per cached view), photos of garments
    and shoes also pull the head towards items that fit them (a set loss over the fitting classes,
    weighted `fit_weight`); the head is then chosen on the mean of the agreement on all other photos and
    the fit rate on those."""
    train_feats = pooled_features(model, cut, train.trunk, desc="item refit: train features")
    train_teacher = torch.from_numpy(train.teacher.astype(np.float32))
    val_feats = pooled_features(model, cut, val.trunk[:: val.views], desc="item refit: val features")
    val_teacher = torch.from_numpy(val.teacher[:: val.views].astype(np.float32))

    before, agree_before, fit_before = _score(model.item_head, val_feats, val_teacher, val_targets)
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
            logits = head(train_feats[idx])
            loss = distillation(logits, train_teacher[idx], temperature).mean()
            if train_targets is not None and (has := train_targets[idx].any(1)).any():
                loss = loss + fit_weight * set_nll(logits[has], train_targets[idx][has]).sum() / len(idx)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(idx)
        score, agree, fit = _score(head, val_feats, val_teacher, val_targets)
        log.info(
            "item refit epoch %d: loss %.4f, validation agreement %.4f, fit %.4f", epoch, total / len(order), agree, fit
        )
        if score > best:
            best, best_state = score, copy.deepcopy(head.state_dict())
    if best_state is not None:
        model.item_head.load_state_dict(best_state)
    _, agree_after, fit_after = _score(model.item_head, val_feats, val_teacher, val_targets)
    log.info(
        "item head refit: validation agreement with the original %.4f -> %.4f, fitting items %.4f -> %.4f%s",
        agree_before,
        agree_after,
        fit_before,
        fit_after,
        "" if best_state is not None else " (refit not better; original head kept)",
    )
    return {
        "val_item_agreement_before_refit": agree_before,
        "val_item_agreement": agree_after,
        "val_item_fit_before_refit": fit_before,
        "val_item_fit": fit_after,
    }
