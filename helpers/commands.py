"""What each command of ``python -m helpers`` does: download, train, evaluate, predict.

:mod:`helpers.cli` parses the arguments and calls these. Every check of the arguments, the
output folder and the data happens before the work starts; errors are exceptions that the
command line turns into one line with :func:`helpers.errors.error_line` (:class:`UsageError`:
exit code 2, others: 1).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from pathlib import Path

import numpy as np

from helpers.errors import UsageError, error_line, one_line, printable
from helpers.fetch import redact


# --------------------------------------------------------------------------------------------
# download
# --------------------------------------------------------------------------------------------
def _log(line: str) -> None:
    """Print a status line, passwords in URLs hidden."""
    print(redact(printable(line)))


def cmd_download(args: argparse.Namespace) -> int:
    from helpers.download import download_mnist

    path = download_mnist(args.data_dir, args.mirror, progress=not args.no_progress, log=_log)
    print(f"MNIST is in {path}")
    return 0


# --------------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------------
def _full_mnist_present(data_dir: str) -> bool:
    from helpers.data import MNIST_FILES, find_idx

    return all(find_idx(data_dir, name) for name in MNIST_FILES)


def _maybe_download(args: argparse.Namespace) -> None:
    """``train --download``: fetch MNIST when it is missing; on failure, say so and go on."""
    if not args.download or args.source == "sample" or _full_mnist_present(args.data_dir):
        return
    from helpers.download import DownloadError, download_mnist

    try:
        download_mnist(args.data_dir, args.mirror, progress=not args.no_progress, log=_log)
    except DownloadError as exc:
        reason = one_line(exc).split(" Hint:")[0]
        what = "training on the 5,000-digit sample instead" if args.source == "auto" else "giving up"
        print(f"notice: {reason}; {what}", file=sys.stderr)


def training_plan(args: argparse.Namespace) -> tuple[str, dict]:
    """The training function ("gradient_descent" or "train") and its keyword arguments.

    Starts from ``RECIPES[args.recipe]``; explicit flags override its values. ``--epochs`` or
    ``--batch-size`` on the full-batch "notes" recipe switch to mini-batches with the same
    network and learning rate.
    """
    from helpers.recipes import RECIPES

    settings = dict(RECIPES[args.recipe])
    full_batch = RECIPES[args.recipe].trainer == "gradient_descent"
    minibatch_flags = args.epochs is not None or args.batch_size is not None
    if args.iterations is not None and not full_batch:
        raise UsageError(
            f"--iterations counts full-batch gradient-descent steps (recipe notes); recipe "
            f"{args.recipe} trains on mini-batches: use --epochs and --batch-size"
        )
    if full_batch and minibatch_flags:
        settings = {
            "n_hidden": settings["n_hidden"],
            "alpha": settings["alpha"],
            "epochs": 10,
            "batch_size": 64,
        }
        full_batch = False
    overrides = {
        "n_hidden": args.hidden,
        "alpha": args.alpha,
        "iterations": args.iterations,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
    }
    settings.update({k: v for k, v in overrides.items() if v is not None})
    settings["seed"] = args.seed
    return ("gradient_descent" if full_batch else "train"), settings


def _describe(method: str, s: dict) -> str:
    net = f"784-{s['n_hidden']}-10"
    if method == "gradient_descent":
        return f"full-batch gradient descent, {net}, alpha={s['alpha']:g}, {s['iterations']} iterations"
    extra = f", {s['schedule']} learning rate" if s.get("schedule", "constant") != "constant" else ""
    return (
        f"mini-batch SGD, {net}, alpha={s['alpha']:g}{extra}, {s['epochs']} epochs of "
        f"batches of {s['batch_size']}"
    )


def _positive(name: str, value, allow_zero: bool = False) -> None:
    if value is not None and (value < 0 or (value == 0 and not allow_zero)):
        raise UsageError(f"--{name} must be positive, got {value}")


def check_train_args(args: argparse.Namespace) -> None:
    """Refuse bad ``train`` flags (UsageError, exit 2) before anything is loaded or trained."""
    from helpers.models import MAX_HIDDEN

    for name in ("hidden", "iterations", "epochs", "batch_size", "dev_size"):
        _positive(name.replace("_", "-"), getattr(args, name))
    if args.alpha is not None and not (math.isfinite(args.alpha) and args.alpha > 0):
        raise UsageError(f"--alpha must be a positive number, got {args.alpha}")
    if args.hidden is not None and args.hidden > MAX_HIDDEN:
        raise UsageError(f"--hidden must be at most {MAX_HIDDEN}, got {args.hidden}")
    if not 0 <= args.seed < 2**32:
        raise UsageError(f"--seed must lie in 0..{2**32 - 1}, got {args.seed}")
    limits = {"iterations": 1_000_000, "epochs": 10_000, "batch_size": 60_000}
    for name, limit in limits.items():
        value = getattr(args, name)
        if value is not None and value > limit:
            raise UsageError(f"--{name.replace('_', '-')} must be at most {limit:,}, got {value:,}")
    args.out_path = checked_out(args.out, "train")


def checked_out(out: str, command: str) -> Path:
    """The real path a report of ``command`` goes to; UsageError (exit 2) when ``--out`` is refused.

    Refused before any work: a file, a folder this project did not write (a user's files are
    never replaced), a report of another command, a dangling symbolic link, a mount point.
    """
    from helpers.report import check_out_dir

    try:
        return check_out_dir(out, command)
    except (ValueError, OSError) as exc:
        raise UsageError(str(exc)) from None


def check_memory(n_hidden: int, columns: int, dtype, data_bytes: int = 0) -> None:
    """Refuse a training whose working set cannot fit the address-space limit (``ulimit -v``).

    ``columns``: the examples one step computes on (a mini-batch, or a block of the full
    batch); the final evaluation runs in blocks (:func:`helpers.metrics.predict_proba_in_blocks`).
    The estimate counts the parameters with their gradients and velocities, the hidden layer
    of one step and of one evaluation block, and ``data_bytes`` still to be allocated.
    """
    import resource

    from helpers.metrics import BLOCK_BYTES

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return
    try:
        status = Path("/proc/self/status").read_text()
        used = int(re.search(r"^VmSize:\s+(\d+) kB", status, re.M).group(1)) * 1024
    except (OSError, AttributeError):
        return
    itemsize = np.dtype(dtype).itemsize
    params = (784 + 1 + 10) * n_hidden * itemsize
    need = 4 * params + 4 * n_hidden * columns * itemsize + 3 * BLOCK_BYTES + data_bytes
    if used + need > soft:
        raise MemoryError(
            f"a 784-{n_hidden}-10 network on steps of {columns:,} images needs about "
            f"{need / 2**20:,.0f} MiB more, but this process may use only {max(soft - used, 0) / 2**20:,.0f} "
            "MiB more (ulimit -v): choose fewer --hidden units or a smaller --batch-size; nothing was trained"
        )


def _dev_size(args: argparse.Namespace, data) -> int:
    """The dev set's size: --dev-size, else 1000 (full MNIST) or 500; refuses sizes that do not fit."""
    m = data.X_train.shape[1]
    if args.dev_size is not None:
        if args.dev_size >= m:
            raise UsageError(f"--dev-size {args.dev_size} leaves no training images out of {m:,}")
        return args.dev_size
    if m < 10:
        raise ValueError(
            f"only {m} training images in {data.source.split(' (')[0]}: too few to hold out a dev set"
        )
    return min(1000 if data.kind == "full" else 500, m // 5)


def cmd_train(args: argparse.Namespace) -> int:
    from helpers.data import load_mnist, train_dev_split
    from helpers.metrics import evaluate_in_blocks
    from helpers.recipes import fit

    check_train_args(args)
    method, settings = training_plan(args)
    progress = not args.no_progress

    _maybe_download(args)
    data = load_mnist(args.data_dir, args.source)
    print(f"data: {data.source}")
    dev_size = _dev_size(args, data)
    X_train, y_train, X_dev, y_dev = train_dev_split(data.X_train, data.y_train, dev_size, seed=0)
    dtype = settings.get("dtype", X_train.dtype)
    step = settings.get("batch_size") or min(X_train.shape[1], 4096)
    check_memory(settings["n_hidden"], max(step, X_dev.shape[1]), dtype)
    print(
        f"training: recipe {args.recipe}: {_describe(method, settings)}; "
        f"{X_train.shape[1]:,} training images, {X_dev.shape[1]:,} dev images"
    )
    kwargs = {**settings, "X_dev": X_dev, "Y_dev": y_dev, "progress": progress}
    params, history = fit(method, X_train, y_train, **kwargs)
    from helpers.models import check_model_shapes

    # The model the report describes as 784-h-10 must be one: a label of 10 would have added
    # an eleventh output (labels are checked where they are loaded; this is the last guard).
    check_model_shapes({n: p.shape for n, p in zip(("W1", "b1", "W2", "b2"), params)}, 784, 10)

    results, A2s = {}, {}
    for split, X, y in (
        ("train", X_train, y_train),
        ("dev", X_dev, y_dev),
        ("test", data.X_test, data.y_test),
    ):
        loss, acc, A2 = evaluate_in_blocks(params, X, y)  # memory: 10 x m, not hidden x m
        if not (math.isfinite(loss) and math.isfinite(acc)):
            raise FloatingPointError(f"the trained network gives a {split} loss of {loss}: no report written")
        results[split], A2s[split] = {"accuracy": acc, "loss": loss, "examples": int(X.shape[1])}, A2
        print(f"{split + ' accuracy':<15}{acc:7.2%}   (loss {loss:.4f}, {X.shape[1]:,} images)")
    print(f"time: {history.seconds:.1f} s")

    from helpers.report import metrics_of, write_report

    A2_test = A2s["test"]
    extra = {"recipe": args.recipe, "method": method, "settings": settings}
    metrics = metrics_of(data, A2_test, results, extra)
    out = write_report(args.out_path, params, history, A2_test, data, metrics)
    print(f"report: {_shown(args.out, out)}")
    return 0


def _shown(given: str, real: Path) -> str:
    """``--out`` as given, with the folder it leads to when that differs (a symbolic link)."""
    return given if Path(given).absolute() == real else f"{given} -> {real}"


# --------------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------------
def confusion_table(cm: np.ndarray) -> str:
    """The confusion matrix as a text table: rows = true digit, columns = predicted digit."""
    k = cm.shape[0]
    width = max(4, len(str(int(cm.max()))) + 1)
    head = "true\\pred" + "".join(f"{j:>{width}}" for j in range(k))
    rows = [f"{i:>9}" + "".join(f"{int(v):>{width}}" for v in cm[i]) for i in range(k)]
    return "\n".join([head, *rows])


def cmd_evaluate(args: argparse.Namespace) -> int:
    from helpers.data import load_mnist
    from helpers.metrics import (
        confusion_matrix,
        most_confused_pairs,
        per_class_accuracy,
        predict_proba_in_blocks,
    )
    from helpers.models import load_params
    from helpers.nn import cross_entropy

    out = None if args.out is None else checked_out(args.out, "evaluate")
    params = load_params(args.model, n_input=784, n_output=10)
    data = load_mnist(args.data_dir, args.source)
    print(f"data: {data.source}")
    A2 = _finite(args.model, predict_proba_in_blocks(params, data.X_test))
    y_pred = A2.argmax(axis=0)
    cm = confusion_matrix(data.y_test, y_pred)
    acc = float(np.trace(cm) / cm.sum())
    loss = cross_entropy(A2, data.y_test)
    print(f"test accuracy {acc:.2%} (loss {loss:.4f}, {cm.sum():,} images)")
    print("\nconfusion matrix (rows: true digit, columns: predicted digit)")
    print(confusion_table(cm))
    print("\naccuracy per digit (n/a: no test image of that digit)")
    per_class = per_class_accuracy(cm)
    print("  ".join(f"{d}:{a:.1%}" if np.isfinite(a) else f"{d}:n/a" for d, a in enumerate(per_class)))
    pairs = most_confused_pairs(cm, 5)
    if pairs:
        print("most confused: " + ", ".join(f"{t} as {p} ({c}x)" for t, p, c in pairs))
    if out is not None:
        from helpers.report import write_evaluation

        metrics = {
            "model": os.fspath(Path(args.model).absolute()),
            "data_source": data.source,
            "data_kind": data.kind,
            "test_accuracy": acc,
            "test_loss": loss,
            "examples": int(cm.sum()),
            "test_per_class_accuracy": per_class.tolist(),
            "test_most_confused": [{"true": t, "predicted": p, "count": c} for t, p, c in pairs],
            "test_confusion_matrix": cm.tolist(),
        }
        write_evaluation(out, data.y_test, y_pred, metrics)
        print(f"report: {_shown(args.out, out)}")
    return 0


# --------------------------------------------------------------------------------------------
# predict
# --------------------------------------------------------------------------------------------
def _finite(model, A2: np.ndarray) -> np.ndarray:
    """A2 unchanged; a ValueError when any probability is NaN (never printed as an answer)."""
    if not np.all(np.isfinite(A2)):
        raise ValueError(f"{model}: the model's probabilities are not finite numbers; no answer printed")
    return A2


def _name(path: str) -> str:
    """A file name as printed on a result line: quoted and escaped when it holds control characters."""
    return path if printable(path) == path else repr(path)


#: Below this probability a prediction is printed with '(unsure)': a bad crop or an odd picture.
UNSURE = 0.5


def cmd_predict(args: argparse.Namespace) -> int:
    from helpers.images import image_to_column
    from helpers.models import load_params
    from helpers.nn import predict_proba

    params = load_params(args.model, n_input=784, n_output=10)
    failed = 0
    for image in args.images:
        try:
            x = image_to_column(image)
        except Exception as exc:  # one picture's error: say so and go on with the next
            print(error_line(exc), file=sys.stderr)
            failed += 1
            continue
        p = _finite(args.model, predict_proba(params, x.astype(params[0].dtype)))[:, 0]
        best = int(p.argmax())
        probs = " ".join(f"{d}:{v:.2f}" for d, v in enumerate(p))
        unsure = " (unsure)" if p[best] < UNSURE else ""
        print(f"{_name(image)}: {best} (p={p[best]:.2f}){unsure}  {probs}")
    return 1 if failed else 0
