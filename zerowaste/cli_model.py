"""`zerowaste data|train|requantize|evaluate|classify`: the classifier's commands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import cast

from zerowaste.cli_common import add_answer_flags, item_thresholds
from zerowaste.datasets.build import DEFAULT_CACHE_DIR, DEFAULT_MANIFEST
from zerowaste.datasets.dedup import DEFAULT_MAX_DISTANCE, DEFAULT_MIN_COSINE


def _name_path_pairs(items: list[str], flag: str, what: str) -> dict[str, Path]:
    """`NAME=PATH` arguments (repeatable flags) as a mapping."""
    pairs: dict[str, Path] = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep:
            raise SystemExit(f"{flag} takes NAME={what}, got {item!r}")
        pairs[name] = Path(path)
    return pairs


def _data_build(args: argparse.Namespace) -> int:
    from zerowaste.datasets.build import build_manifest, report

    sources = _name_path_pairs(args.source, "--source", "FOLDER")
    labels = _name_path_pairs(args.labels, "--labels", "FILE")
    result = build_manifest(
        sources,
        args.out,
        labels=labels,
        keep_splits=args.keep_splits,
        max_distance=args.max_distance,
        min_cosine=args.min_cosine or None,
        cache_dir=args.cache_dir,
        seed=args.seed,
    )
    print(report(result.entries, result.problems))
    print(f"manifest: {args.out}")
    if args.write_splits:
        from zerowaste.datasets.manifest import write_splits

        write_splits(args.write_splits, result.entries)
        print(f"splits: {args.write_splits}")
    return 0


def _data_report(args: argparse.Namespace) -> int:
    from zerowaste.datasets.build import report
    from zerowaste.datasets.manifest import read_manifest

    print(report(read_manifest(args.manifest)))
    return 0


def _train(args: argparse.Namespace) -> int:
    from zerowaste.training.train import main

    result = main(args)
    record = result.get("registry")
    if isinstance(record, dict):
        print(f"registry: model {record['id']} {record['status']}" + "".join(f"\n  - {r}" for r in record["reasons"]))
        return 0 if record["status"] == "accepted" else 3
    return 0


def _export_feedback(args: argparse.Namespace) -> int:
    from zerowaste.datasets.feedback_export import export_feedback
    from zerowaste.staff_api import staff_client

    with staff_client(args.server, args.token_file) as client:
        result = export_feedback(client, args.out)
    print(f"{sum(result.counts.values())} photos in {result.folder}: {result.counts}; removed {result.removed}")
    for p in result.problems:
        print(f"  skipped {p}", file=sys.stderr)
    print(f"train on them: zerowaste train --extra {result.folder}")
    return 0


def _requantize(args: argparse.Namespace) -> int:
    from zerowaste.datasets.manifest import read_manifest
    from zerowaste.model.runtime import shipped_model_path
    from zerowaste.training.requantize import QuantisationRejected, requantize

    try:
        result = requantize(
            args.fp32 or shipped_model_path("fp32"),
            read_manifest(args.manifest),
            args.output,
            calibration_images=args.calibration_images,
            municipality=args.municipality,
            ship=args.ship,
        )
    except QuantisationRejected as exc:
        print(f"not shipped: {exc}")
        return 3
    print(json.dumps(result, indent=2))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from zerowaste.datasets.manifest import read_manifest
    from zerowaste.training.evaluate import evaluate_model
    from zerowaste.training.sure import municipality_bins

    entries = [e for e in read_manifest(args.manifest) if e.split == args.split]
    report = evaluate_model(args.model, entries, args.out, bin_of=municipality_bins(args.municipality))
    summary = {k: v for k, v in report.items() if not k.startswith("_")}
    domains = {
        d: {
            k: v
            for k, v in s.items()
            if k in ("n", "top1", "material_top1", "right_bin", "sure_coverage", "sure_right_bin")
        }
        for d, s in cast(dict[str, dict[str, object]], summary["domains"]).items()
    }
    print(
        json.dumps(
            {
                "model": summary["model"],
                "all": summary["all"],
                **{f"{k}_top1": v["top1"] for k, v in cast(dict[str, dict[str, object]], summary["parts"]).items()},
                "domains": domains,
            },
            indent=2,
        )
    )
    print(f"report: {args.out}")
    return 0


def _classify(args: argparse.Namespace) -> int:
    from zerowaste.model.classify import classify_paths

    return classify_paths(
        args.paths,
        model=args.model,
        as_json=args.json,
        top=args.top,
        threads=args.threads,
        lang=args.lang,
        thresholds=item_thresholds(args),
    )


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from zerowaste.training.args import get_args_parser

    data = sub.add_parser(
        "data", aliases=["dataset"], help="build and inspect training manifests; export feedback"
    ).add_subparsers(dest="data_command", required=True)
    build = data.add_parser("build", help="scan ImageFolder sets, group near-duplicates, split, write a manifest")
    build.add_argument(
        "--source",
        action="append",
        required=True,
        help="NAME=FOLDER, repeatable (trashnet, garbage12, garbage12-more and clothing have"
        " known label maps; drinks takes a labels file)",
    )
    build.add_argument(
        "--labels",
        action="append",
        default=[],
        help="NAME=FILE: a labels file (datasets/labels/*.jsonl) for a source of unlabelled photos,"
        " repeatable (default: none)",
    )
    build.add_argument(
        "--out", type=Path, default=DEFAULT_MANIFEST, help=f"manifest path (default: {DEFAULT_MANIFEST})"
    )
    build.add_argument(
        "--max-distance",
        type=int,
        default=DEFAULT_MAX_DISTANCE,
        help=f"pHash bits for a near-duplicate (default: {DEFAULT_MAX_DISTANCE})",
    )
    build.add_argument(
        "--min-cosine",
        type=float,
        default=DEFAULT_MIN_COSINE,
        help="ImageNet-feature cosine for a near-duplicate that pHash misses (crops, shifts);"
        f" 0 = pHash only (default: {DEFAULT_MIN_COSINE})",
    )
    build.add_argument(
        "--cache-dir",
        type=Path,
        default=DEFAULT_CACHE_DIR,
        help=f"where photo features are cached by sha256 (default: {DEFAULT_CACHE_DIR})",
    )
    build.add_argument("--seed", type=int, default=0, help="split seed (default: 0)")
    build.add_argument(
        "--keep-splits",
        type=Path,
        default=None,
        metavar="FILE",
        help="a splits file (datasets/splits/*.jsonl) or an earlier manifest whose photos keep their"
        " split: what a released model trained and was tested on stays there, new photos are"
        " dealt out (default: a fresh split)",
    )
    build.add_argument(
        "--write-splits",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write every photo's split as a splits file, to keep in the repository (default: no)",
    )
    build.set_defaults(func=_data_build)
    rep = data.add_parser("report", help="counts per class, source and split; duplicate groups")
    rep.add_argument("manifest", type=Path)
    rep.set_defaults(func=_data_report)
    ef = data.add_parser("export-feedback", help="photos staff accepted or relabelled -> ImageFolder + manifest")
    ef.add_argument("--server", required=True, help="the zerowaste service, e.g. https://zerowaste.example")
    ef.add_argument(
        "--token-file", type=Path, default=None, help="file with a staff key (default: ZEROWASTE_STAFF_TOKEN)"
    )
    ef.add_argument("--out", type=Path, default=Path("runs/feedback"), help="folder (default: runs/feedback)")
    ef.set_defaults(func=_export_feedback)

    train = sub.add_parser("train", help="fine-tune, calibrate, export and quantise", parents=[get_args_parser(False)])
    train.set_defaults(func=_train)

    rq = sub.add_parser("requantize", help="a new INT8 file from a released FP32 file, evaluated and gated")
    rq.add_argument("--fp32", type=Path, default=None, help="the FP32 file (default: the shipped one)")
    rq.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST, help=f"manifest (default: {DEFAULT_MANIFEST})")
    rq.add_argument("--output", type=Path, default=Path("runs/requantize"), help="folder (default: runs/requantize)")
    rq.add_argument("--calibration-images", type=int, default=256, help="training photos to calibrate (default: 256)")
    rq.add_argument("--municipality", default="wuppertal", help="whose bins the sure rule is fitted on")
    rq.add_argument("--ship", action="store_true", help="copy the INT8 file and its reports into model/shipped/")
    rq.set_defaults(func=_requantize)

    ev = sub.add_parser("evaluate", help="evaluate an ONNX model on a manifest split")
    ev.add_argument("--model", type=Path, required=True, help="ONNX file")
    ev.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST, help=f"manifest (default: {DEFAULT_MANIFEST})")
    ev.add_argument("--split", default="test", choices=["train", "val", "test"], help="split (default: test)")
    ev.add_argument("--out", type=Path, default=Path("runs/eval"), help="report folder (default: runs/eval)")
    ev.add_argument(
        "--municipality", default="wuppertal", help="whose rules say which bin each class goes to (default: wuppertal)"
    )
    ev.set_defaults(func=_evaluate)

    cl = sub.add_parser("classify", help="classify image files or folders with ONNX Runtime (no torch)")
    cl.add_argument("paths", nargs="+", type=Path, help="image files or folders")
    cl.add_argument("--model", type=Path, default=None, help="ONNX file (default: the shipped INT8 model)")
    cl.add_argument("--top", type=int, default=3, help="how many labels to list (default: 3)")
    add_answer_flags(cl)
    cl.set_defaults(func=_classify)
