"""Views into a bio bin, made from photos: organic waste, with or without a contaminant in it.

No labelled photos of contaminated biowaste exist here, so the camera model learns from composites
(issue 25). A view is a heap of organic waste: a crop of a real photo of food waste or produce
(Garbage-12 `biological` photos that are not studio shots) or a compost-brown surface, covered with
pieces of organic waste cut from their plain backgrounds. A contaminated view has one or two
objects cut from studio photos of plastic, glass, metal, batteries or textiles at a size a bin's
view shows them, turned any way, and often half buried under more organic pieces. Then the camera:
a shadow across the view, light level and colour cast, blur, sensor noise; the writer adds JPEG.

What is kept per view: for each contaminant kind, how much of it stays visible where (a coarse mask),
so the model learns the place as well as the kind and an object buried beyond recognition is no label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage

from zerowaste.training.composite import Cutout, background_crop, blend, resized
from zerowaste.wire import CONTAMINANTS, Contaminant

SIZE = 320  # the view's side in pixels; the model's preprocessing scales it to its input
MASK_SIZE = 32  # visible masks are kept at this resolution (any feature grid is made from them)
# A contaminant counts as visible when this share of its pasted area is still uncovered and it covers
# this share of the view: a can's rim showing through peels is a can a person would flag, a corner of
# a few pixels is not.
MIN_VISIBLE_SHARE, MIN_VIEW_SHARE = 0.3, 0.006
# How big each kind appears, as its longest side over the view's side: bags are large and spread out,
# cans, jars and batteries small.
SCALES: dict[str, tuple[float, float]] = {
    "plastic_bag": (0.35, 0.8),
    "plastic_other": (0.2, 0.5),
    "glass": (0.2, 0.5),
    "metal": (0.15, 0.45),
    "other": (0.12, 0.4),
}


@dataclass
class Pools:
    """Cut-outs per kind, organic pieces and background photos of one split."""

    contaminants: Mapping[str, list[Cutout]]
    organic: list[Cutout]
    backgrounds: list[Image.Image]
    kinds: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.kinds = [k for k in CONTAMINANTS if self.contaminants.get(k)]


@dataclass
class View:
    image: Image.Image
    masks: dict[str, np.ndarray]  # kind -> (MASK_SIZE, MASK_SIZE) float32, visible share of each cell

    @property
    def present(self) -> list[str]:
        return sorted(self.masks)


def compost_surface(rng: np.random.Generator, size: int) -> np.ndarray:
    """Dark, brown-green, lumpy: the bottom of a bio bin or a compost heap."""
    base = np.array([rng.uniform(40, 110), rng.uniform(30, 90), rng.uniform(15, 60)])
    lumps = ndimage.gaussian_filter(rng.normal(0, 1, (size, size)), sigma=rng.uniform(2, 10))
    lumps /= max(float(np.abs(lumps).max()), 1e-6)
    surface = base * (1 + 0.5 * lumps[..., None]) + rng.normal(0, 8, (size, size, 3))
    return np.asarray(np.clip(surface, 0, 255), dtype=np.uint8)


def _turned(rng: np.random.Generator, cut: Cutout) -> Cutout:
    """The cut-out turned by any angle and mirrored half the time: waste lies any way up."""
    angle = float(rng.uniform(0, 360))
    rgb = Image.fromarray(cut.rgb)
    alpha = Image.fromarray((cut.alpha * 255).astype(np.uint8))
    if rng.random() < 0.5:
        rgb, alpha = rgb.transpose(Image.Transpose.FLIP_LEFT_RIGHT), alpha.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    rgb = rgb.rotate(angle, Image.Resampling.BILINEAR, expand=True)
    a = np.asarray(alpha.rotate(angle, Image.Resampling.BILINEAR, expand=True), dtype=np.float32) / 255.0
    rows, cols = np.flatnonzero(a.max(axis=1) > 0.02), np.flatnonzero(a.max(axis=0) > 0.02)
    if not len(rows) or not len(cols):
        return cut
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    return Cutout(np.ascontiguousarray(np.asarray(rgb)[box]), np.ascontiguousarray(a[box]))


def _place(
    rng: np.random.Generator,
    canvas: np.ndarray,
    cut: Cutout,
    longest: int,
    centre: tuple[float, float] | None = None,
    gain_power: float = 0.3,
) -> np.ndarray | None:
    cut = _turned(rng, resized(cut, max(8, longest)))  # turned after scaling down: 5x cheaper
    h, w = cut.alpha.shape
    if centre is None:
        cy, cx = rng.uniform(0.1, 0.9) * canvas.shape[0], rng.uniform(0.1, 0.9) * canvas.shape[1]
    else:
        cy, cx = centre
    return blend(canvas, cut, int(cy - h / 2), int(cx - w / 2), float(rng.uniform(0, gain_power)))


def _camera(rng: np.random.Generator, canvas: np.ndarray) -> Image.Image:
    """What a cheap camera over a bin does to the scene: a shadow, light level and white balance,
    blur (focus or motion), noise."""
    img = canvas.astype(np.float32)
    size = canvas.shape[0]
    if rng.random() < 0.5:  # the lid's or the bin's edge shades part of the view
        yy, xx = np.mgrid[0:size, 0:size] / size
        angle = rng.uniform(0, 2 * np.pi)
        edge = np.cos(angle) * xx + np.sin(angle) * yy
        shade = 1 - rng.uniform(0.3, 0.7) / (1 + np.exp(-(edge - rng.uniform(0.2, 0.8)) * rng.uniform(8, 40)))
        img *= shade[..., None]
    img *= rng.uniform(0.55, 1.3) * rng.uniform(0.85, 1.15, size=3)  # exposure and white balance
    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    r = rng.random()
    if r < 0.25:
        out = out.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 2.0))))
    elif r < 0.4:  # motion of the truck's lift or a hand on the lid
        k = int(rng.integers(3, 9))
        kernel = np.zeros((k, k), dtype=np.float32)
        kernel[k // 2] = 1.0 / k
        kernel = ndimage.rotate(kernel, rng.uniform(0, 180), reshape=False, order=1)
        kernel /= max(float(kernel.sum()), 1e-6)
        arr = np.asarray(out, dtype=np.float32)
        out = Image.fromarray(
            np.clip(np.stack([ndimage.convolve(arr[..., c], kernel) for c in range(3)], -1), 0, 255).astype(np.uint8)
        )
    if rng.random() < 0.6:
        noisy = np.asarray(out, dtype=np.float32) + rng.normal(0, rng.uniform(2, 10), (size, size, 3))
        out = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    return out


def _shrink(mask: np.ndarray) -> np.ndarray:
    """(SIZE, SIZE) alpha -> (MASK_SIZE, MASK_SIZE): each cell's covered share."""
    f = mask.shape[0] // MASK_SIZE
    return np.asarray(mask[: f * MASK_SIZE, : f * MASK_SIZE].reshape(MASK_SIZE, f, MASK_SIZE, f).mean(axis=(1, 3)))


def make_view(rng: np.random.Generator, pools: Pools, contaminants: Sequence[str] = (), size: int = SIZE) -> View:
    """One view into a bio bin holding `contaminants` (kinds; empty for a clean bin)."""
    if pools.backgrounds and rng.random() < 0.6:
        canvas = background_crop(rng, pools.backgrounds[int(rng.integers(len(pools.backgrounds)))], size).copy()
        pieces = int(rng.integers(0, 6))
    else:
        canvas = compost_surface(rng, size)
        pieces = int(rng.integers(8, 20))
    for _ in range(pieces):  # the heap around and under everything
        _place(rng, canvas, pools.organic[int(rng.integers(len(pools.organic)))], int(size * rng.uniform(0.15, 0.45)))
    full: dict[str, np.ndarray] = {}
    pasted: dict[str, float] = {}
    for kind in contaminants:
        cuts = pools.contaminants[kind]
        alpha = _place(rng, canvas, cuts[int(rng.integers(len(cuts)))], int(size * rng.uniform(*SCALES[kind])))
        if alpha is None:
            continue
        for other in full:  # a later object hides part of an earlier one
            full[other] *= 1 - alpha
        full[kind] = np.maximum(full.get(kind, 0), alpha)
        pasted[kind] = pasted.get(kind, 0.0) + float(alpha.sum())
        if rng.random() < 0.7:  # half buried: peels and scraps on top of it, each smaller than the object
            rows, cols = np.nonzero(alpha > 0.5)
            longest = max(np.ptp(rows), np.ptp(cols)) if len(rows) else size // 4
            for _ in range(int(rng.integers(1, 4))):
                i = int(rng.integers(len(rows))) if len(rows) else 0
                centre = (float(rows[i]), float(cols[i])) if len(rows) else None
                cover = _place(
                    rng,
                    canvas,
                    pools.organic[int(rng.integers(len(pools.organic)))],
                    int(longest * rng.uniform(0.3, 0.8)),
                    centre,
                )
                if cover is not None:
                    for k in full:
                        full[k] *= 1 - cover
    masks = {
        kind: _shrink(alpha)
        for kind, alpha in full.items()
        if alpha.sum() >= MIN_VISIBLE_SHARE * pasted[kind] and alpha.mean() >= MIN_VIEW_SHARE
    }
    return View(_camera(rng, canvas), masks)


def cell_targets(
    masks: dict[str, np.ndarray], grid: int, labels: Sequence[Contaminant], min_cover: float = 0.15
) -> np.ndarray:
    """(K, grid, grid) float32: 1 where a kind covers at least `min_cover` of a cell of the model's grid."""
    out = np.zeros((len(labels), grid, grid), dtype=np.float32)
    for k, kind in enumerate(labels):
        if kind in masks:
            m = np.asarray(Image.fromarray(masks[kind]).resize((grid, grid), Image.Resampling.BOX))
            out[k] = (m >= min_cover).astype(np.float32)
            if not out[k].any():  # visible but thin across cells: its best cell carries it
                out[k].flat[int(m.argmax())] = 1.0
    return out
