"""The item-head refit on real photos: after the backbone has drifted (as fine-tuning moves it), fitting
the item head alone brings its top-1 back towards the original ImageNet model on photos that neither
the fit nor the selection saw, and the waste head's answers do not move."""

from pathlib import Path

import pytest

from tests.conftest import photos

torch = pytest.importorskip("torch")

CUT = 11
CLASSES = (
    "battery",
    "biological",
    "brown-glass",
    "cardboard",
    "clothes",
    "green-glass",
    "metal",
    "paper",
    "plastic",
    "shoes",
    "trash",
    "white-glass",
)


def _inputs(paths: list[Path]) -> "torch.Tensor":
    from PIL import Image

    from zerowaste.training.presets import ClassificationPresetEval

    preset = ClassificationPresetEval()
    tensors = []
    for p in paths:
        with Image.open(p) as im:
            tensors.append(preset(im.convert("RGB")))
    return torch.stack(tensors)


@pytest.mark.slow
def test_refit_brings_the_item_head_back_on_unseen_photos_and_leaves_the_waste_head_alone() -> None:
    import numpy as np

    from zerowaste.model import taxonomy
    from zerowaste.model.pretrained import pretrained
    from zerowaste.training.features import FeatureCache
    from zerowaste.training.item_head import agreement, pooled_features, refit_item_head

    torch.manual_seed(0)
    model = pretrained(len(taxonomy.LABELS)).eval()
    per_class = [photos("garbage12", c, n=30) for c in CLASSES]
    fit, val, held = ([p for ps in per_class for p in ps[a:b]] for a, b in ((0, 20), (20, 25), (25, 30)))

    def cache(paths: list[Path]) -> FeatureCache:
        with torch.no_grad():
            trunk = model.trunk(_inputs(paths), CUT)
            teacher = model.tail(trunk, CUT)[1]
        return FeatureCache(trunk.numpy().astype(np.float16), teacher.numpy().astype(np.float16), 1)

    fit_cache, val_cache, held_cache = cache(fit), cache(val), cache(held)
    held_teacher = torch.from_numpy(held_cache.teacher.astype(np.float32))
    # The drift: each channel of the head convolution rescaled, as fine-tuning's BN scale updates do.
    with torch.no_grad():
        bn = model.head[1]
        bn.weight.mul_(torch.empty_like(bn.weight).uniform_(0.4, 1.6))
    drifted = agreement(model.item_head, pooled_features(model, CUT, held_cache.trunk), held_teacher)
    assert drifted < 0.8, f"the drift should hurt the item head (agreement {drifted:.2f})"
    with torch.no_grad():
        waste_before = model.tail(torch.from_numpy(held_cache.trunk.astype(np.float32)), CUT)[0]

    result = refit_item_head(model, CUT, fit_cache, val_cache, epochs=40, temperature=2.0, lr=3e-3, batch_size=32)

    refit = agreement(model.item_head, pooled_features(model, CUT, held_cache.trunk), held_teacher)
    assert result["val_item_agreement"] > result["val_item_agreement_before_refit"]
    assert refit >= drifted + 0.1, f"held-out agreement {drifted:.2f} -> {refit:.2f}"
    with torch.no_grad():
        waste_after = model.tail(torch.from_numpy(held_cache.trunk.astype(np.float32)), CUT)[0]
    assert torch.equal(waste_before, waste_after)
