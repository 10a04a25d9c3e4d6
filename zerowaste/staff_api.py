"""A staff member's HTTP client for the service, used by commands that run away from it (training,
feedback export). The key comes from ZEROWASTE_STAFF_TOKEN or a file, never from the command line,
where it would show in the process list and the shell history."""

from __future__ import annotations

import os
from pathlib import Path

import httpx


def staff_token(token_file: Path | None) -> str:
    token = os.environ.get("ZEROWASTE_STAFF_TOKEN", "")
    if not token and token_file is not None:
        token = token_file.read_text(encoding="utf-8").strip()
    if not token:
        raise SystemExit("a staff key is needed: --token-file FILE or ZEROWASTE_STAFF_TOKEN")
    return token


def staff_client(server: str, token_file: Path | None, timeout_s: float = 120.0) -> httpx.Client:
    return httpx.Client(
        base_url=server, timeout=timeout_s, headers={"Authorization": f"Bearer {staff_token(token_file)}"}
    )
