"""Starting a server process and loading it with classify requests: shared by the HTTP benchmark and
the profile."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time

import httpx
import numpy as np


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(cmd: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"server did not start: {cmd}")


async def load(url: str, photos: list[bytes], total: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    counter = iter(range(total))

    async def worker(client: httpx.AsyncClient) -> None:
        for i in counter:
            t = time.perf_counter()
            r = await client.post(url, files={"file": ("p.jpg", photos[i % len(photos)], "image/jpeg")})
            r.raise_for_status()
            latencies.append((time.perf_counter() - t) * 1000)

    async with httpx.AsyncClient(timeout=120) as client:
        await client.post(url, files={"file": ("p.jpg", photos[0], "image/jpeg")})  # warm-up
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return {"rps": total / wall, "p50": float(np.percentile(latencies, 50)), "p95": float(np.percentile(latencies, 95))}
