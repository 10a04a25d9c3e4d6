"""Train, calibrate, export and quantise the bio-bin camera model (`zerowaste contamination train`).

The trunk up to block `cut` keeps its ImageNet weights and is run once per view (its outputs are
cached); the last blocks, the head convolution and the per-cell head are trained on the composite
views, with each view's label and each cell's (where the object stays visible). The model is chosen by
its validation loss; thresholds are fitted on the validation views for each exported file (FP32 and
INT8 score a little differently); the test views are looked at once, for the report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from torch import nn
from tqdm import tqdm

from zerowaste import atomic
from zerowaste.model.backbones import DEFAULT_BACKBONE
from zerowaste.model.contamination import (
    MAP_OUTPUT,
    METADATA_KEY,
    PROBS_OUTPUT,
    SHIPPED_FILES,
    ContaminationModel,
    ContaminationSpec,
)
from zerowaste.model.image_io import load_image
from zerowaste.model.preprocess import Preprocessing, preprocess
from zerowaste.model.spec import INPUT_NAME
from zerowaste.training.biobin import cell_targets
from zerowaste.training.biobin_data import REAL_LABELS, ViewSet, read_jsonl, read_set, set_sha256
from zerowaste.training.contamination_eval import evaluate, fit_thresholds, risk_coverage
from zerowaste.training.contamination_net import ContaminationNet, build
from zerowaste.training.export import OPSET, set_metadata
from zerowaste.training.quantize import quantize_int8
from zerowaste.training.utils import set_seed
from zerowaste.wire import CONTAMINANTS

log = logging.getLogger(__name__)
FEATURE_CACHE = Path("runs/cache/contamination")


@dataclass
class TrainConfig:
    data: Path = Path("runs/biobin")
    out: Path = Path("runs/contamination")
    backbone: str = DEFAULT_BACKBONE
    # Start from a released classifier's FP32 file instead of ImageNet's weights (None: ImageNet).
    init_from: Path | None = None
    resolution: int = 320
    # Blocks before `cut` are run once per view and cached (the last two stages, at the last grid,
    # and the head convolution come after block 11); training learns from `train_from` on (16: the
    # head convolution and the cell head; 17: the cell head alone). training/README.md has the ablation.
    cut: int = 11
    train_from: int = 15
    epochs: int = 10
    patience: int = 3
    batch_size: int = 64
    lr: float = 1e-3
    lr_trunk: float = 2e-4
    cell_weight: float = 0.5
    false_alarms: float = 0.04
    seed: int = 0
    calibration_views: int = 64
    command: str = ""

    @property
    def preprocessing(self) -> Preprocessing:
        # The whole square view, no margin cropped: a contaminant at the bin's edge is still a contaminant.
        return Preprocessing(resize_size=self.resolution, crop_size=self.resolution)


@dataclass(frozen=True)
class ViewPath:
    """A view as quantisation's calibration reader wants a photo."""

    path: str


def trunk_features(net: ContaminationNet, views: ViewSet, cfg: TrainConfig) -> torch.Tensor:
    """(N, C, h, w) float16: the frozen trunk's output for every view, cached by set, backbone and cut."""
    key = hashlib.sha256(
        f"{(views.folder / 'views.jsonl').read_bytes().hex()}|{cfg.backbone}|{cfg.cut}|{cfg.resolution}".encode()
    ).hexdigest()[:24]
    cached = FEATURE_CACHE / f"{key}.pt"
    if cached.is_file():
        feats: torch.Tensor = torch.load(cached)
        return feats
    out: list[torch.Tensor] = []
    net.eval()
    with torch.no_grad():
        for start in tqdm(range(0, len(views.files), 32), desc=f"trunk {views.folder.name}", unit="batch"):
            batch = [
                preprocess(load_image(views.folder / f), cfg.preprocessing) for f in views.files[start : start + 32]
            ]
            out.append(net.model.trunk(torch.from_numpy(np.stack(batch)), cfg.cut).half())
    feats = torch.cat(out)
    FEATURE_CACHE.mkdir(parents=True, exist_ok=True)
    with atomic.atomic_path(cached, suffix=".pt", durable=False) as tmp:
        torch.save(feats, tmp)
    return feats


def targets(views: ViewSet, grid: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, K) view labels and (N, K, grid, grid) cell labels."""
    labels = list(CONTAMINANTS)
    cells = np.stack([cell_targets(views.view_masks(i), grid, labels) for i in range(len(views.files))])
    return torch.from_numpy(cells.reshape(len(cells), len(labels), -1).max(axis=2)), torch.from_numpy(cells)


def _frozen_part(net: ContaminationNet, feats: torch.Tensor, cfg: TrainConfig) -> torch.Tensor:
    """The cached trunk output carried through the stages that stay frozen (cut .. train_from-1)."""
    if cfg.train_from <= cfg.cut:
        return feats
    with torch.no_grad():
        return torch.cat(
            [net.run(feats[i : i + 256].float(), cfg.cut, cfg.train_from).half() for i in range(0, len(feats), 256)]
        )


def val_score(net: ContaminationNet, feats: torch.Tensor, views: ViewSet, cfg: TrainConfig) -> tuple[float, float]:
    """(loss, mean over groups of the share found at 5 % false alarms on clean views): what picks the epoch."""
    y, cells = targets(views, int(net.tail_logits(feats[:1].float(), cfg.train_from).shape[-1]))
    with torch.no_grad():
        logits = torch.cat(
            [net.tail_logits(feats[i : i + 256].float(), cfg.train_from) for i in range(0, len(feats), 256)]
        )
    bce = nn.functional.binary_cross_entropy_with_logits
    loss = float(bce(torch.amax(logits, dim=(2, 3)), y) + cfg.cell_weight * bce(logits, cells))
    probs = torch.sigmoid(torch.amax(logits, dim=(2, 3))).numpy()
    m = evaluate(probs, views.present, list(CONTAMINANTS), dict.fromkeys(CONTAMINANTS, 0.5))
    return loss, float(np.nanmean([g["found_at_5pct_false_alarms"] for g in m["groups"].values()]))


def train(cfg: TrainConfig) -> tuple[ContaminationNet, list[dict[str, float]]]:
    set_seed(cfg.seed)
    net = build(len(CONTAMINANTS), cfg.backbone, cfg.init_from, cfg.cut)
    sets = {s: read_set(cfg.data / s) for s in ("train", "val")}
    feats = {s: _frozen_part(net, trunk_features(net, v, cfg), cfg) for s, v in sets.items()}
    grid = int(net.tail_logits(feats["train"][:1].float(), cfg.train_from).shape[-1])
    y, cells = targets(sets["train"], grid)
    for p in net.parameters():
        p.requires_grad_(False)
    tail = [p for i in range(cfg.train_from, net.stages) for p in net.run_stage(i).parameters()]
    for p in (*tail, *net.cells.parameters()):
        p.requires_grad_(True)
    groups: list[dict[str, Any]] = [{"params": net.cells.parameters(), "lr": cfg.lr}] + (
        [{"params": tail, "lr": cfg.lr_trunk}] if tail else []
    )
    opt = torch.optim.AdamW(groups, weight_decay=1e-4)
    steps = cfg.epochs * -(-len(feats["train"]) // cfg.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[g["lr"] for g in groups], total_steps=steps)
    best, best_state, history, since = -1.0, None, [], 0
    for epoch in range(cfg.epochs):
        net.eval()  # batch-norm statistics stay ImageNet's (batches of one kind of view would skew them)
        net.dropout.train()
        order = torch.randperm(len(feats["train"]))
        total = 0.0
        for start in tqdm(range(0, len(order), cfg.batch_size), desc=f"epoch {epoch + 1}", unit="batch", leave=False):
            idx = order[start : start + cfg.batch_size]
            logits = net.tail_logits(feats["train"][idx].float(), cfg.train_from)
            bce = nn.functional.binary_cross_entropy_with_logits
            loss = bce(torch.amax(logits, dim=(2, 3)), y[idx]) + cfg.cell_weight * bce(logits, cells[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        net.eval()
        val_loss, found = val_score(net, feats["val"], sets["val"], cfg)
        history.append({"epoch": epoch + 1, "train_loss": total / len(order), "val_loss": val_loss, "val_found": found})
        log.info(
            "epoch %d: train %.4f, val %.4f, val found at 5%% FA %.3f", epoch + 1, total / len(order), val_loss, found
        )
        if found > best:
            best, best_state, since = found, {k: v.clone() for k, v in net.state_dict().items()}, 0
        else:
            since += 1
            if since >= cfg.patience:
                break
    assert best_state is not None
    net.load_state_dict(best_state)
    return net.eval(), history


class _Deployable(nn.Module):
    """Calls the network as a module named `model`, so that the exporter writes the classifier's node
    names (/model/blocks.N/...), by which quantisation keeps the first blocks in float."""

    def __init__(self, net: ContaminationNet) -> None:
        super().__init__()
        self.model = net

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out: tuple[torch.Tensor, torch.Tensor] = self.model(x)
        return out


def export(net: ContaminationNet, spec: ContaminationSpec, path: Path) -> Path:
    size = spec.preprocessing.crop_size
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        _Deployable(net).eval(),
        (torch.zeros(1, 3, size, size),),
        str(path),
        input_names=[INPUT_NAME],
        output_names=[PROBS_OUTPUT, MAP_OUTPUT],
        dynamic_axes={n: {0: "batch"} for n in (INPUT_NAME, PROBS_OUTPUT, MAP_OUTPUT)},
        opset_version=OPSET,
        dynamo=False,  # the node names quantisation needs (training/export.py says why)
    )
    write_spec(path, spec)
    return path


def write_spec(path: Path, spec: ContaminationSpec) -> None:
    set_metadata(path, METADATA_KEY, spec.to_json())
    onnx.checker.check_model(str(path))


def onnx_scores(path: Path, views: ViewSet, threads: int = 0) -> np.ndarray:
    """(N, K) per-view probabilities of an exported file (its own runtime, the edge's preprocessing)."""
    model = ContaminationModel(path, threads)
    out = []
    for start in tqdm(range(0, len(views.files), 32), desc=f"{path.stem} {views.folder.name}", unit="batch"):
        batch = np.stack(
            [
                preprocess(load_image(views.folder / f), model.spec.preprocessing)
                for f in views.files[start : start + 32]
            ]
        )
        out.append(model.run(batch)[0])
    return np.concatenate(out)


def real_photo_counts(model: ContaminationModel, datasets: Path) -> dict[str, int]:
    """Counts on the real photos people labelled (biobin-real.jsonl): contaminated ones found, clean
    ones flagged. Counts, not rates: ten contaminated photos make no percentage."""
    out = {"photos": 0, "contaminated": 0, "found": 0, "clean": 0, "flagged": 0}
    for r in read_jsonl(REAL_LABELS):
        path = datasets / str(r["source"]) / str(r["folder"]) / str(r["file"])
        if not path.is_file():
            continue
        seen = model.assess([load_image(path)])[0]
        out["photos"] += 1
        key = ("contaminated", "found") if r["contaminants"] else ("clean", "flagged")
        out[key[0]] += 1
        out[key[1]] += int(seen.contaminated)
    return out


def calibrate_and_report(path: Path, spec: ContaminationSpec, sets: dict[str, ViewSet], cfg: TrainConfig) -> None:
    """Fit the file's thresholds on validation views, then measure it on the test views; both in its metadata."""
    labels = list(CONTAMINANTS)
    val = onnx_scores(path, sets["val"])
    spec.thresholds = fit_thresholds(val, sets["val"].present, labels, cfg.false_alarms)
    test = onnx_scores(path, sets["test"])
    spec.metrics = {
        "validation": evaluate(val, sets["val"].present, labels, spec.thresholds),
        "test": evaluate(test, sets["test"].present, labels, spec.thresholds),
        "test_risk_coverage": risk_coverage(test, sets["test"].present, labels, spec.thresholds),
        **{k: v for k, v in spec.metrics.items() if k not in ("validation", "test", "test_risk_coverage")},
    }
    write_spec(path, spec)


def release(cfg: TrainConfig) -> dict[str, Path]:
    """Train, export FP32, quantise INT8, fit and measure both; the files land in cfg.out."""
    net, history = train(cfg)
    sets = {s: read_set(cfg.data / s) for s in ("train", "val", "test")}
    spec = ContaminationSpec(
        labels=list(CONTAMINANTS),
        preprocessing=cfg.preprocessing,
        thresholds=dict.fromkeys(CONTAMINANTS, 0.5),
        architecture=cfg.backbone,
        data_sha256=set_sha256(cfg.data),
        metrics={"history": history, "views": {s: len(v.files) for s, v in sets.items()}},
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        training_command=cfg.command,
    )
    cfg.out.mkdir(parents=True, exist_ok=True)
    fp32 = export(net, spec, cfg.out / SHIPPED_FILES["fp32"])
    calibrate_and_report(fp32, spec, sets, cfg)
    train_views = sets["train"]
    step = max(1, len(train_views.files) // cfg.calibration_views)
    calibration = [ViewPath(str(train_views.folder / f)) for f in train_views.files[::step][: cfg.calibration_views]]
    int8 = quantize_int8(fp32, cfg.out / SHIPPED_FILES["int8"], calibration, cfg.preprocessing)
    int8_spec = ContaminationSpec(**{**spec.__dict__, "precision": "int8", "metrics": dict(spec.metrics)})
    calibrate_and_report(int8, int8_spec, sets, cfg)
    return {"fp32": fp32, "int8": int8}
