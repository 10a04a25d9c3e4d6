"""`zerowaste edge classify|model|scale`: the device's commands (the edge extra: no torch)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from zerowaste.cli_common import add_answer_flags, item_thresholds

if TYPE_CHECKING:  # the service extra is not installed on an edge device
    from zerowaste.edge.scales import ScaleReader


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
        thresholds=item_thresholds(args),
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

    from zerowaste.edge.agent import ScaleAgent, donors_in, load_config
    from zerowaste.edge.queue import EventQueue
    from zerowaste.edge.uploader import Uploader

    config = load_config(args.config)
    queue = EventQueue(config.queue_path)
    client = config.client()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        donors = donors_in(args.config)  # one consent for both: what the file says at each frame
        uploader = Uploader(queue, client, batch_size=config.batch_size, donors=donors)
        ScaleAgent(config, queue, donors=donors).run(stop, uploader)
    except KeyboardInterrupt:
        stop.set()
    print(f"{len(queue)} events still queued in {config.queue_path}", file=sys.stderr)
    return 0


def _median_raw(scale: ScaleReader, samples: int) -> float:
    import statistics

    return float(statistics.median(scale.read().raw for _ in range(samples)))


def _scale_calibrate(args: argparse.Namespace) -> int:
    import yaml

    from zerowaste.edge.agent import load_config, save_calibration
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
    try:
        save_calibration(args.config, b.id, b.calibration)
    except (OSError, ValueError, KeyError, yaml.YAMLError) as exc:  # the file changed under the wait
        print(f"calibration not saved, {args.config}: {exc}", file=sys.stderr)
        return 1
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
                "donated_frames_waiting": len(queue.photos()),  # consented frames not yet with the service
                "queue": str(config.queue_path),
                "bins": {
                    b.id: {
                        "stream": b.stream,
                        "driver": b.driver.type,
                        "calibration_version": b.calibration.version,
                        "calibrated": b.calibration.is_set,  # an uncalibrated bin uploads nothing
                        "camera": None
                        if b.camera is None
                        else {"kind": b.camera.kind, "role": b.camera.role, "donate_photos": b.camera.donate_photos},
                        "state": queue.state(f"bin:{b.id}"),
                    }
                    for b in config.bins
                },
            },
            indent=2,
        )
    )
    return 0


def _camera_check(args: argparse.Namespace) -> int:
    """What a pilot installer runs after mounting a camera: one frame, the model on it, the result."""
    import datetime as dt
    import time

    from PIL import Image

    from zerowaste.edge.agent import load_config
    from zerowaste.edge.camera import CameraError, load_model, open_camera

    config = load_config(args.config)
    with_camera = [b for b in config.bins if b.camera is not None and args.bin in (None, b.id)]
    if not with_camera:
        where = f"bin {args.bin}" if args.bin else "any bin"
        print(f"{args.config}: no camera at {where}", file=sys.stderr)
        return 2
    b = with_camera[0]
    camera = b.camera
    assert camera is not None  # chosen for having one
    try:
        model = load_model(config.contamination)
    except (OSError, ValueError) as exc:
        print(f"contamination model {config.contamination.model_path()}: {exc}", file=sys.stderr)
        return 1
    source = open_camera(camera)
    started = time.perf_counter()
    try:
        frame = source.grab()
    except CameraError as exc:
        print(f"{b.id}: camera failed: {exc}", file=sys.stderr)
        return 1
    finally:
        source.close()
    grabbed = time.perf_counter()
    (assessment,) = model.assess([frame])
    assessed = time.perf_counter()
    if args.save is not None:  # the installer asked for it, to see what the camera sees; never uploaded
        Image.fromarray(frame).save(args.save)
    quality = assessment.to_wire(model.sha256, camera.role, dt.datetime.now(dt.UTC), donated=False)
    report = {
        "bin": b.id,
        "camera": camera.kind,
        "role": camera.role,
        "donate_photos": camera.donate_photos,
        "frame": {"width": int(frame.shape[1]), "height": int(frame.shape[0])},
        "ms": {"frame": round((grabbed - started) * 1000, 1), "model": round((assessed - grabbed) * 1000, 1)},
        "model": str(config.contamination.model_path()),
        "quality": quality.model_dump(mode="json"),
    }
    print(json.dumps(report, indent=2))
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


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    ec.add_argument("--benchmark-runs", type=int, default=30, help="timed runs per model at start (default: 30)")
    add_answer_flags(ec)
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

    camera = edge.add_parser("camera", help="the bio-bin camera at a bin").add_subparsers(
        dest="camera_command", required=True
    )
    cc = camera.add_parser("check", help="take one frame with a bin's camera, run the model on it, print the result")
    cc.add_argument("--config", type=Path, default=Path("/etc/zerowaste/scale.yaml"), help=config_help)
    cc.add_argument("--bin", default=None, help="bin id from the config (default: the first bin with a camera)")
    cc.add_argument(
        "--save", type=Path, default=None, help="also write the frame to this file, to aim the camera (default: none)"
    )
    cc.set_defaults(func=_camera_check)
