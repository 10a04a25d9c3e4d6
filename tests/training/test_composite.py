"""Studio objects cut from their plain sheet and pasted on other backgrounds (training/composite.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import photos, shared_folder

composite_module = pytest.importorskip("zerowaste.training.composite")  # scipy: the train extra
Cutout = composite_module.Cutout
composite = composite_module.composite
cut_out = composite_module.cut_out
paste = composite_module.paste
plain_background_mask = composite_module.plain_background_mask
background_crop = composite_module.background_crop
synthetic_surface = composite_module.synthetic_surface


def _disc(height: int = 200, width: int = 240, centre: tuple[int, int] = (120, 90), radius: int = 40) -> np.ndarray:
    """A dark disc on a flat, almost white canvas."""
    yy, xx = np.mgrid[:height, :width]
    img = np.full((height, width, 3), 245, np.uint8)
    img[(yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius**2] = (40, 30, 20)
    return img


def _box(top: int, bottom: int, left: int, right: int) -> np.ndarray:
    img = np.full((200, 240, 3), 245, np.uint8)
    img[top:bottom, left:right] = (40, 30, 20)
    return img


def _rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def test_a_disc_on_a_white_canvas_cuts_to_the_disc() -> None:
    img = _disc()
    background = plain_background_mask(img)
    assert background is not None and background.shape == img.shape[:2]
    rows, cols = np.flatnonzero((~background).any(axis=1)), np.flatnonzero((~background).any(axis=0))
    # the disc spans rows 80-160 and columns 50-130; its anti-aliased rim may add a few pixels
    assert abs(rows[0] - 80) <= 4 and abs(rows[-1] - 160) <= 4
    assert abs(cols[0] - 50) <= 4 and abs(cols[-1] - 130) <= 4
    cut = cut_out(Image.fromarray(img))
    assert cut is not None
    h, w = cut.alpha.shape
    assert cut.rgb.shape == (h, w, 3) and cut.rgb.dtype == np.uint8
    assert 81 <= h <= 89 and 81 <= w <= 89
    assert cut.alpha.dtype == np.float32 and cut.alpha.min() >= 0.0 and cut.alpha.max() <= 1.0
    assert cut.alpha[h // 2, w // 2] == pytest.approx(1.0) and cut.alpha[0, 0] < 0.05  # a corner of the box is sheet
    assert tuple(cut.rgb[h // 2, w // 2]) == (40, 30, 20)


def test_the_cut_ignores_soft_shading_of_the_sheet() -> None:
    img = _disc().astype(np.float32)
    img *= np.linspace(0.85, 1.0, img.shape[1])[None, :, None]  # light falling off across the sheet
    cut = cut_out(Image.fromarray(img.astype(np.uint8)))
    assert cut is not None and max(cut.alpha.shape) <= 89


@pytest.mark.parametrize(
    "image",
    [
        np.full((200, 240, 3), 245, np.uint8),  # nothing on the sheet
        _disc(radius=8),  # a speck
        _box(6, 194, 6, 234),  # the object fills the photo
        np.full((12, 12, 3), 245, np.uint8),  # too small to tell
        np.full((200, 240), 245, np.uint8),  # not RGB
    ],
    ids=["empty", "speck", "everything", "tiny", "grey"],
)
def test_nothing_worth_pasting_gives_no_mask(image: np.ndarray) -> None:
    assert plain_background_mask(image) is None


def test_a_box_in_the_middle_cuts_to_its_size() -> None:
    cut = cut_out(Image.fromarray(_box(50, 150, 60, 180)))
    assert cut is not None and abs(cut.alpha.shape[0] - 100) <= 8 and abs(cut.alpha.shape[1] - 120) <= 8


def test_two_objects_apart_are_not_one_cut() -> None:
    img = _disc(centre=(100, 60), radius=30)
    img[_disc(centre=(100, 180), radius=30)[..., 0] < 100] = (40, 30, 20)
    assert plain_background_mask(img) is None


def test_a_noisy_border_is_not_plain() -> None:
    rng = np.random.default_rng(0)
    img = _disc()
    img[:20] = rng.integers(0, 256, size=img[:20].shape, dtype=np.uint8)  # wood grain, a room: anything but a sheet
    img[-20:] = rng.integers(0, 256, size=img[-20:].shape, dtype=np.uint8)
    assert plain_background_mask(img) is None


def test_most_studio_battery_photos_cut_to_an_object_smaller_than_the_photo() -> None:
    files = photos("garbage12", "battery", n=8)
    assert len(files) == 8
    cuts = []
    for f in files:
        with Image.open(f) as im:
            size = im.size
            cut = cut_out(im)
        if cut is None:
            continue
        cuts.append(cut)
        h, w = cut.alpha.shape
        assert cut.rgb.shape == (h, w, 3)
        assert h * w < size[0] * size[1] and h <= size[1] and w <= size[0]
        assert 0.0 <= cut.alpha.min() and cut.alpha.max() <= 1.0
        assert cut.alpha.mean() > 0.3  # the box is mostly object
    assert len(cuts) >= 6, f"only {len(cuts)} of 8 studio photos cut"


# Phone photos picked by looking: objects on restaurant tables, in a hand, on wooden floors, rugs and
# parquet. (Clothing photos on a plain bedsheet or wall do cut, and cleanly.)
CLUTTERED = {
    "drinks-unlabelled": (
        "-1-_png_jpg.rf.7933b60aa5a23223f5f76026472caf9e.jpg",
        "-10-_jpg.rf.83ef40ab3b9e5e6366786add21c2697b.jpg",
        "-10-_png_jpg.rf.137c5c27c8eb9a7f8102792c9cafc680.jpg",
        "-100-_jpg.rf.4f284fa06815cd6b874edceadbb27f90.jpg",
        "-100_jpg.rf.ba95c7144e9b9579c6e423f419e8d719.jpg",
    ),
    "clothing/shoes": (
        "08215318-faff-4037-bee9-5bceb0af7747.jpg",
        "0bacb2c4-3d90-4835-b23e-aa7c2284d1bc.jpg",
        "0fd66046-0879-42ab-be2e-a919c8a82aab.jpg",
        "1db2dc7b-cca1-4735-9cc6-0658d7dba3fd.jpg",
        "1ece3817-f6ca-46a2-b514-f2d3de572399.jpg",
    ),
    "clothing/dress": (
        "04f0b07f-4b9f-4c55-bc5d-b693658fb32c.jpg",
        "053689bb-5928-489b-aeaf-dfb969b05e93.jpg",
    ),
}


@pytest.mark.parametrize("folder", sorted(CLUTTERED))
def test_phone_photos_of_cluttered_scenes_are_not_cut(folder: str) -> None:
    root = shared_folder(*folder.split("/"))
    for name in CLUTTERED[folder]:
        assert plain_background_mask(_rgb(root / name)) is None, name
        with Image.open(root / name) as im:
            assert cut_out(im) is None, name


def test_most_drinks_photos_are_not_cut() -> None:
    files = photos("drinks-unlabelled", n=16)
    cut = sum(plain_background_mask(_rgb(f)) is not None for f in files)
    assert cut <= len(files) // 2, f"{cut} of {len(files)} phone photos of drinks taken as plain-background photos"


@pytest.fixture(scope="module")
def disc_cut() -> Cutout:
    cut = cut_out(Image.fromarray(_disc()))
    assert cut is not None
    return cut


def test_a_composite_with_a_fixed_seed_is_the_same_image(disc_cut: Cutout) -> None:
    first = composite(np.random.default_rng(3), disc_cut, None, [disc_cut])
    second = composite(np.random.default_rng(3), disc_cut, None, [disc_cut])
    other = composite(np.random.default_rng(4), disc_cut, None, [disc_cut])
    assert first.mode == "RGB" and first.size == (320, 320)
    assert np.array_equal(np.asarray(first), np.asarray(second))
    assert not np.array_equal(np.asarray(first), np.asarray(other))


def test_a_composite_on_a_real_phone_background_shows_the_object(disc_cut: Cutout) -> None:
    (background_file,) = photos("drinks-unlabelled", n=1)
    with Image.open(background_file) as bg:
        background = bg.convert("RGB")
    rng = np.random.default_rng(0)
    out = np.asarray(composite(rng, disc_cut, background, size=256))
    assert out.shape == (256, 256, 3) and out.dtype == np.uint8
    # the disc's colour, pulled at most part of the way towards the background's brightness, is there
    dark = (np.abs(out.astype(int) - (40, 30, 20)).max(axis=2) < 40).mean()
    assert dark > 0.05


def test_paste_blends_into_the_canvas_in_place_and_keeps_its_shape(disc_cut: Cutout) -> None:
    canvas = np.full((120, 160, 3), 200, np.uint8)
    out = paste(canvas, disc_cut, np.random.default_rng(0), (0.5, 0.6), harmonise=0.0)
    assert out is canvas
    assert out.shape == (120, 160, 3) and out.dtype == np.uint8
    assert (out == (40, 30, 20)).all(axis=2).sum() > 0.05 * 120 * 160  # the disc, untouched by harmonising
    assert (out == 200).all(axis=2).sum() > 0.3 * 120 * 160  # and the canvas around it


def test_surfaces_and_crops_have_the_asked_size() -> None:
    rng = np.random.default_rng(0)
    surface = synthetic_surface(rng, 64, 96)
    assert surface.shape == (64, 96, 3) and surface.dtype == np.uint8
    assert surface.std() > 1.0  # not a flat sheet
    (photo,) = photos("drinks-unlabelled", n=1)
    with Image.open(photo) as im:
        crop = background_crop(rng, im, 100)
    assert crop.shape == (100, 100, 3) and crop.dtype == np.uint8
