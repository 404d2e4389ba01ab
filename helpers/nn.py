"""The two-layer network of the course, in NumPy and nothing else: the reference students read.

Every function body is the formula of the notebook named in its docstring, written the way the
notebook writes it. Notation follows the course notes; ``X`` holds one image per *column*::

    X   : (784, m)    pixels scaled to [0, 1]
    W1  : (h, 784)    b1 : (h, 1)       h hidden units (10 in the notes)
    W2  : (10, h)     b2 : (10, 1)

Forward propagation (notebooks 01 and 02)::

    Z1 = W1 X + b1          (h, m)
    A1 = ReLU(Z1)           (h, m)
    Z2 = W2 A1 + b2         (10, m)
    A2 = softmax(Z2)        (10, m)   each column sums to 1

Backward propagation for the mean cross-entropy loss ``L = -(1/m) sum_i log A2[y_i, i]``
(notebook 03)::

    dZ2 = A2 - Y                         (10, m)   Y one-hot
    dW2 = dZ2 A1^T / m                   (10, h)
    db2 = mean of dZ2 over examples      (10, 1)
    dZ1 = W2^T dZ2 * ReLU'(Z1)           (h, m)
    dW1 = dZ1 X^T / m                    (h, 784)
    db1 = mean of dZ1 over examples      (h, 1)

``dZ2 = A2 - Y`` is m times the derivative of the *mean* loss with respect to Z2: each column
of it is the derivative of that example's own loss, and the mean divides by m. That is why
every weight gradient ends in ``/ m`` and every bias gradient is a mean over the examples.

Gradient descent (notebook 04): ``W := W - alpha dW`` for every parameter.

The training loops built on these functions live in :mod:`helpers.training`; the faster
engine that computes the same numbers in :mod:`helpers.fast`.
"""

from __future__ import annotations

import math

import numpy as np

from helpers.labels import as_labels

Params = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


# --------------------------------------------------------------------------------------------
# Shape checks: each public function checks its arguments once, on entry, and names the array,
# the expected and the actual shape.
# --------------------------------------------------------------------------------------------
def _check_ndim(name: str, a: np.ndarray, ndim: int, meaning: str) -> None:
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(a).__name__}")
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D {meaning}, got shape {a.shape}")


def _check_shape(name: str, a: np.ndarray, expected: tuple[int | None, ...]) -> None:
    """Raise a ValueError unless ``a.shape`` matches ``expected`` (None matches any size)."""
    if isinstance(a, np.ndarray) and a.ndim == len(expected):
        if all(e is None or e == s for e, s in zip(expected, a.shape)):
            return
    shown = "(" + ", ".join("m" if e is None else str(e) for e in expected) + ")"
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array of shape {shown}, got {type(a).__name__}")
    raise ValueError(f"{name} has shape {a.shape}, expected {shown}")


def check_params(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray) -> None:
    """Check that the four parameters fit together: W1 (h, n), b1 (h, 1), W2 (k, h), b2 (k, 1)."""
    _check_ndim("W1", W1, 2, "(hidden units x inputs)")
    _check_ndim("W2", W2, 2, "(outputs x hidden units)")
    n_hidden, n_output = W1.shape[0], W2.shape[0]
    _check_shape("b1", b1, (n_hidden, 1))
    _check_shape("W2", W2, (n_output, n_hidden))
    _check_shape("b2", b2, (n_output, 1))


def _check_cache(Z1, A1, Z2, A2, W1: np.ndarray, W2: np.ndarray, X: np.ndarray) -> None:
    """Check backward_prop's arrays: W1 (h, n), W2 (k, h), X (n, m), Z1 and A1 (h, m), Z2 and A2 (k, m)."""
    _check_ndim("W1", W1, 2, "(hidden units x inputs)")
    _check_ndim("W2", W2, 2, "(outputs x hidden units)")
    (h, n), k = W1.shape, W2.shape[0]
    _check_shape("W2", W2, (k, h))
    _check_shape("X", X, (n, None))
    for name, a, rows in (("Z1", Z1, h), ("A1", A1, h), ("Z2", Z2, k), ("A2", A2, k)):
        _check_shape(name, a, (rows, X.shape[1]))


def _one_hot_like(Y: np.ndarray, A2: np.ndarray) -> np.ndarray:
    """Y as a one-hot matrix of A2's shape (k, m) and dtype, from labels (m,) or one-hot (k, m)."""
    k, m = A2.shape
    if np.ndim(Y) == 2:
        _check_shape("Y (one-hot)", np.asarray(Y), (k, m))
        return np.asarray(Y, dtype=A2.dtype)
    labels = as_labels(Y, m, k=k)
    one_hot = np.zeros((k, m), dtype=A2.dtype)
    one_hot[labels, np.arange(m)] = 1
    return one_hot


# --------------------------------------------------------------------------------------------
# Parameters (notebook 01)
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
# Activations (notebook 02)
# --------------------------------------------------------------------------------------------
def relu(Z: np.ndarray) -> np.ndarray:
    """ReLU(Z) = max(Z, 0), element-wise; same shape as Z. Notebook 02, "ReLU"."""
    return np.maximum(Z, 0)


def relu_deriv(Z: np.ndarray) -> np.ndarray:
    """ReLU'(Z): 1 where Z > 0, else 0 (we take ReLU'(0) = 0); same shape and dtype as Z.

    Notebook 02, "The derivative of ReLU".
    """
    Z = np.asarray(Z)
    return (Z > 0).astype(Z.dtype if np.issubdtype(Z.dtype, np.floating) else np.float64)


def softmax(Z: np.ndarray) -> np.ndarray:
    """Column-wise softmax: ``A[i, j] = exp(Z[i, j]) / sum_k exp(Z[k, j])``; (k, m) -> (k, m).

    Subtracting each column's maximum first leaves the result unchanged (it cancels between
    numerator and denominator) but keeps every exponent <= 0, so logits of 1e4 do not overflow.
    Notebook 02, "Softmax".
    """
    Z = np.asarray(Z)
    if Z.ndim != 2:
        raise ValueError(f"softmax expects a 2-D array (classes x examples), got shape {Z.shape}")
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


# --------------------------------------------------------------------------------------------
# Forward and backward propagation (notebooks 01-03)
# --------------------------------------------------------------------------------------------
def forward_prop(
    W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, X: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Forward propagation: returns ``(Z1, A1, Z2, A2)``. Notebook 01 and 02.

    X (n, m) -> Z1 = W1 X + b1 (h, m), A1 = ReLU(Z1) (h, m), Z2 = W2 A1 + b2 (k, m),
    A2 = softmax(Z2) (k, m). The biases (h, 1) and (k, 1) broadcast across the m columns.
    """
    check_params(W1, b1, W2, b2)
    _check_shape("X", X, (W1.shape[1], None))
    Z1 = W1 @ X + b1
    A1 = relu(Z1)
    Z2 = W2 @ A1 + b2
    A2 = softmax(Z2)
    return Z1, A1, Z2, A2


def backward_prop(
    Z1: np.ndarray,
    A1: np.ndarray,
    Z2: np.ndarray,
    A2: np.ndarray,
    W1: np.ndarray,
    W2: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
) -> Params:
    """Gradients of the mean cross-entropy loss: returns ``(dW1, db1, dW2, db2)``. Notebook 03.

    Y is integer labels (m,) or one-hot (k, m). With m = X.shape[1]:
    dZ2 = A2 - Y (k, m); dW2 = dZ2 A1^T / m (k, h); db2 = mean of dZ2 over examples (k, 1);
    dZ1 = W2^T dZ2 * ReLU'(Z1) (h, m); dW1 = dZ1 X^T / m (h, n); db1 = mean of dZ1 (h, 1).
    Each gradient has the shape of its parameter. ``dZ2 = A2 - Y`` is m times the derivative
    of the mean loss with respect to Z2, hence the ``/ m`` (see the module docstring).
    """
    _check_cache(Z1, A1, Z2, A2, W1, W2, X)
    Y = _one_hot_like(Y, A2)
    m = X.shape[1]

    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / m
    db2 = dZ2.sum(axis=1, keepdims=True) / m
    dZ1 = W2.T @ dZ2 * relu_deriv(Z1)
    dW1 = dZ1 @ X.T / m
    db1 = dZ1.sum(axis=1, keepdims=True) / m
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
    """One gradient-descent step: each parameter P becomes P - alpha dP (new arrays). Notebook 04.

    Each gradient must have its parameter's shape: W1 (h, n), b1 (h, 1), W2 (k, h), b2 (k, 1).
    """
    for name, p, g in (("dW1", W1, dW1), ("db1", b1, db1), ("dW2", W2, dW2), ("db2", b2, db2)):
        if np.shape(g) != np.shape(p):
            raise ValueError(f"{name} has shape {np.shape(g)}, expected {np.shape(p)} (its parameter)")
    W1 = W1 - alpha * dW1
    b1 = b1 - alpha * db1
    W2 = W2 - alpha * dW2
    b2 = b2 - alpha * db2
    return W1, b1, W2, b2


# --------------------------------------------------------------------------------------------
# Loss and accuracy (notebooks 03 and 05)
# --------------------------------------------------------------------------------------------
def cross_entropy(A2: np.ndarray, Y: np.ndarray) -> float:
    """Mean cross-entropy ``-(1/m) sum_i log A2[y_i, i]`` for A2 (k, m) and Y labels or one-hot.

    Probabilities are floored at the smallest positive float so a confident mistake gives a
    large but finite loss instead of infinity. Notebook 03, "The loss".
    """
    _check_ndim("A2", A2, 2, "(classes x examples)")
    k, m = A2.shape
    labels = as_labels(Y, m, k=k)
    p = A2[labels, np.arange(m)]
    return float(-np.mean(np.log(np.maximum(p, np.finfo(A2.dtype).tiny))))


def get_predictions(A2: np.ndarray) -> np.ndarray:
    """The predicted class of every column: argmax over rows; (k, m) -> (m,). Notebook 05."""
    _check_ndim("A2", A2, 2, "(classes x examples)")
    return A2.argmax(axis=0)


def get_accuracy(predictions: np.ndarray, Y: np.ndarray) -> float:
    """Fraction of predictions (m,) equal to the labels Y (m,) or one-hot Y (k, m). Notebook 05."""
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
    """``(loss, accuracy)`` of the network on X (n, m) with labels Y (m,) or one-hot (k, m)."""
    A2 = predict_proba(params, X)
    return cross_entropy(A2, Y), get_accuracy(get_predictions(A2), Y)
