"""`zerowaste train --init`: the shipped FP32 file loaded back into PyTorch computes what ONNX Runtime
computes on real photos, and files it cannot start from are refused with a reason."""

import numpy as np
import pytest

from tests.conftest import photos
from tests.utils.models import imagenet_model

torch = pytest.importorskip("torch")


def test_the_shipped_model_loaded_into_pytorch_answers_as_onnx_runtime() -> None:
    from zerowaste.model.image_io import load_image
    from zerowaste.model.preprocess import preprocess
    from zerowaste.model.runtime import OnnxClassifier, shipped_model_path
    from zerowaste.model.spec import ITEM_OUTPUT, WASTE_OUTPUT
    from zerowaste.training.export import Deployable
    from zerowaste.training.fusion import Calibration
    from zerowaste.training.onnx_import import load_exported

    path = shipped_model_path("fp32")
    model = imagenet_model()
    temperature = load_exported(model, path, frozen_blocks=11)
    classifier = OnnxClassifier(path)
    assert temperature == pytest.approx(classifier.spec.temperature)

    files = photos("garbage12", "shoes", n=3) + photos("trashnet", "glass", n=3) + photos("garbage12", "battery", n=2)
    x = np.stack([preprocess(load_image(f)) for f in files])
    # The file's waste answer fuses the item head's material evidence in (training/fusion.py) with the
    # weights its spec records; the imported backbone and heads must reproduce both outputs through it.
    fusion = classifier.spec.fusion
    calibration = Calibration(temperature, fusion.get("beta", 0.0), fusion.get("lambda", 1.0))
    with torch.no_grad():
        ours = [t.numpy() for t in Deployable(model, calibration).eval()(torch.from_numpy(x))]
    theirs = classifier.session.run([WASTE_OUTPUT, ITEM_OUTPUT], {classifier.session.get_inputs()[0].name: x})
    for a, b in zip(ours, theirs, strict=True):
        assert np.abs(a - b).max() < 1e-4
        assert (a.argmax(1) == b.argmax(1)).all()


def test_int8_files_and_a_different_frozen_part_are_refused() -> None:
    from zerowaste.model.runtime import shipped_model_path
    from zerowaste.training.onnx_import import load_exported

    with pytest.raises(SystemExit, match="FP32 file"):
        load_exported(imagenet_model(), shipped_model_path("int8"), frozen_blocks=11)
    # Blocks 11-15 were fine-tuned: claiming them frozen would train on features the model does not compute.
    with pytest.raises(SystemExit, match="--cut"):
        load_exported(imagenet_model(), shipped_model_path("fp32"), frozen_blocks=13)
