"""Turn a photo or drawing of a digit into an MNIST-style input column.

MNIST digits are white on black, their bounding box scaled to fit 20 x 20 pixels (keeping the
aspect ratio, antialiased), and placed in a 28 x 28 field so that their centre of mass sits at
the centre. :func:`image_to_column` applies the same recipe to any picture of a single digit::

    x = image_to_column("my_digit.png")     # (784, 1) float32 in [0, 1]
    predict(params, x)                      # -> array([7])
"""

from __future__ import annotations

import os

import numpy as np

from helpers.picture import MAX_INPUT, fit, load_gray
from helpers.picture import MAX_PIXELS as MAX_PIXELS  # re-exported: the budget predict applies

SIZE = 28  # the MNIST field
BOX = 20  # the longer side of the digit's bounding box
WORK = 80  # intermediate size at which strokes are thickened
INK_THRESHOLD = 0.2  # after contrast normalisation, fainter pixels count as background
MIN_CONTRAST = 0.08  # ink must differ from the background by this much (on a 0..1 scale)
MIN_STROKE = 0.1  # thinnest stroke, as a fraction of the bounding box's longer side
#: What ``predict`` needs of a picture (for its --help): one digit, on a plain background.
PICTURE_HELP = (
    "A picture must show one digit, dark on a plain light background (paper) or light on a "
    "dark one, with some background around it. A photo of a sheet on a darker desk works when "
    "the sheet lies roughly straight and shows whole; otherwise crop the photo to the sheet."
)
SOLID_PICTURE = (
    "one solid light area fills most of the picture (a sheet of paper photographed on a darker "
    "surface, turned or cut off?); crop the photo to the paper around the digit"
)
PAPER_SEARCH = 128  # a sheet of paper on a dark surround is looked for at this longer side


def _resize(a: np.ndarray, shape: tuple[int, int], resample: str) -> np.ndarray:
    """Resize a float array to ``shape`` = (rows, cols) with Pillow ('box' or 'lanczos')."""
    from PIL import Image

    method = {"box": Image.Resampling.BOX, "lanczos": Image.Resampling.LANCZOS}[resample]
    img = Image.fromarray(a.astype(np.float32), mode="F")
    return np.asarray(img.resize((shape[1], shape[0]), method), dtype=np.float64)


def _stroke_width(mask: np.ndarray) -> float:
    """Rough stroke width of a binary mask: 2 * area / number of boundary pixels."""
    p = np.pad(mask, 1)
    inner = p[1:-1, 1:-1] & p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    boundary = np.count_nonzero(mask & ~inner)
    return 2.0 * np.count_nonzero(mask) / boundary if boundary else 0.0


def _dilate(a: np.ndarray) -> np.ndarray:
    """Grey-level dilation with a 3 x 3 square (each pixel becomes its neighbourhood's max)."""
    p = np.pad(a, 1)
    h, w = a.shape
    return np.max([p[i : i + h, j : j + w] for i in range(3) for j in range(3)], axis=0)


def _bbox(a: np.ndarray) -> tuple[slice, slice]:
    rows, cols = np.flatnonzero(a.any(axis=1)), np.flatnonzero(a.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _flood(allowed: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """The pixels of ``allowed`` (H, W) reached from ``seeds`` (flat indices) by 4-neighbour steps."""
    h, w = allowed.shape
    ok, seen = allowed.ravel().tolist(), [False] * allowed.size
    stack = [int(p) for p in seeds if ok[p]]
    for p in stack:
        seen[p] = True
    while stack:
        p = stack.pop()
        r, c = divmod(p, w)
        for q, inside in ((p - w, r > 0), (p + w, r < h - 1), (p - 1, c > 0), (p + 1, c < w - 1)):
            if inside and ok[q] and not seen[q]:
                seen[q] = True
                stack.append(q)
    return np.array(seen, dtype=bool).reshape(h, w)


def _otsu(a: np.ndarray) -> float:
    """The threshold that best splits the values of ``a`` into two classes (Otsu's method)."""
    counts, edges = np.histogram(a, bins=64, range=(0.0, 1.0))
    p = counts / counts.sum()
    mids = (edges[:-1] + edges[1:]) / 2
    w0, m0 = np.cumsum(p), np.cumsum(p * mids)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (m0[-1] * w0 - m0) ** 2 / (w0 * (1 - w0))
    return float(edges[1:][np.argmax(np.nan_to_num(between[:-1]))])


def _paper(g: np.ndarray) -> tuple[slice, slice, np.ndarray] | None:
    """Where a light sheet of paper lies on a darker surround (a photo of a desk), or None.

    The sheet is the largest light region, with the dark strokes on it as holes: it must
    cover at least 8 % of the picture and 62 % of its bounding box (a sheet turned up to about
    20 degrees), its holes between 0.5 % and 25 % of it (ink on paper), and a third of it must
    survive an erosion by 8 % of its width: a light digit on a dark background, however bold
    its strokes, has no such solid region. Returns the sheet's rows, columns and mask.
    """
    s = _resize(g, fit(g.shape, PAPER_SEARCH), "box") if max(g.shape) > PAPER_SEARCH else g
    border = np.concatenate([s[0], s[-1], s[:, 0], s[:, -1]])
    if np.median(border) >= 0.5 or float(s.max() - s.min()) < MIN_CONTRAST:
        return None
    light = s > _otsu(s)
    if not light.any() or s[light].mean() - np.median(border) < 0.25:
        return None
    region, todo = np.zeros_like(light), light.copy()
    while todo.sum() > region.sum():  # the largest light region
        part = _flood(todo, np.flatnonzero(todo)[:1])
        todo &= ~part
        if part.sum() > region.sum():
            region = part
    h, w = s.shape
    edge = np.flatnonzero(np.pad(np.zeros((h - 2, w - 2), bool), 1, constant_values=True))
    sheet = ~_flood(~region, edge)  # the region with its holes filled
    rows, cols = _bbox(sheet)
    area, box = sheet.sum(), (rows.stop - rows.start) * (cols.stop - cols.start)
    holes = (sheet & ~region).sum() / area
    if area < 0.08 * s.size or area < 0.62 * box or not 0.005 <= holes <= 0.25:
        return None
    core = ~region
    for _ in range(max(2, round(0.08 * min(rows.stop - rows.start, cols.stop - cols.start)))):
        core = _dilate(core)
    if (~core).sum() < 0.3 * area:  # strokes, however bold, vanish when eroded; paper does not
        return None
    inner = ~_dilate(_dilate(~sheet))  # two pixels in from its edges, blurred in a photo
    if not inner.any():
        return None
    rows, cols = _bbox(inner)
    fy, fx = g.shape[0] / h, g.shape[1] / w
    r = slice(round(rows.start * fy), round(rows.stop * fy))
    c = slice(round(cols.start * fx), round(cols.stop * fx))
    ry = np.minimum((np.arange(g.shape[0]) / fy).astype(int), h - 1)
    rx = np.minimum((np.arange(g.shape[1]) / fx).astype(int), w - 1)
    return r, c, inner[np.ix_(ry, rx)][r, c]


def _sheet_like(mask: np.ndarray) -> bool:
    """Whether ``mask`` (the ink) is a solid area with dark strokes inside: a sheet, not a digit.

    It covers half its bounding box or more, encloses dark holes of at least 1 % of it, and a
    seventh of it survives an erosion by 8 % of its width (strokes, however bold, do not).
    """
    if np.count_nonzero(mask) < 0.5 * mask.size:
        return False
    small = _resize(mask.astype(np.float64), fit(mask.shape, PAPER_SEARCH), "box") > 0.5
    h, w = small.shape
    if min(h, w) < 3:
        return False
    edge = np.flatnonzero(np.pad(np.zeros((h - 2, w - 2), bool), 1, constant_values=True))
    holes = ~small & ~_flood(~small, edge)
    if np.count_nonzero(holes) < 0.01 * small.size:
        return False
    core = ~small
    for _ in range(max(2, round(0.08 * min(h, w)))):
        core = _dilate(core)
    return np.count_nonzero(~core) >= 0.15 * np.count_nonzero(small)  # solid, not strokes


def image_to_grid(source: str | os.PathLike | np.ndarray) -> np.ndarray:
    """The MNIST-style 28 x 28 float32 image in [0, 1] (white digit on black) of ``source``.

    ``source`` is a picture file, a PIL image of any mode or a 2-D array, each scaled by the
    range of its type (8-bit: 255, 16-bit: 65535, floats: 1 when they lie in 0..1).
    Steps: grayscale; a light sheet of paper on a darker surround (a photo of a desk) is cut
    out and the surround dropped; the background is the median of the border pixels, and a light
    background is inverted so the digit is white on black; contrast stretched to [0, 1];
    pixels below 20 % of the brightest ink are cleared; crop to the ink's bounding box; thin
    strokes thickened to MNIST's proportions; the longer side scaled to 20 px (antialiased);
    pasted into 28 x 28 with its centre of mass at (14, 14), as MNIST was made.
    """
    name = "image array" if isinstance(source, np.ndarray) else str(getattr(source, "filename", source))
    g = load_gray(source, name)
    if max(g.shape) > MAX_INPUT:
        g = _resize(g, fit(g.shape, MAX_INPUT), "box")
    paper = _paper(g)
    if paper is not None:  # a photo of a sheet on a desk: keep the sheet, the desk made white
        rows, cols, sheet = paper
        g = g[rows, cols].copy()
        g[~sheet] = np.median(g[sheet])
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    background = float(np.median(border))
    ink = background - g if background > 0.5 else g - background
    np.clip(ink, 0.0, None, out=ink)
    peak = float(ink.max())
    if peak < MIN_CONTRAST:
        raise ValueError(f"{name}: no digit found (the image is blank: no ink differs from the background)")
    ink /= peak
    ink[ink < INK_THRESHOLD] = 0.0
    ink = ink[_bbox(ink > 0)]
    if ink.size >= 0.6 * g.size and _sheet_like(ink > 0.5):
        raise ValueError(f"{name}: no single digit found: {SOLID_PICTURE}")
    if max(ink.shape) > WORK:
        ink = _resize(ink, fit(ink.shape, WORK), "box")
        ink /= ink.max()
    for _ in range(WORK // 4):  # thicken hairlines so they survive the scaling to 20 px
        if _stroke_width(ink > 0.5) >= MIN_STROKE * max(ink.shape):
            break
        ink = _dilate(np.pad(ink, 1))
    small = np.clip(_resize(ink, fit(ink.shape, BOX), "lanczos"), 0.0, 1.0)
    return _centred(small / small.max())


def _centred(small: np.ndarray) -> np.ndarray:
    """``small`` (h, w), at most 20 x 20, pasted into a black 28 x 28 float32 image with its centre
    of mass at (14, 14) as far as it fits, as MNIST was made."""
    h, w = small.shape
    mass = small.sum()
    cy = float((small.sum(axis=1) * np.arange(h)).sum() / mass)
    cx = float((small.sum(axis=0) * np.arange(w)).sum() / mass)
    top = min(max(round(SIZE / 2 - cy), 0), SIZE - h)
    left = min(max(round(SIZE / 2 - cx), 0), SIZE - w)
    out = np.zeros((SIZE, SIZE), dtype=np.float32)
    out[top : top + h, left : left + w] = small
    return out


def image_to_column(source: str | os.PathLike | np.ndarray) -> np.ndarray:
    """A picture of one digit as an input column x (784, 1), float32 in [0, 1].

    The pixels of :func:`image_to_grid` row by row, like one column of ``X`` from load_mnist,
    so ``predict(params, image_to_column("digit.png"))`` classifies it. Raises a ValueError
    naming the file when it cannot be read as an image or holds no digit.
    """
    return image_to_grid(source).reshape(SIZE * SIZE, 1)
