"""Watch the network learn: one figure, updated in place while it trains.

    live = LiveTraining(total=RECIPES["fast"]["epochs"])
    params, history = run_recipe("fast", X_train, y_train, X_dev=X_dev, Y_dev=y_dev, callback=live)

:class:`LiveTraining` is a callback for ``train(..., callback=...)`` and
``gradient_descent(..., callback=...)``. Each call gets the step, the parameters and the history
so far; it redraws one figure (loss and accuracy curves, and each hidden unit's weights as a
28 x 28 image) and replaces the cell's output with it through a display handle, so the cell shows
one figure that changes, not one per epoch. Redraws are spaced at least ``every`` seconds apart
(a redraw costs about 0.2 s) and the last step (``total``) is always drawn. Without a live
frontend (nbval, ``helpers.run_notebooks``, nbgrader) the saved output is that final figure;
outside IPython (a script) nothing is displayed and :meth:`figure` gives the final picture.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure

from helpers.curves import draw_history
from helpers.nn import Params
from helpers.training import History

UNITS = 10  # hidden units shown as images


def plot_training_state(history: History, W1: np.ndarray, n_units: int = UNITS) -> Figure:
    """Loss and accuracy curves of ``history`` above the first ``n_units`` rows of W1 (h, 784).

    The curves are :func:`helpers.curves.draw_history`'s (train solid with filled markers, dev
    dashed with hollow ones); the weights share one symmetric colour scale, shown by a colour bar.
    """
    fig = Figure(figsize=(11, 6.2))
    top, bottom = fig.subfigures(2, 1, height_ratios=[4.2, 2.0])
    axes = top.subplots(1, 2)
    draw_history(*axes, [history])
    shown = np.asarray(W1)[:n_units]
    v = float(np.max(np.abs(shown))) or 1.0
    cells = bottom.subplots(1, shown.shape[0], squeeze=False)[0]
    for i, ax in enumerate(cells):
        im = ax.imshow(shown[i].reshape(28, 28), cmap="RdBu_r", vmin=-v, vmax=v, interpolation="nearest")
        ax.set_title(f"unit {i}", fontsize=9)
        ax.axis("off")
    bottom.colorbar(im, ax=list(cells), shrink=0.8, label="weight")
    step = history.step[-1] if history.step else 0
    bottom.suptitle(
        f"hidden units' weights after {history.unit} {step} (red: ink there raises Z1, blue: lowers it)",
        fontsize=10,
    )
    top.suptitle(f"Training: {history.unit} {step}", fontsize=11)
    return fig


class LiveTraining:
    """A training callback that keeps one figure of the run up to date in the notebook.

    ``total``: the last step (epochs for ``train``, iterations for ``gradient_descent``), always
    drawn; ``every``: the least seconds between redraws; ``n_units``: hidden units shown.
    ``display``: the function that shows the first figure and returns a handle with ``update``
    (default: IPython's ``display(..., display_id=True)`` inside IPython, none outside).
    """

    def __init__(
        self,
        total: int | None = None,
        every: float = 1.0,
        n_units: int = UNITS,
        display: Callable | None = None,
    ) -> None:
        if total is not None and (int(total) != total or total < 1):
            raise ValueError(f"total must be a positive number of steps, got {total!r}")
        if every < 0:
            raise ValueError(f"every must be >= 0 seconds, got {every}")
        self.total, self.every, self.n_units = total, every, n_units
        self._display = display if display is not None else _ipython_display()
        self._handle = None
        self._last = -float("inf")
        self.history: History | None = None
        self.W1: np.ndarray | None = None
        self.redraws = 0

    def __call__(self, step: int, params: Params, history: History) -> None:
        self.history, self.W1 = history, np.array(params[0], copy=True)
        last = self.total is not None and step >= self.total
        if last or time.perf_counter() - self._last >= self.every:
            self.show()

    def figure(self) -> Figure:
        """The current picture (curves and weights), for saving or showing once."""
        if self.history is None or self.W1 is None:
            raise RuntimeError("LiveTraining has seen no training step yet: pass it as callback=")
        return plot_training_state(self.history, self.W1, self.n_units)

    def show(self) -> None:
        """Redraw now: the first call displays the figure, later ones replace it in place."""
        if self._display is None:
            return
        fig = self.figure()
        if self._handle is None:
            self._handle = self._display(fig)
        else:
            self._handle.update(fig)
        self.redraws += 1
        self._last = time.perf_counter()


def _ipython_display() -> Callable | None:
    """``display(obj, display_id=True)`` when running inside IPython, else None."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return None
    if get_ipython() is None:
        return None
    return lambda obj: display(obj, display_id=True)
