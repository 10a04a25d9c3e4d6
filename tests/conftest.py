from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("ZEROWASTE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATASETS = SHARED / "datasets"


def shared_folder(*parts: str) -> Path:
    path = DATASETS.joinpath(*parts)
    if not path.is_dir():
        pytest.skip(f"needs the shared photos at {path} (not part of the repository)")
    return path


def photos(*parts: str, n: int = 4) -> list[Path]:
    folder = shared_folder(*parts)
    return sorted(folder.glob("*.jpg"))[:n]


@pytest.fixture(scope="session")
def trashnet() -> Path:
    return shared_folder("trashnet")


@pytest.fixture(scope="session")
def garbage12() -> Path:
    return shared_folder("garbage12")
