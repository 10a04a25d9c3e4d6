"""A second backbone goes through the same code as Lite0: built from the registry by its spec name,
its ImageNet weights converted whole, exported, its first blocks kept in float by quantisation, and
the INT8 file read back with its own input size. Real photos, real ONNX Runtime sessions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import photos

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

SHOE_WORDS = ("shoe", "sneaker", "boot", "sandal", "clog", "loafer", "slipper")


def test_lite0_is_what_it_always_was() -> None:
    """The registry's Lite0 is the shipped architecture: the parameter count and the block count."""
    from zerowaste.model.architecture import STAGES, num_blocks
    from zerowaste.model.backbones import get_backbone

    model = get_backbone("efficientnet-lite0").build(12)
    assert num_blocks(model.config) == sum(s[0] for s in STAGES) == 16
    assert model.config.preprocessing().crop_size == 224 and model.config.preprocessing().resize_size == 256
    assert sum(p.numel() for p in model.parameters()) == 4_667_380  # as the class before the registry built


@pytest.mark.parametrize(("name", "blocks", "size"), [("efficientnet-lite1", 21, 240), ("efficientnet-lite2", 21, 260)])
def test_larger_lites_load_their_imagenet_weights_whole(name: str, blocks: int, size: int) -> None:
    from zerowaste.model.backbones import get_backbone
    from zerowaste.model.items import imagenet_labels
    from zerowaste.model.preprocess import preprocess
    from zerowaste.model.pretrained import pretrained

    backbone = get_backbone(name)
    try:
        source = torch.load(backbone.weights_path(), map_location="cpu", weights_only=True)
    except RuntimeError as exc:
        pytest.skip(str(exc))
    model = pretrained(12, name).eval()
    assert len(model.blocks) == blocks and model.config.resolution == size
    # every pretrained tensor has its place (load_imagenet refuses missing or unexpected keys)
    assert len(source) == len([k for k in model.state_dict() if not k.startswith("waste_head.")])
    labels = imagenet_labels()
    files = photos("garbage12", "shoes", n=10)
    x = torch.from_numpy(np.stack([preprocess(Image.open(f), backbone.preprocessing()) for f in files]))
    with torch.no_grad():
        _, item = model(x)
    top = [labels[i].lower() for i in item.argmax(1).tolist()]
    assert sum(any(w in t for w in SHOE_WORDS) for t in top) >= 7, top


def test_lite2_is_exported_and_quantised_with_its_own_input_size(tmp_path: Path) -> None:
    from zerowaste.datasets.manifest import Entry
    from zerowaste.model import taxonomy
    from zerowaste.model.backbones import get_backbone
    from zerowaste.model.items import imagenet_labels
    from zerowaste.model.pretrained import pretrained
    from zerowaste.model.runtime import OnnxClassifier
    from zerowaste.model.spec import ModelSpec
    from zerowaste.training.export import export_onnx
    from zerowaste.training.quantize import FLOAT_BLOCKS, float_block_nodes, quantize_int8

    backbone = get_backbone("efficientnet-lite2")
    try:
        backbone.weights_path()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    torch.manual_seed(0)
    model = pretrained(len(taxonomy.LABELS), backbone.name).eval()
    spec = ModelSpec(
        labels=list(taxonomy.LABELS),
        label_names={},
        item_labels=list(imagenet_labels()),
        taxonomy_version=taxonomy.TAXONOMY_VERSION,
        architecture=backbone.name,
        preprocessing=backbone.preprocessing(),
        temperature=1.0,
        manifest_sha256="test",
    )
    fp32 = export_onnx(model, 1.0, spec, tmp_path / "lite2.onnx")
    import onnx

    assert float_block_nodes(onnx.load(str(fp32)).graph.node, FLOAT_BLOCKS)  # found by the shared prefix
    files = photos("garbage12", "shoes", n=4) + photos("garbage12", "battery", n=4)
    calibration = [
        Entry(str(f), "shoes", "garbage12", f"{i:064x}", 0, 0, 0, "", split="train") for i, f in enumerate(files)
    ]
    int8 = quantize_int8(fp32, tmp_path / "lite2-int8.onnx", calibration, spec.preprocessing, slice_photos=4)
    a, b = OnnxClassifier(fp32), OnnxClassifier(int8)
    assert b.spec.architecture == "efficientnet-lite2" and b.spec.preprocessing.crop_size == 260
    images = [Image.open(f).convert("RGB") for f in files]
    pa, pb = a.predict_images(images), b.predict_images(images)
    assert pa.waste.shape == pb.waste.shape == (8, len(taxonomy.LABELS))
    assert (pa.item.argmax(1) == pb.item.argmax(1)).mean() >= 0.75  # INT8 keeps the ImageNet answers
    assert int8.stat().st_size < fp32.stat().st_size / 2.5
