"""Factories for the labelling queue's tests: a folder of real drinks photos, an imported queue, staff keys."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

from tests.conftest import shared_folder
from zerowaste.service.keys import create_key
from zerowaste.service.labelling import ImportResult, import_folder

DRINKS = "drinks-unlabelled"


def drinks_copy(folder: Path, n: int, start: int = 0) -> list[Path]:
    """Copy `n` of the shared unlabelled drinks photos into `folder` (the test may add files beside them)."""
    source = sorted(shared_folder(DRINKS).glob("*.jpg"))[start : start + n]
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(f, folder / f.name)) for f in source]


def queue_name(prefix: str) -> str:
    """The suite's databases live for the whole session: every test gets its own queue."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def import_into(client: Any, folder: Path, queue: str) -> ImportResult:
    """Import through the running app's own photo store and served model."""
    with client.app.state.sessionmaker() as session:
        return import_folder(
            session, client.app.state.photos, client.app.state.served.get(), folder, queue, progress=False
        )


def staff_key(client: Any, name: str) -> tuple[str, dict[str, str]]:
    """A staff key named `name` plus a suffix (key names are unique); returns (labeller name, headers)."""
    unique = f"{name}-{uuid.uuid4().hex[:6]}"
    with client.app.state.sessionmaker() as session:
        token = create_key(session, unique, "staff")
    return unique, {"Authorization": f"Bearer {token}"}
