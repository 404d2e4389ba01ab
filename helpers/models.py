"""Model files: the network's parameters ``(W1, b1, W2, b2)`` saved as ``.npz``, never pickle.

:func:`load_params` treats a model file as untrusted input. It reads the zip directory and each
array's ``.npy`` header first and checks names, dtypes, shapes and sizes against fixed limits
before it reads (decompresses) a single weight, so a tiny file that claims a huge array or a
zip bomb costs nothing. The weights must then be finite and bounded by
:data:`MAX_ABS_WEIGHT`, which keeps every prediction finite: a model that loads cannot answer
NaN.
"""

from __future__ import annotations

import math
import os
import zipfile
from pathlib import Path

import numpy as np

from helpers.atomic import atomic_write

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
_DTYPES = (np.dtype("<f4"), np.dtype("<f8"), np.dtype(">f4"), np.dtype(">f8"))


def check_model_shapes(shapes: dict[str, tuple[int, ...]], n_input: int | None, n_output: int | None) -> None:
    """Raise ValueError unless the four shapes fit together and lie within the limits."""
    for name in PARAM_NAMES:
        if len(shapes[name]) != 2:
            raise ValueError(f"{name} has shape {shapes[name]}, expected a 2-D array")
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
    """Save ``(W1, b1, W2, b2)`` to ``path`` (.npz), atomically: temp file, verified, then rename.

    W1 (h, n), b1 (h, 1), W2 (k, h), b2 (k, 1), float32 or float64. A suffix other than .npz
    gets .npz appended. The written file is read back with :func:`load_params` before it
    replaces anything.
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
    if path.suffix != ".npz":
        path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
    with atomic_write(path, "wb", verify=load_params) as f:
        np.savez(f, **dict(zip(PARAM_NAMES, arrays)))
    return path


def _read_header(f) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(f)
    raise ValueError(f".npy format version {version} is not supported")


def _headers(zf: zipfile.ZipFile) -> dict[str, tuple[zipfile.ZipInfo, tuple[int, ...], bool, np.dtype, int]]:
    """Each array's zip entry, shape, order, dtype and header length, from the headers alone."""
    infos = {info.filename: info for info in zf.infolist()}
    expected = sorted(f"{n}.npy" for n in PARAM_NAMES)
    if sorted(infos) != expected:
        shown = sorted(name.removesuffix(".npy") for name in infos)[:8]
        raise ValueError(f"it holds arrays {shown}, expected {list(PARAM_NAMES)}")
    out = {}
    for name in PARAM_NAMES:
        info = infos[f"{name}.npy"]
        with zf.open(info) as f:
            try:
                shape, fortran, dtype = _read_header(f)
            except (ValueError, SyntaxError, TypeError, EOFError) as exc:
                raise ValueError(f"{name} is not a valid .npy array ({_short(exc)})") from None
            header_len = f.tell()
        if dtype not in _DTYPES:
            raise ValueError(f"{name} has dtype {dtype}, expected float32 or float64")
        out[name] = (info, tuple(shape), fortran, dtype, header_len)
    return out


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120]


def load_params(
    path: str | os.PathLike, *, n_input: int | None = None, n_output: int | None = None
) -> Params:
    """Load ``(W1, b1, W2, b2)`` from an .npz written by :func:`save_params`.

    Checks, before reading any weight: a zip archive with exactly W1, b1, W2, b2, float32 or
    float64 ``.npy`` arrays whose shapes fit together (W1 (h, n), b1 (h, 1), W2 (k, h),
    b2 (k, 1)), within :data:`MAX_HIDDEN`, :data:`MAX_INPUT`, :data:`MAX_OUTPUT`, and exactly
    ``n_input`` inputs and ``n_output`` outputs when given; each entry's size must match its
    header. Then: finite weights no larger than :data:`MAX_ABS_WEIGHT`. Anything else raises
    a ValueError naming the file; pickled objects are never loaded.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"{path}: {size:,} bytes, above the limit of {MAX_FILE_BYTES:,} for a model file")
    try:
        with zipfile.ZipFile(path) as zf:
            headers = _headers(zf)
            check_model_shapes({n: h[1] for n, h in headers.items()}, n_input, n_output)
            arrays = []
            for name in PARAM_NAMES:
                info, shape, fortran, dtype, header_len = headers[name]
                nbytes = math.prod(shape) * dtype.itemsize
                if info.file_size != header_len + nbytes:
                    raise ValueError(
                        f"{name}: its header promises {nbytes:,} bytes of data but the entry holds "
                        f"{info.file_size - header_len:,}"
                    )
                with zf.open(info) as f:
                    f.seek(header_len)
                    raw = f.read(nbytes)
                if len(raw) != nbytes:
                    raise ValueError(f"{name}: the data ends after {len(raw):,} of {nbytes:,} bytes")
                a = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")
                arrays.append(a.astype(dtype.newbyteorder("="), order="K"))
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{path}: not a model file: not an .npz (zip) archive ({_short(exc)})") from None
    except (OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ValueError(f"{path}: not a readable .npz model file ({_short(exc)})") from None
    except ValueError as exc:
        raise ValueError(f"{path}: not a valid model file: {exc}") from None
    params: Params = tuple(arrays)  # type: ignore[assignment]
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
