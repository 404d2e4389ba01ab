"""How the course's figures tell things apart: colour-blind-safe colours, markers and line styles.

No series in a figure is told apart by colour alone. :func:`series_style` gives the i-th series
of a plot a colour from a colour-blind-safe palette (matplotlib's ``petroff10`` where the
installed matplotlib has it, else the Okabe-Ito colours) *and* its own marker and line style,
so the figure reads the same in grey-scale and for a reader who sees no difference between red
and green. Maps use ``viridis``/``cividis`` or the diverging ``RdBu_r`` (weights). Text drawn on a
coloured cell takes :func:`text_colour_on`, the one of black and white that contrasts most with
it (at least 4.5:1 on any background).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgb

#: Okabe & Ito (2008): eight colours told apart with every common colour-vision deficiency.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")


def _palette() -> tuple[str, ...]:
    style = plt.style.library.get("petroff10")  # matplotlib >= 3.10
    if style is not None and "axes.prop_cycle" in style:
        return tuple(style["axes.prop_cycle"].by_key()["color"])
    return OKABE_ITO


PALETTE: tuple[str, ...] = _palette()
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")
LINESTYLES = ("-", "--", "-.", ":")
FORWARD = "#222222"  # forward values in the diagrams
BACKWARD = "#bd1f01"  # gradients flowing back (petroff10's red; drawn dashed as well)
GREY = "#717581"


def series_style(i: int, n_points: int | None = None, markers_shown: int = 12) -> dict:
    """Matplotlib keywords for series ``i``: a palette colour, a marker and a line style.

    Markers differ for the first 12 series, line styles then change (48 distinct pairs); the
    colour cycles with the palette. With ``n_points`` given, a long curve shows about
    ``markers_shown`` markers, offset from series to series so that they do not sit on top of
    each other.
    """
    style = {
        "color": PALETTE[i % len(PALETTE)],
        "marker": MARKERS[i % len(MARKERS)],
        "linestyle": LINESTYLES[(i // len(MARKERS)) % len(LINESTYLES)],
        "markersize": 5,
    }
    if n_points is not None and n_points > markers_shown:
        step = max(1, n_points // markers_shown)
        style["markevery"] = (i * step // 5 % step, step)
    return style


def relative_luminance(colour) -> float:
    """WCAG 2 relative luminance of a matplotlib colour (0 black .. 1 white)."""
    rgb = np.array(to_rgb(colour))
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(lin @ [0.2126, 0.7152, 0.0722])


def contrast_ratio(a, b) -> float:
    """WCAG 2 contrast ratio of two colours, 1 (none) to 21 (black on white)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour_on(background) -> str:
    """ "black" or "white", whichever contrasts more with ``background`` (always >= 4.5:1)."""
    return "black" if contrast_ratio(background, "black") >= contrast_ratio(background, "white") else "white"


def new_figure(nrows: int = 1, ncols: int = 1, figsize: tuple[float, float] = (4, 4), **kw):
    """A figure from pyplot (so notebooks render it) that pyplot forgets at once: (fig, axes 2-D)."""
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, **kw)
    plt.close(fig)  # returned, not left open: a notebook displays it once, as the cell's value
    return fig, axes


def label_line_end(ax, x, y, text: str, color: str = FORWARD, dx: float = 4) -> None:
    """Write ``text`` just right of the last point (x[-1], y[-1]): a direct label on the curve.

    Dark text by default: a light palette colour would be too faint to read as text.
    """
    ax.annotate(
        text,
        xy=(x[-1], y[-1]),
        xytext=(dx, 0),
        textcoords="offset points",
        va="center",
        fontsize=9,
        color=color,
        annotation_clip=False,
    )
