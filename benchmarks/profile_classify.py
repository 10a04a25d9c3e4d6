"""Where a classify request's time goes: py-spy samples the service (INT8, SQLite, one worker) while 16
concurrent clients send real photos, and writes a flame graph (SVG) and a table of the parts.

    python benchmarks/profile_classify.py [--seconds 25] [--concurrency 16]

Writes benchmarks/flamegraphs/classify-c<N>.svg. Threads waiting for work (the thread pool, the
inference thread between batches, the event loop's select) are left out of the table: they are idle.
py-spy itself takes a few percent of the 2 cores at the default rate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, sample_photos  # noqa: E402
from http_load import free_port, load, start  # noqa: E402

HERE = Path(__file__).resolve().parent
IDLE = ("Condition.wait", "Queue.get", "select (selectors", "_worker (concurrent/futures/thread.py", "wait (threading")
# What a request does, by a frame that holds it (the first match of a sample's stack counts)
PARTS = {
    "ONNX Runtime (the model)": "Session.run (onnxruntime",
    "decode (Pillow)": "decode_image (",
    "preprocess (resize, normalise)": "preprocess (",
    "database (rules revision, insert, commit)": "sqlalchemy/",
    "decision (items, sure rule, guidance, offers)": "answer_photo (",
    "multipart parsing": "formparsers.py",
    "HTTP, middleware, event loop": "",
}


def parts_of(raw: Path) -> tuple[int, Counter[str]]:
    total, shares = 0, Counter[str]()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        if any(k in frames[-1] for k in IDLE) and "Session.run" not in stack:
            continue
        total += int(n)
        for part, frame in PARTS.items():
            if frame in stack:
                shares[part] += int(n)
                break
    return total, shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=25)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=int, default=47, help="py-spy samples per second (default: 47)")
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        raise SystemExit("needs py-spy (pip install py-spy; it is in the dev extra)")

    photos = [p.read_bytes() for p in sample_photos(24)]
    tmp = Path(tempfile.mkdtemp())
    port = free_port()
    env = dict(os.environ, ZEROWASTE_RATE_LIMIT="100000000/minute", ZEROWASTE_DATA_DIR=str(tmp))
    env.pop("ZEROWASTE_DATABASE_URL", None)
    server = start([sys.executable, "-m", "zerowaste.cli", "serve", "--port", str(port)], env, port)
    out = HERE / "flamegraphs" / f"classify-c{args.concurrency}.svg"
    out.parent.mkdir(exist_ok=True)
    try:
        url = f"http://127.0.0.1:{port}/v1/classify"
        asyncio.run(load(url, photos, 50, args.concurrency))  # warm: pools, caches, the first batches
        recorders = [
            subprocess.Popen(
                [spy, "record", "--pid", str(server.pid), "-d", str(args.seconds), "-r", str(args.rate),
                 "-f", fmt, "-o", str(path), "--nonblocking"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for fmt, path in (("flamegraph", out), ("raw", tmp / "raw.txt"))
        ]  # fmt: skip
        served = 0
        while all(r.poll() is None for r in recorders):
            result = asyncio.run(load(url, photos, 100, args.concurrency))
            served += 100
        for r in recorders:
            r.wait(60)
    finally:
        server.terminate()
        server.wait(10)

    total, shares = parts_of(tmp / "raw.txt")
    print(f"machine: {machine()}")
    print(
        f"service INT8 on SQLite, one worker, {args.concurrency} concurrent clients on the same machine, "
        f"{served} requests while sampled (last round {result['rps']:.1f} requests/s); "
        f"{total} busy samples at {args.rate}/s\n"
    )
    print("| part of a classify request | share of the service's busy samples |")
    print("|---|---:|")
    for part in PARTS:
        print(f"| {part} | {100 * shares[part] / max(total, 1):.1f} % |")
    print(f"\nflame graph: {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
