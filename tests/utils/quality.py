"""Factories for bio-bin quality (issue 25): a camera result as the edge agent attaches it to an event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.utils.pilot import Enrolled, event
from zerowaste.wire import CONTAMINANTS

MODEL_SHA = "c0ffee" + "0" * 58


def quality(
    *found: str, donated: bool = False, camera: str = "lid", at: dt.datetime | None = None, **overrides: Any
) -> dict[str, Any]:
    """A BinQuality as JSON: `found` contaminants at 0.9 with a box, the rest scored low."""
    q: dict[str, Any] = {
        "contaminated": bool(found),
        "findings": [
            {"kind": k, "confidence": 0.9 - 0.1 * i, "box": [0.1, 0.2, 0.4 + 0.1 * i, 0.6]} for i, k in enumerate(found)
        ],
        "scores": {k: (0.9 if k in found else 0.03) for k in CONTAMINANTS},
        "model_sha256": MODEL_SHA,
        "camera": camera,
        "captured_at": (at or dt.datetime.now(dt.UTC)).isoformat(),
        "photo_donated": donated,
    }
    q.update(overrides)
    return q


def bio_event(
    home: Enrolled, *found: str, at: dt.datetime | None = None, donated: bool = False, **overrides: Any
) -> dict[str, Any]:
    """A deposit into the household's bio bin with the lid camera's result."""
    at = at or dt.datetime.now(dt.UTC)
    e = event(home, "bio", at=at, net_kg=0.8, gross_kg=4.0, quality=quality(*found, donated=donated, at=at))
    e.update(overrides)
    return e
