"""`zerowaste dataset export-feedback`: the photos staff accepted or relabelled in the review queue,
fetched from the service's staff API, written as an ImageFolder (<label>/<feedback id>.jpg) with a
manifest, ready for `zerowaste train --extra <folder>`.

Each export is a snapshot: a photo whose donor withdrew it, or which staff rejected after an earlier
export, is removed from the folder, so retraining never uses a photo it no longer may.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

from zerowaste import atomic
from zerowaste.datasets.manifest import scan_image_folder, write_manifest
from zerowaste.model import taxonomy

REVIEWED = ("accepted", "relabelled")
PAGE = 500


@dataclass
class ExportResult:
    folder: Path
    counts: dict[str, int]
    removed: int
    problems: list[str]


def reviewed_feedback(client: httpx.Client) -> Iterator[dict[str, Any]]:
    for status in REVIEWED:
        offset = 0
        while True:
            r = client.get("/v1/staff/feedback", params={"status": status, "limit": PAGE, "offset": offset})
            if r.status_code != 200:
                raise RuntimeError(f"the service answered {r.status_code}: {r.text[:200]}")
            page = r.json()
            yield from page
            if len(page) < PAGE:
                break
            offset += PAGE


def export_feedback(client: httpx.Client, out: Path) -> ExportResult:
    out.mkdir(parents=True, exist_ok=True)
    wanted: dict[Path, str] = {}
    problems: list[str] = []
    for fb in reviewed_feedback(client):
        label = fb["reviewed_label"]
        if label not in taxonomy.LABELS:
            problems.append(f"{fb['id']}: reviewed label {label!r} is not a class")
            continue
        # Named by donation time first: the folder lists (and trains) in the same order on every export.
        stamp = re.sub(r"[^0-9]", "", fb["created_at"])[:20]
        wanted[out / label / f"{stamp}-{fb['id']}.jpg"] = fb["id"]
    for path, fid in tqdm(wanted.items(), desc="export feedback photos", unit="photo"):
        if path.exists():
            continue  # photos never change after donation; an earlier export has it
        r = client.get(f"/v1/staff/feedback/{fid}/photo")
        if r.status_code != 200:
            problems.append(f"{fid}: photo answered {r.status_code}")
            continue
        atomic.write_bytes(path, r.content, durable=False)  # the service keeps the photo
    removed = 0
    for old in out.glob("*/*.jpg"):
        if old not in wanted:
            old.unlink()
            removed += 1
    scanned = scan_image_folder(out, "feedback") if any(out.iterdir()) else None
    entries = scanned.entries if scanned else []
    for e in entries:
        e.split = "train"
    write_manifest(out / "manifest.jsonl", entries)
    counts = dict(sorted(Counter(e.label for e in entries).items()))
    (out / "export.json").write_text(
        json.dumps(
            {
                "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "server": str(client.base_url),
                "counts": counts,
                "removed": removed,
                "problems": problems,
            },
            indent=2,
        )
    )
    return ExportResult(out, counts, removed, problems)
