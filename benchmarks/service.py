"""HTTP benchmark: classify requests/s and p50/p95 latency at concurrency 1, 4 and 16, for the service
with the INT8 and the FP32 model, against the same network served naively (PyTorch eager in the
request handler, benchmarks/naive_server.py), all in one run on this machine; plus search latency.

    python benchmarks/service.py [--requests 200]

Each server is a separate process with one worker on 127.0.0.1; the load generator is httpx.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, sample_photos  # noqa: E402
from http_load import free_port, load, start  # noqa: E402

HERE = Path(__file__).resolve().parent


def bare_model(photos: list[bytes], precision: str, total: int, batch: int = 8, threads: int = 2) -> dict[str, float]:
    """The shipped model with nothing around it: decode (as the service decodes), preprocess and ONNX
    Runtime in this process; one photo at a time, and batches of `batch`."""
    from zerowaste.model.image_io import ImageLimits, decode_image
    from zerowaste.model.runtime import OnnxClassifier, shipped_model_path
    from zerowaste.service.config import Settings

    limits = ImageLimits(reduce_to=Settings().decode_max_side)
    clf = OnnxClassifier(shipped_model_path(precision), threads=threads)
    clf.predict_images([decode_image(photos[0], limits)])  # warm-up
    single = []
    for i in range(min(total, 100)):
        t = time.perf_counter()
        clf.predict_images([decode_image(photos[i % len(photos)], limits)])
        single.append((time.perf_counter() - t) * 1000)
    batches = []
    t0 = time.perf_counter()
    for first in range(0, total, batch):
        t = time.perf_counter()
        clf.predict_images([decode_image(photos[(first + j) % len(photos)], limits) for j in range(batch)])
        batches.append((time.perf_counter() - t) * 1000)
    wall = time.perf_counter() - t0
    return {
        "single_p50": float(np.percentile(single, 50)),
        "rps": len(batches) * batch / wall,
        "batch_p50": float(np.percentile(batches, 50)),
        "batch_p95": float(np.percentile(batches, 95)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="requests per concurrency level (default: 200)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args()

    from zerowaste.model.runtime import shipped_model_path
    from zerowaste.service.config import Settings
    from zerowaste.service.rules import read_rules, rules_path

    photos = [p.read_bytes() for p in sample_photos(24)]
    print(f"machine: {machine()}")
    print(
        f"{args.requests} POST /v1/classify per row, real photos ({np.mean([len(p) for p in photos]) / 1024:.0f} kB "
        f"mean), one uvicorn worker per server unless named, client on the same machine\n"
    )
    bare = bare_model(photos, "int8", args.requests)
    print(
        f"bare INT8 model, one process, decode included, 2 threads: one photo p50 {bare['single_p50']:.1f} ms; "
        f"batches of 8: {bare['rps']:.1f} photos/s, batch p50 {bare['batch_p50']:.0f} ms, "
        f"p95 {bare['batch_p95']:.0f} ms\n"
    )
    rows: dict[tuple[str, int], dict[str, float]] = {}
    tmp = Path(tempfile.mkdtemp())
    servers = {
        "service INT8": ("int8", None, 1),
        # two processes behind one port (uvicorn's workers), one ONNX Runtime thread each
        "service INT8, 2 workers": ("int8", None, 2),
        "service FP32": ("fp32", None, 1),
        "naive PyTorch eager": (None, [sys.executable, str(HERE / "naive_server.py")], 1),
    }
    search_ms: list[float] = []
    dev_queries = HERE.parent / "datasets" / "search" / "wuppertal-dev.jsonl"
    queries = [json.loads(line)["q"] for line in dev_queries.read_text(encoding="utf-8").splitlines() if line.strip()]
    for i, (name, (precision, cmd, workers)) in enumerate(servers.items()):
        port = free_port()
        env = dict(
            os.environ,
            ZEROWASTE_RATE_LIMIT="100000000/minute",
            ZEROWASTE_DATA_DIR=str(tmp / f"server-{i}"),
            ZEROWASTE_DATABASE_URL="",
        )
        if precision:
            env["ZEROWASTE_MODEL_PATH"] = str(shipped_model_path(precision))  # type: ignore[arg-type]
            command = [sys.executable, "-m", "zerowaste.cli", "serve", "--port", str(port), "--workers", str(workers)]
            if workers > 1:
                env["ZEROWASTE_MODEL_THREADS"] = "1"
        else:
            command = [*cmd, str(port)]  # type: ignore[misc]
        proc = start(command, env, port)
        try:
            for c in args.concurrency:
                rows[(name, c)] = asyncio.run(load(f"http://127.0.0.1:{port}/v1/classify", photos, args.requests, c))
            if name == "service INT8":
                with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                    for q in queries:  # each asked once: nothing answered from a per-query cache
                        t = time.perf_counter()
                        client.get("/v1/search", params={"q": q}).raise_for_status()
                        search_ms.append((time.perf_counter() - t) * 1000)
        finally:
            proc.terminate()
            proc.wait(10)

    print("| server | concurrency | requests/s | p50 ms | p95 ms | throughput vs naive | vs bare INT8 batches |")
    print("|---|---|---|---|---|---|---|")
    for (name, c), r in rows.items():
        base = rows[("naive PyTorch eager", c)]["rps"]
        print(
            f"| {name} | {c} | {r['rps']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['rps'] / base:.2f}x "
            f"| {100 * r['rps'] / bare['rps']:.0f} % |"
        )
    entries = len(read_rules(rules_path(Settings().municipality)).abc)
    print(
        f"\nGET /v1/search ({entries}-entry Abfall-ABC, {len(search_ms)} different queries, sequential, one "
        "connection): "
        f"p50 {np.percentile(search_ms, 50):.1f} ms, p95 {np.percentile(search_ms, 95):.1f} ms"
    )


if __name__ == "__main__":
    main()
