"""Tests for helpers.plots: every function returns a Figure with the expected panels."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from figure_checks import assert_not_colour_alone, assert_readable_text
from matplotlib.figure import Figure

from helpers import plots
from helpers.training import History


@pytest.fixture(autouse=True)
def _no_open_figures():
    plt.close("all")
    yield
    # Figures are returned, never left open in pyplot.
    assert plt.get_fignums() == []


def _images(fig: Figure) -> int:
    return sum(len(ax.images) for ax in fig.axes)


def _titles(fig: Figure) -> list[str]:
    return [ax.get_title() for ax in fig.axes]


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.random((784, 40)).astype(np.float32)
    y = rng.integers(0, 10, 40)
    Z = rng.normal(size=(10, 40)) * 3
    A2 = np.exp(Z) / np.exp(Z).sum(axis=0)
    return X, y, A2


@pytest.mark.parametrize("shape", [(784,), (784, 1), (28, 28)])
def test_plot_digit(shape):
    x = np.linspace(0, 1, 784).reshape(shape)
    fig = plots.plot_digit(x, title="a seven")
    assert isinstance(fig, Figure)
    assert _images(fig) == 1
    assert _titles(fig) == ["a seven"]
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), x.reshape(28, 28))


def test_plot_digit_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"\(784,\)"):
        plots.plot_digit(np.zeros(100))


def test_plot_digits_labels_and_predictions(data):
    X, y, _ = data
    pred = y.copy()
    pred[1] = (y[1] + 1) % 10
    fig = plots.plot_digits(X, labels=y, predictions=pred, n=12, ncols=5)
    assert _images(fig) == 12 and len(fig.axes) == 12
    titles = _titles(fig)
    assert titles[0] == f"label {y[0]} / pred {y[0]}"
    assert titles[1] == f"label {y[1]} / pred {pred[1]}"
    assert fig.axes[0].title.get_color() != fig.axes[1].title.get_color()  # right vs wrong
    np.testing.assert_array_equal(fig.axes[3].images[0].get_array(), X[:, 3].reshape(28, 28))
    only = plots.plot_digits(X, labels=y)
    assert _images(only) == 25 and _titles(only)[:3] == [str(v) for v in y[:3]]
    assert _images(plots.plot_digits(X[:, :4])) == 4  # n larger than m


def test_plot_mistakes_most_confident_first(data):
    X, y, A2 = data
    fig = plots.plot_mistakes(X, y, A2, n=6)
    pred = A2.argmax(axis=0)
    wrong = np.flatnonzero(pred != y)
    expected = wrong[np.argsort(-A2.max(axis=0)[wrong])][:6]
    assert _images(fig) == len(expected) == 6
    for ax, i in zip(fig.axes, expected):
        title = ax.get_title()
        assert f"true {y[i]} → {pred[i]}" in title
        assert f"p={A2[pred[i], i]:.2f}" in title
        np.testing.assert_array_equal(ax.images[0].get_array(), X[:, i].reshape(28, 28))
    shown = [float(ax.get_title().split("p=")[1]) for ax in fig.axes]
    assert shown == sorted(shown, reverse=True)
    assert f"{len(wrong)} of 40" in fig.get_suptitle()


def test_plot_mistakes_without_mistakes(data):
    X, y, _ = data
    A2 = np.eye(10)[:, y]
    fig = plots.plot_mistakes(X, y, A2)
    assert _images(fig) == 0
    assert "No mistakes" in fig.axes[0].texts[0].get_text()


def test_plot_confusion_two_annotated_panels():
    y_true = np.array([0, 0, 1, 1, 2, 2, 2, 9])
    y_pred = np.array([0, 1, 1, 1, 2, 0, 2, 9])
    fig = plots.plot_confusion(y_true, y_pred)
    assert len(fig.axes) == 2 and _images(fig) == 2
    counts, rates = (ax.images[0].get_array() for ax in fig.axes)
    assert counts[2, 0] == 1 and counts[2, 2] == 2 and counts.sum() == 8
    np.testing.assert_allclose(rates[2], counts[2] / 3 * 100)
    texts = {(t.get_position(), t.get_text()) for t in fig.axes[0].texts}
    assert ((2, 2), "2") in texts  # column 2, row 2: count 2
    assert "75.0%" in fig.get_suptitle()  # 6 of 8 right


def _gd_history(iterations: int, eval_every: int = 10) -> History:
    h = History(unit="iteration")
    h.step = list(range(1, iterations + 1))
    h.loss = [2.0 / s for s in h.step]
    h.accuracy = [1 - 1.0 / (s + 1) for s in h.step]
    dev = [s for s in h.step if s % eval_every == 0 or s == iterations]
    h.dev_loss = [2.1 / s for s in dev]
    h.dev_accuracy = [1 - 1.2 / (s + 1) for s in dev]
    return h


def test_plot_history_gradient_descent_dev_points():
    h = _gd_history(25)
    fig = plots.plot_history(h)
    ax_loss, ax_acc = fig.axes
    assert "Loss" in ax_loss.get_title() and "Accuracy" in ax_acc.get_title()
    train_line, dev_line = ax_loss.lines
    assert train_line.get_linestyle() == "-" and dev_line.get_linestyle() == "--"
    np.testing.assert_array_equal(train_line.get_xdata(), h.step)
    np.testing.assert_array_equal(dev_line.get_xdata(), [10, 20, 25])
    np.testing.assert_allclose(dev_line.get_ydata(), h.dev_loss)
    assert ax_loss.get_xlabel() == "iterations"


def test_plot_history_several_runs_and_dicts():
    a = History(unit="epoch", step=[1, 2, 3], loss=[1, 0.5, 0.4], accuracy=[0.7, 0.8, 0.85])
    a.dev_loss, a.dev_accuracy = [1.1, 0.6, 0.5], [0.6, 0.75, 0.8]
    b = _gd_history(20).as_dict()
    b["unit"] = "epoch"
    fig = plots.plot_history(a, b, labels=["fast", "notes"])
    labels = [line.get_label() for line in fig.axes[1].lines]
    assert labels == ["fast: train", "fast: dev", "notes: train", "notes: dev"]
    np.testing.assert_array_equal(fig.axes[1].lines[1].get_xdata(), [1, 2, 3])
    assert fig.axes[0].lines[0].get_color() != fig.axes[0].lines[2].get_color()
    assert_not_colour_alone(fig, min_series=8)
    with pytest.raises(ValueError, match="labels"):
        plots.plot_history(a, labels=["x", "y"])


def test_plot_weights_symmetric_colour_scale():
    rng = np.random.default_rng(0)
    W1 = rng.normal(size=(10, 784))
    W1[3, 5] = 40.0  # one outlier must not wash out the rest of the picture
    fig = plots.plot_weights(W1, ncols=5)
    images = [im for ax in fig.axes for im in ax.images]
    assert len(images) == 10
    v = np.percentile(np.abs(W1), 99)
    assert 2.0 < v < 3.5  # the 99th percentile of |N(0, 1)| is about 2.6, far below the outlier
    for i, im in enumerate(images):
        assert im.get_clim() == pytest.approx((-v, v))
        np.testing.assert_array_equal(im.get_array(), W1[i].reshape(28, 28))
    assert "unit 0" in _titles(fig)
    titled = plots.plot_weights(W1, title="What training changed")
    assert titled._suptitle.get_text() == "What training changed"
    assert _images(plots.plot_weights(rng.normal(size=(64, 784)), ncols=8, n=16)) == 16


def test_plot_probabilities():
    p = np.array([0.01, 0.02, 0.0, 0.9, 0.01, 0.02, 0.01, 0.01, 0.01, 0.01])
    fig = plots.plot_probabilities(p.reshape(10, 1))
    ax = fig.axes[0]
    heights = [bar.get_height() for bar in ax.patches]
    np.testing.assert_allclose(heights, p)
    assert "3" in ax.get_title() and "0.90" in ax.get_title()
    assert plots.plot_probabilities(p, title="mine").axes[0].get_title() == "mine"
    with pytest.raises(ValueError, match="10 class probabilities"):
        plots.plot_probabilities(np.ones(9) / 9)


def test_figures_render_to_png(tmp_path, data):
    X, y, A2 = data
    fig = plots.plot_mistakes(X, y, A2)
    path = tmp_path / "m.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_confusion_counts_contrast_with_their_cells():
    from helpers.figstyle import contrast_ratio

    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 10, 2000)
    y_pred = np.where(rng.random(2000) < 0.8, y_true, rng.integers(0, 10, 2000))
    fig = plots.plot_confusion(y_true, y_pred)
    for ax in fig.axes:
        im = ax.images[0]
        for t in ax.texts:
            j, i = t.get_position()
            cell = im.cmap(im.norm(im.get_array()[int(i), int(j)]))
            assert contrast_ratio(cell, t.get_color()) >= 4.5, (t.get_text(), cell, t.get_color())
    assert_readable_text(fig)


def test_right_and_wrong_titles_are_readable_and_not_red_against_green(data):
    from helpers.figstyle import contrast_ratio

    X, y, _ = data
    pred = (y + np.arange(y.size) % 2) % 10  # every other one wrong
    fig = plots.plot_digits(X, labels=y, predictions=pred, n=4, ncols=4)
    right, wrong = fig.axes[0].title.get_color(), fig.axes[1].title.get_color()
    assert {right.lower(), wrong.lower()}.isdisjoint({"#1e6b34", "#27ae60", "#c0392b"})
    assert contrast_ratio(right, "white") >= 4.5 and contrast_ratio(wrong, "white") >= 4.5
    assert "label" in fig.axes[1].get_title() and "pred" in fig.axes[1].get_title(), "the text says it too"
    assert_readable_text(fig)


@pytest.mark.parametrize(
    "make",
    [
        lambda X, y, A2: plots.plot_mistakes(X, y, A2),
        lambda X, y, A2: plots.plot_weights(np.random.default_rng(0).normal(size=(10, 784))),
        lambda X, y, A2: plots.plot_probabilities(A2[:, 0]),
        lambda X, y, A2: plots.plot_digits(X, y),
    ],
)
def test_every_figure_has_readable_text(data, make):
    assert_readable_text(make(*data))
