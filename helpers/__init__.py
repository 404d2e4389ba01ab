"""helpers: the math and plumbing of the course "A neural network from scratch".

The notebooks explain and call these functions; everything public is importable from here::

    from helpers import load_mnist, forward_prop, backward_prop, train

The plotting functions (``plot_digits`` and friends) are imported on first use, so that
training scripts that never plot do not load matplotlib (``benchmarks/README.md`` gives the
memory saved). ``from helpers import plot_digits`` works as usual.
"""

from helpers.data import (
    MNIST,
    load_mnist,
    load_sample,
    one_hot,
    read_idx,
    read_kaggle_csv,
    train_dev_split,
)
from helpers.download import DownloadError, download_mnist
from helpers.images import image_to_column, image_to_grid
from helpers.metrics import confusion_matrix, most_confused_pairs, per_class_accuracy, top_mistakes
from helpers.models import load_params, save_params
from helpers.nn import (
    backward_prop,
    cross_entropy,
    evaluate,
    forward_prop,
    get_accuracy,
    get_predictions,
    init_params,
    predict,
    predict_proba,
    relu,
    relu_deriv,
    softmax,
    update_params,
)
from helpers.recipes import RECIPES, run_recipe
from helpers.regularisation import l2_gradient, l2_penalty
from helpers.training import History, TrainingDiverged, gradient_descent, train

_PLOTS = (
    "plot_confusion",
    "plot_digit",
    "plot_digits",
    "plot_history",
    "plot_mistakes",
    "plot_probabilities",
    "plot_weights",
)


def __getattr__(name: str):
    """Import helpers.plots (and so matplotlib) only when a plot_* name is first asked for."""
    if name in _PLOTS:
        from helpers import plots

        value = getattr(plots, name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PLOTS))


__all__ = [
    "image_to_column",
    "image_to_grid",
    "confusion_matrix",
    "most_confused_pairs",
    "per_class_accuracy",
    "top_mistakes",
    *_PLOTS,
    "DownloadError",
    "download_mnist",
    "RECIPES",
    "run_recipe",
    "l2_gradient",
    "l2_penalty",
    "MNIST",
    "History",
    "TrainingDiverged",
    "backward_prop",
    "cross_entropy",
    "evaluate",
    "forward_prop",
    "get_accuracy",
    "get_predictions",
    "gradient_descent",
    "init_params",
    "load_mnist",
    "load_params",
    "load_sample",
    "one_hot",
    "predict",
    "predict_proba",
    "read_idx",
    "read_kaggle_csv",
    "relu",
    "relu_deriv",
    "save_params",
    "softmax",
    "train",
    "train_dev_split",
    "update_params",
]
