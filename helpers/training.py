"""The training loops of chapters 4 and 5, written plainly on the functions of :mod:`helpers.nn`.

:func:`gradient_descent` is the notes' loop (notebook 04): every iteration takes the gradient
on all m examples (:func:`full_batch_gradient`) and calls update_params. :func:`train` is
mini-batch stochastic gradient descent with momentum and a decaying learning rate (notebook 05),
one :class:`SGDStep` per batch. Both record a :class:`History`, stop with
:class:`TrainingDiverged` when the loss blows up, show a progress bar and keep BLAS on one
thread (chapter 7 shows why). The fast engine :mod:`helpers.fast` is these two loops with its
own gradient and step; the tests check that both give the same numbers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import numpy as np

from helpers.blas_threads import limit_blas_threads
from helpers.nn import (
    Params,
    backward_prop,
    cross_entropy,
    evaluate,
    forward_prop,
    get_accuracy,
    get_predictions,
    init_params,
    log_loss_sum,
    update_params,
)
from helpers.validation import check_network, check_positive, check_sgd_settings


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
        return asdict(self)

    def record(self, step: int, loss: float, accuracy: float) -> None:
        """Store the training loss and accuracy at ``step``."""
        self.step.append(step)
        self.loss.append(loss)
        self.accuracy.append(accuracy)

    def record_dev(self, step: int, params: Params, X_dev: np.ndarray, Y_dev: np.ndarray) -> float:
        """Evaluate the network on the dev set (n, m_dev), store it at ``step``; returns accuracy."""
        dev_loss, dev_accuracy = evaluate(params, X_dev, Y_dev)
        self.dev_step.append(step)
        self.dev_loss.append(dev_loss)
        self.dev_accuracy.append(dev_accuracy)
        return dev_accuracy


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


@contextmanager
def timed_progress(history: History, total: int, desc: str, enabled: bool) -> Iterator:
    """A tqdm progress bar over ``total`` steps (a no-op one when ``enabled`` is False), NumPy's
    overflow warnings off meanwhile (:func:`check_loss` stops a run that diverges); when the
    block ends without an error, its time goes to ``history.seconds``."""
    from tqdm.auto import tqdm

    start = time.perf_counter()
    with (
        np.errstate(over="ignore", invalid="ignore"),
        tqdm(total=total, desc=desc, disable=not enabled, leave=False) as bar,
    ):
        yield bar
    history.seconds = time.perf_counter() - start


def starting_params(
    X: np.ndarray, Y: np.ndarray, params: Params | None, n_hidden: int, scheme: str, seed, dtype
) -> tuple[Params, np.ndarray]:
    """``params`` or ``init_params`` (at least 10 classes) as ``dtype``, and the labels (m,) of Y, checked."""
    if params is None:
        labels = check_network(None, X, Y)
        params = init_params(X.shape[0], n_hidden, max(int(labels.max()) + 1, 10), seed=seed, scheme=scheme)
    params = tuple(np.array(p, dtype=dtype) for p in params)
    return params, check_network(params, X, Y)  # type: ignore[return-value]


def dev_set(params: Params, X_dev, Y_dev, dtype) -> tuple[np.ndarray, np.ndarray] | None:
    """The dev images X_dev (n, m_dev) as ``dtype`` and their labels (m_dev,), checked; None without them."""
    if X_dev is None or Y_dev is None:
        return None
    labels = check_network(params, X_dev, Y_dev, "X_dev")
    return X_dev.astype(dtype, copy=False), labels


def after_evaluation(history: History, step: int, params: Params, dev, callback, bar, loss: float) -> None:
    """At an evaluation point: evaluate the dev set (if any), show it, then call ``callback``."""
    if dev is not None:
        dev_accuracy = history.record_dev(step, params, *dev)
        bar.set_postfix(loss=f"{loss:.3f}", dev_acc=f"{dev_accuracy:.3f}")
    if callback is not None:
        callback(step, params, history)


# --------------------------------------------------------------------------------------------
# Full-batch gradient descent (notebook 04)
# --------------------------------------------------------------------------------------------
def full_batch_gradient(params: Params, X: np.ndarray, labels: np.ndarray) -> tuple[float, float, Params]:
    """Loss, accuracy and gradients (dW1, db1, dW2, db2) of the network on all m columns of X (n, m).

    forward_prop, cross_entropy and get_accuracy of that forward pass, then backward_prop.
    """
    W1, b1, W2, b2 = params
    Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
    loss = cross_entropy(A2, labels)
    accuracy = get_accuracy(get_predictions(A2), labels)
    return loss, accuracy, backward_prop(Z1, A1, Z2, A2, W1, W2, X, labels)


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
    blas_threads: int | None = 1,
    gradient: Callable[[Params, np.ndarray, np.ndarray], tuple[float, float, Params]] = full_batch_gradient,
) -> tuple[Params, History]:
    """Full-batch gradient descent, the loop of the notes (notebook 04).

    X (n, m), Y labels (m,) or one-hot (k, m). Each iteration takes ``gradient(params, X,
    labels)`` (the loss, accuracy and gradients of all m examples) and calls update_params with
    learning rate ``alpha``. Parameters start from ``params`` if given, else from
    ``init_params(scheme=scheme, seed=seed)`` (the notes' uniform(-0.5, 0.5) by default). The
    training loss and accuracy of every iteration come from its forward pass (before its
    update); the dev set is evaluated every ``eval_every`` iterations and after the last one;
    ``callback(iteration, params, history)``, if given, runs at the same points.
    ``blas_threads``: BLAS threads meanwhile (None: as configured). Returns ``(params, history)``.
    """
    check_positive(iterations=iterations, eval_every=eval_every)
    params, labels = starting_params(X, Y, params, n_hidden, scheme, seed, dtype)
    X = X.astype(dtype, copy=False)
    dev = dev_set(params, X_dev, Y_dev, dtype)
    history = History(unit="iteration")
    with (
        timed_progress(history, iterations, "gradient descent", progress) as bar,
        limit_blas_threads(blas_threads),
    ):
        for i in range(1, iterations + 1):
            loss, accuracy, grads = gradient(params, X, labels)
            initial = history.loss[0] if history.loss else loss
            check_loss(loss, f"iteration {i}", alpha, initial, params[2].shape[0])
            history.record(i, loss, accuracy)
            params = update_params(*params, *grads, alpha)
            if i % eval_every == 0 or i == iterations:
                after_evaluation(history, i, params, dev, callback, bar, loss)
            bar.update()
    return params, history


# --------------------------------------------------------------------------------------------
# Mini-batch SGD with momentum (notebook 05)
# --------------------------------------------------------------------------------------------
class SGDStep:
    """One mini-batch step of notebook 05 on X (n, m) and labels (m,), from ``params``.

    ``step(batch, lr)`` runs forward_prop and backward_prop on the columns ``batch`` of X, then
    V := momentum V + dP and P := P - lr V for every parameter (momentum 0: plain SGD). It
    returns the probabilities given to the true classes (b,) and the predictions (b,) of the
    batch's forward pass, before the update. ``params`` holds the current parameters.
    """

    def __init__(self, params: Params, X: np.ndarray, labels: np.ndarray, momentum: float, batch_size: int):
        self.params, self.X, self.labels, self.momentum = params, X, labels, momentum
        self.velocities = [np.zeros_like(p) for p in params]

    def __call__(self, batch: np.ndarray, lr: float) -> tuple[np.ndarray, np.ndarray]:
        W1, b1, W2, b2 = self.params
        Xb = self.X[:, batch].astype(W1.dtype, copy=False)  # (n, b)
        yb = self.labels[batch]
        Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, Xb)
        grads = backward_prop(Z1, A1, Z2, A2, W1, W2, Xb, yb)
        self.velocities = [self.momentum * v + g for v, g in zip(self.velocities, grads)]
        self.params = update_params(W1, b1, W2, b2, *self.velocities, lr)
        return A2[yb, np.arange(len(batch))], get_predictions(A2)


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
    blas_threads: int | None = 1,
    step: Callable[..., SGDStep] = SGDStep,
) -> tuple[Params, History]:
    """Mini-batch stochastic gradient descent with momentum (notebook 05).

    X (n, m), Y labels (m,) or one-hot (k, m). Every epoch shuffles the m examples (seeded by
    ``seed``) and steps through them ``batch_size`` columns at a time with one :class:`SGDStep`
    (or ``step``: another class with its interface) per batch. Parameters start from ``params``
    or from He initialisation. ``momentum``: 0 is plain SGD. ``schedule="linear"`` decays the
    learning rate linearly from ``alpha`` towards 0 over all steps, ``"constant"`` keeps it.
    ``dtype`` float32 halves memory traffic against float64. ``history`` holds, per epoch, the
    training loss and accuracy over the epoch's batches (each from the batch's forward pass,
    before its update) and, when X_dev/Y_dev are given, the dev loss and accuracy after the
    epoch. ``callback(epoch, params, history)`` runs after every epoch. ``blas_threads``: BLAS
    threads meanwhile (None: as configured). Returns ``((W1, b1, W2, b2), history)``.
    Long as the loop notebook 05 shows, kept in one piece so that it reads as the notebook does.
    """
    check_sgd_settings(epochs, batch_size, momentum, schedule)
    params, labels = starting_params(X, Y, params, n_hidden, "he", seed, dtype)
    dev = dev_set(params, X_dev, Y_dev, dtype)
    m = X.shape[1]
    stepper = step(params, X, labels, momentum, batch_size)
    p_true = np.empty(m, dtype=params[0].dtype)  # per epoch: the probability given to the true class
    predicted = np.empty(m, dtype=np.intp)
    rng = np.random.default_rng(None if seed is None else seed + 1)
    total_steps = epochs * math.ceil(m / batch_size)
    t = 0
    history = History(unit="epoch")
    with timed_progress(history, total_steps, "training", progress) as bar, limit_blas_threads(blas_threads):
        for epoch in range(1, epochs + 1):
            order = rng.permutation(m)
            for s in range(0, m, batch_size):
                lr = alpha * (1 - t / total_steps) if schedule == "linear" else alpha
                batch = slice(s, s + batch_size)
                p_true[batch], predicted[batch] = stepper(order[batch], lr)
                t += 1
                bar.update()
            if epoch == 1:  # the loss of the untrained network, from the first batch
                initial = log_loss_sum(p_true[:batch_size]) / min(batch_size, m)
            loss = log_loss_sum(p_true) / m
            check_loss(loss, f"epoch {epoch}", alpha, initial, params[2].shape[0])
            history.record(epoch, loss, int(np.count_nonzero(predicted == labels[order])) / m)
            after_evaluation(history, epoch, stepper.params, dev, callback, bar, loss)
    return stepper.params, history
