"""Tests for helpers.images: any picture of a digit becomes an MNIST-style column."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from helpers.images import image_to_column, image_to_grid


def _draw_one(background: int, ink: int, size=(300, 200), width: int = 8) -> Image.Image:
    """A '1' (a vertical stroke with a flag) drawn on a size = (width, height) canvas."""
    img = Image.new("L", size, background)
    d = ImageDraw.Draw(img)
    w, h = size
    d.line([(w * 0.55, h * 0.15), (w * 0.55, h * 0.85)], fill=ink, width=width)
    d.line([(w * 0.55, h * 0.15), (w * 0.45, h * 0.3)], fill=ink, width=width)
    return img


def _draw_blob(background: int, ink: int, size=(300, 200)) -> Image.Image:
    img = Image.new("L", size, background)
    ImageDraw.Draw(img).ellipse([40, 50, 160, 130], fill=ink)  # 120 wide, 80 tall, off-centre
    return img


def _centre_of_mass(g: np.ndarray) -> tuple[float, float]:
    r = np.arange(g.shape[0])
    return float((g.sum(axis=1) * r).sum() / g.sum()), float((g.sum(axis=0) * r).sum() / g.sum())


def _bbox(g: np.ndarray, level: float = 0.0) -> tuple[int, int]:
    rows = np.flatnonzero((g > level).any(axis=1))
    cols = np.flatnonzero((g > level).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_column_shape_dtype_range(tmp_path):
    path = tmp_path / "one.png"
    _draw_one(255, 0).save(path)
    x = image_to_column(path)
    assert x.shape == (784, 1) and x.dtype == np.float32
    assert x.min() >= 0 and x.max() == pytest.approx(1.0)
    np.testing.assert_array_equal(x.reshape(28, 28), image_to_grid(str(path)))


@pytest.mark.parametrize("draw", [_draw_one, _draw_blob])
def test_light_and_dark_background_give_the_same_digit(tmp_path, draw):
    light, dark = tmp_path / "light.png", tmp_path / "dark.jpg"
    draw(255, 0).save(light)
    draw(0, 255).convert("RGB").save(dark, quality=95)
    a, b = image_to_grid(light), image_to_grid(dark)
    assert a.shape == (28, 28)
    assert np.abs(a - b).mean() < 0.02 and np.abs(a - b).max() < 0.35
    assert a[0].max() == 0 and a[:, 0].max() == 0  # the background became black (0)


@pytest.mark.parametrize("draw", [_draw_one, _draw_blob])
def test_mnist_geometry(draw):
    g = image_to_grid(np.asarray(draw(230, 40)))
    cy, cx = _centre_of_mass(g)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    h, w = _bbox(g, 0.05)
    assert 19 <= max(h, w) <= 21  # the longer side scaled to 20 px


def test_aspect_ratio_is_kept():
    g = image_to_grid(np.asarray(_draw_blob(255, 0)))  # ellipse 3:2
    h, w = _bbox(g, 0.3)
    assert w / h == pytest.approx(1.5, rel=0.15)


def test_size_and_contrast_do_not_matter():
    big = image_to_grid(np.asarray(_draw_one(250, 90, size=(1200, 800), width=32)))
    small = image_to_grid(np.asarray(_draw_one(250, 90, size=(150, 100), width=4)))
    assert np.abs(big - small).mean() < 0.05


def test_faint_noise_is_removed():
    rng = np.random.default_rng(0)
    clean = np.asarray(_draw_one(255, 0), dtype=np.float64)
    noisy = np.clip(clean - rng.uniform(0, 30, clean.shape), 0, 255)  # faint grey specks
    assert np.abs(image_to_grid(noisy) - image_to_grid(clean)).mean() < 0.02


def test_hairline_strokes_are_thickened():
    thin = image_to_grid(np.asarray(_draw_one(255, 0, size=(900, 600), width=2)))
    assert thin.max() == pytest.approx(1.0)
    assert np.count_nonzero(thin > 0.5) >= 20  # a visible stroke, like MNIST's 2-3 px


def test_transparent_png_drawing(tmp_path):
    rgba = Image.new("RGBA", (200, 200), (0, 0, 0, 0))  # transparent black background
    ImageDraw.Draw(rgba).line([(100, 30), (100, 170)], fill=(0, 0, 0, 255), width=10)
    path = tmp_path / "drawing.png"
    rgba.save(path)
    g = image_to_grid(path)
    h, w = _bbox(g, 0.05)
    assert h >= 19 and w < 8  # a vertical bar, not an empty or inverted image


def test_array_in_0_1_and_0_255_agree():
    a = np.asarray(_draw_one(255, 0), dtype=np.float64)
    np.testing.assert_allclose(image_to_grid(a), image_to_grid(a / 255), atol=1e-5)


def test_blank_image_raises(tmp_path):
    path = tmp_path / "blank.png"
    Image.new("L", (100, 80), 255).save(path)
    with pytest.raises(ValueError, match="blank.png.*no digit"):
        image_to_column(path)


def test_unreadable_or_missing_file(tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    with pytest.raises(ValueError, match="notes.png.*cannot read"):
        image_to_column(bad)
    with pytest.raises(FileNotFoundError, match="missing.png"):
        image_to_column(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="2-D"):
        image_to_column(np.zeros((2, 3, 5)))


def test_an_mnist_digit_survives_the_round_trip():
    """An MNIST digit (already 20 px, centred) comes back nearly unchanged."""
    from helpers.data import load_sample

    X, _ = load_sample()
    for j in range(5):
        x = X[:, j].reshape(28, 28)
        g = image_to_grid(x)
        assert np.abs(g - x).mean() < 0.02
