"""Hand a trained candidate to the service's model registry and wait for the gate's verdict."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm


def upload_candidate(
    client: httpx.Client, model: Path, card: Path | None, note: str, wait_s: float = 3600.0, poll_s: float = 1.0
) -> dict[str, Any]:
    """Upload, then follow the gate's progress until it accepts or refuses; returns the registry's record."""
    files: dict[str, Any] = {"file": (model.name, model.open("rb"), "application/octet-stream")}
    if card is not None and card.is_file():
        files["card"] = (card.name, card.read_bytes(), "text/markdown")
    try:
        r = client.post("/v1/staff/models", files=files, data={"note": note[:500]})
    finally:
        files["file"][1].close()
    if r.status_code != 202:
        raise RuntimeError(f"the registry answered {r.status_code}: {r.text[:300]}")
    record: dict[str, Any] = r.json()
    deadline = time.monotonic() + wait_s
    with tqdm(total=100, desc=f"registry gate, model {record['id']}", unit="%") as bar:
        while record["status"] == "validating":
            if time.monotonic() > deadline:
                raise TimeoutError(f"the gate did not decide on model {record['id']} within {wait_s:.0f} s")
            time.sleep(poll_s)
            record = client.get(f"/v1/staff/models/{record['id']}").json()
            bar.update(round(100 * record["progress"]) - bar.n)
    return record
