"""`zerowaste train`: fine-tune EfficientNet-Lite0 on a manifest, calibrate, export, quantise, evaluate.

Laid out like torchvision's references/classification/train.py: train_one_epoch, evaluate,
load_data, main(args), get_args_parser. The frozen stem and first blocks are cached per augmented
view (training/features.py), so each epoch runs only the tail of the network.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import math
import time
from pathlib import Path
from typing import cast

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from zerowaste import atomic
from zerowaste.datasets.manifest import manifest_hash
from zerowaste.model import taxonomy
from zerowaste.model.architecture import EfficientNetLite, num_blocks
from zerowaste.model.backbones import get_backbone
from zerowaste.model.pretrained import pretrained
from zerowaste.model.scoring import calibration_view, expected_calibration_error
from zerowaste.model.spec import file_sha256
from zerowaste.training import utils
from zerowaste.training.args import get_args_parser
from zerowaste.training.checkpoint_import import load_init
from zerowaste.training.export import Deployable
from zerowaste.training.fusion import domain_weights, fit_calibration
from zerowaste.training.item_head import item_targets, pooled_features, refit_item_head
from zerowaste.training.ood import FeatureDensity, fit_density
from zerowaste.training.provenance import command_line
from zerowaste.training.release import release
from zerowaste.training.splits import Split, load_data
from zerowaste.training.sure import fit_sure_rule, municipality_bins

log = logging.getLogger(__name__)


class Tail(nn.Module):
    """The trainable part: blocks from `cut` on, the head convolution and both heads."""

    def __init__(self, model: EfficientNetLite, cut: int) -> None:
        super().__init__()
        self.model = model
        self.cut = cut

    def forward(self, trunk: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model.tail(trunk, self.cut)


def train_one_epoch(
    tail: Tail,
    data: Split,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    args: argparse.Namespace,
    epoch: int,
) -> dict[str, float]:
    device = next(tail.parameters()).device
    tail.train()
    # Batch-norm statistics stay at their ImageNet values: small, class-sorted data would skew them,
    # and the item head needs the features it was trained on. Their scale and shift still learn.
    for module in tail.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.eval()
    n = len(data.entries)
    gen = torch.Generator().manual_seed(args.seed * 1000 + epoch)
    if data.sampling is not None:
        # An epoch is as many draws as there are photos, balanced across sources and their classes.
        order = torch.multinomial(data.sampling, n, replacement=True, generator=gen)
    else:
        order = torch.randperm(n, generator=gen)
    # One cached augmented view per photo and epoch.
    view = torch.randint(0, data.features.views, (n,), generator=gen)
    totals = {"loss": 0.0, "waste": 0.0, "distill": 0.0}
    bar = tqdm(range(0, n, args.batch_size), desc=f"epoch {epoch}", unit="batch", leave=False)
    for start in bar:
        idx = order[start : start + args.batch_size]
        rows = (idx * data.features.views + view[start : start + len(idx)]).numpy()
        trunk = torch.from_numpy(data.features.trunk[rows].astype(np.float32)).to(device)
        teacher = torch.from_numpy(data.features.teacher[rows].astype(np.float32)).to(device)
        waste, item = tail(trunk)
        w = data.weights[idx].to(device)
        waste_loss = (utils.set_nll(waste, data.mask[idx].to(device)) * w).sum() / w.sum()
        distill = utils.distillation(item, teacher, args.distill_temperature).mean()
        loss = waste_loss + args.distill_weight * distill
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        k = len(idx)
        totals["loss"] += loss.item() * k
        totals["waste"] += waste_loss.item() * k
        totals["distill"] += distill.item() * k
        bar.set_postfix(loss=f"{loss.item():.3f}")
    return {k: v / n for k, v in totals.items()}


@torch.no_grad()
def evaluate(tail: Tail, data: Split, batch_size: int = 128) -> dict[str, object]:
    """Logits of the first (eval) view of each photo, with set accuracy overall and per source."""
    tail.eval()
    device = next(tail.parameters()).device
    v = data.features.views
    waste_parts, item_parts = [], []
    for start in range(0, len(data.entries), batch_size):
        rows = np.arange(start, min(start + batch_size, len(data.entries))) * v
        waste, item = tail(torch.from_numpy(data.features.trunk[rows].astype(np.float32)).to(device))
        waste_parts.append(waste.cpu())
        item_parts.append(item.cpu())
    logits = torch.cat(waste_parts)
    item_logits = torch.cat(item_parts)
    teacher = torch.from_numpy(data.features.teacher[::v].astype(np.float32))
    correct = data.mask[torch.arange(len(logits)), logits.argmax(1)].numpy()
    sources = np.array([e.source for e in data.entries])
    domains = np.array([e.domain for e in data.entries])
    studio = domains == "studio"
    result: dict[str, object] = {
        "logits": logits,
        "item_logits": item_logits,
        "acc": float(correct.mean()),
        "item_agreement": float((item_logits[studio].argmax(1) == teacher[studio].argmax(1)).float().mean())
        if studio.any()
        else float("nan"),
    }
    for s in sorted(set(sources)):
        result[f"acc_{s}"] = float(correct[sources == s].mean())
    for d in sorted(set(domains)):
        result[f"acc_domain_{d}"] = float(correct[domains == d].mean())
    # Models are chosen on both domains alike: the studio photos the classes were defined on, and the
    # phone photos citizens send.
    result["selection"] = float(np.mean([correct[domains == d].mean() for d in sorted(set(domains))]))
    return result


def fit_train_density(
    model: EfficientNetLite, cut: int, train: Split, dims: int, *, seed: int, most: int = 12_000
) -> FeatureDensity:
    """The training photos' feature clusters (training/ood.py), from up to `most` cached training views."""
    rows = np.arange(len(train.features.trunk))
    if len(rows) > most:
        rows = np.sort(np.random.default_rng(seed).choice(rows, size=most, replace=False))
    feats = pooled_features(model, cut, train.features.trunk[rows], desc="training features").numpy()
    labels = [train.entries[int(r) // train.features.views].label for r in rows]
    return fit_density(feats, labels, k=min(dims, len(rows) - 1))


def save_checkpoint(path: Path, **state: object) -> None:
    with atomic.atomic_path(path) as tmp:  # an interrupted save never corrupts the last good checkpoint
        torch.save(state, tmp)


def main(args: argparse.Namespace) -> dict[str, object]:
    started = time.time()
    log.info("args: %s", vars(args))
    utils.set_seed(args.seed)
    torch.set_num_threads(args.threads or torch.get_num_threads())
    args.output.mkdir(parents=True, exist_ok=True)
    if args.device != "cpu" and not torch.cuda.is_available():
        raise SystemExit(f"--device {args.device} asked for, but torch sees no CUDA device")
    device = torch.device(args.device)
    blocks = num_blocks(get_backbone(args.backbone).config())
    if not 0 < args.cut < blocks:
        raise SystemExit(f"--cut must be between 1 and {blocks - 1}")

    model = pretrained(len(taxonomy.LABELS), args.backbone, dropout=args.dropout)
    train, val, all_entries = load_data(args, model)
    if args.init:
        # After load_data: the cached teacher logits must be the original ImageNet head's.
        load_init(model, args.init, frozen_blocks=args.cut)
        init_sha256 = file_sha256(args.init)
        log.info("starting from %s", args.init)
    for p in model.parameters():
        p.requires_grad = False
    tail = Tail(model, args.cut)
    trainable = [*model.blocks[args.cut :].parameters(), *model.head.parameters()]
    for p in trainable:
        p.requires_grad = True
    for p in model.waste_head.parameters():
        p.requires_grad = True
    # The item head stays fixed: its inputs drift with fine-tuning, distillation pulls them back.
    param_groups = [
        {"params": trainable, "lr": args.lr * args.backbone_lr_factor},
        {"params": list(model.waste_head.parameters()), "lr": args.lr},
    ]
    if args.opt == "adamw":
        optimizer: torch.optim.Optimizer = torch.optim.AdamW(param_groups, weight_decay=args.weight_decay)
    elif args.opt == "sgd":
        optimizer = torch.optim.SGD(param_groups, momentum=0.9, nesterov=True, weight_decay=args.weight_decay)
    else:
        raise SystemExit(f"invalid optimizer {args.opt!r}; supported: adamw, sgd")
    steps = args.epochs * math.ceil(len(train.entries) / args.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=[g["lr"] for g in param_groups], total_steps=steps, pct_start=0.1
    )
    tail.to(device)

    start_epoch, best_acc, best_state, stale, history = 0, -1.0, None, 0, []
    ckpt_path = args.output / "checkpoint.pth"
    if args.resume:
        ckpt = torch.load(args.resume, map_location="cpu", weights_only=False)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        start_epoch, best_acc, stale = ckpt["epoch"] + 1, ckpt["best_acc"], ckpt["stale"]
        started -= ckpt.get("seconds", 0.0)  # wall time counts across resumed runs
        best_state, history = ckpt["best_model"], ckpt["history"]
        log.info("resumed from %s at epoch %d", args.resume, start_epoch)

    if not args.test_only:
        for epoch in range(start_epoch, args.epochs):
            stats = train_one_epoch(tail, train, optimizer, scheduler, args, epoch)
            ev = evaluate(tail, val)
            row = {"epoch": epoch, **stats, **{k: v for k, v in ev.items() if k not in ("logits", "item_logits")}}
            history.append(row)
            log.info("epoch %d: %s", epoch, {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
            selection = float(cast(float, ev["selection"]))
            if selection > best_acc:
                best_acc, best_state, stale = selection, copy.deepcopy(model.state_dict()), 0
            else:
                stale += 1
            save_checkpoint(
                ckpt_path,
                model=model.state_dict(),
                optimizer=optimizer.state_dict(),
                scheduler=scheduler.state_dict(),
                epoch=epoch,
                best_acc=best_acc,
                stale=stale,
                best_model=best_state,
                history=history,
                args=vars(args),
                labels=list(taxonomy.LABELS),
                seconds=time.time() - started,
            )
            if stale >= args.patience:
                log.info("early stop: no better validation accuracy for %d epochs", args.patience)
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    tail.to("cpu")  # the item refit, calibration, export and quantisation run on the CPU
    refit: dict[str, float] = {}
    if args.item_refit_epochs > 0:
        views = train.features.views
        train_targets = item_targets([e.label for e in train.entries for _ in range(views)])
        refit = refit_item_head(
            model,
            args.cut,
            train.features,
            val.features,
            epochs=args.item_refit_epochs,
            temperature=args.distill_temperature,
            seed=args.seed,
            train_targets=train_targets,
            val_targets=item_targets([e.label for e in val.entries]),
            fit_weight=args.item_fit_weight,
        )

    ev = evaluate(tail, val)
    logits, item_logits = ev["logits"], ev["item_logits"]
    assert isinstance(logits, torch.Tensor) and isinstance(item_logits, torch.Tensor)
    weights = domain_weights([e.domain for e in val.entries])
    calibration = fit_calibration(logits, item_logits, val.mask, weights, fuse=not args.no_fusion)
    temperature = calibration.temperature
    fused = Deployable(model, calibration).fusion
    calibrated = fused(logits / temperature, item_logits) if fused is not None else logits / temperature
    labels = [e.label for e in val.entries]
    ece_before = expected_calibration_error(*calibration_view(torch.softmax(logits, 1).numpy(), labels))
    ece_after = expected_calibration_error(*calibration_view(torch.softmax(calibrated, 1).numpy(), labels))
    fused_correct = val.mask[torch.arange(len(calibrated)), calibrated.argmax(1)].numpy()
    val_domains = np.array([e.domain for e in val.entries])
    fused_acc = {d: float(fused_correct[val_domains == d].mean()) for d in sorted(set(val_domains))}
    log.info(
        "calibration %s; validation ECE %.4f -> %.4f; accuracy per domain %s -> %s",
        calibration.to_dict(),
        ece_before,
        ece_after,
        {d: round(float(cast(float, ev[f"acc_domain_{d}"])), 4) for d in fused_acc},
        {d: round(a, 4) for d, a in fused_acc.items()},
    )
    torch.save(
        {
            "model": model.state_dict(),
            "temperature": temperature,
            "calibration": calibration.to_dict(),
            "args": vars(args),
            "labels": list(taxonomy.LABELS),
        },
        args.output / "model_best.pth",
    )

    density, val_distance = None, None
    if args.distance_dims > 0:
        density = fit_train_density(model, args.cut, train, args.distance_dims, seed=args.seed)
        val_features = pooled_features(model, args.cut, val.features.trunk, desc="val features").numpy()
        val_distance = density.distance(val_features)
    # What the rule would be on PyTorch's outputs; each released file gets its own, fitted on its own
    # outputs (training/release.py), since the service runs INT8.
    rule, sure_report = fit_sure_rule(
        torch.softmax(calibrated, 1).numpy(),
        labels,
        [e.domain for e in val.entries],
        val_distance,
        municipality_bins(args.municipality),
    )
    log.info("sure rule on PyTorch's outputs %s; on validation photos %s", rule.to_dict(), sure_report)

    training = {
        "seconds": round(time.time() - started, 1),
        "epochs_run": len(history),
        "history": history,
        "val_acc": ev["acc"],
        "val_item_agreement": ev["item_agreement"],
        **{k: v for k, v in refit.items() if k != "val_item_agreement"},
        "temperature": temperature,
        "calibration": calibration.to_dict(),
        "val_acc_domains": {d: ev[f"acc_domain_{d}"] for d in fused_acc},
        "val_acc_domains_fused": fused_acc,
        "val_ece_before": ece_before,
        "val_ece_after": ece_after,
        "sure": {"rule": rule.to_dict(), "validation": sure_report},
        "manifest_sha256": manifest_hash(all_entries),
        **({"init": {"path": str(args.init), "sha256": init_sha256}} if args.init else {}),
    }
    (args.output / "training.json").write_text(json.dumps(training, indent=2, default=float))
    if args.no_export:
        return training

    metrics = release(model, calibration, all_entries, args, training, density=density)
    if args.upload:
        from zerowaste.model.runtime import SHIPPED_FILES
        from zerowaste.staff_api import staff_client
        from zerowaste.training.upload import upload_candidate

        note = f"{command_line()} (data {str(training['manifest_sha256'])[:12]})"
        with staff_client(args.upload, args.token_file) as client:
            record = upload_candidate(
                client, args.output / SHIPPED_FILES[args.upload_precision], args.output / "MODEL_CARD.md", note
            )
        log.info("registry model %d: %s %s", record["id"], record["status"], "; ".join(record["reasons"]))
        metrics["registry"] = record
    return metrics


__all__ = ["evaluate", "get_args_parser", "load_data", "main", "train_one_epoch"]
