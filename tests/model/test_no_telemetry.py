"""Nothing leaves the machine: a process that loads and runs the model through this package writes no
ONNX Runtime device id or telemetry queue under its home directory (issue: ONNX Runtime telemetry)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Anything that would switch the telemetry off for the child on its own: CI markers that ONNX Runtime
# reads, and the switches the package sets. The child must start from a citizen's machine's environment.
SWITCHES = (
    "CI", "TF_BUILD", "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "TRAVIS", "JENKINS_URL", "CODEBUILD_BUILD_ID",
    "BUILDKITE", "TEAMCITY_VERSION", "APPVEYOR", "BITBUCKET_BUILD_NUMBER", "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI",
    "ORT_RUNNING_UNIT_TESTS", "ORT_TELEMETRY_DISABLED", "ORT_DISABLE_TELEMETRY",
)  # fmt: skip


def run_child(code: str, home: Path) -> list[Path]:
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in SWITCHES} | {"HOME": str(home)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
    return sorted(p for p in home.rglob("*") if p.is_file())


def test_loading_and_running_the_model_writes_no_telemetry(tmp_path: Path) -> None:
    written = run_child(
        "import numpy as np; from zerowaste.model.runtime import OnnxClassifier, shipped_model_path; "
        "c = OnnxClassifier(shipped_model_path('int8')); c.predict(np.zeros((1, 3, 224, 224), np.float32))",
        tmp_path / "home",
    )
    assert written == [], f"ONNX Runtime wrote {written}"


def test_without_the_switches_this_onnxruntime_would_write_them(tmp_path: Path) -> None:
    """The control: onnxruntime imported before the package, as a script of someone else's would."""
    written = run_child(
        "import onnxruntime as ort; import zerowaste.model.runtime as r; "
        "ort.InferenceSession(str(r.shipped_model_path('int8')), providers=['CPUExecutionProvider'])",
        tmp_path / "home",
    )
    if not written:
        pytest.skip("this onnxruntime keeps no device id or event queue even unasked")
    assert any("Microsoft" in str(p) for p in written), written
