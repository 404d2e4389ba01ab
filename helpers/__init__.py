"""helpers: the math and plumbing of the course "A neural network from scratch".

The notebooks explain and call these functions; everything public is importable from here::

    from helpers import load_mnist, forward_prop, backward_prop, train
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
from helpers.nn import (
    History,
    TrainingDiverged,
    backward_prop,
    cross_entropy,
    evaluate,
    forward_prop,
    get_accuracy,
    get_predictions,
    gradient_descent,
    init_params,
    load_params,
    predict,
    predict_proba,
    relu,
    relu_deriv,
    save_params,
    softmax,
    train,
    update_params,
)
from helpers.plots import (
    plot_confusion,
    plot_digit,
    plot_digits,
    plot_history,
    plot_mistakes,
    plot_probabilities,
    plot_weights,
)
from helpers.recipes import RECIPES, run_recipe

__all__ = [
    "image_to_column",
    "image_to_grid",
    "confusion_matrix",
    "most_confused_pairs",
    "per_class_accuracy",
    "top_mistakes",
    "plot_confusion",
    "plot_digit",
    "plot_digits",
    "plot_history",
    "plot_mistakes",
    "plot_probabilities",
    "plot_weights",
    "DownloadError",
    "download_mnist",
    "RECIPES",
    "run_recipe",
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
