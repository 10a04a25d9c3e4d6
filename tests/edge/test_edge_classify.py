"""`zerowaste edge classify`: real photos, a real video as the camera, the shipped models, no torch."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.conftest import photos, shared_folder
from tests.utils.models import with_spec
from zerowaste.edge.classify import choose_model, int8_within_bound, run
from zerowaste.model.runtime import OnnxClassifier, shipped_model_path


def test_the_edge_extra_pulls_no_torch() -> None:
    reqs = [Requirement(r) for r in metadata.requires("zerowaste") or []]
    edge = [r.name.lower() for r in reqs if r.marker is None or r.marker.evaluate({"extra": "edge"})]
    assert "onnxruntime" in edge and "opencv-python-headless" in edge
    assert not {"torch", "torchvision"} & set(edge)


def test_start_measures_both_models_and_keeps_the_faster_within_the_bound() -> None:
    choice = choose_model(threads=1, runs=5)
    assert set(choice.timings_ms) == {"fp32", "int8"} and all(t > 0 for t in choice.timings_ms.values())
    ok, _ = int8_within_bound(OnnxClassifier(shipped_model_path("int8")), OnnxClassifier(shipped_model_path("fp32")))
    faster = min(choice.timings_ms, key=choice.timings_ms.__getitem__)
    assert choice.precision == (faster if ok else "fp32")
    assert choice.classifier.spec.precision == choice.precision
    assert "bound 1.0" in choice.reason


def _with_int8_results(tmp_path: Path, points_below: dict[str, float]) -> Path:
    """The shipped INT8 file claiming to be `points_below` FP32's recorded top-1 on each test set."""
    metrics = copy.deepcopy(OnnxClassifier(shipped_model_path("int8")).spec.metrics)
    fp32 = OnnxClassifier(shipped_model_path("fp32")).spec.metrics["test"]["fp32"]["parts"]
    for source, below in points_below.items():
        metrics["test"]["int8"]["parts"][source]["top1"] = fp32[source]["top1"] - below / 100
    return with_spec(tmp_path / f"int8-{'-'.join(map(str, points_below.values()))}.onnx", "int8", metrics=metrics)


def test_the_bound_holds_on_every_test_set(tmp_path: Path) -> None:
    fp32 = OnnxClassifier(shipped_model_path("fp32"))
    close = _with_int8_results(tmp_path, {"garbage12": 0.5, "trashnet": 0.9})
    far = _with_int8_results(tmp_path, {"garbage12": 0.0, "trashnet": 1.4})
    assert int8_within_bound(OnnxClassifier(close), fp32)[0]
    ok, why = int8_within_bound(OnnxClassifier(far), fp32)
    assert not ok and "+1.4 points" in why
    assert choose_model(threads=1, runs=3, int8_path=far).precision == "fp32"


def test_an_int8_file_without_test_results_is_not_trusted(tmp_path: Path) -> None:
    bare = with_spec(tmp_path / "bare-int8.onnx", "int8", metrics=None)
    ok, why = int8_within_bound(OnnxClassifier(bare), OnnxClassifier(shipped_model_path("fp32")))
    assert not ok and "no test results" in why
    choice = choose_model(threads=1, runs=3, int8_path=bare)
    assert choice.precision == "fp32"


def test_files_give_the_results_zerowaste_classify_gives() -> None:
    files = [
        shared_folder("garbage12", "shoes") / "shoes_113.jpg",
        shared_folder("garbage12", "plastic") / "plastic_103.jpg",
        shared_folder("trashnet", "paper") / "paper1.jpg",
    ]
    code = (
        "import sys; from zerowaste.cli import main; rc = main(sys.argv[1:]); "
        "sys.exit(99 if 'torch' in sys.modules else rc)"
    )
    edge = subprocess.run(
        [sys.executable, "-c", code, "edge", "classify", "--precision", "int8", "--json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert edge.returncode == 0, edge.stderr
    cli = subprocess.run(
        [sys.executable, "-m", "zerowaste.cli", "classify", "--json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    a = [json.loads(line) for line in edge.stdout.splitlines()]
    b = [json.loads(line) for line in cli.stdout.splitlines()]
    assert [r["label"] for r in a] == [r["label"] for r in b]
    # The red carrier bag is borderline for the waste head (clothes 0.54 / plastic 0.33 in FP32), so
    # only its item, which both heads are sure of, is pinned.
    assert (a[0]["label"], a[1]["item"]["abc"], a[2]["label"]) == ("shoes", "plastiktuete", "paper")
    for x, y in zip(a, b, strict=True):
        assert x["confidence"] == pytest.approx(y["confidence"], abs=1e-3)
        assert (x["item"] or {}).get("abc") == (y["item"] or {}).get("abc")
    assert json.loads(edge.stderr.splitlines()[-1])["model"] == "int8"


def test_camera_frames_from_a_video(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cv2 = pytest.importorskip("cv2")
    frames = [shared_folder("garbage12", "shoes") / "shoes_113.jpg", photos("garbage12", "battery", n=1)[0]]
    video = tmp_path / "camera.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 5, (320, 240))
    for p in frames:
        frame = cv2.resize(cv2.imread(str(p)), (320, 240))
        for _ in range(2):
            writer.write(frame)
    writer.release()
    assert run([], camera=str(video), frames=4, precision="fp32", as_json=True) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["path"] for r in lines] == [f"{video}#{i}" for i in range(4)]
    assert [r["label"] for r in lines] == ["shoes", "shoes", "battery", "battery"]
    assert all(r["confidence"] == r["top"][0][1] >= r["top"][1][1] for r in lines)


def test_an_unopenable_camera_is_a_clear_error() -> None:
    pytest.importorskip("cv2")
    with pytest.raises(OSError, match="cannot open camera"):
        run([], camera="/nonexistent/video0", frames=1, precision="int8")
