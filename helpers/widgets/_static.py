"""What the widgets share: a PNG of a matplotlib figure for their static mime-bundle fallback."""

from __future__ import annotations

import io

from matplotlib.figure import Figure

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def png_bytes(fig: Figure, dpi: int = 80) -> bytes:
    """The figure as PNG bytes (what a notebook stores for readers without a live kernel)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def with_picture(bundle: dict | tuple | None, fig: Figure) -> tuple[dict, dict]:
    """``bundle`` (a widget's mime bundle, ``data`` or ``(data, metadata)``) plus a PNG of ``fig``.

    Frontends that render widgets pick the widget view; static renderers show the picture.
    """
    data, metadata = bundle if isinstance(bundle, tuple) else (bundle or {}, {})
    return {**data, "image/png": png_bytes(fig)}, dict(metadata or {})
