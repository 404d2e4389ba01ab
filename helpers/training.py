"""The training loops of chapters 4 and 5, written plainly on the functions of :mod:`helpers.nn`.

:func:`gradient_descent` is the notes' loop (notebook 04): every iteration runs forward_prop on
all m examples, backward_prop and update_params. :func:`train` is mini-batch stochastic
gradient descent with momentum and a decaying learning rate (notebook 05). Both record a
:class:`History`, stop with :class:`TrainingDiverged` when the loss blows up and show a
progress bar. :mod:`helpers.fast` computes the same numbers faster; the tests check it against
these loops.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from helpers.nn import (
    Params,
    _check_ndim,
    as_labels,
    backward_prop,
    check_params,
    cross_entropy,
    evaluate,
    forward_prop,
    get_accuracy,
    get_predictions,
    init_params,
    update_params,
)


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite, or grew tenfold, during training."""


@dataclass
class History:
    """What happened during training, one entry per evaluation point.

    ``step`` counts iterations (gradient_descent) or epochs (train); ``loss``/``accuracy`` are
    on the training data; ``dev_loss``/``dev_accuracy`` are filled when dev data was given,
    at the steps listed in ``dev_step``; ``seconds`` is the training time.
    """

    unit: str
    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    dev_step: list[int] = field(default_factory=list)
    dev_loss: list[float] = field(default_factory=list)
    dev_accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, list[float] | float | str]:
        """The history as a plain dict (for JSON)."""
        return {
            "unit": self.unit,
            "step": self.step,
            "loss": self.loss,
            "accuracy": self.accuracy,
            "dev_step": self.dev_step,
            "dev_loss": self.dev_loss,
            "dev_accuracy": self.dev_accuracy,
            "seconds": self.seconds,
        }

    def record_dev(self, step: int, params: Params, X_dev: np.ndarray, Y_dev: np.ndarray) -> float:
        """Evaluate the network on the dev set (n, m_dev), store it at ``step``; returns accuracy."""
        dev_loss, dev_accuracy = evaluate(params, X_dev, Y_dev)
        self.dev_step.append(step)
        self.dev_loss.append(dev_loss)
        self.dev_accuracy.append(dev_accuracy)
        return dev_accuracy


def check_data(X: np.ndarray, Y: np.ndarray, name: str = "X") -> np.ndarray:
    """Integer labels (m,) for images X (n, m) and labels Y (m,) or one-hot (k, m), checked."""
    _check_ndim(name, X, 2, "(pixels x examples): one image per column")
    return as_labels(Y, X.shape[1], name="Y" if name == "X" else "Y_dev")


def check_positive(**values: int | None) -> None:
    """Raise a ValueError naming the first value that is given but not a positive integer."""
    for name, value in values.items():
        if value is not None and (int(value) != value or value < 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_loss(loss: float, where: str, alpha: float, initial: float, n_classes: int) -> None:
    """Stop training that has diverged.

    Diverged means a NaN or infinite loss, or a loss above ten times the larger of the initial
    loss and log(k), the loss of a uniform guess over k classes. The second case matters: with a
    far too large learning rate the weights explode and the ReLUs die, yet softmax's max
    subtraction keeps the loss finite, so waiting for NaN would never stop such a run.
    """
    if not math.isfinite(loss):
        what = f"became {loss}"
    elif loss > 10 * max(initial, math.log(n_classes)):
        what = f"grew from {initial:.3g} to {loss:.3g}"
    else:
        return
    raise TrainingDiverged(
        f"the loss {what} at {where}: training diverged. Try a smaller learning rate than alpha={alpha:g}."
    )


def check_sgd_settings(epochs: int, batch_size: int, momentum: float, schedule: str) -> None:
    """Raise a ValueError naming the first setting of :func:`train` that is out of range."""
    check_positive(epochs=epochs, batch_size=batch_size)
    if schedule not in ("constant", "linear"):
        raise ValueError(f"schedule must be 'constant' or 'linear', got {schedule!r}")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")


def progress_bar(total: int, desc: str, enabled: bool):
    """A tqdm progress bar over ``total`` steps (a no-op one when ``enabled`` is False)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, leave=False)


def starting_params(
    X: np.ndarray, labels: np.ndarray, params: Params | None, n_hidden: int, scheme: str, seed, dtype
) -> Params:
    """``params`` (checked) or ``init_params``, for X (n, m) and at least 10 classes, as ``dtype``."""
    if params is None:
        params = init_params(X.shape[0], n_hidden, max(int(labels.max()) + 1, 10), seed=seed, scheme=scheme)
    params = tuple(np.array(p, dtype=dtype) for p in params)
    check_params(*params)
    return params  # type: ignore[return-value]


def gradient_descent(
    X: np.ndarray,
    Y: np.ndarray,
    alpha: float,
    iterations: int,
    *,
    n_hidden: int = 10,
    scheme: str = "notes",
    seed: int | None = None,
    params: Params | None = None,
    X_dev: np.ndarray | None = None,
    Y_dev: np.ndarray | None = None,
    dtype: type | np.dtype = np.float64,
    eval_every: int = 10,
    progress: bool = True,
    callback: Callable[[int, Params, History], None] | None = None,
) -> tuple[Params, History]:
    """Full-batch gradient descent, the loop of the notes (notebook 04).

    X (n, m), Y labels (m,) or one-hot (k, m). Each iteration runs forward_prop on all m
    examples, backward_prop, and update_params with learning rate ``alpha``. Parameters start
    from ``params`` if given, else from ``init_params(scheme=scheme, seed=seed)`` (the notes'
    uniform(-0.5, 0.5) by default). The training loss and accuracy of every iteration come from
    its forward pass (before its update); the dev set is evaluated every ``eval_every``
    iterations and after the last one; ``callback(iteration, params, history)``, if given, runs
    at the same points. Returns ``((W1, b1, W2, b2), history)``.
    """
    labels = check_data(X, Y)
    check_positive(iterations=iterations, eval_every=eval_every)
    W1, b1, W2, b2 = starting_params(X, labels, params, n_hidden, scheme, seed, dtype)
    X = X.astype(dtype, copy=False)
    dev = X_dev is not None and Y_dev is not None
    if dev:
        dev_labels = check_data(X_dev, Y_dev, "X_dev")
        X_dev = X_dev.astype(dtype, copy=False)
    history = History(unit="iteration")
    start = time.perf_counter()
    with (
        np.errstate(over="ignore", invalid="ignore"),
        progress_bar(iterations, "gradient descent", progress) as bar,
    ):
        for i in range(1, iterations + 1):
            Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
            loss = cross_entropy(A2, labels)
            check_loss(loss, f"iteration {i}", alpha, history.loss[0] if history.loss else loss, W2.shape[0])
            history.step.append(i)
            history.loss.append(loss)
            history.accuracy.append(get_accuracy(get_predictions(A2), labels))
            dW1, db1, dW2, db2 = backward_prop(Z1, A1, Z2, A2, W1, W2, X, labels)
            W1, b1, W2, b2 = update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha)
            if i % eval_every == 0 or i == iterations:
                if dev:
                    dev_accuracy = history.record_dev(i, (W1, b1, W2, b2), X_dev, dev_labels)
                    bar.set_postfix(loss=f"{loss:.3f}", dev_acc=f"{dev_accuracy:.3f}")
                if callback is not None:
                    callback(i, (W1, b1, W2, b2), history)
            bar.update()
    history.seconds = time.perf_counter() - start
    return (W1, b1, W2, b2), history


def train(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    n_hidden: int = 10,
    epochs: int,
    batch_size: int,
    alpha: float,
    momentum: float = 0.0,
    schedule: str = "constant",
    dtype: type | np.dtype = np.float32,
    seed: int | None = None,
    params: Params | None = None,
    X_dev: np.ndarray | None = None,
    Y_dev: np.ndarray | None = None,
    progress: bool = True,
    callback: Callable[[int, Params, History], None] | None = None,
) -> tuple[Params, History]:
    """Mini-batch stochastic gradient descent with momentum (notebook 05).

    X (n, m), Y labels (m,) or one-hot (k, m). Every epoch shuffles the m examples (seeded by
    ``seed``) and steps through them ``batch_size`` columns at a time, each step calling
    forward_prop, backward_prop and update_params on that batch. Parameters start from
    ``params`` or from He initialisation.

    ``momentum`` (0 = plain SGD) keeps a velocity V := momentum V + dP per parameter and steps
    P := P - lr V. ``schedule="linear"`` decays the learning rate lr linearly from ``alpha``
    towards 0 over all steps, ``"constant"`` keeps it at ``alpha``. ``dtype`` float32 halves
    memory traffic against float64. ``history`` holds, per epoch, the mean training loss and
    accuracy over the epoch's batches (each from the batch's forward pass, before its update)
    and, when X_dev/Y_dev are given, the dev loss and accuracy after the epoch.
    ``callback(epoch, params, history)`` runs after every epoch.
    Returns ``((W1, b1, W2, b2), history)``.
    """
    labels = check_data(X, Y)
    m = X.shape[1]
    check_sgd_settings(epochs, batch_size, momentum, schedule)
    params = starting_params(X, labels, params, n_hidden, "he", seed, dtype)
    dev = X_dev is not None and Y_dev is not None
    if dev:
        dev_labels = check_data(X_dev, Y_dev, "X_dev")
        X_dev = X_dev.astype(dtype, copy=False)
    velocities = [np.zeros_like(p) for p in params]
    rng = np.random.default_rng(None if seed is None else seed + 1)
    total_steps = epochs * math.ceil(m / batch_size)
    step = 0
    history = History(unit="epoch")
    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"), progress_bar(total_steps, "training", progress) as bar:
        for epoch in range(1, epochs + 1):
            order = rng.permutation(m)
            loss_sum, correct = 0.0, 0
            for s in range(0, m, batch_size):
                batch = order[s : s + batch_size]
                Xb = X[:, batch].astype(dtype, copy=False)  # (n, B)
                yb = labels[batch]
                Z1, A1, Z2, A2 = forward_prop(*params, Xb)
                batch_loss = cross_entropy(A2, yb)
                if step == 0:
                    initial = batch_loss  # the loss of the untrained network
                loss_sum += batch_loss * len(batch)
                correct += int(np.count_nonzero(get_predictions(A2) == yb))
                grads = backward_prop(Z1, A1, Z2, A2, params[0], params[2], Xb, yb)
                velocities = [momentum * v + g for v, g in zip(velocities, grads)]
                lr = alpha * (1 - step / total_steps) if schedule == "linear" else alpha
                params = update_params(*params, *velocities, lr)
                step += 1
                bar.update()
            loss = loss_sum / m
            check_loss(loss, f"epoch {epoch}", alpha, initial, params[2].shape[0])
            history.step.append(epoch)
            history.loss.append(loss)
            history.accuracy.append(correct / m)
            if dev:
                dev_accuracy = history.record_dev(epoch, params, X_dev, dev_labels)
                bar.set_postfix(loss=f"{loss:.3f}", dev_acc=f"{dev_accuracy:.3f}")
            if callback is not None:
                callback(epoch, params, history)
    history.seconds = time.perf_counter() - start
    return params, history
