"""Curves of the course: training histories, loss curves, overfitting, train-dev gaps, timings.

Every function returns a :class:`matplotlib.figure.Figure` and leaves nothing open in pyplot.
Each series has its own marker and line style besides its colour (:mod:`helpers.figstyle`), and
curves carry direct labels where a legend alone would be hard to match.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from helpers.figstyle import GREY, label_line_end, new_figure, series_style


def _field(h, name: str):
    return h[name] if isinstance(h, Mapping) else getattr(h, name)


def _dev_steps(h, steps: list, n_dev: int) -> list:
    """x positions of the dev points: ``dev_step`` when the history has it, else inferred.

    :func:`helpers.training.train` evaluates the dev set after every epoch (same steps);
    :func:`helpers.training.gradient_descent` every ``eval_every`` iterations (10 by default) and after
    the last one. The interval tried first is 10, then 1, 2, 3, ...: the first whose count of
    evaluation points matches gives the positions.
    """
    given = h.get("dev_step") if isinstance(h, Mapping) else getattr(h, "dev_step", None)
    if given is not None and len(given) == n_dev:
        return list(given)
    if n_dev == len(steps):
        return list(steps)
    for every in (10, *range(1, len(steps) + 1)):
        xs = list(steps[every - 1 :: every])
        if not xs or xs[-1] != steps[-1]:
            xs.append(steps[-1])
        if len(xs) == n_dev:
            return xs
    return list(np.linspace(steps[0], steps[-1], n_dev))


def draw_history(ax_loss, ax_acc, histories: Sequence, labels: Sequence[str] | None = None) -> str:
    """Draw the loss and accuracy curves of ``histories`` on two axes; returns the step unit.

    Run i has its own colour and marker; training curves are solid with filled markers, dev
    curves dashed with hollow ones, so every curve differs from every other in more than colour.
    """
    units = set()
    for i, h in enumerate(histories):
        name = labels[i] if labels is not None else (f"run {i + 1}" if len(histories) > 1 else "")
        prefix = f"{name}: " if name else ""
        steps = list(_field(h, "step"))
        units.add(_field(h, "unit"))
        for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
            train_vals = list(_field(h, key))
            dev_vals = list(_field(h, f"dev_{key}"))
            if train_vals:
                style = {**series_style(i, len(train_vals)), "linestyle": "-"}
                ax.plot(steps[: len(train_vals)], train_vals, label=f"{prefix}train", **style)
            if dev_vals and steps:
                xs = _dev_steps(h, steps, len(dev_vals))
                style = {**series_style(i, len(dev_vals)), "linestyle": "--", "markerfacecolor": "white"}
                ax.plot(xs, dev_vals, label=f"{prefix}dev", **style)
    unit = units.pop() if len(units) == 1 else "step"
    ax_loss.set_title("Loss (mean cross-entropy)")
    ax_loss.set_ylabel("loss")
    ax_acc.set_title("Accuracy")
    ax_acc.set_ylabel("accuracy")
    ax_acc.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    for ax in (ax_loss, ax_acc):
        ax.set_xlabel(f"{unit}s")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=9)
    return unit


def plot_history(*histories, labels: Sequence[str] | None = None) -> Figure:
    """Training curves of one or more runs: loss (left) and accuracy (right).

    Each history is a :class:`helpers.training.History` (or its ``as_dict()``); training curves are
    solid, dev curves dashed; each run has its own colour and marker. ``labels`` names the runs.
    """
    if not histories:
        raise ValueError("plot_history needs at least one History")
    if labels is not None and len(labels) != len(histories):
        raise ValueError(f"got {len(labels)} labels for {len(histories)} histories")
    fig, axes = new_figure(1, 2, figsize=(11, 4.2))
    draw_history(*axes[0], histories, labels)
    fig.tight_layout()
    return fig


def _xy(values) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(values, tuple) and len(values) == 2:
        return np.asarray(values[0], dtype=float), np.asarray(values[1], dtype=float)
    y = np.asarray(values, dtype=float)
    return np.arange(1, y.size + 1, dtype=float), y


def draw_series(ax, series: Mapping[str, object], direct_labels: bool = True) -> None:
    """Draw each named series (y values, or an (x, y) pair) with its own colour, marker and line."""
    for i, (name, values) in enumerate(series.items()):
        x, y = _xy(values)
        if x.shape != y.shape or y.size == 0:
            raise ValueError(
                f"series {name!r}: x and y must be equal, non-empty lengths ({x.shape}, {y.shape})"
            )
        ax.plot(x, y, label=name, **series_style(i, y.size))
        if direct_labels:
            label_line_end(ax, x, y, name.split(" (")[0])


def plot_curves(
    series: Mapping[str, object],
    *,
    xlabel: str,
    ylabel: str,
    title: str | None = None,
    logx: bool = False,
    logy: bool = False,
    reference: tuple[float, str] | None = None,
    figsize: tuple[float, float] = (8, 4.2),
) -> Figure:
    """Several named curves on one axis, each told apart by marker, line style and a label at its end.

    ``series`` maps a name to y values (x = 1, 2, ...) or to an (x, y) pair. ``reference`` =
    (value, text) draws a dotted horizontal line labelled outside the plot, e.g. ln 10.
    """
    if not series:
        raise ValueError("plot_curves needs at least one series")
    fig, axes = new_figure(figsize=figsize)
    ax = axes[0, 0]
    draw_series(ax, series)
    if reference is not None:
        value, text = reference
        ax.axhline(value, color=GREY, ls=":", lw=1)
        ax.annotate(text, xy=(1, value), xycoords=("axes fraction", "data"), xytext=(60, 0),
                    textcoords="offset points", va="center", color=GREY, fontsize=9,
                    annotation_clip=False)  # fmt: skip
    ax.set_xscale("log" if logx else "linear")
    ax.set_yscale("log" if logy else "linear")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_batch_sizes(runs: Mapping[str, tuple], m: int) -> Figure:
    """Training loss against epochs (left) and seconds (right) for each batch size.

    ``runs`` maps a name (e.g. "B = 32") to arrays (examples seen, loss, seconds), as chapter 4's
    ``train_batches`` returns them; ``m`` is the number of training images.
    """
    fig, axes = new_figure(1, 2, figsize=(11, 4))
    ax1, ax2 = axes[0]
    draw_series(ax1, {name: (np.asarray(seen) / m, loss) for name, (seen, loss, _) in runs.items()})
    draw_series(ax2, {name: (sec, loss) for name, (_, loss, sec) in runs.items()})
    ax1.set_xlabel("epochs (examples seen / m)")
    ax2.set_xlabel("seconds of training")
    for ax in (ax1, ax2):
        ax.set_ylabel("training loss")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
    fig.suptitle("Same data, same learning rate: full batch against mini-batches")
    fig.tight_layout()
    return fig


def plot_overfitting(history, label: str = "") -> Figure:
    """Overfitting in three panels: both losses (log scale), the dev loss alone on a linear axis
    (its lowest point and the rise after it marked), and both accuracies.

    ``history`` is a :class:`helpers.training.History` with dev curves; a dotted line marks the
    epoch of the lowest dev loss in every panel.
    """
    steps, dev_loss = list(_field(history, "step")), np.asarray(_field(history, "dev_loss"), dtype=float)
    if dev_loss.size < 2:
        raise ValueError("plot_overfitting needs a history with at least two dev-loss points")
    dev_x = np.asarray(_dev_steps(history, steps, dev_loss.size), dtype=float)
    best = int(np.argmin(dev_loss))
    best_step, rise = dev_x[best], dev_loss[-1] / dev_loss[best] - 1
    fig, axes = new_figure(1, 3, figsize=(14, 4.2))
    ax_loss, ax_dev, ax_acc = axes[0]
    draw_history(ax_loss, ax_acc, [history], [label] if label else None)
    unit = _field(history, "unit")
    ax_loss.set_yscale("log")
    ax_loss.set_title("Loss, log scale")
    ax_dev.plot(dev_x, dev_loss, label="dev loss", **{**series_style(0, dev_loss.size), "linestyle": "--",
                                                       "markerfacecolor": "white"})  # fmt: skip
    ax_dev.plot([best_step], [dev_loss[best]], "v", color="black", ms=9, label="lowest")
    ax_dev.annotate(f"lowest {dev_loss[best]:.4f}\n({unit} {best_step:g})", xy=(best_step, dev_loss[best]),
                    xytext=(0, -28), textcoords="offset points", ha="center", fontsize=9)  # fmt: skip
    ax_dev.annotate(f"{dev_loss[-1]:.4f}\n({rise:+.0%})", xy=(dev_x[-1], dev_loss[-1]), xytext=(-4, 10),
                    textcoords="offset points", ha="right", va="bottom", fontsize=9)  # fmt: skip
    ax_dev.set_title("Dev loss alone, linear scale: it rises again")
    ax_dev.set_xlabel(f"{unit}s")
    ax_dev.set_ylabel("dev loss")
    ax_dev.margins(y=0.25)
    ax_dev.grid(alpha=0.3)
    ax_dev.legend(fontsize=9, loc="upper center")
    for ax in (ax_loss, ax_dev, ax_acc):
        ax.axvline(best_step, color=GREY, linestyle=":", linewidth=1)
    fig.suptitle(f"Dotted: the lowest dev loss, after {unit} {best_step:g}", fontsize=11)
    fig.tight_layout()
    return fig


def plot_train_dev_gap(
    x: Sequence[float], train: Sequence[float], dev: Sequence[float], *, xlabel: str,
    log_base: int | None = None, title: str | None = None,
) -> Figure:  # fmt: skip
    """Training and dev accuracy against ``x`` (left) and the gap between them (right, in points).

    The gap is ``train - dev`` in percentage points, one labelled bar per x, so that a gap of a
    point is visible even where the two accuracies overlap on a 0-100% axis.
    """
    x, train, dev = (np.asarray(v, dtype=float) for v in (x, train, dev))
    if not x.size or not x.shape == train.shape == dev.shape:
        raise ValueError(f"x, train and dev must have one equal, non-zero length, got {x.shape}, "
                         f"{train.shape}, {dev.shape}")  # fmt: skip
    fig, axes = new_figure(1, 2, figsize=(11, 4))
    ax, ax_gap = axes[0]
    draw_series(ax, {"training": (x, train), "dev": (x, dev)}, direct_labels=False)
    ax.lines[1].set_linestyle("--")  # dev dashed with hollow markers, as in plot_history
    ax.lines[1].set_markerfacecolor("white")
    if log_base:
        ax.set_xscale("log", base=log_base)
    ax.set_xticks(x, [f"{v:g}" for v in x])
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_xlabel(xlabel + (" (log scale)" if log_base else ""))
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=9, loc="lower right")
    ax.set_title("Accuracy")
    gap = 100 * (train - dev)
    pos = np.arange(x.size)
    ax_gap.bar(pos, gap, color=series_style(0)["color"], edgecolor="black", hatch="//")
    for p, g in zip(pos, gap):
        ax_gap.annotate(f"{g:+.1f}", xy=(p, g), xytext=(0, 3 if g >= 0 else -3), textcoords="offset points",
                        ha="center", va="bottom" if g >= 0 else "top", fontsize=9)  # fmt: skip
    ax_gap.axhline(0, color="black", lw=0.8)
    ax_gap.set_xticks(pos, [f"{v:g}" for v in x])
    ax_gap.set_xlabel(xlabel)
    ax_gap.set_ylabel("training minus dev (points)")
    ax_gap.set_title("The gap: training accuracy minus dev accuracy")
    ax_gap.margins(y=0.2)
    for a in (ax, ax_gap):
        a.grid(alpha=0.3, axis="y")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def plot_accuracy_vs_time(results: Mapping) -> Figure:
    """Test accuracy against cumulative training seconds (log scale) for every benchmarked run.

    ``results`` is ``benchmarks/results/results.json`` as a dict. Each network setting has its
    own marker; NumPy runs are solid with filled markers, PyTorch runs dashed with hollow ones;
    the notes' recipe is a grey dotted line. The legend sits below the plot, in readable type.
    """
    fig, axes = new_figure(figsize=(10, 7.2))
    ax = axes[0, 0]
    curve = results.get("recipes", {}).get("notes", {}).get("curve")
    if curve:
        t, a = zip(*curve)
        ax.plot(t, np.array(a) * 100, ":", color=GREY, lw=2, label="notes recipe, NumPy full batch")
    for i, c in enumerate(results.get("comparisons", {}).values()):
        s = c["settings"]
        label = f"784-{s['n_hidden']}-10, batch {s['batch_size']}" + (
            "" if s.get("momentum") else ", plain SGD"
        )
        style = {**series_style(i), "linestyle": "-", "markevery": None}
        x = np.cumsum(c["numpy_epoch_seconds"])
        ax.plot(x, np.array(c["numpy_test_accuracy"]) * 100, label=f"{label}: NumPy", **style)
        if "torch_autograd_epoch_seconds" in c:  # PyTorch as a student would use it
            x = np.cumsum(c["torch_autograd_epoch_seconds"])
            ax.plot(x, np.array(c["torch_autograd_test_accuracy"]) * 100, label=f"{label}: PyTorch",
                    **{**style, "linestyle": "--", "markerfacecolor": "white"})  # fmt: skip
    if not ax.lines:
        raise ValueError("results hold no accuracy curve (no recipes.notes.curve, no comparisons)")
    ax.set_xscale("log")
    ax.set_ylim(60, 100)
    ax.set_xlabel("training seconds (cumulative, log scale)")
    ax.set_ylabel("test accuracy %")
    ax.set_title("Full MNIST: test accuracy against training time")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2, frameon=False)
    fig.tight_layout()
    return fig
