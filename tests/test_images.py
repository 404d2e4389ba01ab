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


# --------------------------------------------------------------------------------------------
# Every mode Pillow opens is scaled by its real range
# --------------------------------------------------------------------------------------------
def _reference() -> Image.Image:
    """A grey '1' on a grey background, 8-bit: what every other mode must reproduce."""
    return _draw_one(200, 60, size=(120, 90), width=7)


def _in_mode(mode: str) -> Image.Image:
    base = _reference()
    a = np.asarray(base, dtype=np.float64) / 255
    if mode.startswith("I;16"):
        order = ">u2" if mode == "I;16B" else "<u2"
        return Image.frombytes(mode, base.size, np.round(a * 65535).astype(order).tobytes())
    if mode == "I":
        return Image.fromarray(np.round(a * 65535).astype(np.int32))
    if mode == "F":
        return Image.fromarray(a.astype(np.float32))  # values in 0..1
    if mode == "1":
        return base.point(lambda v: 255 if v > 128 else 0).convert("1")
    if mode in ("RGBa", "La"):
        return base.convert("RGBA" if mode == "RGBa" else "LA").convert(mode)
    if mode == "LAB":  # Pillow 10 converts RGB to LAB, not L
        return base.convert("RGB").convert(mode)
    return base.convert(mode)


MODES = ["1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "I", "I;16", "I;16B", "I;16L", "F"]
MODES += ["CMYK", "YCbCr", "LAB", "HSV"]


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_gives_the_digit_of_its_8_bit_version(mode):
    img = _in_mode(mode)
    assert img.mode == mode
    want = _reference().point(lambda v: 255 if v > 128 else 0) if mode == "1" else _reference()
    assert np.abs(image_to_grid(img) - image_to_grid(want)).mean() < 0.01


@pytest.mark.parametrize(
    ("mode", "suffix"), [("I;16", ".png"), ("I", ".tif"), ("F", ".tif"), ("I;16", ".tif"), ("I;16B", ".tif")]
)
def test_high_depth_files_are_read_at_their_depth(tmp_path, mode, suffix):
    path = tmp_path / f"digit{suffix}"
    _in_mode(mode).save(path)
    with Image.open(path) as opened:
        assert opened.mode not in ("L", "RGB")  # the file really is high-depth
    assert np.abs(image_to_grid(path) - image_to_grid(_reference())).mean() < 0.01


def test_grey_on_grey_16_bit_digit_is_not_blank(tmp_path):
    """Values far above 255: clipping to 8 bits would make every pixel 255, a blank picture."""
    a = np.full((90, 120), 40000, np.uint16)
    a[15:75, 55:62] = 20000
    path = tmp_path / "grey.png"
    Image.fromarray(a).save(path)
    g = image_to_grid(path)
    h, w = _bbox(g, 0.05)
    assert h >= 19 and w < 9  # the vertical bar


def test_a_faint_16_bit_ring_stays_faint(tmp_path):
    """A ring at 3 % of the range is noise, not a stroke: it must not turn the '1' into a '0'."""
    one = np.zeros((200, 200), np.uint16)
    one[30:170, 95:106] = 65535
    ring = one.copy()
    yy, xx = np.mgrid[0:200, 0:200]
    ring[np.abs(np.hypot(yy - 100, xx - 100) - 90) < 3] = 2000
    clean, faint = tmp_path / "one.png", tmp_path / "ring.png"
    Image.fromarray(one).save(clean)
    Image.fromarray(ring).save(faint)
    assert np.abs(image_to_grid(faint) - image_to_grid(clean)).mean() < 0.01


def test_float_tiff_in_0_1_is_not_blank(tmp_path):
    a = np.full((90, 120), 0.9, np.float32)
    a[15:75, 55:62] = 0.2
    path = tmp_path / "digit.tif"
    Image.fromarray(a).save(path)
    assert image_to_grid(path).max() == pytest.approx(1.0)


@pytest.mark.parametrize("dtype", [np.uint16, np.int32, np.float32, bool])
def test_arrays_are_scaled_by_their_type(dtype):
    a = np.asarray(_reference(), dtype=np.float64) / 255
    scale = {np.uint16: 65535, np.int32: 65535, np.float32: 1, bool: 1}[dtype]
    arr = (a > 0.5) if dtype is bool else (a * scale).astype(dtype)
    want = (
        image_to_grid(np.asarray(_reference().point(lambda v: 255 if v > 128 else 0)))
        if dtype is bool
        else None
    )
    got = image_to_grid(arr)
    ref = want if want is not None else image_to_grid(np.asarray(_reference()))
    assert np.abs(got - ref).mean() < 0.01


# --------------------------------------------------------------------------------------------
# Whatever a decoder raises becomes one line naming the file
# --------------------------------------------------------------------------------------------
def _png_with_chunk_claiming(length: int) -> bytes:
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0)
    chunk = struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk + struct.pack(">I", length) + b"IDAT" + b"\0" * 64


@pytest.mark.parametrize(
    "content",
    [
        _png_with_chunk_claiming(2**31 - 1),
        _png_with_chunk_claiming(2**32 - 1),
        b"DDS " + b"\x7c\0\0\0" + b"\xff" * 120,  # a DDS header of nonsense
        b"BLP2" + b"\1\0\0\0" + b"\xff" * 140,  # a BLP header of nonsense
        b"\0\0\0\x1cftypavif" + b"\0" * 16 + b"\xff" * 64,  # a damaged AVIF
        b"\0\0\0\x0cjP  \r\n\x87\n" + b"\x7f\xff\xff\xffjp2h" + b"\0" * 32,  # a JP2 box claiming 2 GB
        b"GIF89a" + b"\xff\xff\xff\xff" + b"\0" * 20,
        b"BM" + b"\xff" * 60,
    ],
    ids=["png-2GB", "png-4GB", "dds", "blp", "avif", "jp2", "gif", "bmp"],
)
def test_a_picture_no_decoder_can_read_is_one_clear_line(tmp_path, content):
    path = tmp_path / "picture.img"
    path.write_bytes(content)
    with pytest.raises(ValueError) as info:
        image_to_column(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message


@pytest.mark.parametrize(
    "error", [NotImplementedError, RuntimeError, MemoryError, OSError, SyntaxError, KeyError]
)
def test_any_decoder_exception_becomes_a_value_error(tmp_path, monkeypatch, error):
    path = tmp_path / "digit.png"
    _reference().save(path)

    def broken(self, *args, **kwargs):
        raise error("the decoder gave up")

    monkeypatch.setattr(Image.Image, "copy", broken)
    with pytest.raises(ValueError, match=f"{path}: cannot read it as an image \\({error.__name__}"):
        image_to_column(path)


# --------------------------------------------------------------------------------------------
# A digit on white paper photographed on a dark desk
# --------------------------------------------------------------------------------------------
def test_a_digit_on_paper_on_a_dark_desk_is_read_from_the_paper():
    """The sheet is found and the digit read from it: close to the digit itself, for most photos."""
    from photos import photo_of_digit

    from helpers.data import load_sample

    X, _ = load_sample()
    close = 0
    for seed in range(20):
        digit = X[:, seed * 241 % 5000].reshape(28, 28)
        got, want = image_to_grid(photo_of_digit(digit, seed)), image_to_grid(digit)
        close += np.corrcoef(got.ravel(), want.ravel())[0, 1] > 0.6
    assert close >= 17


def test_light_digits_on_black_are_not_taken_for_paper():
    """MNIST's own digits (white on black), small and enlarged: never cropped as a sheet."""
    from helpers import images
    from helpers.data import load_sample

    X, _ = load_sample()
    found = 0
    for j in range(0, 5000, 25):
        d = X[:, j].reshape(28, 28).astype(np.float64)
        found += images._paper(d) is not None
        found += images._paper(np.kron(d, np.ones((4, 4)))) is not None
    assert found <= 2


def test_a_sheet_that_is_not_found_is_refused_not_read_as_a_digit():
    """Turned 40 degrees, the sheet is not taken for paper; it fills the picture: a clear error."""
    from helpers.images import PICTURE_HELP

    desk = Image.new("L", (400, 300), 30)
    sheet = Image.new("L", (260, 200), 235)
    ImageDraw.Draw(sheet).line([(130, 40), (130, 160)], fill=20, width=9)
    turned = sheet.rotate(40, expand=True, fillcolor=0)
    mask = sheet.point(lambda v: 255).rotate(40, expand=True)
    desk.paste(turned, ((400 - turned.size[0]) // 2, (300 - turned.size[1]) // 2), mask)
    with pytest.raises(
        ValueError, match="no single digit found: one solid light area fills most of the picture"
    ):
        image_to_grid(desk)
    assert "one digit" in PICTURE_HELP
