"""helpers.diagrams: the network diagram, the computational graph's numbers, descent on a parabola."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from figure_checks import assert_readable_text, assert_text_contrast

from helpers import diagrams
from helpers.nn import cross_entropy, forward_prop, softmax


@pytest.fixture(autouse=True)
def _no_open_figures():
    plt.close("all")
    yield
    assert plt.get_fignums() == []


def _texts(fig) -> str:
    return "\n".join(t.get_text() for ax in fig.axes for t in ax.texts)


def test_network_diagram_has_every_weight_and_the_layer_names():
    fig = diagrams.plot_network()
    ax = fig.axes[0]
    assert len(fig.axes) == 1 and tuple(fig.get_size_inches()) == (9, 5)  # what 01 [3] drew
    assert len(ax.lines) == 7 * 10 + 10 * 10  # 7 pixels drawn, 10 hidden, 10 outputs
    text = _texts(fig)
    for want in ("pixel 0", "pixel 783", '"9"', "784 pixels", "10 units", "10 digits", "10 × 784"):
        assert want in text
    assert len({c.get_paths()[0].vertices.tobytes() for c in ax.collections}) == 3, "layers differ by shape"
    assert_readable_text(fig, 9)


def _loss(example, **change):
    """The loss of the worked example with one array replaced: an independent forward pass."""
    W1, b1, W2, b2 = change.get("params", example.params)
    X, y = example.X, np.array([example.y])
    if "A1" in change:
        return cross_entropy(softmax(W2 @ change["A1"] + b2), y)
    return cross_entropy(forward_prop(W1, b1, W2, b2, X)[3], y)


def _numeric(f, a: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[idx] += eps
        down[idx] -= eps
        g[idx] = (f(up) - f(down)) / (2 * eps)
    return g


def test_worked_example_numbers_are_the_true_gradients():
    ex = diagrams.worked_example()
    W1, b1, W2, b2 = ex.params
    assert ex.X.shape == (3, 1) and W1.shape == (2, 3) and W2.shape == (3, 2)
    assert np.isclose(ex.loss, -np.log(ex.A2[ex.y, 0]))
    assert (ex.Z1[:, 0] <= 0).sum() == 1, "the default example has one hidden unit switched off"
    assert ex.A2[:, 0].argmax() != ex.y, "and the network's answer is wrong"
    # every gradient drawn against central differences of an independent forward pass
    for i, name in enumerate(("dW1", "db1", "dW2", "db2")):

        def f(p, i=i):
            params = list(ex.params)
            params[i] = p
            return _loss(ex, params=tuple(params))

        np.testing.assert_allclose(ex.grads[i], _numeric(f, ex.params[i]), atol=1e-7, err_msg=name)
    np.testing.assert_allclose(ex.dA1, _numeric(lambda a: _loss(ex, A1=a), ex.A1), atol=1e-7)
    np.testing.assert_allclose(ex.dZ2, ex.A2 - ex.Y, atol=1e-12)  # m = 1: dZ2 is dL/dZ2 itself
    np.testing.assert_allclose(ex.dZ1, ex.dA1 * (ex.Z1 > 0), atol=1e-12)
    assert np.all(ex.grads[0][ex.Z1[:, 0] <= 0] == 0), "no gradient reaches the weights of an off unit"


def test_computational_graph_draws_the_computed_values():
    ex = diagrams.worked_example(x=(0.1, 0.7, 0.3), label=2, seed=3)
    fig = diagrams.plot_computational_graph(ex)
    text = _texts(fig)
    for name in ("X", "Z1", "A1", "Z2", "A2", "W1", "b1", "W2", "b2", "dZ2", "dA1", "dZ1", "dW1", "db2"):
        assert name in text, name
    for value in (*ex.Z1[:, 0], *ex.A2[:, 0], *ex.dZ2[:, 0], *ex.dA1[:, 0], *ex.grads[0].ravel()):
        assert f"{value:.2f}" in text or f"{value:5.2f}" in text, value
    assert f"{ex.loss:.3f}" in text and "label y = 2" in text
    assert "(h × m)" in text and "n = 784" in text
    ax = fig.axes[0]
    arrows = [c for c in ax.texts if getattr(c, "arrow_patch", None) is not None]
    back = [a for a in arrows if a.arrow_patch.get_linestyle() != "solid"]
    assert len(back) == 3 and len(arrows) - len(back) == 5 + 5  # 3 back; 5 forward + 5 inputs
    assert {a.arrow_patch.get_edgecolor() for a in back}.isdisjoint(
        {a.arrow_patch.get_edgecolor() for a in arrows if a not in back}
    ), "backward arrows differ from forward ones in colour as well as dashes"
    assert_readable_text(fig, 9)
    assert_text_contrast(fig)


def descend(alpha: float, w: float = 0.0, steps: int = 6) -> list[float]:
    ws = [w]
    for _ in range(steps):
        w = w - alpha * 2 * (w - 3)
        ws.append(w)
    return ws


def test_descent_on_the_parabola_draws_each_path():
    paths = {a: descend(a) for a in (0.1, 0.45, 1.05)}
    fig = diagrams.plot_descent_1d(paths)
    assert len(fig.axes) == 3
    for ax, (alpha, path) in zip(fig.axes, paths.items()):
        points = next(ln for ln in ax.lines if ln.get_linestyle() == "None")
        np.testing.assert_allclose(points.get_xdata(), path)
        np.testing.assert_allclose(points.get_ydata(), (np.array(path) - 3) ** 2)
        assert f"{1 - 2 * alpha:+.2f}" in ax.get_title()
        assert sum(1 for t in ax.texts if getattr(t, "arrow_patch", None) is not None) == len(path) - 1
    titles = [ax.get_title() for ax in fig.axes]
    assert "creeps" in titles[0] and "few steps" in titles[1] and "diverges" in titles[2]
    markers = {next(ln for ln in ax.lines if ln.get_linestyle() == "None").get_marker() for ax in fig.axes}
    assert len(markers) == 3
    assert_readable_text(fig)
    assert "zig-zags" in diagrams.plot_descent_1d({0.75: descend(0.75)}).axes[0].get_title()
    with pytest.raises(ValueError, match="nan or inf"):
        diagrams.plot_descent_1d({5.0: [0.0, np.inf]})
    with pytest.raises(ValueError, match="at least one"):
        diagrams.plot_descent_1d({})
