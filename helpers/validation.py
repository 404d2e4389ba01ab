"""The one check of a network and its data, made where they enter, not in every formula.

:func:`check_network` runs at the entry of the training loops and of :func:`helpers.nn.evaluate`;
loaders and the command line can call it too; :func:`check_sgd_settings` checks the settings of
mini-batch training. The formulas of :mod:`helpers.nn` then run bare.
Each message names the array, the expected and the actual shape.
"""

from __future__ import annotations

import numpy as np

from helpers.labels import as_labels


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


def check_network(params, X: np.ndarray, Y: np.ndarray | None = None, name: str = "X") -> np.ndarray | None:
    """Check X (n, m), and ``params`` and labels Y against it; returns the labels (m,) or None.

    ``params`` = (W1, b1, W2, b2) or None (not made yet): when given they must fit together and
    take n inputs, and every label must be one of their k classes. Y: labels (m,) or one-hot
    (k, m); its name in messages is "Y" for X and "Y_dev" for "X_dev".
    """
    k = None
    if params is None:
        _check_ndim(name, X, 2, "(pixels x examples): one image per column")
    else:
        check_params(*params)
        _check_shape(name, X, (params[0].shape[1], None))
        k = params[2].shape[0]
    if Y is None:
        return None
    return as_labels(Y, X.shape[1], name="Y" if name == "X" else "Y_dev", k=k)


def check_positive(**values: int | None) -> None:
    """Raise a ValueError naming the first value that is given but not a positive integer."""
    for name, value in values.items():
        if value is not None and (int(value) != value or value < 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_sgd_settings(epochs: int, batch_size: int, momentum: float, schedule: str) -> None:
    """Raise a ValueError naming the first setting of :func:`helpers.training.train` out of range."""
    check_positive(epochs=epochs, batch_size=batch_size)
    if schedule not in ("constant", "linear"):
        raise ValueError(f"schedule must be 'constant' or 'linear', got {schedule!r}")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")


__all__ = ["check_network", "check_params", "check_positive", "check_sgd_settings"]
