"""Explore the mistakes: click a cell of the confusion matrix to see the digits in it.

    from helpers.widgets import MistakeExplorer
    MistakeExplorer(X_dev, y_dev, A2_dev)                          # a network's probabilities
    MistakeExplorer.from_model("reports/latest/model.npz", data_dir="../data")   # a CLI model

The matrix counts (true digit, prediction) pairs; clicking cell (j, k) lists the images of a
true j read as k, most confident first (the network's probability for k, highest first), each
with its ten probabilities as small bars. The browser side is ``mistakes.js``; the kernel picks
and sorts the digits. Without a live kernel the widget shows a static picture of the same view.
"""

from __future__ import annotations

import os
from pathlib import Path

import anywidget
import numpy as np
import traitlets
from matplotlib.figure import Figure

from helpers.figstyle import text_colour_on
from helpers.metrics import confusion_matrix
from helpers.widgets._static import with_picture

SHOWN = 24  # digits listed per cell
ANSWER, TRUE, OTHER = "#c0392b", "#1f6fb5", "#9bb7d4"  # answer red, true digit blue, as in the browser


class MistakeExplorer(anywidget.AnyWidget):
    """A clickable confusion matrix over images X (784, m), labels y (m,) and probabilities A2 (10, m).

    ``selected`` = [true, predicted] is the cell shown (initially the most frequent mistake);
    ``items`` holds its digits, most confident first: index, label, prediction, 784 pixels
    (0..255) and ten probabilities each. ``limit`` caps how many are listed.
    """

    _esm = Path(__file__).with_name("mistakes.js")
    _css = Path(__file__).with_name("widgets.css")

    matrix = traitlets.List(traitlets.List(traitlets.Int())).tag(sync=True)
    selected = traitlets.List(traitlets.Int()).tag(sync=True)
    items = traitlets.List(traitlets.Dict()).tag(sync=True)
    count = traitlets.Int(0).tag(sync=True)  # digits in the selected cell (items shows at most limit)
    title = traitlets.Unicode("").tag(sync=True)
    limit = traitlets.Int(SHOWN).tag(sync=True)

    def __init__(self, X: np.ndarray, y: np.ndarray, A2: np.ndarray, title: str = "", **kwargs) -> None:
        X, y, A2 = np.asarray(X), np.asarray(y).ravel(), np.asarray(A2)
        if X.ndim != 2 or X.shape[0] != 784:
            raise ValueError(f"X must be (784, m), one image per column, got shape {X.shape}")
        if A2.shape != (10, X.shape[1]):
            raise ValueError(f"A2 must be (10, {X.shape[1]}): 10 probabilities per image, got {A2.shape}")
        if y.shape != (X.shape[1],):
            raise ValueError(f"y must hold {X.shape[1]} labels, got shape {y.shape}")
        self._X, self._y, self._A2 = X, y.astype(np.int64), A2
        self._pred = np.argmax(A2, axis=0)
        cm = confusion_matrix(self._y, self._pred)
        off = cm - np.diag(np.diag(cm))
        worst = np.unravel_index(int(np.argmax(off)), off.shape) if off.any() else (0, 0)
        super().__init__(**kwargs)
        with self.hold_sync():
            self.title = title
            self.matrix = cm.tolist()
            self.selected = [int(worst[0]), int(worst[1])]

    @classmethod
    def from_model(
        cls, model: str | os.PathLike, data_dir: str | os.PathLike = "data", split: str = "test", **kwargs
    ) -> MistakeExplorer:
        """The view for a model file written by ``python -m helpers train`` (or ``save_params``).

        ``split`` is "test" (as ``python -m helpers evaluate`` scores it) or "train".
        """
        from helpers.data import load_mnist
        from helpers.models import load_params
        from helpers.nn import predict_proba

        if split not in ("test", "train"):
            raise ValueError(f"split must be 'test' or 'train', got {split!r}")
        params = load_params(model)
        data = load_mnist(data_dir)
        X, y = (data.X_test, data.y_test) if split == "test" else (data.X_train, data.y_train)
        title = f"{Path(model).name} on the {split} set ({data.source})"
        return cls(X, y, predict_proba(params, X), title=title, **kwargs)

    def __repr__(self) -> str:
        return "MistakeExplorer (click a cell of the confusion matrix: needs a running Jupyter kernel)"

    def cell(self, true: int, predicted: int) -> np.ndarray:
        """Indices of the images of a true ``true`` read as ``predicted``, most confident first."""
        idx = np.flatnonzero((self._y == true) & (self._pred == predicted))
        return idx[np.argsort(-self._A2[predicted, idx], kind="stable")]

    @traitlets.observe("selected", "limit")
    def _on_selected(self, change) -> None:
        if len(self.selected) != 2 or not all(0 <= v < 10 for v in self.selected):
            return
        idx = self.cell(*self.selected)
        self.count = int(idx.size)
        self.items = [
            {
                "index": int(i),
                "label": int(self._y[i]),
                "prediction": int(self._pred[i]),
                "pixels": np.round(np.clip(self._X[:, i], 0, 1) * 255).astype(int).tolist(),
                "probs": [round(float(p), 4) for p in self._A2[:, i]],
            }
            for i in idx[: self.limit]
        ]

    def figure(self, n: int = 8) -> Figure:
        """A static picture: the matrix with the selected cell framed, and its first ``n`` digits."""
        fig = Figure(figsize=(11, 3.8), layout="constrained")
        grid = fig.add_gridspec(2, n + 4, height_ratios=(1, 0.7))
        ax = fig.add_subplot(grid[:, :4])
        cm = np.asarray(self.matrix)
        im = ax.imshow(cm / np.maximum(cm.sum(axis=1, keepdims=True), 1), cmap="Blues", vmin=0, vmax=1)
        for (j, k), v in np.ndenumerate(cm):
            if v:
                colour = text_colour_on(im.cmap(im.norm(im.get_array()[j, k])))
                ax.text(k, j, str(v), ha="center", va="center", fontsize=8, color=colour)
        t, p = self.selected
        ax.add_patch(_frame(p, t))
        ax.set_xticks(range(10))
        ax.set_yticks(range(10))
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title("click a cell", fontsize=10)
        # bars: the answer red, the true digit hatched blue (not green: red-green is what colour-blind
        # readers cannot tell apart), every digit labelled below
        colors = [ANSWER if d == p else TRUE if d == t else OTHER for d in range(10)]
        hatches = ["//" if d == t and d != p else "" for d in range(10)]
        for i, item in enumerate(self.items[:n]):
            a = fig.add_subplot(grid[0, 4 + i])
            a.imshow(np.reshape(item["pixels"], (28, 28)), cmap="gray", vmin=0, vmax=255)
            a.set_title(f"p({p}) = {item['probs'][p]:.2f}", fontsize=8)
            a.axis("off")
            b = fig.add_subplot(grid[1, 4 + i])
            b.bar(range(10), item["probs"], color=colors, hatch=hatches, edgecolor=TRUE, linewidth=0)
            b.set_ylim(0, 1)
            b.set_xticks(range(10), [str(d) for d in range(10)])
            b.tick_params(labelsize=8, length=1, pad=1)
            b.get_xticklabels()[p].set_fontweight("bold")
            b.set_yticks([])
        prefix = f"{self.title}: " if self.title else ""
        digits = "digit" if self.count == 1 else "digits"
        fig.suptitle(f"{prefix}true {t} read as {p}: {self.count} {digits}", fontsize=11, x=0.02, ha="left")
        return fig

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        return None if bundle is None else with_picture(bundle, self.figure())


def _frame(x: int, y: int):
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, edgecolor=ANSWER, lw=2.5)
