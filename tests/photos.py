"""Synthetic photos of a digit written on white paper lying on a dark desk, for image tests.

Each photo: a textured dark desk, a sheet of paper (slightly rotated, unevenly lit) covering
a third to a half of the frame, and an MNIST digit written on it in dark ink, then blurred and
noisy as a phone camera makes it. Seeded, so a test always sees the same photos.
"""

from __future__ import annotations

import numpy as np
from PIL import Image


def photo_of_digit(digit: np.ndarray, seed: int, size=(480, 360), turn: float = 12) -> np.ndarray:
    """A (H, W) float photo in [0, 1] of ``digit`` (28 x 28, white on black, in [0, 1]).

    ``turn``: the sheet is turned by up to this many degrees either way.
    """
    rng = np.random.default_rng(seed)
    w, h = size
    coarse = rng.random((6, 8))
    texture = np.asarray(Image.fromarray(coarse.astype(np.float32)).resize((w, h), Image.Resampling.BICUBIC))
    desk = 0.08 + 0.12 * rng.random() + 0.06 * texture
    ph = int(h * rng.uniform(0.55, 0.8))
    pw = int(ph * rng.uniform(0.7, 1.0))
    xx = np.mgrid[0:ph, 0:pw][1]
    across = xx / pw if rng.random() < 0.5 else 1 - xx / pw
    light = rng.uniform(0.8, 0.95) - rng.uniform(0, 0.12) * across  # lit from one side
    side = int(ph * rng.uniform(0.45, 0.7))
    ink = np.asarray(Image.fromarray(digit.astype(np.float32)).resize((side, side), Image.Resampling.BICUBIC))
    paper = np.array(light, dtype=np.float32)
    top, left = (ph - side) // 2 + rng.integers(-ph // 10, ph // 10), (pw - side) // 2
    paper[top : top + side, left : left + side] *= 1 - 0.85 * np.clip(ink, 0, 1)
    angle = rng.uniform(-turn, turn)
    sheet = Image.fromarray(paper, mode="F").rotate(angle, Image.Resampling.BILINEAR, expand=True)
    mask = Image.fromarray(np.full((ph, pw), 255, np.uint8)).rotate(
        angle, Image.Resampling.BILINEAR, expand=True
    )
    out = Image.fromarray(desk.astype(np.float32), mode="F")
    x0 = int((w - sheet.size[0]) / 2 + rng.uniform(-0.1, 0.1) * w)
    y0 = int((h - sheet.size[1]) / 2 + rng.uniform(-0.05, 0.05) * h)
    m = np.asarray(mask, np.float32) / 255
    region = np.asarray(out).copy()
    ys, xs = slice(max(y0, 0), min(y0 + sheet.size[1], h)), slice(max(x0, 0), min(x0 + sheet.size[0], w))
    sy, sx = slice(ys.start - y0, ys.stop - y0), slice(xs.start - x0, xs.stop - x0)
    s = np.asarray(sheet)[sy, sx]
    region[ys, xs] = m[sy, sx] * s + (1 - m[sy, sx]) * region[ys, xs]
    blurred = region
    for _ in range(2):  # a 3 x 3 box blur, twice: the camera's softness
        p = np.pad(blurred, 1, mode="edge")
        blurred = sum(p[i : i + h, j : j + w] for i in range(3) for j in range(3)) / 9
    return np.clip(blurred + rng.normal(0, 0.015, blurred.shape), 0, 1)
