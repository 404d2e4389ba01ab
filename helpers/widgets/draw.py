"""Draw a digit and watch the network: a canvas, the 28 x 28 input, hidden and output bars.

    from helpers.widgets import DrawDigit
    DrawDigit(params, X_examples=X_dev[:, idx], y_examples=y_dev[idx])   # last line of a cell

The browser draws the strokes (``draw.js``) and syncs them, as lists of points, to the kernel
at most every 50 ms while the pen moves and once when it lifts. The kernel rasterises them,
turns the picture into the network's input with :func:`helpers.images.image_to_grid` (exactly
what ``python -m helpers predict`` does with a PNG), runs :func:`helpers.nn.forward_prop` with
the given parameters and syncs back the 28 x 28 input, the hidden activations ``A1`` and the
probabilities ``A2``, which the browser draws as bars. "Test digit" shows the next of the
given examples exactly as the network saw it (no preprocessing: it already is MNIST).

It is an anywidget: the page draws the ink at once and only the prediction makes a round trip
to the kernel; traitlets sync the state both ways (why not ipycanvas: ``benchmarks/README.md``).
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import numpy as np
import traitlets
from matplotlib.figure import Figure

from helpers.images import image_to_grid
from helpers.nn import forward_prop
from helpers.validation import check_params
from helpers.widgets._static import with_picture

CANVAS = 280  # the drawing area, in CSS pixels (10 x MNIST's 28)
PEN = 20.0  # pen width in canvas pixels: MNIST strokes are ~2-3 px of 28
ANSWER = "#c0392b"  # the network's answer among the probability bars (red in the browser too)


def rasterize_strokes(strokes: list, size: int = CANVAS, pen: float = PEN) -> np.ndarray:
    """Strokes as a (size, size) float image in [0, 1]: dark ink (0) on a light background (1).

    ``strokes`` is a list of strokes, each a list of [x, y] points in canvas pixels (origin top
    left), as the browser sends them; a stroke of one point is a dot.
    """
    from PIL import Image, ImageDraw

    img = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(img)
    r = pen / 2
    for stroke in strokes:
        points = [(float(x), float(y)) for x, y in stroke]
        if len(points) > 1:
            draw.line(points, fill=0, width=round(pen), joint="curve")
        for x, y in points:  # round caps and joints
            draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
    return np.asarray(img, dtype=np.float64) / 255.0


def _rounded(a: np.ndarray, digits: int = 4) -> list[float]:
    return [round(float(v), digits) for v in np.ravel(a)]


class DrawDigit(anywidget.AnyWidget):
    """A canvas to draw a digit on, with the network's input, hidden activations and output.

    params = (W1 (h, 784), b1 (h, 1), W2 (10, h), b2 (10, 1)), the network to watch.
    X_examples (784, n) and y_examples (n,), optional: digits "Test digit" cycles through
    (for instance the misclassified ones, most confident first).
    Synced state: ``strokes`` (from the browser), ``grid`` (784 input pixels), ``hidden`` (h
    activations), ``probs`` (10 probabilities), ``prediction`` (-1 when nothing is drawn).
    """

    _esm = Path(__file__).with_name("draw.js")
    _css = Path(__file__).with_name("widgets.css")

    strokes = traitlets.List(traitlets.List()).tag(sync=True)
    background = traitlets.List(traitlets.Float()).tag(sync=True)  # a loaded example, 784 pixels
    grid = traitlets.List(traitlets.Float()).tag(sync=True)
    hidden = traitlets.List(traitlets.Float()).tag(sync=True)
    probs = traitlets.List(traitlets.Float()).tag(sync=True)
    prediction = traitlets.Int(-1).tag(sync=True)
    message = traitlets.Unicode("Draw a digit in the box.").tag(sync=True)
    load_request = traitlets.Int(0).tag(sync=True)  # the browser's "Test digit" button counts up
    size = traitlets.Int(CANVAS).tag(sync=True)
    pen = traitlets.Float(PEN).tag(sync=True)

    def __init__(
        self,
        params: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        X_examples: np.ndarray | None = None,
        y_examples: np.ndarray | None = None,
        **kwargs,
    ) -> None:
        check_params(*params)
        if params[0].shape[1] != 784:
            raise ValueError(f"W1 must have 784 columns (28 x 28 inputs), got shape {params[0].shape}")
        self._params = tuple(np.asarray(p) for p in params)
        self._examples = None
        if X_examples is not None:
            X = np.asarray(X_examples)
            if X.ndim != 2 or X.shape[0] != 784 or X.shape[1] < 1:
                raise ValueError(f"X_examples must be (784, n) with n >= 1, got shape {X.shape}")
            y = None if y_examples is None else np.asarray(y_examples).ravel()
            if y is not None and y.shape != (X.shape[1],):
                raise ValueError(f"y_examples must hold {X.shape[1]} labels, got shape {y.shape}")
            self._examples = (X, y)
        self._next_example = 0
        self._quiet = False
        self.x: np.ndarray | None = None  # the current input column (784, 1)
        super().__init__(**kwargs)
        self.clear()

    def __repr__(self) -> str:
        return "DrawDigit (draw a digit: needs a running Jupyter kernel)"

    # -- actions -------------------------------------------------------------------------------
    def clear(self) -> None:
        """Empty canvas, empty bars."""
        self.set_state_from_x(None, strokes=[], background=[], message="Draw a digit in the box.")

    def load_example(self, i: int | None = None) -> None:
        """Show example ``i`` of X_examples (default: the next one) exactly as the network sees it."""
        if self._examples is None:
            self.message = "No test digits were given (DrawDigit(params, X_examples, y_examples))."
            return
        X, y = self._examples
        i = self._next_example if i is None else int(i)
        if not 0 <= i < X.shape[1]:
            raise IndexError(f"example {i} does not exist: there are {X.shape[1]}")
        self._next_example = (i + 1) % X.shape[1]
        x = np.asarray(X[:, i : i + 1], dtype=np.float32)
        label = "" if y is None else f", labelled {int(y[i])}"
        self.set_state_from_x(x, strokes=[], background=_rounded(x, 3), message=f"Test digit {i}{label}")

    def draw(self, strokes: list) -> None:
        """Replace the drawing by ``strokes`` (lists of [x, y] canvas points), as the browser does."""
        self.strokes = [[[float(x), float(y)] for x, y in s] for s in strokes]

    # -- the network ---------------------------------------------------------------------------
    def set_state_from_x(self, x: np.ndarray | None, **state) -> None:
        """Run the network on input column ``x`` (784, 1) (None: nothing drawn) and sync everything."""
        with self.hold_sync():
            self._quiet = True  # our own changes of strokes/background trigger nothing
            try:
                for name, value in state.items():
                    setattr(self, name, value)
            finally:
                self._quiet = False
            self.x = x
            if x is None:
                self.grid, self.hidden, self.probs, self.prediction = [], [], [], -1
                return
            _, A1, _, A2 = forward_prop(*self._params, x.astype(self._params[0].dtype))
            self.grid = _rounded(x, 3)
            self.hidden = _rounded(A1)
            self.probs = _rounded(A2, 6)
            self.prediction = int(np.argmax(A2[:, 0]))

    @traitlets.observe("strokes", "background")
    def _on_strokes(self, change) -> None:
        if self._quiet:
            return
        strokes = [s for s in self.strokes if s]
        if not strokes:
            if not self.background:  # cleared in the browser
                self.set_state_from_x(None, message="Draw a digit in the box.")
            return
        try:
            grid = image_to_grid(rasterize_strokes(strokes, self.size, self.pen))
        except ValueError:  # too little ink to be a digit yet
            self.set_state_from_x(None, background=[], message="Keep drawing.")
            return
        self.set_state_from_x(grid.reshape(784, 1), background=[], message="Your digit")

    @traitlets.observe("load_request")
    def _on_load_request(self, change) -> None:
        self.load_example()

    # -- the static picture --------------------------------------------------------------------
    def figure(self) -> Figure:
        """A matplotlib picture of the widget's state: drawing, 28 x 28 input, hidden, output bars."""
        fig = Figure(figsize=(11, 2.8))
        axes = fig.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1, 1.4, 1.4]})
        if self.strokes:
            canvas = rasterize_strokes(self.strokes, self.size, self.pen)
        elif self.background:
            canvas = 1.0 - np.asarray(self.background).reshape(28, 28)
        else:
            canvas = np.ones((28, 28))
        axes[0].imshow(canvas, cmap="gray", vmin=0, vmax=1)
        axes[0].set_title("drawing", fontsize=10)
        grid = np.asarray(self.grid).reshape(28, 28) if self.grid else np.zeros((28, 28))
        axes[1].imshow(grid, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        axes[1].set_title("network input, 28 x 28", fontsize=10)
        for ax in axes[:2]:
            ax.set_xticks([])
            ax.set_yticks([])
        h = self._params[0].shape[0]
        hidden = np.asarray(self.hidden) if self.hidden else np.zeros(h)
        axes[2].bar(range(h), hidden, color="#7a9cc6")
        axes[2].set_xticks(range(h) if h <= 20 else range(0, h, max(1, h // 10)))
        axes[2].set_title(f"hidden activations A1 ({h} units)", fontsize=10)
        probs = np.asarray(self.probs) if self.probs else np.zeros(10)
        colors = ["#9bb7d4"] * 10
        if self.prediction >= 0:
            colors[self.prediction] = ANSWER  # red, as in the browser
        axes[3].bar(range(10), probs, color=colors)
        axes[3].set_xticks(range(10))
        if self.prediction >= 0:
            axes[3].get_xticklabels()[self.prediction].set_fontweight("bold")
        axes[3].set_ylim(0, 1.05)
        seen = self.prediction >= 0
        axes[3].set_title(
            f"prediction: {self.prediction} (p={probs.max():.2f})" if seen else "probabilities", fontsize=10
        )
        fig.suptitle(f"Draw a digit: {self.message}", fontsize=11)
        fig.tight_layout()
        return fig

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        return None if bundle is None else with_picture(bundle, self.figure())
