"""How many labelled phone photos move the figure on held-out phone photos, and whether the queue's
order (least sure first) beats labelling photos at random.

    python benchmarks/label_curve.py [--source drinks] [--sizes 64 128 256] [--epochs 14]
        [--recipe "--composite-prob 0 --no-camera --balance none"] [--no-all]

Trains the release recipe (`zerowaste train`'s defaults, on the cached training views of the
manifest, so only the fine-tuned tail trains: minutes per run) several times, each with a different
share of one phone source's labelled training photos, everything else equal:

- none of them: the model a municipality starts with; its answers order the queue,
- the first N in queue order (`model/uncertainty.signals` of that model: not sure first, then the two
  heads disagreeing, then far from the training photos) and N at random, for each N in --sizes,
- all of them.

Each run is scored on the validation photos of that source and of all phone photos (material group
and right bin, fusion and temperature fitted as the release does), so the curve shows what a label
buys. No run trains on the validation photos. Caveats: every run trains on the same cached views, whose
composites use all training phone photos (drinks included) as backgrounds, so the run without drinks
labels has still seen drinks pixels behind other objects; and each run chooses its epoch and calibration
on the validation photos it is scored on, so absolute figures lean high, alike for every run.
"""

from __future__ import annotations

import argparse
import copy
import shlex
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="drinks", help="the phone source whose labels vary (default: drinks)")
    parser.add_argument("--sizes", type=int, nargs="*", default=[64, 128, 256])
    parser.add_argument(
        "--recipe",
        default="",
        help='`zerowaste train` flags that change the recipe of every run, e.g. "--composite-prob 0 --no-camera";'
        " with --sizes and --no-all left empty this is a held-out-source ablation of the recipe",
    )
    parser.add_argument("--no-all", action="store_true", help="skip the run with all of the source's labels")
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch

    from zerowaste.model import taxonomy
    from zerowaste.model.pretrained import pretrained
    from zerowaste.training.args import get_args_parser
    from zerowaste.training.splits import Split, load_data

    train_args = get_args_parser().parse_args(
        ["--epochs", str(args.epochs), "--seed", str(args.seed), *shlex.split(args.recipe)]
    )
    torch.set_num_threads(torch.get_num_threads())
    base = pretrained(len(taxonomy.LABELS), train_args.backbone, dropout=train_args.dropout)
    train, val, _ = load_data(train_args, base)
    pool = [i for i, e in enumerate(train.entries) if e.source == args.source]
    if not pool:
        raise SystemExit(f"no training photos of source {args.source!r} in {train_args.manifest}")
    print(f"machine: {machine()}")
    print(f"recipe: {args.recipe or 'release defaults'}")
    print(
        f"{args.source}: {len(pool)} labelled training photos; validation: "
        f"{sum(e.source == args.source for e in val.entries)} {args.source} photos, "
        f"{sum(e.domain == 'phone' for e in val.entries)} phone photos in all\n"
    )

    def subset(keep: set[int]) -> Split:
        rows = [i for i in range(len(train.entries)) if train.entries[i].source != args.source or i in keep]
        return select_rows(train, rows)

    results: list[tuple[str, int, dict[str, float], float]] = []
    t = time.perf_counter()
    start_model, scores = train_and_score(base, subset(set()), val, train_args, args.source)
    results.append(("none", 0, scores, time.perf_counter() - t))
    order = queue_order(start_model, base, train_args, [train.entries[i] for i in pool], pool) if args.sizes else []
    rng = np.random.default_rng(args.seed)
    shuffled = list(rng.permutation(pool))
    for n in args.sizes:
        for name, chosen in (("queue order", order[:n]), ("random", shuffled[:n])):
            t = time.perf_counter()
            _, scores = train_and_score(base, subset(set(chosen)), val, train_args, args.source)
            results.append((name, n, scores, time.perf_counter() - t))
    if not args.no_all:
        t = time.perf_counter()
        _, scores = train_and_score(base, subset(set(pool)), val, train_args, args.source)
        results.append(("all", len(pool), scores, time.perf_counter() - t))

    print(
        f"| {args.source} labels | order | {args.source} val material | {args.source} val right bin | "
        "phone val material | phone val right bin | studio val right bin | minutes |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, n, s, seconds in results:
        print(
            f"| {n} | {name} | {s['source_material']:.1%} | {s['source_bin']:.1%} | {s['phone_material']:.1%} | "
            f"{s['phone_bin']:.1%} | {s['studio_bin']:.1%} | {seconds / 60:.1f} |"
        )


def select_rows(data, rows: list[int]):  # noqa: ANN001, ANN201 - training.train.Split
    """A Split of some photos of `data`, all their cached views kept."""
    from zerowaste.training import utils
    from zerowaste.training.features import FeatureCache
    from zerowaste.training.splits import Split

    v = data.features.views
    view_rows = (np.asarray(rows)[:, None] * v + np.arange(v)[None]).ravel()
    entries = [data.entries[i] for i in rows]
    feats = FeatureCache(data.features.trunk[view_rows], data.features.teacher[view_rows], v)
    # The recipe's sampling: balanced draws, or every photo once with the class weights load_data gave it.
    sampling = utils.balanced_sampling([(e.source, e.label) for e in entries]) if data.sampling is not None else None
    return Split(entries, feats, data.mask[rows], data.weights[rows], sampling)


def train_and_score(base, train, val, args, source: str):  # noqa: ANN001, ANN201
    """The release recipe's fine-tuning on `train`, then fusion and temperature on validation; scores."""
    import torch

    from zerowaste.training.fusion import domain_weights, fit_calibration, fused_logits, material_prior
    from zerowaste.training.sure import municipality_bins, right_bin
    from zerowaste.training.train import Tail, evaluate, train_one_epoch

    model = copy.deepcopy(base)
    for p in model.parameters():
        p.requires_grad = False
    trainable = [*model.blocks[args.cut :].parameters(), *model.head.parameters()]
    for p in [*trainable, *model.waste_head.parameters()]:
        p.requires_grad = True
    groups = [
        {"params": trainable, "lr": args.lr * args.backbone_lr_factor},
        {"params": list(model.waste_head.parameters()), "lr": args.lr},
    ]
    optimizer = torch.optim.AdamW(groups, weight_decay=args.weight_decay)
    steps = args.epochs * -(-len(train.entries) // args.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=[g["lr"] for g in groups], total_steps=steps, pct_start=0.1
    )
    tail = Tail(model, args.cut)
    best, best_state, stale = -1.0, None, 0
    for epoch in range(args.epochs):
        train_one_epoch(tail, train, optimizer, scheduler, args, epoch)
        ev = evaluate(tail, val)
        if float(ev["selection"]) > best:
            best, best_state, stale = float(ev["selection"]), copy.deepcopy(model.state_dict()), 0
        else:
            stale += 1
            if stale >= args.patience:
                break
    model.load_state_dict(best_state)
    ev = evaluate(tail, val)
    cal = fit_calibration(ev["logits"], ev["item_logits"], val.mask, domain_weights([e.domain for e in val.entries]))
    with torch.no_grad():
        z = fused_logits(
            ev["logits"],
            ev["item_logits"],
            material_prior(),
            torch.tensor(cal.temperature),
            torch.tensor(cal.beta),
            torch.tensor(cal.lam),
        )
    probs = torch.softmax(z, 1).numpy()
    labels = [e.label for e in val.entries]
    from zerowaste.model import taxonomy

    material = np.array(
        [
            taxonomy.material_group(taxonomy.LABELS[int(i)]) == taxonomy.material_group(lbl)
            for i, lbl in zip(probs.argmax(1), labels, strict=True)
        ]
    )
    right = right_bin(probs, labels, municipality_bins(args.municipality))
    src = np.array([e.source for e in val.entries])
    dom = np.array([e.domain for e in val.entries])
    return model, {
        "source_material": float(material[src == source].mean()),
        "source_bin": float(right[src == source].mean()),
        "phone_material": float(material[dom == "phone"].mean()),
        "phone_bin": float(right[dom == "phone"].mean()),
        "studio_bin": float(right[dom == "studio"].mean()),
    }


def queue_order(model, base, args, entries: list, pool: list[int]) -> list[int]:  # noqa: ANN001
    """`pool` ordered as the labelling queue orders photos: by `model/uncertainty.signals` priority of
    a model that saw none of them, on the photos as taken (the frozen trunk is the same for every run)."""
    import torch

    from zerowaste.model.runtime import Prediction
    from zerowaste.model.uncertainty import signals
    from zerowaste.training.features import compute_features
    from zerowaste.training.train import Tail

    feats = compute_features(
        entries,
        base,
        cut=args.cut,
        views=1,
        train=False,
        cache_dir=args.cache_dir,
        seed=args.seed,
        workers=args.workers,
        threads=args.threads,
        desc="queue photos",
    )
    tail = Tail(model, args.cut).eval()
    with torch.no_grad():
        waste, item = tail(torch.from_numpy(feats.trunk.astype(np.float32)))
    pred = Prediction(torch.softmax(waste, 1).numpy(), torch.softmax(item, 1).numpy())
    priority = np.array([s.priority for s in signals(pred)])
    return [pool[i] for i in np.argsort(-priority, kind="stable")]


if __name__ == "__main__":
    main()
