"""The service as a real process, for tests that need real HTTP, restarts and kills."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`zerowaste.service.main:create_app` in a uvicorn process on a free port, with its own settings."""

    def __init__(self, url: str, data: Path, *, cli: bool = False, **settings: str) -> None:
        """`cli`: start it as the README does, `zerowaste serve` (its uvicorn settings included)."""
        self.cli = cli
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "ZEROWASTE_DATABASE_URL": url,
            "ZEROWASTE_DATA_DIR": str(data),
            "ZEROWASTE_RATE_LIMIT": "1000000/minute",
            "ZEROWASTE_ENVIRONMENT": "test",
            **{f"ZEROWASTE_{k.upper()}": v for k, v in settings.items()},
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data / "server.log"

    def start(self) -> None:
        uvicorn = ["-m", "uvicorn", "zerowaste.service.main:create_app", "--factory", "--log-level", "warning"]
        command = ["-m", "zerowaste.cli", "serve"] if self.cli else uvicorn
        self.proc = subprocess.Popen(
            [sys.executable, *command, "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/v1/ready", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            time.sleep(0.2)
        raise AssertionError("service did not become ready")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)


@contextlib.contextmanager
def sqlite_service(folder: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    """A real service process on a fresh SQLite file under `folder`, and a staff key's headers; killed
    (SIGKILL) afterwards."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from tests.utils.pilot import bearer
    from zerowaste.service.db.migrate import upgrade
    from zerowaste.service.keys import create_key

    url = f"sqlite:///{folder / 'db.sqlite'}"
    upgrade(url)
    engine = create_engine(url)
    with Session(engine) as session:
        staff = bearer(create_key(session, "staff", "staff"))
    engine.dispose()
    (folder / "service").mkdir(exist_ok=True)
    srv = Server(url, folder / "service")
    srv.start()
    try:
        yield srv, staff
    finally:
        srv.stop(signal.SIGKILL)
