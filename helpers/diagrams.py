"""Diagrams of the course: the network's layers, its computational graph, descent on a parabola.

    from helpers.diagrams import plot_network, plot_computational_graph, plot_descent_1d
    plot_network()                       # chapter 1: 784 inputs, 10 hidden units, 10 outputs
    plot_computational_graph()           # chapter 3: a worked example, forward and backward
    plot_descent_1d({a: descend(a) for a in (0.1, 0.45, 1.05)})   # chapter 4's warm-up

Every function returns a :class:`matplotlib.figure.Figure` and leaves nothing open in pyplot.
The numbers on the computational graph are computed by :mod:`helpers.nn` (see
:func:`worked_example`), never typed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from helpers.data import one_hot
from helpers.figstyle import BACKWARD, FORWARD, new_figure, series_style
from helpers.nn import backward_prop, cross_entropy, forward_prop, init_params


def plot_network() -> Figure:
    """The course's 784-10-10 network: every line one weight, the layers named with their formulas."""
    fig, axes = new_figure(figsize=(9, 5))
    ax = axes[0, 0]
    ax.set_axis_off()
    x0, y0 = 0.0, np.r_[np.linspace(4.5, 0.5, 5), -3.5, -4.5]  # 5 first pixels, a gap, the last 2
    x1, y1 = 1.0, np.linspace(4.5, -4.5, 10)
    x2, y2 = 2.0, np.linspace(4.5, -4.5, 10)
    for (xa, ya_all), (xb, yb_all) in (((x0, y0), (x1, y1)), ((x1, y1), (x2, y2))):
        for ya in ya_all:
            for yb in yb_all:
                ax.plot([xa, xb], [ya, yb], color="#b0b8c4", linewidth=0.4, zorder=1)
    style = dict(s=260, edgecolors="#333333", linewidths=1, zorder=2)
    ax.scatter(np.full(y0.size, x0), y0, color="#e8e8e8", marker="s", **style)
    ax.scatter(np.full(y1.size, x1), y1, color="#f4c27a", marker="o", **style)
    ax.scatter(np.full(y2.size, x2), y2, color="#8fb8de", marker="D", **style)
    ax.text(x0, -1.5, "⋮", ha="center", va="center", fontsize=22)
    for k, pos in zip((0, 1, 2, 3, 4, 782, 783), y0):
        ax.text(x0 - 0.09, pos, f"pixel {k}", ha="right", va="center", fontsize=9)
    for digit, pos in enumerate(y2):
        ax.text(x2 + 0.09, pos, f'"{digit}"', ha="left", va="center", fontsize=10)
    heads = [
        (x0, "input layer\n$A^{[0]} = X$: 784 pixels"),
        (x1, "hidden layer\n$A^{[1]} = \\mathrm{ReLU}(Z^{[1]})$: 10 units"),
        (x2, "output layer\n$A^{[2]} = \\mathrm{softmax}(Z^{[2]})$: 10 digits"),
    ]
    for x, text in heads:
        ax.text(x, 5.6, text, ha="center", va="bottom", fontsize=10)
    ax.text(0.5, -5.4, "$W^{[1]}$: 10 × 784,  $b^{[1]}$: 10 × 1", ha="center", fontsize=10)
    ax.text(1.5, -5.4, "$W^{[2]}$: 10 × 10,  $b^{[2]}$: 10 × 1", ha="center", fontsize=10)
    ax.set_xlim(-0.5, 2.35)
    ax.set_ylim(-5.8, 7.0)
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
    return fig


@dataclass(frozen=True)
class WorkedExample:
    """One image through a tiny network, forward and backward, every number from helpers.nn.

    With one image (m = 1) each bias gradient *is* its dZ (the mean over one column), so
    ``dZ2 = db2`` and ``dZ1 = db1`` come straight from :func:`helpers.nn.backward_prop`;
    ``dA1 = W2^T dZ2`` is the one product the graph shows that backward_prop keeps to itself.
    """

    X: np.ndarray  # (n, 1)
    y: int
    Y: np.ndarray  # (k, 1) one-hot
    params: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    Z1: np.ndarray
    A1: np.ndarray
    Z2: np.ndarray
    A2: np.ndarray
    loss: float
    grads: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # dW1, db1, dW2, db2
    dZ2: np.ndarray  # noqa: N815  (the course's names)
    dA1: np.ndarray  # noqa: N815
    dZ1: np.ndarray  # noqa: N815


def worked_example(
    x: Sequence[float] = (0.9, 0.2, 0.6), label: int = 1, n_hidden: int = 2, n_output: int = 3, seed: int = 11
) -> WorkedExample:
    """A 3-pixel image labelled ``label`` through a 3-2-3 network with He initial weights (seed 11).

    The defaults give a case worth drawing: hidden unit 1 is off (Z1 < 0), so no gradient flows
    through it, and the network's answer is wrong, so the gradients are not small.
    """
    X = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    params = init_params(X.shape[0], n_hidden, n_output, seed=seed, scheme="he")
    Z1, A1, Z2, A2 = forward_prop(*params, X)
    y = np.array([int(label)])
    grads = backward_prop(Z1, A1, Z2, A2, params[0], params[2], X, y)
    dZ2, dZ1 = grads[3], grads[1]  # m = 1: the mean over one column is the column
    return WorkedExample(
        X, int(label), one_hot(y, n_output), params, Z1, A1, Z2, A2, cross_entropy(A2, y), grads,
        dZ2, params[2].T @ dZ2, dZ1,
    )  # fmt: skip


def _fmt(a: np.ndarray) -> str:
    """A small array as text: a column as [a, b, c]ᵀ, a matrix row by row."""
    a = np.asarray(a)
    if a.ndim == 2 and a.shape[1] == 1:
        return "[" + ", ".join(f"{v:.2f}" for v in a[:, 0]) + "]ᵀ"
    return "\n".join("[" + ", ".join(f"{v:5.2f}" for v in row) + "]" for row in np.atleast_2d(a))


#: The text of the graph's boxes, and its forward arrows: solid, dark.
_NODE = dict(ha="center", va="center", fontsize=10, family="DejaVu Sans Mono", color=FORWARD)
_ARROW = dict(arrowstyle="-|>", color=FORWARD, lw=1.4, shrinkA=8, shrinkB=8)


def _forward_boxes(ax, ex: WorkedExample) -> tuple[dict, dict]:
    """The row of boxes X ... L: each one's x position, title and value, and its drawn text."""
    box = dict(boxstyle="round,pad=0.45", facecolor="#eef3fa", edgecolor=FORWARD, linewidth=1.2)
    main = {  # x position, formula and general shape, value in the example
        "X": (0.0, "X\n(n × m)", _fmt(ex.X)),
        "Z1": (3.0, "Z1 = W1 X + b1\n(h × m)", _fmt(ex.Z1)),
        "A1": (6.0, "A1 = ReLU(Z1)\n(h × m)", _fmt(ex.A1)),
        "Z2": (9.0, "Z2 = W2 A1 + b2\n(k × m)", _fmt(ex.Z2)),
        "A2": (12.0, "A2 = softmax(Z2)\n(k × m)", _fmt(ex.A2)),
        "L": (14.6, "L = −log A2[y]\n(a number)", f"{ex.loss:.3f}"),
    }
    boxes = {
        name: ax.text(x, 0, f"{title}\n{value}", bbox=box, **_NODE)
        for name, (x, title, value) in main.items()
    }
    return main, boxes


def _parameter_boxes(ax, ex: WorkedExample, boxes: dict) -> None:
    """The parameters and Y above the row, an arrow from each into its box, its gradient above it."""
    W1, b1, W2, b2 = ex.params
    dW1, db1, dW2, db2 = ex.grads
    pbox = dict(boxstyle="round,pad=0.4", facecolor="#fdf1dc", edgecolor=FORWARD, linewidth=1.0)
    params = {
        "W1": (1.0, f"W1  (h × n)\n{_fmt(W1)}", f"dW1 = dZ1 Xᵀ / m\n{_fmt(dW1)}"),
        "b1": (4.0, f"b1  (h × 1)\n{_fmt(b1)}", f"db1 = mean of dZ1\n{_fmt(db1)}"),
        "W2": (7.4, f"W2  (k × h)\n{_fmt(W2)}", f"dW2 = dZ2 A1ᵀ / m\n{_fmt(dW2)}"),
        "b2": (10.4, f"b2  (k × 1)\n{_fmt(b2)}", f"db2 = mean of dZ2\n{_fmt(db2)}"),
        "Y": (14.6, f"Y  (k × m), one-hot\nlabel y = {ex.y}\n{_fmt(ex.Y)}", ""),
    }
    for name, (x, text, grad) in params.items():
        t = ax.text(x, 2.9, text, bbox=pbox, **{**_NODE, "fontsize": 9})
        target = boxes["L" if name == "Y" else "Z1" if name.endswith("1") else "Z2"]
        ax.annotate("", xy=(0.5, 1), xycoords=target, xytext=(0.5, 0), textcoords=t, arrowprops=_ARROW)
        if grad:  # the parameter's gradient, above it, in the colour of the backward pass
            ax.text(x, 4.55, grad, **{**_NODE, "fontsize": 9, "color": BACKWARD})


def _backward_arrows(ax, ex: WorkedExample, main: dict, boxes: dict) -> None:
    """dZ2, dA1 and dZ1: dashed arrows from right to left below the row, each with its formula and value."""
    back = [  # (from, to, formula and value)
        ("L", "Z2", f"dZ2 = A2 − Y\n{_fmt(ex.dZ2)}"),
        ("Z2", "A1", f"dA1 = W2ᵀ dZ2\n{_fmt(ex.dA1)}"),
        ("A1", "Z1", f"dZ1 = dA1 * ReLU'(Z1)\n{_fmt(ex.dZ1)}"),
    ]
    for a, b, text in back:
        ax.annotate("", xy=(0.5, 0), xycoords=boxes[b], xytext=(0.5, 0), textcoords=boxes[a],
                    arrowprops=dict(arrowstyle="-|>", color=BACKWARD, lw=1.6, linestyle="--", shrinkA=10,
                                    shrinkB=10, connectionstyle="arc3,rad=-0.3"))  # fmt: skip
        ax.text((main[a][0] + main[b][0]) / 2, -2.3, text, **{**_NODE, "color": BACKWARD})


def plot_computational_graph(example: WorkedExample | None = None) -> Figure:
    """The network as a graph, X -> Z1 -> A1 -> Z2 -> A2 -> L, for one worked example.

    Boxes hold each array's name, its shape in general (n inputs, h hidden units, k classes,
    m images) and its value in the example; solid dark arrows run forward. The gradients run back
    as dashed red arrows below, each labelled with its formula and value; the parameters' own
    gradients stand beside them, above. Shapes: n = 784, h = 10, k = 10 in the course; the
    example has n = 3, h = 2, k = 3 and m = 1.
    """
    ex = example or worked_example()
    fig, axes = new_figure(figsize=(15, 7.2))
    ax = axes[0, 0]
    ax.set_axis_off()
    ax.set_xlim(-1.2, 16.0)
    ax.set_ylim(-4.6, 5.4)
    main, boxes = _forward_boxes(ax, ex)
    _parameter_boxes(ax, ex, boxes)
    order = list(main)
    for a, b in zip(order, order[1:]):  # forward: solid, left to right, box to box
        ax.annotate(
            "", xy=(0, 0.5), xycoords=boxes[b], xytext=(1, 0.5), textcoords=boxes[a], arrowprops=_ARROW
        )
    _backward_arrows(ax, ex, main, boxes)
    off = [i for i in range(ex.Z1.shape[0]) if ex.Z1[i, 0] <= 0]
    note = (f"hidden unit {', '.join(map(str, off))} is off (Z1 ≤ 0): ReLU' = 0 stops its gradient"
            if off else "every hidden unit is on (Z1 > 0)")  # fmt: skip
    ax.text(7.4, -3.9,
            "forward: solid dark arrows, values in the boxes      backward: dashed red arrows, "
            "gradients d…\n" + note + f";  example: n = {ex.X.shape[0]}, h = {ex.Z1.shape[0]}, "
            f"k = {ex.Z2.shape[0]}, m = 1 (so each dZ is ∂L/∂Z itself); the course: n = 784, h = k = 10",
            ha="center", va="center", fontsize=9.5, color=FORWARD)  # fmt: skip
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    return fig


def _behaviour(factor: float) -> str:
    if abs(factor) >= 1:
        return "overshoots further every step: diverges"
    if factor < 0:
        return "zig-zags across the minimum, closing in"
    return "creeps towards the minimum" if factor >= 0.5 else "gets there in a few steps"


def plot_descent_1d(paths: Mapping[float, Sequence[float]], minimum: float = 3.0) -> Figure:
    """Gradient descent on L(w) = (w - minimum)^2 drawn on its parabola, one panel per learning rate.

    ``paths`` maps each learning rate alpha to the values of w after 0, 1, 2, ... steps (as
    chapter 4's ``descend`` returns them). The points are numbered by step and joined by arrows;
    each title gives the factor 1 - 2 alpha by which a step multiplies the distance to the minimum.
    """
    if not paths:
        raise ValueError("plot_descent_1d needs at least one learning rate and its path")
    ws = np.concatenate([np.asarray(p, dtype=float) for p in paths.values()])
    if not np.all(np.isfinite(ws)):
        raise ValueError("the paths hold nan or inf: draw fewer steps of the diverging rate")
    reach = max(3.5, float(np.max(np.abs(ws - minimum)))) * 1.1
    grid = np.linspace(minimum - reach, minimum + reach, 400)
    fig, axes = new_figure(1, len(paths), figsize=(4.6 * len(paths), 4.0), sharey=True)
    for i, (ax, (alpha, path)) in enumerate(zip(axes[0], paths.items())):
        w = np.asarray(path, dtype=float)
        loss = (w - minimum) ** 2
        ax.plot(grid, (grid - minimum) ** 2, color="#9aa3ad", lw=1.5, label=f"L(w) = (w − {minimum:g})²")
        style = series_style(i)
        ax.plot(w, loss, linestyle="none", marker=style["marker"], color=style["color"], ms=7,
                markeredgecolor="black", label=f"w after 0..{w.size - 1} steps")  # fmt: skip
        for t in range(w.size - 1):
            step = dict(arrowstyle="-|>", color=FORWARD, lw=1, shrinkA=4, shrinkB=4)
            ax.annotate("", xy=(w[t + 1], loss[t + 1]), xytext=(w[t], loss[t]), arrowprops=step)
        for t in range(w.size):
            ax.annotate(str(t), xy=(w[t], loss[t]), xytext=(0, 8), textcoords="offset points",
                        ha="center", fontsize=9)  # fmt: skip
        factor = 1 - 2 * float(alpha)
        ax.set_title(f"α = {alpha:g}: factor 1 − 2α = {factor:+.2f}\n{_behaviour(factor)}", fontsize=10)
        ax.axvline(minimum, color="#9aa3ad", ls=":", lw=1)
        ax.set_xlabel("w")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8.5, loc="upper center")
    axes[0, 0].set_ylabel("loss L(w)")
    axes[0, 0].set_ylim(-0.05 * reach**2, 1.25 * reach**2)
    fig.tight_layout()
    return fig


__all__ = ["WorkedExample", "plot_computational_graph", "plot_descent_1d", "plot_network", "worked_example"]
