"""The report folder that ``python -m helpers train`` writes: model, metrics, history, figures.

A report is all or nothing. Its files are written into a hidden temporary folder beside the
target and swapped in with one atomic rename (:func:`helpers.atomic.atomic_dir`): a reader, or
a second training writing the same folder at the same time, sees the old report or a complete
new one, never a model from one run beside figures from another. :func:`check_out_dir` is
called before training starts, so a bad ``--out`` fails in a second, not after the training.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from helpers.atomic import atomic_dir, atomic_write, temp_folder, write_text

#: The files of a report, in the order they are written.
REPORT_FILES = (
    "model.npz",
    "metrics.json",
    "history.json",
    "training_curves.png",
    "confusion_matrix.png",
    "mistakes.png",
    "weights.png",
)


def check_out_dir(out: str | os.PathLike, what: str = "--out") -> Path:
    """Check that a report folder can be written at ``out`` before any work starts.

    Creates missing parent folders and tries the temporary folder the report will be built
    in. Raises ValueError (empty name) or OSError naming ``what`` and the folder otherwise.
    """
    if not os.fspath(out).strip():
        raise ValueError(f"{what} is empty; give the report folder, e.g. {what} reports/latest")
    out = Path(out)
    if out.name in ("", ".", ".."):
        raise ValueError(f"{what} {out}: name the report folder itself, e.g. {out / 'report'}")
    try:
        if out.exists() and not out.is_dir():
            raise NotADirectoryError(f"{what} {out}: exists and is not a folder")
        out.parent.mkdir(parents=True, exist_ok=True)
        os.rmdir(temp_folder(out.parent, out.name))  # can we write there?
    except NotADirectoryError as exc:
        if str(exc).startswith(what):
            raise
        raise OSError(f"{what} {out}: cannot write a report there ({exc.strerror or exc})") from None
    except OSError as exc:
        raise OSError(f"{what} {out}: cannot write a report there ({exc.strerror or exc})") from None
    if out.exists() and not os.access(out.parent, os.W_OK):
        raise PermissionError(f"{what} {out}: cannot replace it (its parent folder is read-only)")
    return out


def jsonable(obj: Any) -> Any:
    """``obj`` with NumPy values made plain and NaN/infinity made None (JSON has neither)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
    if isinstance(obj, type | np.dtype):
        return np.dtype(obj).name
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented, strict JSON (no NaN), atomically."""
    return write_text(path, json.dumps(jsonable(obj), indent=2, allow_nan=False) + "\n")


def save_figure(path: str | os.PathLike, fig) -> Path:
    """Save a matplotlib Figure as PNG, atomically."""
    with atomic_write(path) as f:
        fig.savefig(f, format="png", dpi=110, bbox_inches="tight")
    return Path(path)


def metrics_of(data, A2_test: np.ndarray, results: dict, extra: dict) -> dict:
    """metrics.json's content: accuracies and losses, and the test set's confusion figures."""
    from helpers.metrics import confusion_matrix, most_confused_pairs, per_class_accuracy

    cm = confusion_matrix(data.y_test, A2_test.argmax(axis=0))
    return {
        "data_source": data.source,
        "data_kind": data.kind,
        **extra,
        **{f"{split}_accuracy": r["accuracy"] for split, r in results.items()},
        **{f"{split}_loss": r["loss"] for split, r in results.items()},
        "examples": {split: r["examples"] for split, r in results.items()},
        "test_per_class_accuracy": per_class_accuracy(cm).tolist(),
        "test_most_confused": [
            {"true": t, "predicted": p, "count": c} for t, p, c in most_confused_pairs(cm, 5)
        ],
        "test_confusion_matrix": cm.tolist(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def write_report(out: str | os.PathLike, params, history, A2_test: np.ndarray, data, metrics: dict) -> Path:
    """Write model.npz, metrics.json, history.json and four PNG figures as the folder ``out``.

    params: (W1, b1, W2, b2); A2_test: (10, m_test) probabilities on ``data.X_test``. The
    folder is built aside and swapped in whole; on any error (Ctrl-C, SIGTERM, a full disk)
    the old report at ``out``, if any, is left exactly as it was.
    """
    from helpers import plots
    from helpers.models import save_params

    y_pred = A2_test.argmax(axis=0)
    figures = {
        "training_curves.png": lambda: plots.plot_history(history, labels=[metrics.get("recipe", "")]),
        "confusion_matrix.png": lambda: plots.plot_confusion(data.y_test, y_pred),
        "mistakes.png": lambda: plots.plot_mistakes(data.X_test, data.y_test, A2_test, n=24),
        "weights.png": lambda: plots.plot_weights(
            params[0], ncols=5 if params[0].shape[0] <= 20 else 10, n=50
        ),
    }
    out = Path(out)
    with atomic_dir(out) as tmp:
        save_params(tmp / "model.npz", params)
        write_json(tmp / "metrics.json", {**metrics, "seconds": history.seconds})
        write_json(tmp / "history.json", history.as_dict())
        for name, make in figures.items():
            save_figure(tmp / name, make())
        if sorted(p.name for p in tmp.iterdir()) != sorted(REPORT_FILES):
            raise RuntimeError(
                f"report folder {out}: unexpected files {sorted(p.name for p in tmp.iterdir())}"
            )
    return out


__all__ = [
    "REPORT_FILES",
    "check_out_dir",
    "jsonable",
    "metrics_of",
    "save_figure",
    "write_json",
    "write_report",
]
