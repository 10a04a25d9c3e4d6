"""Studio objects on the backgrounds of citizens' photos.

TrashNet and Garbage-12 show one object on a plain sheet; citizens photograph things on kitchen
tables, floors, beds and in hands. A network trained on plain sheets learns the sheet too. So a
training view may cut the object out of its plain background (the border-connected region of the
border's colour) and paste it, at a random size and place, onto a crop of a real phone photo (the
training split's phone photos, never a validation or test photo) or onto a synthetic surface; now
and then with more objects of the same kind beside it, as people photograph a bag of cans.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

# A border counts as plain when this share of its pixels lies within `tolerance` of its median colour.
PLAIN_BORDER_SHARE = 0.7
# Cut-outs smaller or larger than these shares of the photo are taken as a failed cut (a white sheet of
# paper on a white sheet: nothing, or everything, is "object").
MIN_OBJECT, MAX_OBJECT = 0.04, 0.9


@dataclass(frozen=True)
class Cutout:
    rgb: np.ndarray  # (h, w, 3) uint8, the object's bounding box
    alpha: np.ndarray  # (h, w) float32 in [0, 1], feathered at the edge


def plain_background_mask(rgb: np.ndarray, tolerance: float = 60.0, edge: float = 6.0) -> np.ndarray | None:
    """(H, W) bool: the plain background around one object, or None where the border is not plain
    (a photo taken in a room, wood grain) or where the cut would take too little or too much.

    The background is grown from the border over pixels that are flat (little colour change to their
    neighbours) and not far from the border's colour: a studio sheet's soft shading and shadows are
    flat and join the background, an object's outline is not."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < 16:
        return None
    smooth = ndimage.gaussian_filter(rgb.astype(np.float32), sigma=(1.5, 1.5, 0))
    change = (
        np.max([np.hypot(ndimage.sobel(smooth[..., c], 0), ndimage.sobel(smooth[..., c], 1)) for c in range(3)], axis=0)
        / 8.0
    )
    border = np.concatenate(
        [
            smooth[:2].reshape(-1, 3),
            smooth[-2:].reshape(-1, 3),
            smooth[:, :2].reshape(-1, 3),
            smooth[:, -2:].reshape(-1, 3),
        ]
    )
    reference = np.median(border, axis=0)
    candidate = (change <= edge) & (np.abs(smooth - reference).max(axis=2) <= tolerance)
    frame = np.zeros_like(candidate)
    frame[:2], frame[-2:], frame[:, :2], frame[:, -2:] = True, True, True, True
    if candidate[frame].mean() < PLAIN_BORDER_SHARE:
        return None
    labels, _ = ndimage.label(candidate)
    touching = np.unique(labels[frame & candidate])
    background = np.isin(labels, touching[touching > 0])
    # The object is the largest piece; holes in it (a label, a reflection the colour of the sheet) are
    # part of it. Clear glass and plastic fall apart into fragments and are not cut (`_is_one_object`).
    pieces, n = ndimage.label(ndimage.binary_opening(~background, iterations=2))
    if n == 0:
        return None
    sizes = np.bincount(pieces.ravel())[1:]
    largest = pieces == int(sizes.argmax()) + 1
    if sizes.max() < 0.8 * sizes.sum():
        return None
    foreground = ndimage.binary_fill_holes(largest)
    return None if not _is_one_object(foreground, frame) else ~foreground


def _is_one_object(foreground: np.ndarray, frame: np.ndarray) -> bool:
    """A cut worth pasting: neither a speck nor the whole photo, not cut off by the photo's edge
    (a box filling the frame), and compact (not the thin outline of a white sheet on a white sheet)."""
    share = float(foreground.mean())
    if not MIN_OBJECT <= share <= MAX_OBJECT or foreground[frame].mean() > 0.15:
        return False
    rows, cols = np.flatnonzero(foreground.any(axis=1)), np.flatnonzero(foreground.any(axis=0))
    box = (rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1)
    return bool(float(foreground.sum()) / box >= 0.3)


def cut_out(image: Image.Image, feather: float = 1.5) -> Cutout | None:
    """The object of a plain-background photo with a soft edge, or None when it cannot be cut."""
    rgb = np.asarray(image.convert("RGB"))
    background = plain_background_mask(rgb)
    if background is None:
        return None
    rows = np.flatnonzero((~background).any(axis=1))
    cols = np.flatnonzero((~background).any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    alpha = ndimage.gaussian_filter((~background).astype(np.float32), feather)[top:bottom, left:right]
    return Cutout(np.ascontiguousarray(rgb[top:bottom, left:right]), np.clip(alpha, 0.0, 1.0))


def synthetic_surface(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A table, floor or wall that no photo set shows: a colour gradient with blotches and grain."""
    c0, c1 = rng.integers(20, 236, size=(2, 3))
    t = np.linspace(0.0, 1.0, width)[None, :, None] if rng.random() < 0.5 else np.linspace(0, 1, height)[:, None, None]
    surface = c0 * (1 - t) + c1 * t
    blotches = ndimage.gaussian_filter(rng.normal(0, 1, size=(height, width)), sigma=rng.uniform(4, 30))
    blotches /= max(float(np.abs(blotches).max()), 1e-6)
    surface = surface + blotches[..., None] * rng.uniform(5, 40) + rng.normal(0, rng.uniform(2, 12), (height, width, 3))
    return np.asarray(np.clip(np.broadcast_to(surface, (height, width, 3)), 0, 255), dtype=np.uint8)


def background_crop(rng: np.random.Generator, photo: Image.Image, size: int) -> np.ndarray:
    """A random square crop of a phone photo, resized to `size`: a piece of someone's table or floor."""
    w, h = photo.size
    side = int(min(w, h) * rng.uniform(0.45, 1.0))
    left, top = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
    crop = photo.convert("RGB").crop((left, top, left + side, top + side))
    return np.asarray(crop.resize((size, size), Image.Resampling.BILINEAR))


def resized(cut: Cutout, longest: int) -> Cutout:
    """The cut-out scaled so that its longest side is `longest` pixels."""
    h, w = cut.alpha.shape
    scale = longest / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    rgb = np.asarray(Image.fromarray(cut.rgb).resize(size, Image.Resampling.BILINEAR))
    alpha = np.asarray(Image.fromarray((cut.alpha * 255).astype(np.uint8)).resize(size, Image.Resampling.BILINEAR))
    return Cutout(rgb, alpha.astype(np.float32) / 255.0)


def blend(canvas: np.ndarray, cut: Cutout, top: int, left: int, gain_power: float = 0.0) -> np.ndarray | None:
    """Alpha-blend `cut` (already at its size) with its corner at (top, left), in place; its brightness
    pulled `gain_power` of the way towards the covered region's (lighting). Returns the cut's alpha in
    canvas coordinates (H, W), or None where it lands outside."""
    h, w = cut.alpha.shape
    t0, l0 = max(top, 0), max(left, 0)
    t1, l1 = min(top + h, canvas.shape[0]), min(left + w, canvas.shape[1])
    if t1 <= t0 or l1 <= l0:
        return None
    obj = cut.rgb[t0 - top : t1 - top, l0 - left : l1 - left].astype(np.float32)
    a = cut.alpha[t0 - top : t1 - top, l0 - left : l1 - left, None]
    region = canvas[t0:t1, l0:l1].astype(np.float32)
    gain = (region.mean() + 1.0) / (float((obj * a).sum() / max(a.sum(), 1.0)) + 1.0)
    obj = obj * gain**gain_power
    canvas[t0:t1, l0:l1] = np.clip(a * obj + (1 - a) * region, 0, 255).astype(np.uint8)
    placed = np.zeros(canvas.shape[:2], dtype=np.float32)
    placed[t0:t1, l0:l1] = a[..., 0]
    return placed


def paste(
    canvas: np.ndarray, cut: Cutout, rng: np.random.Generator, scale: tuple[float, float], harmonise: float = 0.3
) -> np.ndarray:
    """Alpha-blend `cut` onto `canvas` (in place and returned), its longest side a random share of the
    canvas, mostly inside it; its brightness pulled part of the way towards the canvas's (lighting)."""
    size = min(canvas.shape[:2])
    cut = resized(cut, max(8, int(size * rng.uniform(*scale))))
    h, w = cut.alpha.shape
    top = int(rng.integers(-h // 6, max(canvas.shape[0] - h + h // 6, 1 - h // 6) + 1))
    left = int(rng.integers(-w // 6, max(canvas.shape[1] - w + w // 6, 1 - w // 6) + 1))
    blend(canvas, cut, top, left, rng.uniform(0.0, harmonise))
    return canvas


def composite(
    rng: np.random.Generator,
    main: Cutout,
    background: Image.Image | None,
    companions: Sequence[Cutout] = (),
    size: int = 320,
) -> Image.Image:
    """The main object (large) over a crop of `background` (a synthetic surface where None), companions
    (smaller) behind it."""
    if background is not None:
        canvas = background_crop(rng, background, size).copy()
    else:
        canvas = synthetic_surface(rng, size, size)
    for other in companions:
        paste(canvas, other, rng, (0.3, 0.55))
    paste(canvas, main, rng, (0.5, 0.95))
    return Image.fromarray(canvas)
