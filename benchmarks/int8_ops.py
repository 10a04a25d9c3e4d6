"""Why INT8 is hardly faster than FP32 on x86: ONNX Runtime's own profile of both shipped files, per
kind of node and per part of the network, at one thread on the same photos.

    python benchmarks/int8_ops.py [--runs 100] [--threads 1]

The parts follow training/quantize.py: the stem and blocks 0-2 stay in float in the INT8 file (where
INT8 cost the most accuracy), the rest of the network is quantised; the fusion and distance outputs
stay in float. The table shows how much of each file's time
each part takes, so what quantising a part could still gain is read off it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, sample_photos  # noqa: E402

# Node names carry the module path torch's exporter gave them; the 16 MBConv blocks are numbered 0-15.
PARTS = (
    ("stem and blocks 0-2 (112 and 56 px; float in the INT8 file)", re.compile(r"^/model/(stem/|blocks\.[0-2]/)")),
    ("blocks 3-15 (56 to 7 px)", re.compile(r"^/model/blocks\.([3-9]|1[0-5])/")),
    ("head conv (320 -> 1280 channels)", re.compile(r"^/model/head/")),
    ("pooling and the two heads (waste, 1000 items)", re.compile(r"^/model/")),
)


def part_of(name: str) -> str:
    for part, pattern in PARTS:
        if pattern.search(name):
            return part
    return "fusion, distance, softmax, rest"


def profile(path: Path, batch: list[np.ndarray], threads: int, runs: int) -> tuple[dict, dict, float]:
    import onnxruntime as ort

    from zerowaste.model.runtime import session_options

    so = session_options(threads)
    so.enable_profiling = True
    so.profile_file_prefix = str(Path(tempfile.mkdtemp()) / "ort")
    session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    for i in range(runs):  # the first runs' allocations are a small share of a hundred
        session.run(None, {name: batch[i % len(batch)]})
    events = json.loads(Path(session.end_profiling()).read_text())
    by_op: dict[str, float] = defaultdict(float)
    by_part: dict[str, float] = defaultdict(float)
    total = 0.0
    for e in events:
        if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time"):
            continue
        us = e["dur"] / runs
        node = e["name"].removesuffix("_kernel_time")
        by_op[e["args"]["op_name"]] += us
        by_part[part_of(node)] += us
        total += us
    return by_op, by_part, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    from PIL import Image

    from zerowaste.model.preprocess import preprocess
    from zerowaste.model.runtime import shipped_model_path

    batch = [preprocess(Image.open(f))[None] for f in sample_photos(24)]
    results = {p: profile(shipped_model_path(p), batch, args.threads, args.runs) for p in ("fp32", "int8")}
    print(f"machine: {machine()}")
    print(f"ONNX Runtime profile, {args.runs} runs of one photo, {args.threads} thread(s); kernel time per run\n")
    print("| part of the network | FP32 ms | INT8 ms | INT8 / FP32 | share of INT8 time |")
    print("|---|---:|---:|---:|---:|")
    parts = [p for p, _ in PARTS] + ["fusion, distance, softmax, rest"]
    for part in parts:
        f, q = results["fp32"][1].get(part, 0.0), results["int8"][1].get(part, 0.0)
        print(
            f"| {part} | {f / 1000:.2f} | {q / 1000:.2f} | {q / f if f else float('nan'):.2f} "
            f"| {100 * q / results['int8'][2]:.0f} % |"
        )
    f_all, q_all = results["fp32"][2], results["int8"][2]
    print(f"| **all kernels** | {f_all / 1000:.2f} | {q_all / 1000:.2f} | {q_all / f_all:.2f} | 100 % |")
    print("\n| node kind | FP32 ms | INT8 ms |")
    print("|---|---:|---:|")
    ops = sorted(set(results["fp32"][0]) | set(results["int8"][0]), key=lambda o: -results["int8"][0].get(o, 0.0))
    for op in ops:
        f, q = results["fp32"][0].get(op, 0.0), results["int8"][0].get(op, 0.0)
        if max(f, q) >= 20:  # 0.02 ms
            print(f"| {op} | {f / 1000:.2f} | {q / 1000:.2f} |")


if __name__ == "__main__":
    main()
