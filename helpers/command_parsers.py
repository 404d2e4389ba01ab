"""The arguments of the network's commands: download, train, evaluate, predict.

:func:`add_network_commands` adds them to :func:`helpers.cli.build_parser`; each sets ``func``
to its command in :mod:`helpers.commands`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from helpers.commands import UNSURE, cmd_download, cmd_evaluate, cmd_predict, cmd_train
from helpers.images import PICTURE_HELP
from helpers.recipes import RECIPES

PROG = "python -m helpers"
_FMT = argparse.RawDescriptionHelpFormatter
_DATA_HELP = "the checkout's data/ folder, wherever you run from; outside a checkout ./data"


def default_data_dir() -> str:
    """The repository's ``data/`` when helpers runs from a checkout, else ``data`` (cwd-relative).

    So ``python -m helpers download`` fills the folder the notebooks read (``../data`` from
    ``notebooks/``) whichever folder it is run from. Shown relative when it is ``./data``.
    """
    repo = Path(__file__).resolve().parents[1]
    data = repo / "data"
    if not ((repo / "pyproject.toml").is_file() and data.is_dir()):
        return "data"
    try:
        return "data" if Path("data").resolve() == data else str(data)
    except OSError:
        return str(data)


def _add_data_args(p: argparse.ArgumentParser, source_default: str = "auto") -> None:
    p.add_argument(
        "--source",
        choices=("auto", "full", "sample"),
        default=source_default,
        help="full MNIST (from --data-dir), the offline 5,000-digit sample, or auto: full when "
        "present, else the sample (default: %(default)s)",
    )
    p.add_argument(
        "--data-dir",
        default=default_data_dir(),
        metavar="DIR",
        help=f"where MNIST lives (default: {_DATA_HELP})",
    )


def add_network_commands(sub) -> None:
    """Add download, train, evaluate and predict to the subparsers ``sub``."""
    for add in (_add_download, _add_train, _add_evaluate, _add_predict):
        add(sub)


def _add_download(sub) -> None:
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
        "--data-dir",
        default=default_data_dir(),
        metavar="DIR",
        help=f"where to put the files (default: {_DATA_HELP})",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_download)


_TRAIN_HELP = """\
Train the 784-h-10 network and write a report folder with model.npz, metrics.json,
history.json and figures (training_curves, confusion_matrix, mistakes, weights).

recipes (flags override their values):
{recipes}

--iterations trains full-batch (the notes); --epochs/--batch-size train on mini-batches."""


def _recipes_help() -> str:
    """One line per recipe: its name and settings, as ``train --help`` lists them."""
    return "\n".join(
        f"  {name:<6} {', '.join(f'{k}={_show(v)}' for k, v in r.items())}" for name, r in RECIPES.items()
    )


def _add_train(sub) -> None:
    """The ``train`` subcommand (long as it declares one flag per setting, nothing else)."""
    p = sub.add_parser(
        "train",
        help="train the network and write a report (model, metrics, figures)",
        description=_TRAIN_HELP.format(recipes=_recipes_help()),
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
        "--out",
        default="reports/latest",
        metavar="DIR",
        help="report folder: a new path, an empty folder or an earlier report of 'train', which it "
        "replaces; any other folder is refused (default: %(default)s)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)


def _add_evaluate(sub) -> None:
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
    p.add_argument(
        "--out",
        metavar="DIR",
        help="also write a report folder (metrics.json, confusion_matrix.png): a new path, an empty "
        "folder or an earlier report of 'evaluate'",
    )
    p.set_defaults(func=cmd_evaluate)


def _add_predict(sub) -> None:
    p = sub.add_parser(
        "predict",
        help="classify your own digit images (PNG, JPEG, ...)",
        description="Classify pictures of single digits. Each picture (any size, dark digit on a "
        "light background or the reverse) is turned into an MNIST-style 28x28 image: cropped, "
        "scaled to 20 px and centred by its centre of mass. Prints one line per image: the "
        "predicted digit, its probability and all ten probabilities, marked '(unsure)' when the "
        f"probability is below {UNSURE:.0%}. {PICTURE_HELP}",
        formatter_class=_FMT,
        epilog=f"example:\n  {PROG} predict reports/latest/model.npz seven.png photo_of_a_3.jpg",
    )
    p.add_argument("model", metavar="MODEL.npz", help="a model written by 'train'")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files, one digit each")
    p.set_defaults(func=cmd_predict)


def _show(v) -> str:
    if isinstance(v, type):
        return np.dtype(v).name
    return f"{v:g}" if isinstance(v, float) else str(v)
