"""The flags of `zerowaste train`, kept free of torch so that `zerowaste --help` and `zerowaste classify`
start without it (torchvision's get_args_parser, returned, not parsed)."""

from __future__ import annotations

import argparse
from pathlib import Path

from zerowaste.datasets.build import DEFAULT_CACHE_DIR, DEFAULT_MANIFEST
from zerowaste.model.backbones import BACKBONES, DEFAULT_BACKBONE


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Fine-tune the zerowaste classifier", add_help=add_help)
    # data
    parser.add_argument(
        "--manifest",
        type=Path,
        default=DEFAULT_MANIFEST,
        help=f"manifest from `zerowaste data build` (default: {DEFAULT_MANIFEST})",
    )
    parser.add_argument(
        "--extra",
        type=str,
        default=None,
        help="an extra ImageFolder (e.g. exported feedback) added to training (default: none)",
    )
    parser.add_argument("--limit", type=int, default=0, help="use at most this many training photos (default: 0 = all)")
    parser.add_argument("--workers", type=int, default=2, help="data loading processes (default: 2)")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=DEFAULT_CACHE_DIR,
        help=f"where cached trunk features live (default: {DEFAULT_CACHE_DIR})",
    )
    # model
    parser.add_argument(
        "--cut", type=int, default=11, help="blocks before this index stay frozen and are cached (default: 11 of 16)"
    )
    parser.add_argument(
        "--init",
        type=Path,
        default=None,
        metavar="FILE",
        help="start from an exported FP32 model (e.g. model/shipped/zerowaste-fp32.onnx) or the"
        " model_best.pth of another run (e.g. a GPU run with --no-export) instead of the"
        " ImageNet weights; with --test-only only the item refit, calibration and release"
        " run (default: ImageNet)",
    )
    parser.add_argument(
        "--backbone",
        choices=sorted(BACKBONES),
        default=DEFAULT_BACKBONE,
        help="the network (model/backbones.py); Lite0 is the edge model, Lite1/2 are for a server model"
        f" (default: {DEFAULT_BACKBONE})",
    )
    parser.add_argument("--dropout", type=float, default=0.2, help="dropout before the waste head (default: 0.2)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads, 0 = all cores (default: 0)")
    # optim
    parser.add_argument("--opt", default="adamw", help="adamw or sgd (default: adamw)")
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate of the waste head (default: 1e-3)")
    parser.add_argument(
        "--backbone-lr-factor",
        type=float,
        default=0.1,
        help="learning rate of the fine-tuned blocks relative to --lr (default: 0.1)",
    )
    parser.add_argument("--weight-decay", type=float, default=1e-4, help="weight decay (default: 1e-4)")
    parser.add_argument("--batch-size", type=int, default=64, help="batch size (default: 64)")
    # schedule
    parser.add_argument("--epochs", type=int, default=14, help="maximum epochs (default: 14)")
    parser.add_argument(
        "--patience",
        type=int,
        default=4,
        help="stop after this many epochs without a better validation accuracy (default: 4)",
    )
    parser.add_argument(
        "--balance",
        choices=["source-label", "none"],
        default="source-label",
        help="draw each epoch's photos balanced across sources and their classes (source-label), or"
        " take every photo once with class-weighted loss (none) (default: source-label)",
    )
    # augment
    parser.add_argument(
        "--views",
        type=int,
        default=5,
        help="augmented views cached per training photo; each epoch draws one (default: 5)",
    )
    parser.add_argument(
        "--composite-prob",
        type=float,
        default=0.6,
        help="share of studio views whose object is cut out and put on a phone photo's background"
        " (default: 0.6; 0 = off)",
    )
    parser.add_argument(
        "--companion-prob",
        type=float,
        default=0.25,
        help="share of composites with more objects of the same kind beside it (default: 0.25)",
    )
    parser.add_argument(
        "--min-scale", type=float, default=0.3, help="smallest share of the photo a training crop keeps (default: 0.3)"
    )
    parser.add_argument(
        "--no-camera",
        action="store_true",
        help="leave out the phone-camera augmentations: JPEG, noise, white balance, perspective,"
        " occlusion (default: on)",
    )
    # forgetting
    parser.add_argument(
        "--distill-weight", type=float, default=2.0, help="weight of the ImageNet-head distillation loss (default: 2.0)"
    )
    parser.add_argument("--distill-temperature", type=float, default=2.0, help="distillation temperature (default: 2)")
    parser.add_argument(
        "--no-fusion",
        action="store_true",
        help="answer the material from the waste head alone, without the item head's material"
        " evidence (training/fusion.py) (default: fused)",
    )
    parser.add_argument(
        "--item-fit-weight",
        type=float,
        default=1.0,
        help="in the item refit, weight of the loss that pulls garment and shoe photos towards items"
        " of their category (training/item_head.py); 0 = distillation only (default: 1.0)",
    )
    parser.add_argument(
        "--distance-dims",
        type=int,
        default=64,
        help="principal dimensions of the training-feature density behind the distance output"
        " (training/ood.py); 0 = no distance output (default: 64)",
    )
    parser.add_argument(
        "--municipality",
        default="wuppertal",
        help="whose rules give the bins the sure rule is fitted and scored on (default: wuppertal)",
    )
    parser.add_argument(
        "--item-refit-epochs",
        type=int,
        default=10,
        help="after training, fit the item head alone to the original ImageNet outputs for this"
        " many epochs; kept only if validation agreement rises (default: 10, 0 = off)",
    )
    # checkpoint
    parser.add_argument("--output", type=Path, default=Path("runs/train"), help="output folder (default: runs/train)")
    parser.add_argument("--resume", type=Path, default=None, help="checkpoint.pth to resume from (default: none)")
    parser.add_argument("--test-only", action="store_true", help="skip training; calibrate/export the resumed model")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    # export
    parser.add_argument("--no-export", action="store_true", help="stop after calibration (no ONNX, no INT8)")
    parser.add_argument(
        "--calibration-images",
        type=int,
        default=256,
        help="training photos used to calibrate INT8 activations (default: 256)",
    )
    parser.add_argument(
        "--ship", action="store_true", help="also copy the models and model card into model/shipped/ (default: off)"
    )
    # registry
    parser.add_argument(
        "--upload",
        default=None,
        metavar="URL",
        help="upload the candidate to this service's registry and wait for its gate (default: no)",
    )
    parser.add_argument(
        "--upload-precision",
        choices=["int8", "fp32"],
        default="int8",
        help="which of the two files goes to the registry (default: int8)",
    )
    parser.add_argument(
        "--token-file",
        type=Path,
        default=None,
        help="file with a staff key for --upload (default: ZEROWASTE_STAFF_TOKEN)",
    )
    return parser
