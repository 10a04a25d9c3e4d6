"""On-device figures: classification latency on the edge's two paths and the model update.

1. Latency per image, end to end as `zerowaste edge classify` does it, for FP32 and INT8 with 1 and
   4 ONNX Runtime threads:
   - file path: read the JPEG, decode (Pillow, EXIF), preprocess, infer, build the result;
   - camera path: grab a frame from an OpenCV capture (a 640x480 MJPG video of the same photos stands in
     for the camera), convert BGR->RGB, preprocess, infer, build the result.
   Ratios are against FP32, 1 thread, file path, measured in the same run.
2. Model update: a device fetches its channel's model from a local service (uvicorn, loopback) and
   installs it: download, verify (sha256 + Ed25519), atomic swap, smoke check in a child process.

    python benchmarks/edge.py [--runs 100]
"""

from __future__ import annotations

import argparse
import resource
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, sample_photos  # noqa: E402

from zerowaste.model.classify import result_for  # noqa: E402
from zerowaste.model.image_io import load_image  # noqa: E402
from zerowaste.model.runtime import OnnxClassifier, shipped_model_path  # noqa: E402


def make_video(photos: list[Path], path: Path) -> Path:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
    for f in photos:
        frame = cv2.resize(cv2.imread(str(f)), (640, 480))
        writer.write(frame)
    writer.release()
    return path


def time_file_path(clf: OnnxClassifier, photos: list[Path], runs: int) -> list[float]:
    times = []
    for i in range(runs + 3):
        f = photos[i % len(photos)]
        t = time.perf_counter()
        pred = clf.predict_images([load_image(f)])
        result_for(clf, pred.waste[0], pred.item[0], f, 3, "de", 0.5)
        if i >= 3:
            times.append((time.perf_counter() - t) * 1000)
    return times


def time_camera_path(clf: OnnxClassifier, video: Path, runs: int) -> list[float]:
    from zerowaste.edge.classify import camera_frames

    times: list[float] = []
    while len(times) < runs + 3:
        frames = camera_frames(str(video), 0.0, 0)
        while True:
            t = time.perf_counter()
            try:
                name, frame = next(frames)
            except StopIteration:
                break
            pred = clf.predict_images([frame])
            result_for(clf, pred.waste[0], pred.item[0], Path(name), 3, "de", 0.5)
            times.append((time.perf_counter() - t) * 1000)
    return times[3 : runs + 3]


def latency_table(runs: int) -> None:
    photos = sample_photos(24)
    print(f"\n### Latency per image, end to end (batch 1, {runs} runs after 3 warm-up, {len(photos)} real photos)\n")
    print("| model | threads | path | p50 ms | p95 ms | vs FP32 1 thread file (p50) |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        video = make_video(photos, Path(tmp) / "camera.avi")
        base = None
        for precision in ("fp32", "int8"):
            for threads in (1, 4):
                clf = OnnxClassifier(shipped_model_path(precision), threads)  # type: ignore[arg-type]
                for path, times in (
                    ("file", time_file_path(clf, photos, runs)),
                    ("camera", time_camera_path(clf, video, runs)),
                ):
                    p50, p95 = float(np.percentile(times, 50)), float(np.percentile(times, 95))
                    base = base or p50
                    print(f"| {precision.upper()} | {threads} | {path} | {p50:.1f} | {p95:.1f} | {base / p50:.2f}x |")
    print(f"\npeak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def update_table(repeats: int) -> None:
    import httpx
    import uvicorn
    from sqlalchemy.orm import Session

    from zerowaste.edge.model_update import ModelUpdater
    from zerowaste.service.config import Settings
    from zerowaste.service.db.engine import make_engine
    from zerowaste.service.keys import create_key
    from zerowaste.service.main import create_app

    print(f"\n### Model update over loopback (median of {repeats}, each into an empty model folder)\n")
    print("| model | size MB | download ms | MB/s | verify ms | swap ms | smoke check ms | total ms |")
    print("|---|---|---|---|---|---|---|---|")
    for precision in ("int8", "fp32"):
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            settings = Settings(
                environment="test",
                database_url=f"sqlite:///{data / 'db.sqlite'}",
                data_dir=data,
                model_path=shipped_model_path(precision),
                rate_limit="100000/minute",
            )  # type: ignore[arg-type]
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            server = uvicorn.Server(
                uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
            )
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            while not server.started:
                time.sleep(0.05)
            base = f"http://127.0.0.1:{port}"
            with Session(make_engine(settings.sqlalchemy_url)) as session:
                staff = create_key(session, "bench", "staff")
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {staff}"}) as c:
                device = c.post("/v1/staff/devices", json={"id": "bench-pi"}).json()["token"]
                trusted = [c.get("/v1/models/signing-key").json()["public_key"]]
            rows = []
            for i in range(repeats):
                with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {device}"}, timeout=60) as c:
                    updater = ModelUpdater(data / f"device-{i}", trusted, c)
                    t = time.perf_counter()
                    result = updater.update()
                    total = time.perf_counter() - t
                assert result.action == "installed", result
                rows.append({**result.timings_s, "total": total})
            server.should_exit = True
            thread.join(10)
            med = {k: statistics.median(r[k] for r in rows) * 1000 for k in rows[0]}
            size = shipped_model_path(precision).stat().st_size / 1e6  # type: ignore[arg-type]
            print(
                f"| {precision.upper()} | {size:.1f} | {med['download']:.0f} | {size / med['download'] * 1000:.0f} | "
                f"{med['verify']:.0f} | {med['swap']:.1f} | {med['smoke']:.0f} | {med['total']:.0f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100, help="timed images per row (default: 100)")
    parser.add_argument("--repeats", type=int, default=5, help="updates per model (default: 5)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    latency_table(args.runs)
    update_table(args.repeats)


if __name__ == "__main__":
    main()
