"""What the widgets share: a PNG of a matplotlib figure for their static mime-bundle fallback."""

from __future__ import annotations

import io

from matplotlib.figure import Figure

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: Written on every still picture: what a reader sees before the widget's cell has run.
STILL_NOTICE = "A still picture, not live: run the cells above, then this cell, to use it."


def png_bytes(fig: Figure, dpi: int = 80) -> bytes:
    """The figure as PNG bytes (what a notebook stores for readers without a live kernel)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def with_picture(bundle: dict | tuple | None, fig: Figure) -> tuple[dict, dict]:
    """``bundle`` (a widget's mime bundle, ``data`` or ``(data, metadata)``) plus a PNG of ``fig``.

    Frontends that render widgets pick the widget view; static renderers, and JupyterLab before the
    cell has run, show the picture, which says so on it (:data:`STILL_NOTICE`).
    """
    data, metadata = bundle if isinstance(bundle, tuple) else (bundle or {}, {})
    box = {"boxstyle": "round", "facecolor": "#fff3c4", "edgecolor": "#222"}
    style = {"ha": "center", "va": "bottom", "fontsize": 11, "weight": "bold", "color": "#222", "bbox": box}
    fig.text(0.5, 1.0, STILL_NOTICE, **style)
    return {**data, "image/png": png_bytes(fig)}, dict(metadata or {})
