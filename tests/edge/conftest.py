"""What the bio-bin camera tests share: the shipped contamination model (never a stand-in) and the
simulated camera's frames built from the shared photos."""

from __future__ import annotations

import pytest

from tests.conftest import shared_folder
from tests.utils.bin_frames import Frame, build_frames
from zerowaste.model.contamination import ContaminationModel, shipped_contamination_path


@pytest.fixture(scope="session")
def contamination_model() -> ContaminationModel:
    path = shipped_contamination_path("int8")
    if not path.is_file():
        pytest.skip(f"needs the shipped contamination model {path} (made by the training command, issue 25)")
    return ContaminationModel(path, threads=1)


@pytest.fixture(scope="session")
def bin_frames(tmp_path_factory: pytest.TempPathFactory) -> list[Frame]:
    """40 clean and 40 contaminated views (every kind in turn) of test-split photos, built once a session."""
    pytest.importorskip("scipy", reason="composite frames need the train extra")
    datasets = shared_folder("..", "datasets")
    return build_frames(datasets, tmp_path_factory.mktemp("bin-frames"), clean=40, contaminated=40)
