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
import sys
from pathlib import Path

import numpy as np

from helpers import data as _data
from helpers import fast
from helpers.command_checks import check_memory, check_train_args, checked_out, dev_size
from helpers.data import load_mnist, train_dev_split
from helpers.download import DownloadError, download_mnist
from helpers.errors import UsageError, error_line, one_line, printable
from helpers.fetch import redact
from helpers.images import image_to_column
from helpers.metrics import (
    confusion_matrix,
    evaluate_in_blocks,
    most_confused_pairs,
    per_class_accuracy,
    predict_proba_in_blocks,
)
from helpers.models import check_model_shapes, load_params
from helpers.nn import cross_entropy, predict_proba
from helpers.recipes import RECIPES, Recipe
from helpers.report import metrics_of, write_evaluation, write_report


# --------------------------------------------------------------------------------------------
# download
# --------------------------------------------------------------------------------------------
def _log(line: str) -> None:
    """Print a status line, passwords in URLs hidden."""
    print(redact(printable(line)))


def cmd_download(args: argparse.Namespace) -> int:
    path = download_mnist(args.data_dir, args.mirror, progress=not args.no_progress, log=_log)
    print(f"MNIST is in {path}")
    return 0


# --------------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------------
def _full_mnist_present(data_dir: str) -> bool:
    return all(_data.find_idx(data_dir, name) for name in _data.MNIST_FILES)


def _maybe_download(args: argparse.Namespace) -> None:
    """``train --download``: fetch MNIST when it is missing; on failure, say so and go on."""
    if not args.download or args.source == "sample" or _full_mnist_present(args.data_dir):
        return
    try:
        download_mnist(args.data_dir, args.mirror, progress=not args.no_progress, log=_log)
    except DownloadError as exc:
        reason = one_line(exc).split(" Hint:")[0]
        what = "training on the 5,000-digit sample instead" if args.source == "auto" else "giving up"
        print(f"notice: {reason}; {what}", file=sys.stderr)


def training_plan(args: argparse.Namespace) -> Recipe:
    """The recipe ``train`` runs: ``RECIPES[args.recipe]`` with the explicit flags overriding it.

    ``--epochs`` or ``--batch-size`` on the full-batch "notes" recipe switch to mini-batches
    (:func:`helpers.fast.train`) with the same network and learning rate.
    """
    recipe = RECIPES[args.recipe]
    train, settings = recipe.train, dict(recipe)
    full_batch = train is fast.gradient_descent
    if args.iterations is not None and not full_batch:
        raise UsageError(
            f"--iterations counts full-batch gradient-descent steps (recipe notes); recipe "
            f"{args.recipe} trains on mini-batches: use --epochs and --batch-size"
        )
    if full_batch and (args.epochs is not None or args.batch_size is not None):
        train = fast.train
        settings = {"n_hidden": settings["n_hidden"], "alpha": settings["alpha"]}
        settings |= {"epochs": 10, "batch_size": 64}
    overrides = {
        "n_hidden": args.hidden,
        "alpha": args.alpha,
        "iterations": args.iterations,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
    }
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return Recipe(train, **{**settings, "seed": args.seed})


def _describe(plan: Recipe) -> str:
    """One line on what ``plan`` trains: the method, the network and the settings that matter."""
    net = f"784-{plan['n_hidden']}-10"
    if plan.train is fast.gradient_descent:
        return f"full-batch gradient descent, {net}, alpha={plan['alpha']:g}, {plan['iterations']} iterations"
    extra = f", {plan['schedule']} learning rate" if plan.get("schedule", "constant") != "constant" else ""
    return (
        f"mini-batch SGD, {net}, alpha={plan['alpha']:g}{extra}, {plan['epochs']} epochs of "
        f"batches of {plan['batch_size']}"
    )


def cmd_train(args: argparse.Namespace) -> int:
    check_train_args(args)
    plan = training_plan(args)
    progress = not args.no_progress

    _maybe_download(args)
    data = load_mnist(args.data_dir, args.source)
    print(f"data: {data.source}")
    n_dev = dev_size(args, data)
    X_train, y_train, X_dev, y_dev = train_dev_split(data.X_train, data.y_train, n_dev, seed=0)
    dtype = plan.get("dtype", X_train.dtype)
    step = plan.get("batch_size") or min(X_train.shape[1], 4096)
    check_memory(plan["n_hidden"], max(step, X_dev.shape[1]), dtype)
    print(
        f"training: recipe {args.recipe}: {_describe(plan)}; "
        f"{X_train.shape[1]:,} training images, {X_dev.shape[1]:,} dev images"
    )
    params, history = plan.train(X_train, y_train, **plan, X_dev=X_dev, Y_dev=y_dev, progress=progress)
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
    A2_test = A2s["test"]
    extra = {"recipe": args.recipe, "method": plan.train.__name__, "settings": dict(plan)}
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
