"""The one console script: `zerowaste <command>`. Heavy imports happen inside each command, so
`zerowaste classify` on an edge device never imports torch."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, cast

from zerowaste.datasets.build import DEFAULT_CACHE_DIR, DEFAULT_MANIFEST
from zerowaste.datasets.dedup import DEFAULT_MAX_DISTANCE, DEFAULT_MIN_COSINE
from zerowaste.model.items import DEFAULT_CATEGORY_THRESHOLD, DEFAULT_ITEM_THRESHOLD, ItemThresholds

if TYPE_CHECKING:  # the service extra is not installed on an edge device
    from sqlalchemy.orm import Session

    from zerowaste.edge.scales import ScaleReader
    from zerowaste.service.config import Settings


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


def _add_item_thresholds(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--item-threshold",
        type=float,
        default=DEFAULT_ITEM_THRESHOLD,
        help=f"show the household item from this probability on (default: {DEFAULT_ITEM_THRESHOLD})",
    )
    parser.add_argument(
        "--category-threshold",
        type=float,
        default=DEFAULT_CATEGORY_THRESHOLD,
        help="without a sure item, show its category (Elektrokleingerät) from this probability on "
        f"(default: {DEFAULT_CATEGORY_THRESHOLD})",
    )


def _classify(args: argparse.Namespace) -> int:
    from zerowaste.model.classify import classify_paths

    return classify_paths(
        args.paths,
        model=args.model,
        as_json=args.json,
        top=args.top,
        threads=args.threads,
        lang=args.lang,
        thresholds=ItemThresholds(args.item_threshold, args.category_threshold),
    )


def _edge_classify(args: argparse.Namespace) -> int:
    from zerowaste.edge.classify import run

    if not args.paths and args.camera is None:
        print("give image files or folders, or --camera SOURCE", file=sys.stderr)
        return 2
    model = args.model
    if model is None and args.model_dir is not None and (args.model_dir / "current.onnx").exists():
        model = args.model_dir / "current.onnx"
    return run(
        args.paths,
        camera=args.camera,
        frames=args.frames,
        every_s=args.every,
        model=model,
        precision=args.precision,
        threads=args.threads,
        as_json=args.json,
        lang=args.lang,
        thresholds=ItemThresholds(args.item_threshold, args.category_threshold),
        benchmark_runs=args.benchmark_runs,
    )


def _model_update(args: argparse.Namespace) -> int:
    import json
    import time

    from zerowaste.edge.model_update import ModelUpdater, UpdateError, load_updater_config

    config = load_updater_config(args.config)
    with config.client() as client:
        updater = ModelUpdater(config.folder, config.trusted_keys, client, config.photos())
        while True:
            try:
                result = updater.update()
                print(
                    json.dumps(
                        {
                            "action": result.action,
                            "sha256": result.sha256,
                            "detail": result.detail,
                            "timings_s": {k: round(v, 3) for k, v in result.timings_s.items()},
                            "resumed_from": result.resumed_from,
                        }
                    ),
                    flush=True,
                )
                failed = result.action == "rolled-back"
            except UpdateError as exc:
                print(json.dumps({"action": "failed", "detail": str(exc)}), flush=True)
                failed = True
            if not args.loop:
                return 1 if failed else 0
            time.sleep(config.check_interval_s)


def _model_status(args: argparse.Namespace) -> int:
    import json

    from zerowaste.edge.model_update import load_updater_config, status

    print(json.dumps(status(load_updater_config(args.config).folder), indent=2))
    return 0


def _model_rollback(args: argparse.Namespace) -> int:
    from zerowaste.edge.model_update import ModelUpdater, UpdateError, load_updater_config

    config = load_updater_config(args.config)
    with config.client() as client:
        try:
            result = ModelUpdater(config.folder, config.trusted_keys, client).rollback()
        except UpdateError as exc:
            print(exc, file=sys.stderr)
            return 1
    print(f"now running {result.sha256}")
    return 0


def _scale_run(args: argparse.Namespace) -> int:
    import signal
    import threading

    from zerowaste.edge.agent import ScaleAgent, load_config
    from zerowaste.edge.queue import EventQueue
    from zerowaste.edge.uploader import Uploader

    config = load_config(args.config)
    queue = EventQueue(config.queue_path)
    client = config.client()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        ScaleAgent(config, queue).run(stop, Uploader(queue, client, batch_size=config.batch_size))
    except KeyboardInterrupt:
        stop.set()
    print(f"{len(queue)} events still queued in {config.queue_path}", file=sys.stderr)
    return 0


def _median_raw(scale: ScaleReader, samples: int) -> float:
    import statistics

    return float(statistics.median(scale.read().raw for _ in range(samples)))


def _scale_calibrate(args: argparse.Namespace) -> int:
    from zerowaste.edge.agent import load_config, save_config
    from zerowaste.edge.calibration import CalibrationError, two_point
    from zerowaste.edge.queue import EventQueue
    from zerowaste.edge.scales import open_scale

    config = load_config(args.config)
    b = config.bin(args.bin)
    scale = open_scale(b.driver)
    try:
        if args.command_name == "tare":
            if not args.yes:
                input(f"Empty bin {b.id} on the scale, nothing leaning on it; press Enter ")
            b.calibration = b.calibration.tared(_median_raw(scale, args.samples))
        else:
            points = []
            for kg in args.mass:
                if not args.yes:
                    input(f"Put {kg:g} kg on bin {b.id} (0 = empty) and press Enter ")
                points.append((_median_raw(scale, args.samples), kg))
            try:
                b.calibration = two_point(points, b.calibration)
            except CalibrationError as exc:
                print(f"calibration failed: {exc}", file=sys.stderr)
                return 1
    finally:
        scale.close()
    save_config(args.config, config)
    # Kilograms changed meaning: the agent starts from the next settled weight, not the old reference.
    EventQueue(config.queue_path).set_state({f"bin:{b.id}": {"reference": None, "lifted": False}})
    print(json.dumps({"bin": b.id, **b.calibration.model_dump(mode="json")}))
    return 0


def _scale_status(args: argparse.Namespace) -> int:
    from zerowaste.edge.agent import load_config
    from zerowaste.edge.queue import EventQueue

    config = load_config(args.config)
    queue = EventQueue(config.queue_path)
    print(
        json.dumps(
            {
                "device": config.device_id,
                "queued": len(queue),
                "quarantined": queue.quarantined(),  # refused as malformed; kept, never sent again
                "queue": str(config.queue_path),
                "bins": {
                    b.id: {
                        "stream": b.stream,
                        "driver": b.driver.type,
                        "calibration_version": b.calibration.version,
                        "calibrated": b.calibration.is_set,  # an uncalibrated bin uploads nothing
                        "state": queue.state(f"bin:{b.id}"),
                    }
                    for b in config.bins
                },
            },
            indent=2,
        )
    )
    return 0


def _scale_trace(args: argparse.Namespace) -> int:
    from zerowaste.edge.trace import TraceSpec, generate_trace, write_trace

    trace = generate_trace(TraceSpec(seed=args.seed, days=args.days, deposits_per_day=args.deposits_per_day))
    write_trace(args.out, trace.samples)
    print(
        json.dumps(
            {
                "samples": len(trace.samples),
                "deposits": len(trace.deposits),
                "deposited_kg": round(sum(kg for _, kg in trace.deposits), 3),
                "emptyings": len(trace.emptyings),
                "out": str(args.out),
            }
        )
    )
    return 0


def _pilot_purge(args: argparse.Namespace) -> int:
    from zerowaste.service.households import purge_expired

    with _database() as (settings, session):
        weeks = args.weeks or settings.retention_weeks
        counts = purge_expired(session, weeks)
    print(json.dumps({"deleted": counts, "retention_weeks": weeks}))
    return 0


def _serve(args: argparse.Namespace) -> int:
    from zerowaste.service.api.observability import configure_logging
    from zerowaste.service.config import get_settings
    from zerowaste.service.db.migrate import upgrade
    from zerowaste.service.server import TcpConfig, serve

    configure_logging()
    settings = get_settings()
    # Once, before the workers start (each still checks under the migration lock: a no-op at head).
    upgrade(settings.sqlalchemy_url)
    config = TcpConfig(
        "zerowaste.service.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        log_config=None,
        access_log=False,
    )
    serve(config)
    return 0


@contextmanager
def _database() -> Iterator[tuple[Settings, Session]]:
    """The configured database, migrated to head, and a session on it (for the CLI's database commands)."""
    from sqlalchemy.orm import Session

    from zerowaste.service.config import get_settings
    from zerowaste.service.db.engine import make_engine
    from zerowaste.service.db.migrate import upgrade

    settings = get_settings()
    upgrade(settings.sqlalchemy_url)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with Session(engine) as session:
            yield settings, session
    finally:
        engine.dispose()


def _rules_load(args: argparse.Namespace) -> int:
    from zerowaste.service.rules import configured_rules, load_rules, read_rules, rules_path

    with _database() as (settings, session):
        if args.file or args.municipality:
            rules = read_rules(args.file or rules_path(args.municipality))
        else:
            rules = configured_rules(settings)
        written = load_rules(session, rules, replace=args.replace)
    print(f"{rules.municipality}: wrote {written}")
    return 0


def _keys_create(args: argparse.Namespace) -> int:
    from zerowaste.service.keys import create_key

    with _database() as (_settings, session):
        token = create_key(session, args.name, args.role)
    print(f"api key for {args.name} ({args.role}); shown once, store it now:\n{token}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from zerowaste.training.args import get_args_parser

    parser = argparse.ArgumentParser(prog="zerowaste", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

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
    cl.add_argument("--json", action="store_true", help="one JSON line per image")
    cl.add_argument("--top", type=int, default=3, help="how many labels to list (default: 3)")
    cl.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads, 0 = automatic (default: 0)")
    cl.add_argument("--lang", choices=["de", "en"], default="de", help="language of item names (default: de)")
    _add_item_thresholds(cl)
    cl.set_defaults(func=_classify)

    edge = sub.add_parser("edge", help="on-device commands (the edge extra: no torch)").add_subparsers(
        dest="edge_command", required=True
    )
    ec = edge.add_parser("classify", help="classify files, folders or camera frames offline; picks the faster model")
    ec.add_argument("paths", nargs="*", type=Path, help="image files or folders")
    ec.add_argument(
        "--camera", default=None, help="camera index (0), device, stream URL or video file; frames are read with OpenCV"
    )
    ec.add_argument("--frames", type=int, default=0, help="stop after this many camera frames (default: 0 = never)")
    ec.add_argument("--every", type=float, default=0.0, help="seconds between classified frames (default: 0)")
    ec.add_argument("--model", type=Path, default=None, help="ONNX file (default: measure FP32 and INT8, pick)")
    ec.add_argument(
        "--model-dir",
        type=Path,
        default=None,
        help="the updater's folder: run its current model when it has one (default: none)",
    )
    ec.add_argument(
        "--precision",
        choices=["int8", "fp32"],
        default=None,
        help="use this shipped model instead of measuring (default: measure)",
    )
    ec.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads, 0 = automatic (default: 0)")
    ec.add_argument("--benchmark-runs", type=int, default=30, help="timed runs per model at start (default: 30)")
    ec.add_argument("--json", action="store_true", help="one JSON line per image")
    ec.add_argument("--lang", choices=["de", "en"], default="de", help="language of item names (default: de)")
    _add_item_thresholds(ec)
    ec.set_defaults(func=_edge_classify)

    models = edge.add_parser("model", help="signed model updates from the service's registry").add_subparsers(
        dest="model_command", required=True
    )
    models_help = "updater config YAML (see the README; default: /etc/zerowaste/models.yaml)"
    for name, helptext, func in (
        ("update", "fetch this device's model if it changed: resume, verify, swap, smoke check", _model_update),
        ("status", "the model in use, the previous one, refused ones", _model_status),
        ("rollback", "go back to the previous model now", _model_rollback),
    ):
        mp = models.add_parser(name, help=helptext)
        mp.add_argument("--config", type=Path, default=Path("/etc/zerowaste/models.yaml"), help=models_help)
        if name == "update":
            mp.add_argument("--loop", action="store_true", help="check again every check_interval_s (a service)")
        mp.set_defaults(func=func)

    scale = edge.add_parser("scale", help="the bin scale agent: weigh, queue, upload").add_subparsers(
        dest="scale_command", required=True
    )
    config_help = "agent config YAML (see the README; default: /etc/zerowaste/scale.yaml)"
    sr = scale.add_parser("run", help="weigh and upload until stopped (the systemd unit runs this)")
    sr.add_argument("--config", type=Path, default=Path("/etc/zerowaste/scale.yaml"), help=config_help)
    sr.set_defaults(func=_scale_run)
    for name, helptext in (
        ("tare", "zero the scale with the empty bin on it"),
        ("calibrate", "two-point (or more) calibration with known masses"),
    ):
        sc = scale.add_parser(name, help=helptext)
        sc.add_argument("--config", type=Path, default=Path("/etc/zerowaste/scale.yaml"), help=config_help)
        sc.add_argument("--bin", required=True, help="bin id from the config")
        sc.add_argument("--samples", type=int, default=20, help="readings averaged per step (default: 20)")
        sc.add_argument("--yes", action="store_true", help="do not wait for Enter before each reading")
        if name == "calibrate":
            sc.add_argument(
                "--mass",
                type=float,
                action="append",
                required=True,
                help="known mass in kg, repeat for each point, e.g. --mass 0 --mass 10",
            )
        sc.set_defaults(func=_scale_calibrate, command_name=name)
    ss = scale.add_parser("status", help="queued events and calibration per bin")
    ss.add_argument("--config", type=Path, default=Path("/etc/zerowaste/scale.yaml"), help=config_help)
    ss.set_defaults(func=_scale_status)
    st = scale.add_parser("trace", help="write a simulated weight trace (CSV) for the simulated driver")
    st.add_argument("--out", type=Path, required=True, help="CSV file to write")
    st.add_argument("--days", type=float, default=7.0, help="length in days (default: 7)")
    st.add_argument("--deposits-per-day", type=float, default=1.0, help="bags per day (default: 1)")
    st.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    st.set_defaults(func=_scale_trace)

    sv = sub.add_parser("serve", help="run the HTTP service (settings: ZEROWASTE_* environment variables)")
    sv.add_argument("--host", default="127.0.0.1", help="bind address (default: 127.0.0.1)")
    sv.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    sv.add_argument("--workers", type=int, default=1, help="worker processes (default: 1)")
    sv.set_defaults(func=_serve)

    rules = sub.add_parser("rules", help="municipality rules and offers").add_subparsers(
        dest="rules_command", required=True
    )
    rl = rules.add_parser("load", help="validate a rules file and write it into the database")
    rl.add_argument("--municipality", default=None, help="shipped rules to load (default: ZEROWASTE_MUNICIPALITY)")
    rl.add_argument("--file", type=Path, default=None, help="a rules YAML file instead of a shipped one")
    rl.add_argument("--replace", action="store_true", help="the file wins over staff edits (default: keep edits)")
    rl.set_defaults(func=_rules_load)

    pilot = sub.add_parser("pilot", help="the weighing pilot's data").add_subparsers(
        dest="pilot_command", required=True
    )
    pp = pilot.add_parser("purge", help="delete weighings and rejected events past the retention period")
    pp.add_argument("--weeks", type=int, default=None, help="retention in weeks (default: ZEROWASTE_RETENTION_WEEKS)")
    pp.set_defaults(func=_pilot_purge)

    keys = sub.add_parser("keys", help="API keys for staff and devices").add_subparsers(
        dest="keys_command", required=True
    )
    kc = keys.add_parser("create", help="create a key (stored hashed; printed once)")
    kc.add_argument("--name", required=True, help="who or what holds the key")
    kc.add_argument(
        "--role",
        required=True,
        choices=["admin", "staff", "metrics"],
        help="what the key may do (metrics: read /metrics only, for a Prometheus scraper; device and household "
        "keys come from the staff API)",
    )
    kc.set_defaults(func=_keys_create)

    from zerowaste.cli_labels import add_parser as add_labels_parser

    add_labels_parser(sub)  # zerowaste labels import|report|export|vote (zerowaste/cli_labels.py)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
