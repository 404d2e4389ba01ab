"""helpers.widgets: the draw-a-digit widget and the mistakes explorer, driven from Python.

The browser side is exercised by tests/browser; here the kernel side is checked against
independent computations: the same strokes through PIL + image_to_column + predict_proba.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import load_mnist, predict_proba, run_recipe, train_dev_split
from helpers.images import image_to_column
from helpers.metrics import confusion_matrix
from helpers.nn import forward_prop
from helpers.widgets import DrawDigit, MistakeExplorer, rasterize_strokes
from helpers.widgets._static import WIDGET_VIEW

ONE = [[[140.0, 40.0], [141.0, 100.0], [142.0, 170.0], [142.0, 240.0]]]  # a vertical stroke


@pytest.fixture(scope="module")
def trained():
    data = load_mnist("no-such-dir", source="sample")
    X, y, Xd, yd = train_dev_split(data.X_train, data.y_train, 1000, seed=0)
    params, _ = run_recipe("fast", X, y, seed=0, epochs=8, progress=False)
    return params, Xd, yd


def test_rasterize_draws_dark_ink_where_the_stroke_is():
    img = rasterize_strokes(ONE, size=280, pen=20)
    assert img.shape == (280, 280)
    assert img[140, 141] == 0.0 and img[140, 20] == 1.0 and img[10, 141] == 1.0
    dot = rasterize_strokes([[[50, 50]]], size=100, pen=10)
    assert dot[50, 50] == 0.0 and dot[50, 60] == 1.0  # a one-point stroke is a dot of the pen's width


def test_drawing_runs_the_same_preprocessing_and_network_as_predict(trained):
    params, Xd, yd = trained
    w = DrawDigit(params)
    w.draw(ONE)
    x = image_to_column(rasterize_strokes(ONE))  # what `python -m helpers predict` does with a PNG
    p = predict_proba(params, x)[:, 0]
    assert np.allclose(w.grid, x.ravel(), atol=1e-3)
    assert np.allclose(w.probs, p, atol=1e-5)
    assert np.isclose(sum(w.probs), 1.0, atol=1e-4)
    _, A1, _, _ = forward_prop(*params, x)
    assert np.allclose(w.hidden, A1[:, 0], atol=1e-3) and len(w.hidden) == params[0].shape[0]
    assert w.prediction == int(np.argmax(p)) == 1


def test_clear_blank_and_too_little_ink(trained):
    params, _, _ = trained
    w = DrawDigit(params)
    assert w.prediction == -1 and w.probs == [] and w.grid == []
    w.draw(ONE)
    w.clear()
    assert w.prediction == -1 and w.strokes == [] and w.x is None
    w2 = DrawDigit(params, np.ones((784, 1), dtype=np.float32) * 0.5)
    w2.load_example(0)
    assert w2.prediction >= 0 and w2.x is not None
    w2.background = []  # what the browser's Clear button sends (strokes were already empty)
    assert w2.prediction == -1 and w2.x is None and w2.grid == []


def test_test_digits_are_shown_as_the_network_sees_them(trained):
    params, Xd, yd = trained
    w = DrawDigit(params, Xd[:, :3], yd[:3])
    w.load_request += 1  # what the browser's button does
    assert np.allclose(w.grid, Xd[:, 0], atol=1e-3)
    assert np.allclose(w.probs, predict_proba(params, Xd[:, :1])[:, 0], atol=1e-5)
    assert f"labelled {yd[0]}" in w.message
    for _ in range(3):
        w.load_example()
    assert np.allclose(w.grid, Xd[:, 0], atol=1e-3), "the examples cycle"
    with pytest.raises(IndexError, match="does not exist"):
        w.load_example(3)


def test_bad_input_is_refused(trained):
    params, Xd, yd = trained
    with pytest.raises(ValueError, match="X_examples"):
        DrawDigit(params, Xd[:100])
    with pytest.raises(ValueError, match="y_examples"):
        DrawDigit(params, Xd[:, :3], yd[:4])


def test_static_picture_beside_the_widget_view(trained):
    params, _, _ = trained
    w = DrawDigit(params)
    w.draw(ONE)
    data, _ = w._repr_mimebundle_()
    assert WIDGET_VIEW in data and data["image/png"].startswith(b"\x89PNG")
    assert "0x" not in data["text/plain"], "the text fallback must not vary from run to run"
    fig = w.figure()
    assert "prediction: 1" in fig.axes[3].get_title()


def test_mistakes_cell_lists_its_digits_most_confident_first(trained):
    params, Xd, yd = trained
    A2 = predict_proba(params, Xd)
    pred = A2.argmax(axis=0)
    m = MistakeExplorer(Xd, yd, A2)
    assert m.matrix == confusion_matrix(yd, pred).tolist()
    cm = np.array(m.matrix)
    off = cm - np.diag(np.diag(cm))
    assert cm[m.selected[0], m.selected[1]] == off.max(), "starts on the most frequent mistake"
    t, p = 4, 9
    m.selected = [t, p]
    want = [i for i in range(yd.size) if yd[i] == t and pred[i] == p]
    want.sort(key=lambda i: -A2[p, i])
    assert m.count == len(want) == cm[t, p]
    assert [item["index"] for item in m.items] == want[: m.limit]
    for item in m.items:
        assert item["label"] == t and item["prediction"] == p
        assert np.allclose(item["probs"], A2[:, item["index"]], atol=1e-4)
        assert np.allclose(np.array(item["pixels"]) / 255, Xd[:, item["index"]], atol=1 / 255)
    m.limit = 2
    assert len(m.items) == min(2, len(want))
    data, _ = m._repr_mimebundle_()
    assert data["image/png"].startswith(b"\x89PNG")


def test_mistakes_from_a_model_file(trained, tmp_path):
    from helpers.models import save_params

    params, _, _ = trained
    path = save_params(tmp_path / "model.npz", params)
    m = MistakeExplorer.from_model(path, data_dir=tmp_path, split="train")
    data = load_mnist(tmp_path)
    pred = predict_proba(params, data.X_train).argmax(axis=0)
    assert m.matrix == confusion_matrix(data.y_train, pred).tolist()
    assert "model.npz" in m.title
    with pytest.raises(ValueError, match="split"):
        MistakeExplorer.from_model(path, data_dir=tmp_path, split="dev")


def test_mistakes_bad_shapes(trained):
    _, Xd, yd = trained
    with pytest.raises(ValueError, match="A2 must be"):
        MistakeExplorer(Xd, yd, np.ones((10, 3)))
    with pytest.raises(ValueError, match="y must hold"):
        MistakeExplorer(Xd, yd[:5], np.ones((10, Xd.shape[1])) / 10)


def _bar_colours(ax) -> list[str]:
    from matplotlib.colors import to_hex

    return [to_hex(bar.get_facecolor()) for bar in ax.patches]


def test_static_mistakes_picture_is_not_red_against_green_and_labels_every_bar(trained):
    from figure_checks import assert_readable_text

    from helpers.figstyle import contrast_ratio
    from helpers.widgets.mistakes import ANSWER, TRUE

    params, Xd, yd = trained
    m = MistakeExplorer(Xd, yd, predict_proba(params, Xd))
    t, p = m.selected
    fig = m.figure()
    matrix, bars = fig.axes[0], [ax for ax in fig.axes if ax.patches and not ax.images]
    assert bars, "the selected cell's digits have their probability bars"
    for ax in bars:
        colours = _bar_colours(ax)
        assert colours[p] == ANSWER and colours[t] == TRUE
        assert not {"#27ae60", "#1e6b34"} & set(colours), "no green: many readers cannot tell it from red"
        assert ax.patches[t].get_hatch() and not ax.patches[p].get_hatch(), "the true digit is hatched too"
        assert [lbl.get_text() for lbl in ax.get_xticklabels()] == [str(d) for d in range(10)]
    im = matrix.images[0]
    for text in matrix.texts:
        k, j = text.get_position()
        cell = im.cmap(im.norm(im.get_array()[int(j), int(k)]))
        assert contrast_ratio(cell, text.get_color()) >= 4.5, text.get_text()
    assert_readable_text(fig)


def test_static_drawing_picture_shows_the_answer_in_red(trained):
    from figure_checks import assert_readable_text

    from helpers.widgets.draw import ANSWER

    params, _, _ = trained
    w = DrawDigit(params)
    w.draw(ONE)
    fig = w.figure()
    colours = _bar_colours(fig.axes[3])
    assert colours[w.prediction] == ANSWER and colours.count(ANSWER) == 1
    assert fig.axes[3].get_xticklabels()[w.prediction].get_fontweight() == "bold"
    assert len(fig.axes[2].get_xticks()) == params[0].shape[0], "every hidden unit numbered"
    assert_readable_text(fig)
