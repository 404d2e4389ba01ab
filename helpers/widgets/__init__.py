"""Interactive views for the notebooks, built on anywidget (one ES module each, no build step).

* :class:`DrawDigit` (``helpers.widgets.draw``): draw a digit with mouse or touch and watch the
  network's hidden activations and output probabilities change as you draw.
* :class:`MistakeExplorer` (``helpers.widgets.mistakes``): click a cell of the confusion matrix
  to see the digits in it, most confident first, each with its ten probabilities.

Both render a static matplotlib picture of their state for readers without a live kernel
(GitHub, nbviewer, nbval): the widget's mime bundle carries it as ``image/png`` beside the
widget view, which live frontends (JupyterLab 4, Notebook 7, VS Code) prefer.
"""

from helpers.widgets.draw import DrawDigit, rasterize_strokes
from helpers.widgets.mistakes import MistakeExplorer

__all__ = ["DrawDigit", "MistakeExplorer", "rasterize_strokes"]
