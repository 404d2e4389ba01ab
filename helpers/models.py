"""Model files: the network's parameters ``(W1, b1, W2, b2)`` saved as ``.npz``, never pickle.

:func:`load_params` treats a model file as untrusted input. It reads it with
:func:`helpers.npz.read_arrays`, which checks the zip directory and each array's ``.npy`` header
(here: exactly W1, b1, W2, b2, float32 or float64, shapes that fit together within fixed limits)
before it reads (decompresses) a single weight, so a tiny file that claims a huge array, a zip
bomb or a directory of millions of entries costs nothing. The weights must then be finite and bounded by
:data:`MAX_ABS_WEIGHT`, which keeps every prediction finite: a model that loads cannot answer
NaN.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from helpers.atomic import atomic_write
from helpers.npz import ArrayHeader, read_arrays

Params = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
PARAM_NAMES = ("W1", "b1", "W2", "b2")

MAX_HIDDEN = 4096  #: the most hidden units a model (or ``train --hidden``) may have
MAX_INPUT = 4096  #: the most inputs (784 for MNIST)
MAX_OUTPUT = 1000  #: the most outputs (10 for MNIST)
#: The largest weight magnitude accepted. With inputs in [0, 1] and the sizes above, every
#: pre-activation stays below 4096 * 4096 * 1e6 * (1 + 1e6) ~ 2e25, far inside float32.
MAX_ABS_WEIGHT = 1e6
#: The largest model file: the largest model allowed, float64, with room for the zip's overhead.
MAX_FILE_BYTES = 160 << 20
_MAX_ENTRIES = 16  # a model has 4 arrays; a few more are still read far enough to be named
_DTYPES = (np.dtype("<f4"), np.dtype("<f8"), np.dtype(">f4"), np.dtype(">f8"))


def check_model_shapes(shapes: dict[str, tuple[int, ...]], n_input: int | None, n_output: int | None) -> None:
    """Raise ValueError unless the four shapes fit together and lie within the limits.

    Each shape must be a tuple of two Python (or NumPy) integers, never booleans.
    """
    for name in PARAM_NAMES:
        shape = shapes[name]
        if not isinstance(shape, tuple) or len(shape) != 2:
            raise ValueError(f"{name} has shape {shape}, expected a 2-D array")
        if not all(isinstance(d, int | np.integer) and not isinstance(d, bool | np.bool_) for d in shape):
            raise ValueError(f"{name} has shape {shape}, expected two whole numbers")
    (h, n), (k, h2) = shapes["W1"], shapes["W2"]
    if shapes["b1"] != (h, 1) or h2 != h or shapes["b2"] != (k, 1):
        raise ValueError(
            "shapes do not fit together: "
            + ", ".join(f"{name} {shapes[name]}" for name in PARAM_NAMES)
            + " (expected W1 (h, n), b1 (h, 1), W2 (k, h), b2 (k, 1))"
        )
    if not 1 <= h <= MAX_HIDDEN:
        raise ValueError(f"{h} hidden units; a model has 1 to {MAX_HIDDEN}")
    if n_input is not None and n != n_input:
        raise ValueError(f"W1 has {n} inputs, expected {n_input} (28 x 28 images)")
    if not 1 <= n <= MAX_INPUT:
        raise ValueError(f"W1 has {n} inputs; a model has 1 to {MAX_INPUT}")
    if n_output is not None and k != n_output:
        raise ValueError(f"W2 has {k} outputs, expected {n_output} (one per digit)")
    if not 2 <= k <= MAX_OUTPUT:
        raise ValueError(f"W2 has {k} outputs; a model has 2 to {MAX_OUTPUT}")


def check_weights(params: Params) -> None:
    """Raise ValueError unless every parameter is finite and at most MAX_ABS_WEIGHT in size."""
    for name, a in zip(PARAM_NAMES, params):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} holds NaN or infinite values")
        biggest = float(np.max(np.abs(a))) if a.size else 0.0
        if biggest > MAX_ABS_WEIGHT:
            raise ValueError(
                f"{name} holds a weight of size {biggest:.3g}, above the limit {MAX_ABS_WEIGHT:g}"
            )


def save_params(path: str | os.PathLike, params: Params) -> Path:
    """Save ``(W1, b1, W2, b2)`` to ``path``, atomically: temp file, verified, then rename.

    W1 (h, n), b1 (h, 1), W2 (k, h), b2 (k, 1), float32 or float64. ``path`` must name a file
    ending in ``.npz`` (a folder or another name is refused, never changed into a neighbour's
    name); missing parent folders are created. The written file is read back with
    :func:`load_params` before it replaces anything.
    """
    if not isinstance(params, tuple | list) or len(params) != 4:
        raise ValueError("params must be the four arrays (W1, b1, W2, b2)")
    arrays = list(params)
    for name, a in zip(PARAM_NAMES, arrays):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"{name} must be a NumPy array, got {type(a).__name__}")
        if a.dtype.kind != "f" or a.dtype.itemsize not in (4, 8):
            raise ValueError(f"{name} has dtype {a.dtype}, expected float32 or float64")
    check_model_shapes({n: a.shape for n, a in zip(PARAM_NAMES, arrays)}, None, None)
    check_weights(tuple(arrays))  # type: ignore[arg-type]
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a folder; name the model file, e.g. {path / 'model.npz'}")
    if path.suffix != ".npz":
        raise ValueError(
            f"{path}: a model file's name ends in .npz, e.g. {path.with_name(path.name + '.npz')}"
        )
    with atomic_write(path, "wb", verify=load_params) as f:
        np.savez(f, **dict(zip(PARAM_NAMES, arrays)))
    return path


def _check_headers(headers: dict[str, ArrayHeader], n_input: int | None, n_output: int | None) -> None:
    """The model's arrays from their headers alone: names, dtypes, shapes (ValueError)."""
    if sorted(headers) != sorted(PARAM_NAMES):
        raise ValueError(f"it holds arrays {sorted(headers)[:8]}, expected {list(PARAM_NAMES)}")
    for name in PARAM_NAMES:
        if headers[name].dtype not in _DTYPES:
            raise ValueError(f"{name} has dtype {headers[name].dtype}, expected float32 or float64")
    check_model_shapes({n: h.shape for n, h in headers.items()}, n_input, n_output)


def load_params(
    path: str | os.PathLike, *, n_input: int | None = None, n_output: int | None = None
) -> Params:
    """Load ``(W1, b1, W2, b2)`` from an .npz written by :func:`save_params`.

    Checks, before reading any weight: a small zip archive of exactly W1, b1,
    W2, b2, float32 or float64 ``.npy`` arrays whose shapes fit together (W1 (h, n), b1 (h, 1),
    W2 (k, h), b2 (k, 1)), within :data:`MAX_HIDDEN`, :data:`MAX_INPUT`, :data:`MAX_OUTPUT`,
    and exactly ``n_input`` inputs and ``n_output`` outputs when given; each entry's size must
    match its header. Then: finite weights no larger than :data:`MAX_ABS_WEIGHT`. Anything else
    raises a ValueError naming the file; pickled objects are never loaded.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file")
    try:
        arrays = read_arrays(
            path,
            max_bytes=MAX_FILE_BYTES,
            max_entries=_MAX_ENTRIES,
            check=lambda headers: _check_headers(headers, n_input, n_output),
        )
    except ValueError as exc:
        raise ValueError(f"{path}: not a valid model file: {exc}") from None
    params: Params = tuple(arrays[name] for name in PARAM_NAMES)  # type: ignore[assignment]
    try:
        check_weights(params)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    return params


__all__ = [
    "MAX_ABS_WEIGHT",
    "MAX_HIDDEN",
    "check_model_shapes",
    "check_weights",
    "load_params",
    "save_params",
]
