"""Figures for the course: digits, mistakes, confusion matrices, training curves, weights.

Every function returns a :class:`matplotlib.figure.Figure` and leaves nothing open in pyplot,
so a notebook shows the figure exactly once when the call is the last line of a cell, a script
can ``fig.savefig("name.png")``, and nothing piles up in memory. Nothing calls ``plt.show()``.

Images are columns of ``X`` (784, m), each a 28 x 28 digit stored row by row; ``A2`` (10, m)
holds the network's class probabilities, one column per image.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure

from helpers.curves import plot_history  # noqa: F401  (the training curves live in helpers.curves)
from helpers.figstyle import new_figure as _new
from helpers.figstyle import text_colour_on
from helpers.metrics import confusion_matrix, top_mistakes

# Title colours of right and wrong predictions: blue and vermillion, told apart with any colour
# vision (not green and red), each >= 4.5:1 on white; the title's text says it too.
WRONG = "#b2360b"
RIGHT = "#0b5394"
ANSWER = "#1f4e79"  # the network's answer among the probability bars (the others light)


def _image(x: np.ndarray, name: str = "x") -> np.ndarray:
    """A 28 x 28 image from a 784-vector, a (784, 1) column or a (28, 28) array."""
    x = np.asarray(x)
    if x.shape in ((784,), (784, 1), (1, 784), (28, 28)):
        return x.reshape(28, 28)
    raise ValueError(f"{name} must be one image: shape (784,), (784, 1) or (28, 28), got {x.shape}")


def _columns(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim == 1 and X.shape[0] == 784:
        X = X.reshape(784, 1)
    if X.ndim != 2 or X.shape[0] != 784:
        raise ValueError(f"X must be (784, m), one image per column, got shape {X.shape}")
    return X


def _grid(n: int, ncols: int, cell: float = 1.35, extra_h: float = 0.0):
    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    fig, axes = _new(nrows, ncols, figsize=(cell * ncols, (cell + 0.3) * nrows + extra_h))
    flat = list(axes.ravel())
    for ax in flat[n:]:
        fig.delaxes(ax)
    for ax in flat[:n]:
        ax.set_axis_off()
    return fig, flat[:n]


def plot_digit(x: np.ndarray, title: str | None = None) -> Figure:
    """One digit: x is a 784-vector, a (784, 1) column or a (28, 28) image, values in [0, 1]."""
    img = _image(x)
    fig, axes = _new(figsize=(3, 3))
    ax = axes[0, 0]
    ax.imshow(img, cmap="gray", vmin=0, vmax=max(1.0, float(img.max())), interpolation="nearest")
    ax.set_axis_off()
    if title is not None:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_digits(
    X: np.ndarray,
    labels: Sequence[int] | np.ndarray | None = None,
    predictions: Sequence[int] | np.ndarray | None = None,
    n: int = 25,
    ncols: int = 5,
) -> Figure:
    """The first n images of X (784, m) in a grid with ncols columns.

    Titles show the label (``"7"``), or with predictions ``"label 7 / pred 7"``: green when
    right, red when wrong; with predictions only, ``"pred 7"``.
    """
    X = _columns(X)
    n = min(int(n), X.shape[1])
    if n < 1:
        raise ValueError("plot_digits needs at least one image (X has no columns or n < 1)")
    for name, v in (("labels", labels), ("predictions", predictions)):
        if v is not None and len(v) < n:
            raise ValueError(f"{name} has {len(v)} entries, fewer than the {n} images shown")
    fig, axes = _grid(n, ncols)
    for i, ax in enumerate(axes):
        ax.imshow(X[:, i].reshape(28, 28), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        if labels is not None and predictions is not None:
            ok = int(labels[i]) == int(predictions[i])
            ax.set_title(
                f"label {int(labels[i])} / pred {int(predictions[i])}",
                fontsize=9,
                color=RIGHT if ok else WRONG,
            )
        elif labels is not None:
            ax.set_title(f"{int(labels[i])}", fontsize=10)
        elif predictions is not None:
            ax.set_title(f"pred {int(predictions[i])}", fontsize=10)
    fig.tight_layout()
    return fig


def plot_mistakes(X: np.ndarray, y_true: np.ndarray, A2: np.ndarray, n: int = 16, ncols: int = 8) -> Figure:
    """The network's most confident mistakes on X (784, m), labels y_true (m,), A2 (10, m).

    Each panel is titled ``"true 4 → 9"`` and ``"p=0.97"`` (the probability given to the wrong
    prediction); panels go from the most confident mistake to the least.
    """
    X = _columns(X)
    A2 = np.asarray(A2)
    if A2.ndim != 2 or A2.shape[1] != X.shape[1]:
        raise ValueError(f"A2 must be (10, m) with m = {X.shape[1]} columns of X, got shape {A2.shape}")
    y_true = np.asarray(y_true)
    idx = top_mistakes(y_true, A2, n)
    wrong = int(np.count_nonzero(A2.argmax(axis=0) != y_true))
    if idx.size == 0:
        fig, axes = _new(figsize=(4, 1.5))
        axes[0, 0].set_axis_off()
        axes[0, 0].text(0.5, 0.5, f"No mistakes on these {X.shape[1]} images", ha="center", va="center")
        return fig
    fig, axes = _grid(idx.size, ncols, cell=1.45, extra_h=0.4)
    pred = A2.argmax(axis=0)
    for ax, i in zip(axes, idx):
        ax.imshow(X[:, i].reshape(28, 28), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(
            f"true {int(y_true[i])} → {int(pred[i])}\np={A2[pred[i], i]:.2f}", fontsize=9, color=WRONG
        )
    fig.suptitle(
        f"Most confident mistakes ({wrong:,} of {X.shape[1]:,} images wrong, {wrong / X.shape[1]:.1%})",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def _annotated_matrix(ax, M: np.ndarray, fmt, title: str, cmap: str, vmax: float) -> None:
    k = M.shape[0]
    im = ax.imshow(M, cmap=cmap, vmin=0, vmax=vmax if vmax > 0 else 1)
    shade = ScalarMappable(norm=im.norm, cmap=im.cmap)
    for i in range(k):
        for j in range(k):
            v = M[i, j]
            if v == 0:
                continue
            colour = text_colour_on(shade.to_rgba(v))  # >= 4.5:1 on the cell's own colour
            ax.text(j, i, fmt(v), ha="center", va="center", fontsize=8.5, color=colour)
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(title)


def plot_confusion(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = 10) -> Figure:
    """Confusion matrix of labels y_true (m,) against predictions y_pred (m,): two panels.

    Left: counts (rows = true digit, columns = prediction). Right: each row as percentages of
    its total, so the diagonal is the accuracy on each digit and the rest shows where it goes wrong.
    """
    cm = confusion_matrix(y_true, y_pred, num_classes)
    totals = cm.sum(axis=1, keepdims=True)
    rates = np.divide(cm, totals, out=np.zeros(cm.shape), where=totals > 0)
    fig, axes = _new(1, 2, figsize=(11, 5.2))
    acc = np.trace(cm) / cm.sum() if cm.sum() else float("nan")
    _annotated_matrix(axes[0, 0], cm, lambda v: f"{int(v)}", "Counts", "Blues", float(cm.max()))
    _annotated_matrix(axes[0, 1], 100 * rates, lambda v: f"{v:.0f}", "Percent of each row", "Blues", 100.0)
    fig.suptitle(f"Confusion matrix: {cm.sum():,} images, accuracy {acc:.1%}")
    fig.tight_layout()
    return fig


def plot_weights(W1: np.ndarray, ncols: int = 5, n: int | None = None, title: str | None = None) -> Figure:
    """Each row of W1 (h, 784) as a 28 x 28 image: what each hidden unit looks for.

    Red pixels push the unit's input Z1 up, blue ones down; the colour scale is shared and
    symmetric around 0 so that white means 0. It ends at the 99th percentile of |W1| (larger
    weights show in the darkest colour): a few strong weights would otherwise wash out
    everything else, such as the small initial weights at the border (notebook 06).
    ``n`` limits how many units are shown; ``title`` replaces the default title.
    """
    W1 = np.asarray(W1)
    if W1.ndim != 2 or W1.shape[1] != 784:
        raise ValueError(f"W1 must be (h, 784), one row per hidden unit, got shape {W1.shape}")
    shown = W1 if n is None else W1[: int(n)]
    if shown.shape[0] < 1:
        raise ValueError("plot_weights has no hidden unit to show (W1 has no rows or n < 1)")
    v = float(np.percentile(np.abs(shown), 99)) or float(np.max(np.abs(shown))) or 1.0
    fig, axes = _grid(shown.shape[0], ncols, cell=1.5, extra_h=0.3)
    for i, ax in enumerate(axes):
        im = ax.imshow(shown[i].reshape(28, 28), cmap="RdBu_r", vmin=-v, vmax=v, interpolation="nearest")
        ax.set_title(f"unit {i}", fontsize=9)
    default = f"Weights of the first layer ({shown.shape[0]} of {W1.shape[0]} hidden units)"
    fig.suptitle(default if title is None else title, fontsize=11)
    fig.tight_layout()
    fig.colorbar(im, ax=axes, shrink=0.8, label="weight", extend="both")
    return fig


def plot_probabilities(p: np.ndarray, title: str | None = None) -> Figure:
    """Bar chart of the 10 class probabilities p ((10,) or a (10, 1) column of A2)."""
    p = np.asarray(p, dtype=np.float64)
    if p.shape not in ((10,), (10, 1), (1, 10)):
        raise ValueError(f"p must hold 10 class probabilities, shape (10,) or (10, 1), got {p.shape}")
    p = p.ravel()
    best = int(p.argmax())
    fig, axes = _new(figsize=(5, 3))
    ax = axes[0, 0]
    colors = ["#9bb7d4"] * 10
    colors[best] = ANSWER
    ax.bar(range(10), p, color=colors)
    ax.text(best, min(p[best] + 0.03, 1.02), f"{p[best]:.2f}", ha="center", va="bottom", fontsize=9)
    ax.set_xticks(range(10))
    ax.set_xlabel("digit")
    ax.set_ylabel("probability")
    ax.set_ylim(0, 1.1)
    ax.set_title(title if title is not None else f"Prediction: {best} (p={p[best]:.2f})")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig
