"""Hostile pictures for ``predict``: a pixel budget checked from the header, memory bounded.

The PNG bombs are 1-bit images of zeros built here in a few kilobytes (never decoded to full
size in the test process); they are read by the command line under an address-space limit.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from bounded import run_bounded
from PIL import Image

from helpers.images import MAX_PIXELS, image_to_column
from helpers.models import save_params
from helpers.nn import init_params


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_bomb(path: Path, width: int, height: int) -> Path:
    """A valid 1-bit grayscale PNG of width x height black pixels, compressed row by row."""
    row = b"\x00" + bytes((width + 7) // 8)  # filter type 0, then the packed bits
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )
    return path


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return save_params(tmp_path_factory.mktemp("model") / "model.npz", init_params(784, 10, 10, seed=0))


def _predict_bounded(model: Path, *images: Path, mib: int = 700):
    argv = ["predict", str(model), *map(str, images)]
    return run_bounded(f"import sys\nfrom helpers.cli import main\nsys.exit(main({argv!r}))", mib=mib)


@pytest.mark.parametrize("side", [20000, 9400])
def test_png_bomb_is_refused_from_its_header_and_the_others_are_read(tmp_path, model, side):
    bomb = _png_bomb(tmp_path / "bomb.png", side, side)
    assert bomb.stat().st_size < 200_000
    digit = np.zeros((28, 28), np.uint8)
    digit[6:22, 12:16] = 255  # a "1"
    good = tmp_path / "one.png"
    Image.fromarray(digit).save(good)
    result = _predict_bounded(model, bomb, good)
    assert result.returncode == 1, result.stderr
    err = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith(f"error: {bomb}: ")
    assert f"pixels, above the budget of {MAX_PIXELS:,} pixels for a picture of a digit" in err[0]
    assert result.stdout.startswith(f"{good}: ") and "p=" in result.stdout  # the next image was read


def test_picture_at_the_budget_is_decoded_within_bounded_memory(tmp_path, model):
    """7000 x 7000 = 49 megapixels: accepted, shrunk before any float copy (a float64 copy
    alone would be 392 MiB), and found blank."""
    big = _png_bomb(tmp_path / "big.png", 7000, 7000)
    result = _predict_bounded(model, big, mib=600)
    assert result.returncode == 1, result.stderr
    assert (
        result.stderr.strip()
        == f"error: {big}: no digit found (the image is blank: no ink differs from the background)"
    )


def test_array_input_has_the_same_budget():
    with pytest.raises(ValueError, match="above the budget"):
        image_to_column(np.broadcast_to(np.uint8(0), (8000, 8000)))
