"""helpers.curves: every curve figure shows its data, and no series is told apart by colour alone."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from figure_checks import assert_not_colour_alone, assert_readable_text, series_lines

from helpers import curves, figstyle
from helpers.training import History

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _no_open_figures():
    plt.close("all")
    yield
    assert plt.get_fignums() == []


def _run(epochs: int, rise: bool = True) -> History:
    h = History(unit="epoch")
    h.step = list(range(1, epochs + 1))
    h.loss = [0.3 * 0.8**s for s in h.step]
    h.accuracy = [1 - 0.1 * 0.9**s for s in h.step]
    h.dev_loss = [0.07 + (0.0004 * (s - 9) ** 2 if rise else 0.1 / s) for s in h.step]
    h.dev_accuracy = [0.98 - 0.05 * 0.8**s for s in h.step]
    h.dev_step = list(h.step)
    return h


def test_the_palette_is_colour_blind_safe_and_styles_are_distinct():
    assert figstyle.PALETTE[:3] in (("#3f90da", "#ffa90e", "#bd1f01"), figstyle.OKABE_ITO[:3])
    looks = {(s["marker"], s["linestyle"]) for s in map(figstyle.series_style, range(48))}
    assert len(looks) == 48
    assert figstyle.series_style(2, n_points=100)["markevery"][1] == 8
    for bg in ("#ffffff", "#000000", "#767676", "#3f90da", "#f7fbff", "#08306b", "#777777"):
        assert figstyle.contrast_ratio(bg, figstyle.text_colour_on(bg)) >= 4.5, bg
    assert figstyle.contrast_ratio("black", "white") == pytest.approx(21.0)


def test_plot_history_two_runs_differ_beyond_colour():
    fig = curves.plot_history(_run(30), _run(40), labels=["notes", "fast"])
    assert_not_colour_alone(fig, min_series=8)
    assert_readable_text(fig)
    ax_loss = fig.axes[0]
    assert [ln.get_label() for ln in ax_loss.lines] == [
        "notes: train",
        "notes: dev",
        "fast: train",
        "fast: dev",
    ]
    assert ax_loss.lines[0].get_marker() != ax_loss.lines[2].get_marker()


def test_the_check_catches_series_told_apart_by_colour_only():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    ax.plot([1, 2], [1, 2], color="tab:green", label="alpha 0.5")
    ax.plot([1, 2], [2, 1], color="tab:red", label="alpha 5")
    with pytest.raises(AssertionError, match="differ only by colour"):
        assert_not_colour_alone(fig)
    with pytest.raises(AssertionError, match="at least 3"):
        assert_not_colour_alone(Figure(), min_series=3)


def test_plot_curves_learning_rates():
    losses = {f"alpha = {a:g}": 2.3 * np.exp(-a * np.arange(100)) for a in (0.01, 0.1, 0.5, 5.0)}
    fig = curves.plot_curves(losses, xlabel="iteration", ylabel="training loss", logy=True,
                             reference=(np.log(10), "ln 10"), title="100 steps")  # fmt: skip
    ax = fig.axes[0]
    lines = series_lines(ax)
    assert len(lines) == 4 and ax.get_yscale() == "log"
    np.testing.assert_array_equal(lines[0].get_xdata(), np.arange(1, 101))
    np.testing.assert_allclose(lines[3].get_ydata(), losses["alpha = 5"])
    labels = [t.get_text() for t in ax.texts]
    assert all(name in labels for name in losses), "each curve is labelled at its end"
    assert "ln 10" in labels
    assert_not_colour_alone(fig, min_series=4)
    assert_readable_text(fig)
    with pytest.raises(ValueError, match="equal"):
        curves.plot_curves({"a": ([1, 2], [1])}, xlabel="x", ylabel="y")


def test_plot_batch_sizes():
    m = 1000
    seen, seconds = np.array([0, 500, 1000]), np.array([0, 0.1, 0.2])
    runs = {f"B = {b}": (seen, np.array([2.3, 1.0, 0.5 + b / 1e4]), seconds) for b in (1000, 256, 32)}
    fig = curves.plot_batch_sizes(runs, m)
    ax1, ax2 = fig.axes
    np.testing.assert_allclose(series_lines(ax1)[0].get_xdata(), [0, 0.5, 1.0])
    np.testing.assert_allclose(series_lines(ax2)[2].get_xdata(), [0, 0.1, 0.2])
    assert_not_colour_alone(fig, min_series=6)
    assert_readable_text(fig)


def test_plot_overfitting_shows_the_dev_rise_on_a_linear_axis():
    h = _run(40)
    fig = curves.plot_overfitting(h, label="784-128-10")
    ax_loss, ax_dev, ax_acc = fig.axes
    assert ax_loss.get_yscale() == "log" and ax_dev.get_yscale() == "linear"
    best = int(np.argmin(h.dev_loss))
    assert h.dev_step[best] == 9
    dev_line = series_lines(ax_dev)[0]
    np.testing.assert_allclose(dev_line.get_ydata(), h.dev_loss)
    lo, hi = ax_dev.get_ylim()
    assert hi - lo < 3 * (max(h.dev_loss) - min(h.dev_loss)), "the linear axis is zoomed on the dev loss"
    text = " ".join(t.get_text() for t in ax_dev.texts)
    rise = h.dev_loss[-1] / h.dev_loss[best] - 1
    assert f"{min(h.dev_loss):.4f}" in text and f"{rise:+.0%}" in text
    for ax in fig.axes:
        assert any(ln.get_xdata()[0] == 9 and ln.get_linestyle() == ":" for ln in ax.lines), (
            "best epoch marked"
        )
    assert_not_colour_alone(fig, min_series=5)
    assert_readable_text(fig)
    with pytest.raises(ValueError, match="two dev-loss"):
        curves.plot_overfitting(History(unit="epoch", step=[1], loss=[1.0], dev_loss=[1.0]))


def test_plot_train_dev_gap_draws_the_gap_itself():
    sizes = [2, 4, 8, 16, 64, 256]
    train = np.array([0.364, 0.803, 0.914, 0.952, 0.975, 0.982])
    dev = np.array([0.349, 0.799, 0.908, 0.951, 0.966, 0.977])
    fig = curves.plot_train_dev_gap(sizes, train, dev, xlabel="hidden units", log_base=2, title="sweep")
    ax, ax_gap = fig.axes
    np.testing.assert_allclose([b.get_height() for b in ax_gap.patches], 100 * (train - dev))
    labels = [t.get_text() for t in ax_gap.texts]
    assert labels == [f"{g:+.1f}" for g in 100 * (train - dev)]
    assert [t.get_text() for t in ax_gap.get_xticklabels()] == [str(s) for s in sizes]
    assert_not_colour_alone(fig, min_series=2)
    assert_readable_text(fig)
    with pytest.raises(ValueError, match="equal"):
        curves.plot_train_dev_gap([1, 2], [0.5], [0.4], xlabel="x")


def test_plot_accuracy_vs_time_from_the_benchmark_results():
    results = json.loads((ROOT / "benchmarks" / "results" / "results.json").read_text())
    fig = curves.plot_accuracy_vs_time(results)
    ax = fig.axes[0]
    lines = series_lines(ax)
    runs = results["comparisons"].values()
    assert len(lines) == 1 + len(runs) + sum("torch_autograd_epoch_seconds" in c for c in runs)
    first = next(iter(runs))
    np.testing.assert_allclose(lines[1].get_xdata(), np.cumsum(first["numpy_epoch_seconds"]))
    assert_not_colour_alone(fig, min_series=len(lines))
    assert_readable_text(fig, 9)
    assert ax.get_legend().get_texts()[0].get_fontsize() >= 10
    with pytest.raises(ValueError, match="no accuracy curve"):
        curves.plot_accuracy_vs_time({})
