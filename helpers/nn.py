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

The functions do not check their arguments: :func:`helpers.validation.check_network` does,
once, where a network and data enter (the training loops of :mod:`helpers.training`,
:func:`evaluate`); the checkers of :mod:`helpers.checks` diagnose a student's shapes.
"""

from __future__ import annotations

import math

import numpy as np

from helpers.labels import as_labels, as_one_hot
from helpers.validation import check_network, check_positive

Params = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


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
    check_positive(n_input=n_input, n_hidden=n_hidden, n_output=n_output)
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise ValueError(f"dtype must be a floating-point type such as np.float32, got {np.dtype(dtype)}")
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

    Y is one-hot (k, m), as in the notes; labels (m,) are turned into one-hot first. With m = X.shape[1]:
    dZ2 = A2 - Y (k, m); dW2 = dZ2 A1^T / m (k, h); db2 = mean of dZ2 over examples (k, 1);
    dZ1 = W2^T dZ2 * ReLU'(Z1) (h, m); dW1 = dZ1 X^T / m (h, n); db1 = mean of dZ1 (h, 1).
    Each gradient has the shape of its parameter. ``dZ2 = A2 - Y`` is m times the derivative
    of the mean loss with respect to Z2, hence the ``/ m`` (see the module docstring).
    """
    m = X.shape[1]
    Y = as_one_hot(Y, A2.shape[0], m, A2.dtype)

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

    Each gradient has its parameter's shape: W1 (h, n), b1 (h, 1), W2 (k, h), b2 (k, 1).
    """
    W1 = W1 - alpha * dW1
    b1 = b1 - alpha * db1
    W2 = W2 - alpha * dW2
    b2 = b2 - alpha * db2
    return W1, b1, W2, b2


# --------------------------------------------------------------------------------------------
# Loss and accuracy (notebooks 03 and 05)
# --------------------------------------------------------------------------------------------
def cross_entropy(A2: np.ndarray, Y: np.ndarray) -> float:
    """Mean cross-entropy ``-(1/m) sum_i log A2[y_i, i]`` for A2 (k, m) and labels Y (m,).

    A one-hot Y (k, m) is turned into labels first. Probabilities are floored at the smallest
    positive float so a confident mistake gives a large but finite loss instead of infinity.
    Notebook 03, "The loss".
    """
    k, m = A2.shape
    y = as_labels(Y, m, k=k)
    p = A2[y, np.arange(m)]
    return float(-np.mean(np.log(np.maximum(p, np.finfo(A2.dtype).tiny))))


def log_loss_sum(p_true: np.ndarray) -> float:
    """``-sum_i log p_i`` in float64 of the probabilities p (b,) given to the true classes.

    The summed form of :func:`cross_entropy` (floored the same way), which a loop adds up over
    batches or blocks and divides by m once.
    """
    return -float(np.log(np.maximum(p_true, np.finfo(p_true.dtype).tiny)).sum(dtype=np.float64))


def get_predictions(A2: np.ndarray) -> np.ndarray:
    """The predicted class of every column: argmax over rows; (k, m) -> (m,). Notebook 05."""
    return A2.argmax(axis=0)


def get_accuracy(predictions: np.ndarray, Y: np.ndarray) -> float:
    """Fraction of the predicted labels (m,) equal to the labels Y (m,). Notebook 05.

    Both must be 1-D integer labels: a one-hot Y, labels of shape (1, m) or probabilities are
    refused, since comparing them element by element gives a meaningless fraction.
    """
    predictions = as_labels(predictions, name="predictions", one_hot=False)
    labels = as_labels(Y, predictions.shape[0], one_hot=False)
    return float(np.mean(predictions == labels)) if labels.size else float("nan")


def predict_proba(params: Params, X: np.ndarray) -> np.ndarray:
    """Class probabilities A2 (k, m) for the images X (n, m)."""
    return forward_prop(*params, X)[3]


def predict(params: Params, X: np.ndarray) -> np.ndarray:
    """Predicted labels (m,) for the images X (n, m)."""
    return get_predictions(predict_proba(params, X))


def evaluate(params: Params, X: np.ndarray, Y: np.ndarray) -> tuple[float, float]:
    """``(loss, accuracy)`` of the network on X (n, m) with labels Y (m,) or one-hot (k, m), checked."""
    labels = check_network(params, X, Y)
    A2 = predict_proba(params, X)
    return cross_entropy(A2, labels), get_accuracy(get_predictions(A2), labels)
