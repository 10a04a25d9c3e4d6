"""The training and validation photos as training reads them: entries, cached views, masks, weights."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import torch

from zerowaste.datasets.manifest import Entry, read_manifest
from zerowaste.model.architecture import EfficientNetLite
from zerowaste.training import utils
from zerowaste.training.features import Augmentation, FeatureCache, compute_features


@dataclass
class Split:
    entries: list[Entry]
    features: FeatureCache
    mask: torch.Tensor
    weights: torch.Tensor  # per-sample loss weight (class balancing when sampling is not balanced)
    sampling: torch.Tensor | None = None  # per-sample draw probability of an epoch (balanced sampling)


def load_data(args: argparse.Namespace, model: EfficientNetLite) -> tuple[Split, Split, list[Entry]]:
    entries = read_manifest(args.manifest)
    if args.extra:
        from zerowaste.datasets.build import build_manifest

        extra = build_manifest({"extra": Path(args.extra)}).entries
        for e in extra:
            e.split = "train"
        entries += extra
    train = [e for e in entries if e.split == "train"]
    val = [e for e in entries if e.split == "val"]
    if args.limit:
        train, val = train[: args.limit], val[: max(args.limit // 4, 8)]
    if not train or not val:
        raise SystemExit(f"{args.manifest}: the manifest needs photos in both train and val splits")
    common = {
        "cut": args.cut,
        "cache_dir": args.cache_dir,
        "seed": args.seed,
        "workers": args.workers,
        "threads": args.threads,
    }
    aug = Augmentation(
        composite_prob=args.composite_prob,
        companion_prob=args.companion_prob,
        min_scale=args.min_scale,
        camera=not args.no_camera,
    )
    train_feats = compute_features(
        train, model, views=args.views, train=True, desc="cache train views", aug=aug, **common
    )
    val_feats = compute_features(val, model, views=1, train=False, desc="cache val", **common)

    balanced = args.balance == "source-label"
    weight = utils.class_weights([e.label for e in train])

    def split(part: list[Entry], feats: FeatureCache, sampling: torch.Tensor | None = None) -> Split:
        loss_weights = [1.0 if balanced else weight.get(e.label, 1.0) for e in part]
        return Split(part, feats, utils.label_masks([e.label for e in part]), torch.tensor(loss_weights), sampling)

    sampling = utils.balanced_sampling([(e.source, e.label) for e in train]) if balanced else None
    return split(train, train_feats, sampling), split(val, val_feats), entries
