"""The two-layer network of the course, in NumPy and nothing else.

Notation follows the course notes. ``X`` holds one image per *column*:

    X   : (784, m)    pixels scaled to [0, 1]
    W1  : (h, 784)    b1 : (h, 1)       h hidden units (10 in the notes)
    W2  : (10, h)     b2 : (10, 1)

Forward propagation::

    Z1 = W1 X + b1          (h, m)
    A1 = ReLU(Z1)           (h, m)
    Z2 = W2 A1 + b2         (10, m)
    A2 = softmax(Z2)        (10, m)   each column sums to 1

Backward propagation for the mean cross-entropy loss
``L = -(1/m) sum_i log A2[y_i, i]``::

    dZ2 = A2 - Y                         (10, m)   Y one-hot
    dW2 = dZ2 A1^T / m                   (10, h)
    db2 = mean of dZ2 over examples      (10, 1)
    dZ1 = W2^T dZ2 * ReLU'(Z1)           (h, m)
    dW1 = dZ1 X^T / m                    (h, 784)
    db1 = mean of dZ1 over examples      (h, 1)

Gradient descent: ``W := W - alpha dW`` (and the same for every parameter).

Everything the notebooks teach is defined here once; :func:`gradient_descent` (the notes'
full-batch recipe) and :func:`train` (mini-batches) both call the same
:func:`forward_prop`, :func:`backward_prop` and :func:`update_params`.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from helpers.labels import as_labels

Params = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
PARAM_NAMES = ("W1", "b1", "W2", "b2")


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite during training."""


# --------------------------------------------------------------------------------------------
# Shape checks: every public function names the array, the expected and the actual shape.
# --------------------------------------------------------------------------------------------
def _check_ndim(name: str, a: np.ndarray, ndim: int, meaning: str) -> None:
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(a).__name__}")
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D {meaning}, got shape {a.shape}")


def _check_shape(name: str, a: np.ndarray, expected: tuple[int | None, ...]) -> None:
    """Raise a ValueError unless ``a.shape`` matches ``expected`` (None matches any size)."""
    ok = isinstance(a, np.ndarray) and a.ndim == len(expected)
    if ok:  # a plain loop: this runs on every mini-batch step, so it must cost next to nothing
        for e, s in zip(expected, a.shape):
            if e is not None and e != s:
                ok = False
                break
    if ok:
        return
    shown = "(" + ", ".join("m" if e is None else str(e) for e in expected) + ")"
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array of shape {shown}, got {type(a).__name__}")
    raise ValueError(f"{name} has shape {a.shape}, expected {shown}")


def check_params(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray) -> None:
    """Check that the four parameters fit together: W1 (h, n), b1 (h, 1), W2 (k, h), b2 (k, 1)."""
    if (  # fast path for the common case: this runs on every mini-batch step
        type(W1) is np.ndarray
        and type(b1) is np.ndarray
        and type(W2) is np.ndarray
        and type(b2) is np.ndarray
        and W1.ndim == 2
        and W2.ndim == 2
        and b1.shape == (W1.shape[0], 1)
        and W2.shape[1] == W1.shape[0]
        and b2.shape == (W2.shape[0], 1)
    ):
        return
    _check_ndim("W1", W1, 2, "(hidden units x inputs)")
    _check_ndim("W2", W2, 2, "(outputs x hidden units)")
    n_hidden, _ = W1.shape
    n_output = W2.shape[0]
    _check_shape("b1", b1, (n_hidden, 1))
    _check_shape("W2", W2, (n_output, n_hidden))
    _check_shape("b2", b2, (n_output, 1))


def _check_label_range(labels: np.ndarray, k: int) -> None:
    """Raise a ValueError unless every label lies in 0..k-1 (one per class of A2's k rows)."""
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"Y holds labels outside 0..{k - 1}")


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------
def init_params(
    n_input: int = 784,
    n_hidden: int = 10,
    n_output: int = 10,
    *,
    seed: int | None = None,
    scheme: str = "he",
    dtype: type | np.dtype = np.float64,
) -> Params:
    """Random initial parameters ``(W1, b1, W2, b2)``.

    Shapes: W1 (n_hidden, n_input), b1 (n_hidden, 1), W2 (n_output, n_hidden), b2 (n_output, 1).

    ``scheme="he"``: weights drawn from N(0, 2 / fan_in), the variance that keeps the size of
    ReLU activations steady from layer to layer (He et al., 2015); biases start at 0.
    ``scheme="notes"``: every entry uniform in [-0.5, 0.5), as in the original notebook.
    """
    for name, n in (("n_input", n_input), ("n_hidden", n_hidden), ("n_output", n_output)):
        if int(n) != n or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")
    rng = np.random.default_rng(seed)
    if scheme == "notes":
        W1 = rng.random((n_hidden, n_input)) - 0.5
        b1 = rng.random((n_hidden, 1)) - 0.5
        W2 = rng.random((n_output, n_hidden)) - 0.5
        b2 = rng.random((n_output, 1)) - 0.5
    elif scheme == "he":
        W1 = rng.standard_normal((n_hidden, n_input)) * math.sqrt(2.0 / n_input)
        b1 = np.zeros((n_hidden, 1))
        W2 = rng.standard_normal((n_output, n_hidden)) * math.sqrt(2.0 / n_hidden)
        b2 = np.zeros((n_output, 1))
    else:
        raise ValueError(f"scheme must be 'he' or 'notes', got {scheme!r}")
    return tuple(p.astype(dtype) for p in (W1, b1, W2, b2))  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------------------------
def relu(Z: np.ndarray) -> np.ndarray:
    """ReLU(Z) = max(Z, 0), element-wise; same shape as Z."""
    return np.maximum(Z, 0)


def relu_deriv(Z: np.ndarray) -> np.ndarray:
    """ReLU'(Z): 1 where Z > 0, else 0 (we take ReLU'(0) = 0); same shape and dtype as Z."""
    Z = np.asarray(Z)
    return (Z > 0).astype(Z.dtype if np.issubdtype(Z.dtype, np.floating) else np.float64)


def softmax(Z: np.ndarray) -> np.ndarray:
    """Column-wise softmax: ``A[i, j] = exp(Z[i, j]) / sum_k exp(Z[k, j])``; shape (k, m).

    Subtracting each column's maximum first leaves the result unchanged (it cancels between
    numerator and denominator) but keeps every exponent <= 0, so logits of 1e4 do not overflow.
    """
    Z = np.asarray(Z)
    if Z.ndim != 2:
        raise ValueError(f"softmax expects a 2-D array (classes x examples), got shape {Z.shape}")
    E = Z - Z.max(axis=0, keepdims=True)
    if E.dtype.kind in "fc":  # floating: exp can write in place
        np.exp(E, out=E)  # in place: E is our own temporary, so no second (k, m) array
    else:
        E = np.exp(E)  # integer logits: exp gives a new float array
    E /= E.sum(axis=0, keepdims=True)
    return E


# --------------------------------------------------------------------------------------------
# Forward and backward propagation
# --------------------------------------------------------------------------------------------
def _add_bias(Z: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Z + b, written into Z (a fresh matmul result) when the dtypes allow it."""
    if b.dtype == Z.dtype or np.result_type(Z, b) == Z.dtype:
        Z += b
        return Z
    return Z + b


def forward_prop(
    W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, X: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Forward propagation: returns ``(Z1, A1, Z2, A2)``.

    X (n, m) -> Z1 = W1 X + b1 (h, m), A1 = ReLU(Z1) (h, m), Z2 = W2 A1 + b2 (k, m),
    A2 = softmax(Z2) (k, m). The biases (h, 1) and (k, 1) broadcast across the m columns.
    """
    check_params(W1, b1, W2, b2)
    if not (type(X) is np.ndarray and X.ndim == 2 and X.shape[0] == W1.shape[1]):
        _check_shape("X", X, (W1.shape[1], None))
    # `Z += b` in place instead of `Z = W X + b`: same numbers, one (h, m) array fewer.
    Z1 = _add_bias(W1 @ X, b1)
    A1 = relu(Z1)
    Z2 = _add_bias(W2 @ A1, b2)
    A2 = softmax(Z2)
    return Z1, A1, Z2, A2


def _fits(Z1, A1, Z2, A2, W1, W2, X) -> bool:
    """True when all are plain 2-D arrays of the shapes backward_prop expects (the fast path)."""
    for a in (Z1, A1, Z2, A2, W1, W2, X):
        if type(a) is not np.ndarray or a.ndim != 2:
            return False
    (h, n), (k, m) = W1.shape, A2.shape
    return W2.shape == (k, h) and X.shape == (n, m) and Z1.shape == A1.shape == (h, m) and Z2.shape == (k, m)


def backward_prop(
    Z1: np.ndarray,
    A1: np.ndarray,
    Z2: np.ndarray,
    A2: np.ndarray,
    W1: np.ndarray,
    W2: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    out: Params | None = None,
    scale: float = 1.0,
) -> Params:
    """Gradients of the mean cross-entropy loss: returns ``(dW1, db1, dW2, db2)``.

    Y is integer labels (m,) or one-hot (k, m). With m = X.shape[1]:
    dZ2 = A2 - Y (k, m); dW2 = dZ2 A1^T / m (k, h); db2 = mean of dZ2 over examples (k, 1);
    dZ1 = W2^T dZ2 * ReLU'(Z1) (h, m); dW1 = dZ1 X^T / m (h, n); db1 = mean of dZ1 (h, 1).
    Each gradient has the shape of its parameter.

    ``out`` (for :func:`train`): four arrays of those shapes to write the gradients into, instead
    of new arrays; they are returned. ``scale`` (for :func:`train`, which passes its learning
    rate) multiplies all four gradients, by multiplying dZ2 (k x m numbers) instead of the
    gradients themselves (dW1 alone has h x n).
    """
    if not _fits(Z1, A1, Z2, A2, W1, W2, X):
        _check_ndim("W1", W1, 2, "(hidden units x inputs)")
        _check_ndim("W2", W2, 2, "(outputs x hidden units)")
        (h, n), k = W1.shape, W2.shape[0]
        _check_shape("W2", W2, (k, h))
        _check_shape("X", X, (n, None))
        for name, a, rows in (("Z1", Z1, h), ("A1", A1, h), ("Z2", Z2, k), ("A2", A2, k)):
            _check_shape(name, a, (rows, X.shape[1]))
    k, m = A2.shape
    if type(Y) is np.ndarray and Y.ndim == 1 and Y.dtype.kind in "iu" and Y.shape[0] == m:
        labels = Y  # integer labels, one per example: nothing to convert
    elif np.asarray(Y).ndim == 2:
        labels = None
        _check_shape("Y (one-hot)", np.asarray(Y), (k, m))
        dZ2 = A2 - np.asarray(Y, dtype=A2.dtype)
    else:
        labels = as_labels(Y, m)
    if labels is not None:
        _check_label_range(labels, k)
        dZ2 = A2.copy()
        dZ2[labels, np.arange(m)] -= 1  # A2 - one_hot(Y) without building the one-hot matrix
    # Dividing dZ2 by m once (k x m numbers), and multiplying it by `scale` once, replaces the
    # four divisions (and products) of dW2, db2, dW1 and db1: the same numbers in real
    # arithmetic, since every gradient below is linear in dZ2; dW1 alone has
    # h x 784 entries. `dZ1 *= Z1 > 0` multiplies by exactly the 0/1 values of relu_deriv(Z1)
    # without building that float matrix first.
    dZ2 = np.divide(dZ2, m, out=dZ2 if dZ2.dtype.kind == "f" else None)
    if scale != 1:
        dZ2 *= scale
    dW1, db1, dW2, db2 = (None, None, None, None) if out is None else out  # out=None: new arrays
    dW2 = np.matmul(dZ2, A1.T, out=dW2)
    db2 = dZ2.sum(axis=1, keepdims=True, out=db2)
    dZ1 = W2.T @ dZ2
    dZ1 *= Z1 > 0
    dW1 = np.matmul(dZ1, X.T, out=dW1)
    db1 = dZ1.sum(axis=1, keepdims=True, out=db1)
    return dW1, db1, dW2, db2


def update_params(
    W1: np.ndarray,
    b1: np.ndarray,
    W2: np.ndarray,
    b2: np.ndarray,
    dW1: np.ndarray,
    db1: np.ndarray,
    dW2: np.ndarray,
    db2: np.ndarray,
    alpha: float,
) -> Params:
    """One gradient-descent step: each parameter P becomes P - alpha dP (new arrays)."""
    if not (  # fast path: plain arrays of the right shapes (this runs on every step)
        type(dW1) is np.ndarray
        and type(db1) is np.ndarray
        and type(dW2) is np.ndarray
        and type(db2) is np.ndarray
        and dW1.shape == W1.shape
        and db1.shape == b1.shape
        and dW2.shape == W2.shape
        and db2.shape == b2.shape
    ):
        for name, p, g in (("dW1", W1, dW1), ("db1", b1, db1), ("dW2", W2, dW2), ("db2", b2, db2)):
            if np.shape(g) != p.shape:
                raise ValueError(f"{name} has shape {np.shape(g)}, expected {p.shape} (its parameter)")
    return _step(W1, dW1, alpha), _step(b1, db1, alpha), _step(W2, dW2, alpha), _step(b2, db2, alpha)


def _step(p: np.ndarray, g: np.ndarray, alpha: float) -> np.ndarray:
    """p - alpha g as a new array, reusing the temporary alpha g for the result when possible."""
    if alpha == 1:  # train() passes steps with the learning rate already in them: no alpha g to form
        return p - g
    t = alpha * g
    if isinstance(t, np.ndarray) and (p.dtype == t.dtype or np.result_type(p, t) == t.dtype):
        return np.subtract(p, t, out=t)
    return p - t


# --------------------------------------------------------------------------------------------
# Loss and accuracy
# --------------------------------------------------------------------------------------------
def cross_entropy(A2: np.ndarray, Y: np.ndarray) -> float:
    """Mean cross-entropy ``-(1/m) sum_i log A2[y_i, i]`` for A2 (k, m) and Y labels or one-hot.

    Probabilities are floored at the smallest positive float so a confident mistake gives a
    large but finite loss instead of infinity.
    """
    _check_ndim("A2", A2, 2, "(classes x examples)")
    k, m = A2.shape
    labels = as_labels(Y, m)
    _check_label_range(labels, k)
    p = A2[labels, np.arange(m)]
    return float(-np.mean(np.log(np.maximum(p, np.finfo(A2.dtype).tiny))))


def get_predictions(A2: np.ndarray) -> np.ndarray:
    """The predicted class of every column: argmax over rows; (k, m) -> (m,)."""
    _check_ndim("A2", A2, 2, "(classes x examples)")
    return A2.argmax(axis=0)


def get_accuracy(predictions: np.ndarray, Y: np.ndarray) -> float:
    """Fraction of predictions (m,) equal to the labels Y (m,) or one-hot Y (k, m)."""
    predictions = np.asarray(predictions)
    labels = as_labels(Y, predictions.shape[0] if predictions.ndim == 1 else None)
    if predictions.shape != labels.shape:
        raise ValueError(f"predictions have shape {predictions.shape}, labels {labels.shape}")
    return float(np.mean(predictions == labels)) if labels.size else float("nan")


def predict_proba(params: Params, X: np.ndarray) -> np.ndarray:
    """Class probabilities A2 (k, m) for the images X (n, m)."""
    return forward_prop(*params, X)[3]


def predict(params: Params, X: np.ndarray) -> np.ndarray:
    """Predicted labels (m,) for the images X (n, m)."""
    return get_predictions(predict_proba(params, X))


def evaluate(params: Params, X: np.ndarray, Y: np.ndarray) -> tuple[float, float]:
    """``(loss, accuracy)`` of the network on X (n, m) with labels Y."""
    A2 = predict_proba(params, X)
    return cross_entropy(A2, Y), get_accuracy(get_predictions(A2), Y)


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------
@dataclass
class History:
    """What happened during training, one entry per evaluation point.

    ``step`` counts iterations (gradient_descent) or epochs (train); ``loss``/``accuracy`` are
    on the training data; ``dev_loss``/``dev_accuracy`` are filled when dev data was given,
    at the steps listed in ``dev_step``.
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


def _check_data(X: np.ndarray, Y: np.ndarray, name: str = "X") -> np.ndarray:
    _check_ndim(name, X, 2, "(pixels x examples): one image per column")
    return as_labels(Y, X.shape[1], name="Y" if name == "X" else "Y_dev")


def _check_loss(loss: float, where: str, alpha: float, initial: float, n_classes: int) -> None:
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


def _progress(total: int, desc: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, leave=False)


def _block_columns(X: np.ndarray, threads: int, target_bytes: int = 8 << 20) -> int:
    """Columns per block so that one block of X (n, m) takes about ``target_bytes``.

    A block must survive in cache from forward_prop (Z1 = W1 X) to backward_prop
    (dW1 = dZ1 X^T); much smaller blocks add Python overhead per block, much larger ones fall
    out of cache so that X is read from memory twice. The number of blocks is rounded up to a
    multiple of ``threads`` so that every thread gets the same share.
    """
    n, m = X.shape
    n_blocks = max(1, -(-m * n * X.itemsize // target_bytes))
    n_blocks = -(-n_blocks // threads) * threads
    return max(1, -(-m // n_blocks))


def _default_threads() -> int:
    """The CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _full_batch_gradients(
    params: Params, X: np.ndarray, labels: np.ndarray, block: int, pool: ThreadPoolExecutor | None = None
) -> tuple[float, float, Params]:
    """Loss, accuracy and mean gradients over all m columns of X (n, m), block by block.

    Calls forward_prop and backward_prop on each block of at most ``block`` columns; the
    gradients of a block of b columns are means over b examples, so adding them with weight
    b / m gives the mean over all m. With a thread ``pool`` the blocks are shared out among
    its threads; the sums are still taken in block order, so the result does not depend on it.
    Returns ``(loss, accuracy, (dW1, db1, dW2, db2))``.
    """
    W1, b1, W2, b2 = params
    m = X.shape[1]
    if block >= m:  # one block: no accumulation needed
        Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
        accuracy = get_accuracy(get_predictions(A2), labels)
        return cross_entropy(A2, labels), accuracy, backward_prop(Z1, A1, Z2, A2, W1, W2, X, labels)

    def one_block(s: int) -> tuple[int, float, int, Params]:
        Xb, yb = X[:, s : s + block], labels[s : s + block]
        with np.errstate(over="ignore", invalid="ignore"):  # per thread: worker threads start afresh
            Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, Xb)
            correct = int(np.count_nonzero(get_predictions(A2) == yb))
            grads = backward_prop(Z1, A1, Z2, A2, W1, W2, Xb, yb)
            return Xb.shape[1], cross_entropy(A2, yb), correct, grads

    starts = range(0, m, block)
    total: list[np.ndarray] | None = None
    loss_sum = 0.0
    correct = 0
    for b, loss, right, grads in pool.map(one_block, starts) if pool else map(one_block, starts):
        loss_sum += loss * b
        correct += right
        if total is None:
            total = [g * (b / m) for g in grads]
        else:
            for t, g in zip(total, grads):
                g *= b / m
                t += g
    return loss_sum / m, correct / m, tuple(total)  # type: ignore[return-value,arg-type]


@contextmanager
def _block_workers(n_blocks: int, threads: int):
    """A pool of threads for the blocks of gradient_descent, with BLAS single-threaded meanwhile.

    The products in a block are small (10 rows for the notes' network); BLAS splitting each of
    them over all cores pays a thread hand-over per call, and when another program is busy on
    one core that hand-over stalls (measured: 5-15x slower). Giving every core whole blocks
    instead, each with single-threaded BLAS, is as fast on an idle machine and degrades
    gracefully on a busy one. Needs threadpoolctl to set the BLAS threads; without it (or with
    one core or one block) the blocks run one after another with BLAS as configured.
    """
    threads = min(int(threads), n_blocks)
    controller = None
    if threads > 1:
        try:
            from threadpoolctl import ThreadpoolController

            controller = ThreadpoolController()
        except ImportError:
            threads = 1
    if threads <= 1:
        yield None
        return
    with controller.limit(limits=1, user_api="blas"), ThreadPoolExecutor(threads) as pool:
        yield pool


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
    block_size: int | None = None,
    threads: int | None = None,
    callback: Callable[[int, Params, History], None] | None = None,
) -> tuple[Params, History]:
    """Full-batch gradient descent exactly as in the notes.

    X (n, m), Y labels (m,) or one-hot (k, m). Each iteration runs forward_prop on all m
    examples, backward_prop, and update_params with learning rate ``alpha``. Parameters start
    from ``params`` if given, else from ``init_params(scheme=scheme, seed=seed)`` (the notes'
    uniform(-0.5, 0.5) by default). The training loss and accuracy of every iteration come from
    its forward pass (before its update); the dev set is evaluated every ``eval_every``
    iterations and after the last one; ``callback(iteration, params, history)``, if given, runs
    at the same points.

    ``block_size`` (default: about 8 MB of X, see :func:`_block_columns`) only changes speed:
    each iteration runs forward_prop and backward_prop on blocks of that many columns and
    combines the block gradients weighted by block size, which is exactly the full-batch mean
    (the mean over m examples is the size-weighted mean of the block means). A block is still
    in the CPU cache when backward_prop needs it for dW1 = dZ1 X^T, so X is read from memory
    once per iteration instead of twice. ``threads`` (default: one per CPU core) blocks are
    processed at a time, each with single-threaded BLAS (see :func:`_block_workers`).
    Returns ``((W1, b1, W2, b2), history)``.
    """
    labels = _check_data(X, Y)
    checked = (
        ("iterations", iterations),
        ("eval_every", eval_every),
        ("block_size", block_size),
        ("threads", threads),
    )
    for name, value in checked:
        if value is not None and (int(value) != value or value < 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    k = int(labels.max()) + 1 if params is None else params[2].shape[0]
    if params is None:
        params = init_params(X.shape[0], n_hidden, max(k, 10), seed=seed, scheme=scheme)
    W1, b1, W2, b2 = (p.astype(dtype) for p in params)
    X = X.astype(dtype, copy=False)
    history = History(unit="iteration")
    dev = X_dev is not None and Y_dev is not None
    if dev:
        dev_labels = _check_data(X_dev, Y_dev, "X_dev")
        X_dev = X_dev.astype(dtype, copy=False)
    threads = _default_threads() if threads is None else int(threads)
    block = _block_columns(X, threads) if block_size is None else int(block_size)
    start = time.perf_counter()
    with (
        np.errstate(over="ignore", invalid="ignore"),
        _progress(iterations, "gradient descent", progress) as bar,
        _block_workers(-(-X.shape[1] // block), threads) as pool,
    ):
        for i in range(1, iterations + 1):
            loss, accuracy, grads = _full_batch_gradients((W1, b1, W2, b2), X, labels, block, pool)
            _check_loss(loss, f"iteration {i}", alpha, history.loss[0] if i > 1 else loss, W2.shape[0])
            history.step.append(i)
            history.loss.append(loss)
            history.accuracy.append(accuracy)
            W1, b1, W2, b2 = update_params(W1, b1, W2, b2, *grads, alpha)
            if dev and (i % eval_every == 0 or i == iterations):
                dev_loss, dev_acc = evaluate((W1, b1, W2, b2), X_dev, dev_labels)
                history.dev_step.append(i)
                history.dev_loss.append(dev_loss)
                history.dev_accuracy.append(dev_acc)
                bar.set_postfix(loss=f"{loss:.3f}", dev_acc=f"{dev_acc:.3f}")
            if callback is not None and (i % eval_every == 0 or i == iterations):
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
    """Mini-batch stochastic gradient descent (the fast path); same formulas as the notes.

    X (n, m), Y labels (m,) or one-hot (k, m). Every epoch shuffles the m examples (seeded by
    ``seed``) and steps through them ``batch_size`` columns at a time, each step calling
    forward_prop, backward_prop and update_params on that batch. Parameters start from
    ``params`` or from He initialisation.

    ``momentum`` (0 = plain SGD) keeps a velocity V := momentum V + dP and steps P := P - alpha V.
    ``schedule="linear"`` decays the learning rate linearly from ``alpha`` to 0 over all steps,
    ``"constant"`` keeps it fixed. ``dtype`` float32 halves memory traffic against float64.
    ``history`` holds, per epoch, the mean training loss and accuracy over the epoch's batches
    and, when X_dev/Y_dev are given, the dev loss and accuracy after the epoch.
    ``callback(epoch, params, history)`` runs after every epoch.
    Returns ``((W1, b1, W2, b2), history)``.
    """
    labels = _check_data(X, Y)
    n, m = X.shape
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if schedule not in ("constant", "linear"):
        raise ValueError(f"schedule must be 'constant' or 'linear', got {schedule!r}")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    if params is None:
        k = max(int(labels.max()) + 1, 10)
        params = init_params(n, n_hidden, k, seed=seed, scheme="he")
    params = tuple(np.array(p, dtype=dtype) for p in params)
    check_params(*params)
    dev = X_dev is not None and Y_dev is not None
    if dev:
        dev_labels = _check_data(X_dev, Y_dev, "X_dev")
    rng = np.random.default_rng(None if seed is None else seed + 1)
    # Gather mini-batches as rows of X^T: when X is (n, m) in Fortran order (as load_mnist
    # returns it) X.T is C-contiguous and each example's pixels lie side by side in memory.
    XT = X.T if X.flags.f_contiguous else np.ascontiguousarray(X.T)
    batch_size = min(int(batch_size), m)
    steps_per_epoch = math.ceil(m / batch_size)
    total_steps = epochs * steps_per_epoch
    # backward_prop writes each step's gradients into views of one buffer (its out=), and the
    # four velocities are views of another, so the momentum step `V := momentum V + dP` is two
    # operations on whole buffers instead of five, and no gradient array is allocated per step.
    ends = np.cumsum([p.size for p in params])

    def views(buffer: np.ndarray) -> Params:
        return tuple(v.reshape(p.shape) for v, p in zip(np.split(buffer, ends[:-1]), params))  # type: ignore[return-value]

    gradients = np.empty(ends[-1], dtype=params[0].dtype)
    gradient = views(gradients)
    velocities = np.zeros(ends[-1], dtype=params[0].dtype) if momentum else None
    velocity = views(velocities) if momentum else None
    history = History(unit="epoch")
    # Per-step work outside the network is kept to a few small array operations:
    # - the batch is gathered into one preallocated (B, n) buffer (np.take with out=) instead
    #   of a fresh array every step; its transpose is the (n, B) batch the network expects;
    # - the training loss and accuracy only need, per example, the probability given to the
    #   true class and the predicted class: they are stored per epoch and reduced once.
    same_dtype = XT.dtype == np.dtype(dtype)
    buffer = np.empty((batch_size, n), dtype=dtype)
    columns = np.arange(batch_size)
    p_true = np.empty(m, dtype=dtype)
    predicted = np.empty(m, dtype=np.intp)
    step = 0
    lr_before = alpha
    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"), _progress(total_steps, "training", progress) as bar:
        for epoch in range(1, epochs + 1):
            order = rng.permutation(m)
            labels_in_order = labels[order]
            for s in range(0, m, batch_size):
                idx = order[s : s + batch_size]
                b = len(idx)
                if same_dtype:
                    # mode="clip": the indices come from a permutation, so they are valid, and
                    # take() with out= and the default mode="raise" would copy through a buffer.
                    Xb = np.take(XT, idx, axis=0, out=buffer[:b], mode="clip").T  # (n, B)
                else:
                    Xb = XT[idx].astype(dtype).T
                yb = labels_in_order[s : s + b]
                Z1, A1, Z2, A2 = forward_prop(*params, Xb)
                p_true[s : s + b] = A2[yb, columns[:b]]
                A2.argmax(axis=0, out=predicted[s : s + b])
                lr = alpha * (1 - step / total_steps) if schedule == "linear" else alpha
                # The learning rate is folded into the steps: backward_prop multiplies dZ2 by it
                # (scale=lr; every gradient is linear in dZ2), so no pass over the h x n dW1 is
                # needed, and update_params(..., 1) only subtracts. With momentum the buffer
                # holds U = lr V, not V: U := (lr / lr_before) momentum U + lr dP equals
                # lr (momentum V + dP) exactly in real arithmetic, also while lr decays (the
                # schedule never reaches 0 before the last step), so P := P - U is the same step.
                grads = backward_prop(Z1, A1, Z2, A2, params[0], params[2], Xb, yb, out=gradient, scale=lr)
                if velocity is not None:
                    velocities *= momentum * (lr / lr_before) if lr_before else momentum
                    velocities += gradients
                    grads = velocity
                params = update_params(*params, *grads, 1)
                lr_before = lr
                step += 1
            loss_sum = -float(np.log(np.maximum(p_true, np.finfo(p_true.dtype).tiny)).sum(dtype=np.float64))
            correct = int(np.count_nonzero(predicted == labels_in_order))
            loss = loss_sum / m
            if epoch == 1:  # the loss of the untrained network, from the first batch
                first = p_true[: min(batch_size, m)]
                initial = -float(np.log(np.maximum(first, np.finfo(first.dtype).tiny)).mean(dtype=np.float64))
            _check_loss(loss, f"epoch {epoch}", alpha, initial, params[2].shape[0])
            history.step.append(epoch)
            history.loss.append(loss)
            history.accuracy.append(correct / m)
            postfix = {"loss": f"{loss:.3f}"}
            if dev:
                dev_loss, dev_acc = evaluate(params, X_dev.astype(dtype, copy=False), dev_labels)
                history.dev_step.append(epoch)
                history.dev_loss.append(dev_loss)
                history.dev_accuracy.append(dev_acc)
                postfix["dev_acc"] = f"{dev_acc:.3f}"
            bar.set_postfix(postfix)
            bar.update(steps_per_epoch)
            if callback is not None:
                callback(epoch, params, history)
    history.seconds = time.perf_counter() - start
    return params, history  # type: ignore[return-value]
