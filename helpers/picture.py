"""Reading any picture as a greyscale array, scaled by the real range of its pixel type.

A file (any format Pillow decodes), a PIL image of any mode or a NumPy array becomes a float
array (H, W) in [0, 1]: 8-bit values are divided by 255, 16-bit ones by 65535, floats in 0..1
kept, and so on (:func:`_scaled`), never clipped to 8 bits. The pixel budget is checked from
the file's header before it is decoded, large pictures are shrunk before any float copy, and
whatever a decoder raises on a damaged or exotic file becomes one ValueError naming the file.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

MAX_INPUT = 1024  #: larger pictures are first shrunk to this longer side
#: The pixel budget: larger pictures are refused from their header, before they are decoded.
#: A 48-megapixel phone photo fits; decoding one at its budget takes at most about 200 MB.
MAX_PIXELS = 50_000_000


class _Refused(ValueError):
    """A picture this module refuses on purpose (its own message), not a decoder's failure."""


def _scaled(a: np.ndarray) -> np.ndarray:
    """Pixel values as float64 in [0, 1], divided by the range their type really has.

    bool: 1; uint8: 255; uint16: 65535. Other integers and floats (Pillow's "I" and "F"
    modes, arrays) have no fixed range: the smallest of 1, 255 and 65535 that holds their
    maximum, or their own min..max when they go beyond (or below 0).
    """
    kind = {np.dtype(bool): 1.0, np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}
    f = np.asarray(a, dtype=np.float64)
    if a.dtype.newbyteorder("=") in kind:
        return f / kind[a.dtype.newbyteorder("=")]
    if not np.all(np.isfinite(f)):
        raise _Refused("the picture holds NaN or infinite values")
    lo, hi = float(f.min()), float(f.max())
    if lo >= 0:
        top = next((r for r in (1.0, 255.0, 65535.0) if hi <= r), hi)
        return f / top
    return (f - lo) / (hi - lo) if hi > lo else np.zeros_like(f)


def _gray(img) -> np.ndarray:
    """Grayscale float (H, W) in [0, 1] of a PIL image of any mode, scaled by its real range."""
    if img.mode in ("La", "RGBa"):  # premultiplied alpha: undo it first
        img = img.convert("LA" if img.mode == "La" else "RGBA")
    mode = img.mode
    if _has_alpha(img):
        # Drawings often have a transparent background: lay them on a background that
        # contrasts with the opaque strokes.
        rgba = img.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float64) / 255.0
        lum = np.asarray(rgba.convert("L"), dtype=np.float64) / 255.0
        if alpha.min() < 1.0:
            opaque = alpha > 0.5
            ink_is_dark = not opaque.any() or lum[opaque].mean() < 0.5
            back = 1.0 if ink_is_dark else 0.0
            return alpha * lum + (1 - alpha) * back
        return lum
    if mode in ("1", "L", "I", "F") or mode.startswith("I;16"):
        return _scaled(np.asarray(img))  # one channel: its own values, not clipped to 8 bits
    if mode == "LAB":
        return _scaled(np.asarray(img.getchannel("L")))  # the lightness channel
    if mode not in ("RGB", "P", "CMYK", "YCbCr"):
        img = img.convert("RGB")  # HSV and the rest
    return _scaled(np.asarray(img.convert("L")))


def load_gray(source: str | os.PathLike | np.ndarray, name: str) -> np.ndarray:
    """Grayscale float array (H, W) in [0, 1] from an image file, PIL image or 2-D array."""
    from PIL import Image, ImageOps

    if isinstance(source, np.ndarray):
        a = source
        if a.ndim == 3 and a.shape[2] in (3, 4):
            a = a[..., :3].mean(axis=2)
        if a.ndim != 2 or min(a.shape) < 1:
            raise ValueError(f"{name}: expected a 2-D grayscale image array, got shape {a.shape}")
        _check_budget(name, a.shape[1], a.shape[0])
        try:
            return _scaled(a)
        except _Refused as exc:
            raise ValueError(f"{name}: {exc}") from None
    if isinstance(source, Image.Image):
        _check_budget(name, *source.size)
        return _gray(_shrunk(source))
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such image file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as opened:
                _check_budget(str(path), *opened.size)  # from the header, before decoding
                opened.draft("L", (MAX_INPUT, MAX_INPUT))  # JPEG: decode at a reduced scale
                return _gray(_shrunk(ImageOps.exif_transpose(opened)))  # phones store a rotation tag
    except _Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValueError(
            f"{path}: too many pixels, above the budget of {MAX_PIXELS:,} pixels for a picture of a "
            f"digit ({str(exc).split(',')[0]})"
        ) from None
    except Exception as exc:  # whatever a decoder raises on a damaged or exotic file
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise ValueError(f"{path}: cannot read it as an image ({type(exc).__name__}: {reason})") from None


def _check_budget(name: str, width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise _Refused(
            f"{name}: {width} x {height} pixels, above the budget of {MAX_PIXELS:,} pixels "
            "for a picture of a digit"
        )


def _has_alpha(img) -> bool:
    return img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (img.mode == "P" and "transparency" in img.info)


def _shrunk(img):
    """A PIL image whose longer side is at most MAX_INPUT, shrunk (box filter) before any float copy.

    16-bit images are shrunk as 32-bit integers ("I"), which keeps their range for :func:`_gray`.
    """
    from PIL import Image

    if max(img.size) <= MAX_INPUT:
        return img.copy()  # decoded now, inside the caller's error handling
    if img.mode.startswith("I;16"):
        img = img.convert("I")
    elif img.mode not in ("L", "RGB", "RGBA", "LA", "I", "F"):
        img = img.convert("RGBA" if _has_alpha(img) else "L")
    w, h = fit((img.size[1], img.size[0]), MAX_INPUT)[::-1]
    return img.resize((w, h), Image.Resampling.BOX)


def fit(shape: tuple[int, int], longer: int) -> tuple[int, int]:
    """``shape`` scaled so its longer side is ``longer``, keeping the aspect ratio."""
    h, w = shape
    scale = longer / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


__all__ = ["MAX_INPUT", "MAX_PIXELS", "fit", "load_gray"]
