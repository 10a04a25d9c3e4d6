"""What every benchmark prints with its numbers: the machine, the runtimes and the model."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

import zerowaste  # noqa: F401 - first: it switches ONNX Runtime's telemetry off before anything loads it

SHARED = Path(os.environ.get("ZEROWASTE_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    import onnxruntime

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu_model()}, {os.cpu_count()} logical cores, {mem:.0f} GiB RAM, {platform.system()} "
        f"{platform.machine()}, Python {platform.python_version()}, onnxruntime {onnxruntime.__version__}"
    )


def sample_photos(n: int) -> list[Path]:
    """A fixed mix of real photos from both shared sets (the same ones on every run)."""
    files: list[Path] = []
    for folder in sorted((SHARED / "datasets").glob("*/*")):
        if folder.is_dir():
            files += sorted(folder.glob("*.jpg"))[:3]
    if not files:
        raise SystemExit(f"benchmarks need the shared photos under {SHARED / 'datasets'}")
    return files[:n]


def manifest_entries(path: Path) -> list:
    """The manifest's entries, building it from the shared sets first where it does not exist yet."""
    from zerowaste.datasets.build import DEFAULT_CACHE_DIR, RELEASE_SPLITS, build_manifest, release_sources
    from zerowaste.datasets.manifest import read_manifest

    if not path.exists():
        sources, labels = release_sources(SHARED / "datasets")
        build_manifest(sources, path, labels=labels, keep_splits=RELEASE_SPLITS, cache_dir=DEFAULT_CACHE_DIR)
    return read_manifest(path)


def rules_session(municipality: str = "wuppertal") -> object:
    """A session on an in-memory database holding the municipality's rules, as the service loads them."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from zerowaste.service.db.models import Base
    from zerowaste.service.rules import load_rules, read_rules, rules_path

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    session = Session(engine)
    load_rules(session, read_rules(rules_path(municipality)))
    session.commit()
    return session


def timed(run: Callable[[np.ndarray], object], batch: Sequence[np.ndarray], runs: int) -> dict[str, float]:
    """p50 and p95 milliseconds of `run` over the inputs in turn after 5 warm-up calls, and this
    process's peak resident memory (run each backend in its own process: a child inherits its
    parent's peak on Linux)."""
    for x in batch[:5]:
        run(x)
    times = []
    for i in range(runs):
        t = time.perf_counter()
        run(batch[i % len(batch)])
        times.append((time.perf_counter() - t) * 1000)
    return {
        "p50": float(np.percentile(times, 50)),
        "p95": float(np.percentile(times, 95)),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def latency_table(script: str, backends: Sequence[str], threads: Sequence[int], child_args: Sequence[str]) -> None:
    """Run `script --child BACKEND THREADS` in a fresh process per backend and thread count (each
    reports its own peak RSS) and print one table, each row against the first backend's p50."""
    print("| backend | threads | p50 ms | p95 ms | peak RSS MB | speed-up vs PyTorch eager (p50) |")
    print("|---|---|---|---|---|---|")
    for n in threads:
        rows = {}
        for backend in backends:
            cmd = [sys.executable, script, *child_args, "--child", backend, str(n)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            rows[backend] = json.loads(out.stdout.strip().splitlines()[-1])
        base = rows[backends[0]]["p50"]
        for backend, r in rows.items():
            print(
                f"| {backend} | {n} | {r['p50']:.1f} | {r['p95']:.1f} | {r['peak_rss_mb']:.0f} | "
                f"{base / r['p50']:.2f}x |"
            )
