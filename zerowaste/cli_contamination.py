"""`zerowaste contamination ...`: the bio-bin camera model's data, training and a look at photos.

`data` and `train` need the `train` extra; `assess` runs with the edge install (onnxruntime only).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path


def _data(args: argparse.Namespace) -> int:
    from zerowaste.training import biobin_data as bd

    photos = bd.list_photos(args.shared)
    cuts = bd.cut_all(photos)
    counts = {"train": args.train_views, "val": args.val_views, "test": args.test_views}
    for split, n in counts.items():
        pools = bd.pools_for(split, photos, cuts)
        sizes = {k: len(v) for k, v in pools.contaminants.items()}
        print(f"{split}: {len(pools.organic)} organic pieces, {len(pools.backgrounds)} heaps, contaminants {sizes}")
        bd.write_set(args.out, split, pools, n, args.seed)
    print(f"views in {args.out}; set sha256 {bd.set_sha256(args.out)}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from zerowaste.model.contamination import ContaminationModel
    from zerowaste.training.contamination import TrainConfig, real_photo_counts, release
    from zerowaste.training.contamination_card import write_card

    cfg = TrainConfig(
        data=args.data,
        out=args.out,
        backbone=args.backbone,
        cut=args.cut,
        train_from=args.train_from,
        resolution=args.resolution,
        epochs=args.epochs,
        seed=args.seed,
        command="zerowaste contamination train " + " ".join(sys.argv[3:]),
    )
    files = release(cfg)
    real = {p: real_photo_counts(ContaminationModel(f), args.shared) for p, f in files.items()}
    card = write_card(files, args.out, real if any(r["photos"] for r in real.values()) else None)
    if args.ship:
        shipped = Path(__file__).resolve().parent.parent / "model" / "shipped"
        for path in (*files.values(), *card):
            shutil.copy2(path, shipped / path.name)
        print(f"copied to {shipped}")
    print((args.out / "CONTAMINATION_CARD.md").read_text(encoding="utf-8"))
    return 0


def _assess(args: argparse.Namespace) -> int:
    from zerowaste.model.contamination import ContaminationModel, shipped_contamination_path
    from zerowaste.model.image_io import ImageRejected, load_image

    model = ContaminationModel(args.model or shipped_contamination_path(args.precision))
    status = 0
    for path in args.images:
        try:
            image = load_image(path)
        except (OSError, ImageRejected) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            status = 1
            continue
        found = model.assess([image])[0]
        findings = [f.model_dump(mode="json") for f in found.findings]
        print(json.dumps({"file": str(path), "scores": found.scores, "findings": findings}, ensure_ascii=False))
    return status


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    top = sub.add_parser("contamination", help="the bio-bin camera model: composite data, training, assessing photos")
    cmds = top.add_subparsers(dest="contamination_command", required=True)
    data = cmds.add_parser("data", help="make the composite views (train/val/test) from the shared photos")
    data.add_argument("--shared", type=Path, default=Path("../shared/datasets"), help="the shared datasets folder")
    data.add_argument("--out", type=Path, default=Path("runs/biobin"))
    data.add_argument("--train-views", type=int, default=6000)
    data.add_argument("--val-views", type=int, default=1200)
    data.add_argument("--test-views", type=int, default=1600)
    data.add_argument("--seed", type=int, default=0)
    data.set_defaults(func=_data)
    train = cmds.add_parser("train", help="train, export FP32 and INT8, fit thresholds, measure on test views")
    train.add_argument("--data", type=Path, default=Path("runs/biobin"))
    train.add_argument("--out", type=Path, default=Path("runs/contamination"))
    train.add_argument("--backbone", default="efficientnet-lite0")
    train.add_argument("--cut", type=int, default=11, help="blocks before this one stay ImageNet's (default 11)")
    train.add_argument(
        "--train-from", type=int, default=15, help="first stage trained (16: head conv only, 17: cell head only)"
    )
    train.add_argument("--resolution", type=int, default=320, help="input side in pixels (the whole view, scaled)")
    train.add_argument("--epochs", type=int, default=10)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--shared", type=Path, default=Path("../shared/datasets"), help="for the real photos")
    train.add_argument("--ship", action="store_true", help="copy the files and card into model/shipped/")
    train.set_defaults(func=_train)
    assess = cmds.add_parser("assess", help="what the camera model finds in photos (no torch needed)")
    assess.add_argument("images", nargs="+", type=Path)
    assess.add_argument("--model", type=Path, help="a contamination model file (default: the shipped one)")
    assess.add_argument("--precision", choices=("int8", "fp32"), default="int8")
    assess.set_defaults(func=_assess)
