"""ONNX export against PyTorch on real photos: same top-1, probabilities within 1e-4."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import photos

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")


def test_onnx_matches_pytorch_on_real_photos(tmp_path: Path) -> None:
    from zerowaste.model import taxonomy
    from zerowaste.model.items import imagenet_labels
    from zerowaste.model.preprocess import DEFAULT, preprocess
    from zerowaste.model.pretrained import pretrained
    from zerowaste.model.runtime import OnnxClassifier
    from zerowaste.model.spec import ModelSpec
    from zerowaste.training.export import Deployable, export_onnx

    torch.manual_seed(0)
    model = pretrained(len(taxonomy.LABELS)).eval()
    spec = ModelSpec(
        labels=list(taxonomy.LABELS),
        label_names={},
        item_labels=list(imagenet_labels()),
        taxonomy_version=taxonomy.TAXONOMY_VERSION,
        preprocessing=DEFAULT,
        temperature=1.7,
        manifest_sha256="test",
    )
    path = export_onnx(model, 1.7, spec, tmp_path / "m.onnx")

    files = photos("trashnet", "metal", n=6) + photos("garbage12", "battery", n=6)
    x = np.stack([preprocess(Image.open(f)) for f in files])
    with torch.no_grad():
        tw, ti = Deployable(model, 1.7)(torch.from_numpy(x))
    classifier = OnnxClassifier(path)
    pred = classifier.predict(x)
    assert (pred.waste.argmax(1) == tw.numpy().argmax(1)).all()
    assert (pred.item.argmax(1) == ti.numpy().argmax(1)).all()
    assert np.abs(pred.waste - tw.numpy()).max() < 1e-4
    assert np.abs(pred.item - ti.numpy()).max() < 1e-4
    # The file describes itself.
    assert classifier.spec.temperature == pytest.approx(1.7)
    assert classifier.spec.labels == list(taxonomy.LABELS)
    assert len(classifier.spec.item_labels) == 1000
    np.testing.assert_allclose(pred.waste.sum(1), 1.0, atol=1e-5)
