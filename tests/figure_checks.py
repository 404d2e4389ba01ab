"""Checks every figure test can apply: no two series told apart by colour alone, readable type.

from figure_checks import assert_not_colour_alone, assert_readable_text
assert_not_colour_alone(fig)      # every pair of labelled lines differs in marker or line style
"""

from __future__ import annotations

from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D

from helpers.figstyle import contrast_ratio


def _all_axes(fig: Figure | SubFigure) -> list:
    axes = list(fig.axes)
    for sub in getattr(fig, "subfigs", []):
        axes.extend(_all_axes(sub))
    return axes


def _look(line: Line2D) -> tuple:
    """What tells a line apart without colour: its marker (and whether it is hollow) and dashes."""
    marker = line.get_marker()
    marker = None if marker in (None, "None", "", " ", "none") else str(marker)
    hollow = marker is not None and str(line.get_markerfacecolor()) in ("white", "none", "#ffffff", "w")
    style = line.get_linestyle()
    style = None if style in ("None", "", " ", "none") else style
    return marker, hollow, style


def series_lines(ax) -> list[Line2D]:
    """The lines of ``ax`` that are series (a legend label not starting with ``_``, > 1 point)."""
    return [ln for ln in ax.lines if not ln.get_label().startswith("_") and len(ln.get_xdata()) > 1]


def assert_not_colour_alone(fig: Figure | SubFigure, min_series: int = 0) -> None:
    """Fail when two labelled series in one axes differ only by colour (same marker and line style).

    Also fails when a series has neither a visible line nor a marker. ``min_series``: at least
    that many series must be found in the figure (so the check cannot pass on an empty figure).
    """
    found = 0
    for ax in _all_axes(fig):
        lines = series_lines(ax)
        found += len(lines)
        seen: dict[tuple, str] = {}
        for line in lines:
            look = _look(line)
            assert look[0] is not None or look[2] is not None, f"{line.get_label()!r} is invisible"
            other = seen.get(look)
            assert other is None, (
                f"axes {ax.get_title()!r}: series {other!r} and {line.get_label()!r} differ only by colour "
                f"(marker {look[0]!r}, hollow {look[1]}, line style {look[2]!r})"
            )
            seen[look] = line.get_label()
    assert found >= min_series, f"found {found} series, expected at least {min_series}"


def assert_readable_text(fig: Figure | SubFigure, min_size: float = 8.0) -> None:
    """Fail on any visible, non-empty text (titles, labels, ticks, annotations) under ``min_size`` pt."""
    small = []
    for ax in _all_axes(fig):
        texts = [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        texts += ax.get_xticklabels() + ax.get_yticklabels()
        legend = ax.get_legend()
        if legend is not None:
            texts += legend.get_texts()
        small += [
            t for t in texts if t.get_visible() and t.get_text().strip() and t.get_fontsize() < min_size
        ]
    assert not small, f"text under {min_size} pt: " + ", ".join(
        f"{t.get_text()!r} ({t.get_fontsize()})" for t in small[:5]
    )


def assert_text_contrast(fig: Figure | SubFigure, background: str = "white", ratio: float = 4.5) -> None:
    """Fail on axes text (titles, annotations) whose colour contrasts less than ``ratio`` with white.

    Axes showing an image are skipped: their text sits on the image's colours, not on white.
    """
    for ax in _all_axes(fig):
        if ax.images:
            continue
        for t in [ax.title, *ax.texts]:
            if t.get_text().strip() and t.get_bbox_patch() is None:
                c = contrast_ratio(t.get_color(), background)
                assert c >= ratio, f"text {t.get_text()[:30]!r} in {t.get_color()} has contrast {c:.1f}:1"
