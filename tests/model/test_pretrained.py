"""The architecture written in model/ plus the packaged ImageNet state dict must see what ImageNet sees."""

import numpy as np
import pytest
from PIL import Image

from tests.conftest import photos

torch = pytest.importorskip("torch")

SHOES = {"Loafer", "running shoe", "sandal", "cowboy boot", "clog", "sock", "shoe shop", "knee pad"}
BOTTLES = {
    "beer bottle",
    "wine bottle",
    "pop bottle",
    "water bottle",
    "whiskey jug",
    "pill bottle",
    "perfume",
    "water jug",
    "lotion",
    "vase",
    "beaker",
    "nipple",
}
CLOTHES = {
    "jersey",
    "jean",
    "sweatshirt",
    "cardigan",
    "suit",
    "trench coat",
    "miniskirt",
    "T-shirt",
    "pajama",
    "overskirt",
    "abaya",
    "kimono",
    "fur coat",
    "lab coat",
    "poncho",
    "stole",
    "bow tie",
    "swimming trunks",
    "bikini",
    "brassiere",
    "maillot",
    "velvet",
    "wool",
    "apron",
    "cloak",
    "gown",
    "hoopskirt",
    "handkerchief",
    "dishrag",
    "sarong",
    "vestment",
    "military uniform",
    "bulletproof vest",
    "shower curtain",
    "quilt",
    "diaper",
    "Windsor tie",
    "bath towel",
    "bolo tie",
    "mitten",
    "sleeping bag",
    "hair slide",
}


@pytest.fixture(scope="module")
def imagenet_model():
    from zerowaste.model.pretrained import pretrained

    return pretrained(12).eval()


def _top1(model, files) -> list[str]:
    from zerowaste.model.items import imagenet_labels
    from zerowaste.model.preprocess import preprocess

    labels = imagenet_labels()
    x = torch.from_numpy(np.stack([preprocess(Image.open(f)) for f in files]))
    with torch.no_grad():
        _, item = model(x)
    return [labels[i] for i in item.argmax(1).tolist()]


def test_shoes_are_footwear(imagenet_model) -> None:
    top = _top1(imagenet_model, photos("garbage12", "shoes", n=10))
    assert sum(t in SHOES for t in top) >= 8, top


def test_brown_glass_is_a_bottle(imagenet_model) -> None:
    top = _top1(imagenet_model, photos("garbage12", "brown-glass", n=10))
    assert sum(t in BOTTLES for t in top) >= 6, top


def test_clothes_are_garments(imagenet_model) -> None:
    top = _top1(imagenet_model, photos("garbage12", "clothes", n=10))
    assert sum(t in CLOTHES for t in top) >= 7, top


def test_every_pretrained_tensor_is_used(imagenet_model) -> None:
    from zerowaste.model.backbones import get_backbone

    source = torch.load(get_backbone().weights_path(), map_location="cpu", weights_only=True)
    state = imagenet_model.state_dict()
    assert len(source) == len([k for k in state if not k.startswith("waste_head.")])
