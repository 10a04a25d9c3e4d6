import numpy as np
import pytest
from PIL import Image

from tests.conftest import photos
from zerowaste.model.preprocess import DEFAULT, preprocess, preprocess_batch

torchvision = pytest.importorskip("torchvision")


def test_matches_the_torchvision_eval_preset_on_real_photos() -> None:
    from zerowaste.training.presets import ClassificationPresetEval

    preset = ClassificationPresetEval()
    files = photos("trashnet", "glass", n=3) + photos("garbage12", "shoes", n=3)
    for f in files:
        image = Image.open(f).convert("RGB")
        ours = preprocess(image)
        theirs = preset(image).numpy()
        assert ours.shape == (3, DEFAULT.crop_size, DEFAULT.crop_size)
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_array_input_equals_pil_input_and_portrait_is_centre_cropped() -> None:
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, size=(300, 200, 3), dtype=np.uint8)
    a = preprocess(arr)
    b = preprocess(Image.fromarray(arr))
    np.testing.assert_array_equal(a, b)
    assert preprocess_batch([arr, arr]).shape == (2, 3, 224, 224)


def test_normalisation_maps_black_and_white_to_about_minus_one_and_one() -> None:
    black = preprocess(np.zeros((256, 256, 3), np.uint8))
    white = preprocess(np.full((256, 256, 3), 255, np.uint8))
    assert black.max() == pytest.approx(-127 / 128, abs=1e-5)
    assert white.min() == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize(
    "bad", [np.zeros((10, 10), np.uint8), np.zeros((10, 10, 4), np.uint8), np.zeros((10, 10, 3), np.float32)]
)
def test_rejects_arrays_that_are_not_rgb_uint8(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="RGB uint8"):
        preprocess(bad)
