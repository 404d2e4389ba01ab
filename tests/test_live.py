"""helpers.live: the training callback redraws one figure in place and always draws the last step."""

from __future__ import annotations

import numpy as np
import pytest
from figure_checks import assert_not_colour_alone, assert_readable_text

from helpers import load_mnist, train, train_dev_split
from helpers.live import LiveTraining, plot_training_state


class Handle:
    """Stands in for IPython's DisplayHandle: counts in-place updates."""

    def __init__(self, fig):
        self.shown = [fig]

    def update(self, fig):
        self.shown.append(fig)


@pytest.fixture(scope="module")
def small():
    data = load_mnist("no-such-dir", source="sample")
    return train_dev_split(data.X_train[:, :1500], data.y_train[:1500], 300, seed=0)


def test_one_display_then_updates_in_place_and_the_last_step_is_drawn(small):
    X, y, Xd, yd = small
    handles = []
    live = LiveTraining(total=4, every=0.0, display=lambda fig: handles.append(Handle(fig)) or handles[-1])
    params, history = train(
        X, y, epochs=4, batch_size=64, alpha=0.05, seed=0, X_dev=Xd, Y_dev=yd, progress=False, callback=live
    )
    assert len(handles) == 1, "the figure must be displayed once and then updated in place"
    assert len(handles[0].shown) == 4 and live.redraws == 4
    assert np.array_equal(live.W1, params[0]) and live.history is history


def test_redraws_are_spaced_but_the_final_step_is_always_drawn(small):
    X, y, Xd, yd = small
    handles = []
    live = LiveTraining(total=5, every=3600.0, display=lambda fig: handles.append(Handle(fig)) or handles[-1])
    train(X, y, epochs=5, batch_size=64, alpha=0.05, seed=0, progress=False, callback=live)
    assert live.redraws == 2, "the first step and the last one, nothing between within an hour"
    final = handles[0].shown[-1]
    assert any("epoch 5" in sf._suptitle.get_text() for sf in final.subfigs if sf._suptitle)


def test_figure_shows_curves_and_one_image_per_unit(small):
    X, y, Xd, yd = small
    params, history = train(
        X, y, epochs=2, batch_size=64, alpha=0.05, seed=0, X_dev=Xd, Y_dev=yd, progress=False
    )
    fig = plot_training_state(history, params[0], n_units=6)
    curves, weights = fig.subfigs
    loss_ax = curves.axes[0]
    assert [list(line.get_ydata()) for line in loss_ax.lines] == [history.loss, history.dev_loss]
    units = [ax for ax in weights.axes if ax.images]
    assert len(units) == 6 and len(weights.axes) == 7, "six units and their shared colour bar"
    assert np.allclose(units[2].images[0].get_array(), params[0][2].reshape(28, 28))
    assert any(ax.get_ylabel() == "weight" for ax in weights.axes), "the colour bar says what it shows"
    assert_not_colour_alone(curves, min_series=4)  # train and dev differ in line style and marker fill
    assert_readable_text(fig)


def test_outside_ipython_nothing_is_displayed_and_bad_settings_are_refused(small):
    live = LiveTraining(total=2)
    assert live._display is None
    with pytest.raises(RuntimeError, match="no training step"):
        live.figure()
    with pytest.raises(ValueError, match="total"):
        LiveTraining(total=0)
    with pytest.raises(ValueError, match="every"):
        LiveTraining(every=-1)
