"""Command line of the course: ``python -m helpers <command>``.

    python -m helpers download                       # full MNIST into data/
    python -m helpers train                          # the notes' recipe; report in reports/latest
    python -m helpers train --recipe fast            # the same network on mini-batches: seconds
    python -m helpers evaluate reports/latest/model.npz
    python -m helpers predict reports/latest/model.npz my_digit.png

Errors print one line, ``error: ...``, on stderr: exit code 2 for bad arguments, 1 for anything
else that went wrong (a missing or corrupt file, a failed download, diverged training).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from helpers.atomic import atomic_write, write_text

PROG = "python -m helpers"


class UsageError(Exception):
    """Arguments that do not fit together (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and raise instead of exiting."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{message} (see: {self.prog} --help)")


def _expected_errors() -> tuple[type[BaseException], ...]:
    """Exceptions reported as one line; anything else is a bug and keeps its traceback."""
    from helpers.training import TrainingDiverged

    errors: list[type[BaseException]] = [ValueError, OSError, TrainingDiverged]
    try:
        from helpers.download import DownloadError
    except ModuleNotFoundError:  # pragma: no cover - only while download.py does not exist
        pass
    else:
        errors.append(DownloadError)
    return tuple(errors)


def _one_line(exc: BaseException) -> str:
    text = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
    return text or type(exc).__name__


# --------------------------------------------------------------------------------------------
# Writing files: temp file in the same folder, then rename.
# --------------------------------------------------------------------------------------------
def write_json(path: Path, obj) -> Path:
    """Write ``obj`` as indented JSON, atomically."""
    return write_text(path, json.dumps(obj, indent=2, default=_jsonable) + "\n")


def save_figure(path: Path, fig) -> Path:
    """Save a matplotlib Figure as PNG, atomically."""
    with atomic_write(path) as f:
        fig.savefig(f, format="png", dpi=110, bbox_inches="tight")
    return path


def _jsonable(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, type | np.dtype):
        return np.dtype(obj).name
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


# --------------------------------------------------------------------------------------------
# download
# --------------------------------------------------------------------------------------------
def cmd_download(args: argparse.Namespace) -> int:
    from helpers.download import download_mnist

    path = download_mnist(args.data_dir, args.mirror, progress=not args.no_progress)
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
        download_mnist(args.data_dir, args.mirror, progress=not args.no_progress)
    except DownloadError as exc:
        first = _one_line(exc).split(";")[0]
        what = "training on the 5,000-digit sample instead" if args.source == "auto" else "giving up"
        print(f"notice: could not download MNIST ({first}); {what}", file=sys.stderr)


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


def cmd_train(args: argparse.Namespace) -> int:
    from helpers.data import load_mnist, train_dev_split
    from helpers.nn import evaluate, predict_proba
    from helpers.recipes import fit

    for name in ("hidden", "iterations", "epochs", "batch_size", "dev_size"):
        _positive(name.replace("_", "-"), getattr(args, name))
    if args.alpha is not None and not (math.isfinite(args.alpha) and args.alpha > 0):
        raise UsageError(f"--alpha must be a positive number, got {args.alpha}")
    method, settings = training_plan(args)
    progress = not args.no_progress

    _maybe_download(args)
    data = load_mnist(args.data_dir, args.source)
    print(f"data: {data.source}")
    dev_size = args.dev_size if args.dev_size is not None else (1000 if data.kind == "full" else 500)
    X_train, y_train, X_dev, y_dev = train_dev_split(data.X_train, data.y_train, dev_size, seed=0)
    print(
        f"training: recipe {args.recipe}: {_describe(method, settings)}; "
        f"{X_train.shape[1]:,} training images, {X_dev.shape[1]:,} dev images"
    )
    kwargs = {**settings, "X_dev": X_dev, "Y_dev": y_dev, "progress": progress}
    params, history = fit(method, X_train, y_train, **kwargs)

    results = {}
    for split, X, y in (
        ("train", X_train, y_train),
        ("dev", X_dev, y_dev),
        ("test", data.X_test, data.y_test),
    ):
        loss, acc = evaluate(params, X, y)
        results[split] = {"accuracy": acc, "loss": loss, "examples": int(X.shape[1])}
        print(f"{split + ' accuracy':<15}{acc:7.2%}   (loss {loss:.4f}, {X.shape[1]:,} images)")
    print(f"time: {history.seconds:.1f} s")

    out = Path(args.out)
    A2_test = predict_proba(params, data.X_test)
    write_report(out, params, history, A2_test, data, results, args, method, settings)
    print(f"report: {out}")
    return 0


def write_report(out: Path, params, history, A2_test, data, results, args, method, settings) -> None:
    """model.npz, metrics.json, history.json and four PNG figures in ``out``."""
    from helpers import plots
    from helpers.metrics import confusion_matrix, most_confused_pairs, per_class_accuracy
    from helpers.nn import save_params

    out.mkdir(parents=True, exist_ok=True)
    save_params(out / "model.npz", params)
    y_pred = A2_test.argmax(axis=0)
    cm = confusion_matrix(data.y_test, y_pred)
    metrics = {
        "data_source": data.source,
        "data_kind": data.kind,
        "recipe": args.recipe,
        "method": method,
        "settings": settings,
        "train_accuracy": results["train"]["accuracy"],
        "dev_accuracy": results["dev"]["accuracy"],
        "test_accuracy": results["test"]["accuracy"],
        "train_loss": results["train"]["loss"],
        "dev_loss": results["dev"]["loss"],
        "test_loss": results["test"]["loss"],
        "examples": {split: r["examples"] for split, r in results.items()},
        "seconds": history.seconds,
        "test_per_class_accuracy": per_class_accuracy(cm).tolist(),
        "test_most_confused": [
            {"true": t, "predicted": p, "count": c} for t, p, c in most_confused_pairs(cm, 5)
        ],
        "test_confusion_matrix": cm.tolist(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_json(out / "metrics.json", metrics)
    write_json(out / "history.json", history.as_dict())
    figures = {
        "training_curves.png": lambda: plots.plot_history(history, labels=[args.recipe]),
        "confusion_matrix.png": lambda: plots.plot_confusion(data.y_test, y_pred),
        "mistakes.png": lambda: plots.plot_mistakes(data.X_test, data.y_test, A2_test, n=24),
        "weights.png": lambda: plots.plot_weights(
            params[0], ncols=5 if params[0].shape[0] <= 20 else 10, n=50
        ),
    }
    for name, make in figures.items():
        save_figure(out / name, make())


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
    from helpers.metrics import confusion_matrix, most_confused_pairs, per_class_accuracy
    from helpers.nn import cross_entropy, load_params, predict_proba

    params = load_params(args.model)
    _check_input_size(args.model, params)
    data = load_mnist(args.data_dir, args.source)
    print(f"data: {data.source}")
    A2 = predict_proba(params, data.X_test)
    y_pred = A2.argmax(axis=0)
    cm = confusion_matrix(data.y_test, y_pred)
    acc = float(np.trace(cm) / cm.sum())
    print(f"test accuracy {acc:.2%} (loss {cross_entropy(A2, data.y_test):.4f}, {cm.sum():,} images)")
    print("\nconfusion matrix (rows: true digit, columns: predicted digit)")
    print(confusion_table(cm))
    print("\naccuracy per digit")
    print("  ".join(f"{d}:{a:.1%}" for d, a in enumerate(per_class_accuracy(cm))))
    pairs = most_confused_pairs(cm, 5)
    if pairs:
        print("most confused: " + ", ".join(f"{t} as {p} ({c}x)" for t, p, c in pairs))
    if args.out is not None:
        from helpers.plots import plot_confusion

        path = save_figure(Path(args.out) / "confusion_matrix.png", plot_confusion(data.y_test, y_pred))
        print(f"figure: {path}")
    return 0


# --------------------------------------------------------------------------------------------
# predict
# --------------------------------------------------------------------------------------------
def _check_input_size(model, params) -> None:
    if params[0].shape[1] != 784:
        raise ValueError(f"{model}: W1 has {params[0].shape[1]} inputs, expected 784 (28 x 28 images)")


def cmd_predict(args: argparse.Namespace) -> int:
    from helpers.images import image_to_column
    from helpers.nn import load_params, predict_proba

    params = load_params(args.model)
    _check_input_size(args.model, params)
    failed = 0
    for image in args.images:
        try:
            x = image_to_column(image)
        except (ValueError, OSError) as exc:
            print(f"error: {_one_line(exc)}", file=sys.stderr)
            failed += 1
            continue
        p = predict_proba(params, x.astype(params[0].dtype))[:, 0]
        best = int(p.argmax())
        probs = " ".join(f"{d}:{v:.2f}" for d, v in enumerate(p))
        print(f"{image}: {best} (p={p[best]:.2f})  {probs}")
    return 1 if failed else 0


# --------------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------------
_FMT = argparse.RawDescriptionHelpFormatter


def _add_data_args(p: argparse.ArgumentParser, source_default: str = "auto") -> None:
    p.add_argument(
        "--source",
        choices=("auto", "full", "sample"),
        default=source_default,
        help="full MNIST (from --data-dir), the offline 5,000-digit sample, or auto: full when "
        "present, else the sample (default: %(default)s)",
    )
    p.add_argument(
        "--data-dir", default="data", metavar="DIR", help="where MNIST lives (default: %(default)s)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m helpers`` argument parser; each subcommand sets ``func``."""
    parser = _Parser(
        prog=PROG,
        description="Train, evaluate and use the two-layer MNIST network of the course.",
        formatter_class=_FMT,
        epilog=(
            "examples:\n"
            f"  {PROG} download\n"
            f"  {PROG} train --recipe fast\n"
            f"  {PROG} evaluate reports/latest/model.npz\n"
            f"  {PROG} predict reports/latest/model.npz my_digit.png\n\n"
            f"'{PROG} COMMAND --help' explains each command."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser(
        "download",
        help="download full MNIST (70,000 digits) into data/",
        description="Download the four MNIST files, verify their MD5 checksums and store them as "
        "<name>.gz in the data folder. Files already there and verified are kept.",
        formatter_class=_FMT,
        epilog=(
            "examples:\n"
            f"  {PROG} download\n"
            f"  {PROG} download --mirror /path/to/a/copy/of/mnist     # offline, from a folder\n"
            f"  {PROG} download --mirror https://example.org/mnist/   # another mirror\n\n"
            "The environment variable MNIST_MIRROR (comma-separated) replaces the default mirrors."
        ),
    )
    p.add_argument(
        "--mirror",
        action="append",
        metavar="URL_OR_DIR",
        help="a mirror to use instead of the defaults: http(s):// URL, file:// URL or folder; repeatable",
    )
    p.add_argument(
        "--data-dir", default="data", metavar="DIR", help="where to put the files (default: %(default)s)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_download)

    from helpers.recipes import RECIPES

    p = sub.add_parser(
        "train",
        help="train the network and write a report (model, metrics, figures)",
        description=(
            "Train the 784-h-10 network and write a report folder with model.npz, metrics.json,\n"
            "history.json and figures (training_curves, confusion_matrix, mistakes, weights).\n\n"
            "recipes (flags override their values):\n"
            + "\n".join(
                f"  {name:<6} {', '.join(f'{k}={_show(v)}' for k, v in r.items())}"
                for name, r in RECIPES.items()
            )
            + "\n\n--iterations trains full-batch (the notes); --epochs/--batch-size train on mini-batches."
        ),
        formatter_class=_FMT,
        epilog=(
            "examples:\n"
            f"  {PROG} train                                   # the notes: 500 full-batch iterations\n"
            f"  {PROG} train --recipe fast                     # mini-batches: seconds, not minutes\n"
            f"  {PROG} train --recipe wide --epochs 5\n"
            f"  {PROG} train --hidden 64 --epochs 10 --batch-size 128 --alpha 0.2\n"
            f"  {PROG} train --source sample --iterations 200 --out reports/quick\n"
            f"  {PROG} train --download                        # fetch MNIST first if it is missing"
        ),
    )
    p.add_argument(
        "--recipe", choices=tuple(RECIPES), default="notes", help="starting settings (default: %(default)s)"
    )
    _add_data_args(p)
    p.add_argument(
        "--download",
        action="store_true",
        help="first download full MNIST when it is not in --data-dir (on failure: go on with the sample)",
    )
    p.add_argument(
        "--mirror", action="append", metavar="URL_OR_DIR", help="mirror for --download; repeatable"
    )
    p.add_argument("--hidden", type=int, metavar="N", help="hidden units")
    p.add_argument("--alpha", type=float, metavar="A", help="learning rate")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--iterations", type=int, metavar="N", help="full-batch gradient-descent iterations")
    length.add_argument("--epochs", type=int, metavar="N", help="mini-batch epochs (passes over the data)")
    p.add_argument("--batch-size", type=int, metavar="B", help="mini-batch size")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default: %(default)s)")
    p.add_argument(
        "--dev-size",
        type=int,
        metavar="N",
        help="training images held out to watch for overfitting "
        "(default: 1000 on full MNIST, 500 on the sample)",
    )
    p.add_argument(
        "--out", default="reports/latest", metavar="DIR", help="report folder (default: %(default)s)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "evaluate",
        help="test accuracy and confusion matrix of a saved model",
        description="Evaluate a model saved by 'train' on the test set: accuracy, loss, the "
        "confusion matrix, the accuracy on each digit and the most frequent confusions.",
        formatter_class=_FMT,
        epilog=(
            "examples:\n"
            f"  {PROG} evaluate reports/latest/model.npz\n"
            f"  {PROG} evaluate reports/latest/model.npz --source sample --out reports/eval"
        ),
    )
    p.add_argument("model", metavar="MODEL.npz", help="a model written by 'train'")
    _add_data_args(p)
    p.add_argument("--out", metavar="DIR", help="also save confusion_matrix.png in DIR")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "predict",
        help="classify your own digit images (PNG, JPEG, ...)",
        description="Classify pictures of single digits. Each picture (any size, dark digit on a "
        "light background or the reverse) is turned into an MNIST-style 28x28 image: cropped, "
        "scaled to 20 px and centred by its centre of mass. Prints one line per image: the "
        "predicted digit, its probability and all ten probabilities.",
        formatter_class=_FMT,
        epilog=f"example:\n  {PROG} predict reports/latest/model.npz seven.png photo_of_a_3.jpg",
    )
    p.add_argument("model", metavar="MODEL.npz", help="a model written by 'train'")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files, one digit each")
    p.set_defaults(func=cmd_predict)

    # ---- assignments: the course's exercise commands (helpers/assignments/cli.py) ----------
    # They register themselves here. The except clause only covers a checkout in which that
    # module does not exist; an import error *inside* it is a bug and is raised.
    try:
        from helpers.assignments.cli import register
    except ModuleNotFoundError as exc:
        if exc.name not in ("helpers.assignments", "helpers.assignments.cli"):
            raise
    else:
        register(sub)
    return parser


def _show(v) -> str:
    if isinstance(v, type):
        return np.dtype(v).name
    return f"{v:g}" if isinstance(v, float) else str(v)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m helpers`` with ``argv`` (default: sys.argv[1:]); returns the exit code."""
    expected = _expected_errors()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help exits 0
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except expected as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 1
