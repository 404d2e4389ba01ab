"""The report folders that ``python -m helpers train`` and ``evaluate --out`` write.

A report is all or nothing. Its files are written into a hidden temporary folder beside the
target and swapped in with one atomic rename (:func:`helpers.atomic.atomic_dir`): a reader, or
a second training writing the same folder at the same time, sees the old report or a complete
new one, never a model from one run beside figures from another. :func:`check_out_dir` is
called before training starts, so a bad ``--out`` fails in a second, not after the training.

Nothing a user made is replaced: a report goes to a new path, an empty folder or a folder
holding a report of the same command, which its :data:`MANIFEST` marks (:func:`replaceable`).
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from helpers.atomic import atomic_dir, atomic_write, temp_folder, write_text

#: The files of a training report besides its manifest, in the order they are written.
REPORT_FILES = (
    "model.npz",
    "metrics.json",
    "history.json",
    "training_curves.png",
    "confusion_matrix.png",
    "mistakes.png",
    "weights.png",
)

#: The files of an evaluation report (``evaluate --out``) besides its manifest.
EVALUATION_FILES = ("metrics.json", "confusion_matrix.png")

#: The file that marks a folder as a report of this project: which command wrote which files.
MANIFEST = "manifest.json"
WRITER = "python -m helpers"
_MANIFEST_MAX_BYTES = 1 << 16


def _manifest(folder: Path) -> tuple[str, set[str]] | None:
    """(command, files) of the report in ``folder``; None when it has no manifest of ours."""
    path = folder / MANIFEST
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > _MANIFEST_MAX_BYTES:
            return None
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(doc, dict) and doc.get("written_by") == WRITER):
        return None
    command, files = doc.get("command"), doc.get("files")
    if not (isinstance(command, str) and isinstance(files, list) and all(isinstance(f, str) for f in files)):
        return None
    return command, set(files)


def replaceable(
    folder: str | os.PathLike, command: str, what: str = "--out", shown: str | None = None
) -> None:
    """Raise ValueError unless a report of ``command`` may replace the folder ``folder``.

    Only an empty folder or a report that ``command`` wrote (its manifest says so, and every
    entry is one of the files it lists) may be replaced; a training report of an earlier
    version, the seven files and nothing else, counts as one. Anything else is a user's
    folder and is never replaced. ``shown``: how the folder is named in the error (default:
    its path).
    """
    folder = Path(folder)
    what = f"{what} {shown or folder}"
    entries = sorted(os.listdir(folder))
    if not entries:
        return
    found = _manifest(folder)
    if found is None and command == "train" and entries == sorted(REPORT_FILES):
        found = ("train", set(REPORT_FILES))  # written before reports had a manifest
    if found is None:
        count = f"{len(entries)} {'entry' if len(entries) == 1 else 'entries'}"
        raise ValueError(
            f"{what}: a folder that {WRITER} did not write ({count}, e.g. "
            f"{entries[0]!r}); it is never replaced: give a new or an empty folder, e.g. {folder / 'report'}"
        )
    kind, files = found
    if kind != command:
        raise ValueError(
            f"{what}: holds a report of '{kind}', not of '{command}'; not replacing it: give another folder"
        )
    for name in entries:
        entry = folder / name
        if name not in files | {MANIFEST} or entry.is_symlink() or not entry.is_file():
            raise ValueError(
                f"{what}: holds {name!r}, which is not part of its report; not replacing "
                "it (move it away, or give another folder)"
            )


def _mount_points() -> set[str]:
    """The mount points of this process (Linux: /proc/self/mountinfo); empty elsewhere."""
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return set()
    points = set()
    for line in lines:
        fields = line.split()
        if len(fields) > 4:
            points.add(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4]))
    return points


def _is_mount_point(path: Path) -> bool:
    return os.path.ismount(path) or os.fspath(path) in _mount_points()


def _checked_target(given: Path, command: str, what: str) -> Path:
    """The real path behind ``given``; ValueError when it is not a place a report may go."""
    if given.is_symlink():
        try:
            target = Path(os.path.realpath(given, strict=True))
        except OSError:
            raise ValueError(
                f"{what} {given}: a symbolic link to {os.readlink(given)}, which does not exist; "
                "give a folder, or create the link's target first"
            ) from None
        if not target.is_dir():
            raise ValueError(f"{what} {given}: a symbolic link to {target}, which is not a folder")
    real = Path(os.path.realpath(given))
    if real.exists() and not real.is_dir():
        raise ValueError(f"{what} {given}: exists and is not a folder")
    if real.is_dir():
        if _is_mount_point(real):
            raise ValueError(
                f"{what} {given}: a mount point, which a report (swapped in by a rename) cannot "
                f"replace; give a folder inside it, e.g. {given / 'report'}"
            )
        shown = f"{given} (a link to {real})" if given.is_symlink() else str(given)
        replaceable(real, command, what, shown)
    return real


def check_out_dir(out: str | os.PathLike, command: str = "train", what: str = "--out") -> Path:
    """Check, before any work starts, that a report of ``command`` may be written at ``out``.

    ``out`` may be a new path, an empty folder or a report ``command`` wrote
    (:func:`replaceable`); a symbolic link to such a folder is followed, a dangling one is
    refused, and so is a mount point (a rename cannot replace it). Creates missing parent
    folders and tries the temporary folder the report will be built in. Returns the real
    path to write to. Raises ValueError or OSError naming ``what`` and the folder.
    """
    if not os.fspath(out).strip():
        raise ValueError(f"{what} is empty; give the report folder, e.g. {what} reports/latest")
    given = Path(out)
    if given.name in ("", ".", ".."):
        raise ValueError(f"{what} {given}: name the report folder itself, e.g. {given / 'report'}")
    try:
        real = _checked_target(given, command, what)
        real.parent.mkdir(parents=True, exist_ok=True)
        os.rmdir(temp_folder(real.parent, real.name))  # can we write there?
    except OSError as exc:
        raise OSError(f"{what} {given}: cannot write a report there ({exc.strerror or exc})") from None
    if real.exists() and not os.access(real.parent, os.W_OK):
        raise PermissionError(f"{what} {given}: cannot replace it (its parent folder is read-only)")
    return real


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
    return _write_folder(
        out,
        "train",
        {
            "model.npz": lambda path: save_params(path, params),
            "metrics.json": lambda path: write_json(path, {**metrics, "seconds": history.seconds}),
            "history.json": lambda path: write_json(path, history.as_dict()),
            **{name: (lambda path, make=make: save_figure(path, make())) for name, make in figures.items()},
        },
    )


def write_evaluation(out: str | os.PathLike, y_true: np.ndarray, y_pred: np.ndarray, metrics: dict) -> Path:
    """Write ``evaluate --out``'s report as the folder ``out``: metrics.json and confusion_matrix.png.

    y_true, y_pred: (m,) labels. All or nothing, like :func:`write_report`; it never replaces
    a training report (a folder holds one kind of report).
    """
    from helpers.plots import plot_confusion

    return _write_folder(
        out,
        "evaluate",
        {
            "metrics.json": lambda path: write_json(path, metrics),
            "confusion_matrix.png": lambda path: save_figure(path, plot_confusion(y_true, y_pred)),
        },
    )


def _write_folder(out: str | os.PathLike, command: str, writers: dict) -> Path:
    """Build the report of ``command`` (``writers``: file name -> function writing it) and swap it in."""
    out = Path(out)
    with atomic_dir(out, may_replace=lambda folder: replaceable(folder, command)) as tmp:
        for name, write in writers.items():
            write(tmp / name)
        write_json(tmp / MANIFEST, {"written_by": WRITER, "command": command, "files": list(writers)})
    return out


__all__ = [
    "EVALUATION_FILES",
    "MANIFEST",
    "REPORT_FILES",
    "check_out_dir",
    "replaceable",
    "jsonable",
    "metrics_of",
    "save_figure",
    "write_evaluation",
    "write_json",
    "write_report",
]
