"""Named training recipes: one source for the CLI, the notebooks, the benchmark and the README.

``RECIPES[name]`` is a :class:`Recipe`: the keyword arguments of its trainer, a dict, with the
trainer's name in ``.trainer``: ``"gradient_descent"`` (full batch) or ``"train"``
(mini-batches). :func:`fit` is the one place that turns that name into a function, from the
fast engine :mod:`helpers.fast`; :func:`run_recipe` trains with a recipe.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers import fast
from helpers.nn import Params
from helpers.training import History

TRAINERS: dict[str, Callable[..., tuple[Params, History]]] = {
    "gradient_descent": fast.gradient_descent,  # full batch: X, Y, alpha, iterations, ...
    "train": fast.train,  # mini-batches: X, Y, epochs=, batch_size=, alpha=, ...
}


class Recipe(dict):
    """A recipe's settings (the keyword arguments of its trainer) and, in ``trainer``, its name."""

    def __init__(self, trainer: str, **settings) -> None:
        if trainer not in TRAINERS:
            raise ValueError(f"trainer must be one of {', '.join(TRAINERS)}, got {trainer!r}")
        super().__init__(**settings)
        self.trainer = trainer


RECIPES: dict[str, Recipe] = {
    # The course notes: 784-10-10, uniform(-0.5, 0.5) init, full-batch gradient descent.
    "notes": Recipe(
        "gradient_descent", n_hidden=10, alpha=0.1, iterations=500, scheme="notes", dtype=np.float32
    ),
    # The same architecture, He init, mini-batches of 64, momentum 0.9 and a learning rate
    # decaying linearly to 0. On full MNIST: 94.9, 94.7 and 94.0 % test accuracy for seeds 0-2,
    # in about 3 s; ten hidden units leave little more to gain.
    "fast": Recipe(
        "train", n_hidden=10, epochs=40, batch_size=64, alpha=0.02, momentum=0.9, schedule="linear"
    ),
    # A wider hidden layer: 128 units, batches of 256 (larger matrix products run closer to the
    # CPU's peak), momentum 0.9, linear decay, 30 epochs: 98.1 % test accuracy (98.13, 98.14,
    # 98.03 for seeds 0-2) in about 6.5 s; 20 epochs leave one seed below 98 %.
    "wide": Recipe(
        "train", n_hidden=128, epochs=30, batch_size=256, alpha=0.2, momentum=0.9, schedule="linear"
    ),
}


def fit(trainer: str, X: np.ndarray, Y: np.ndarray, **settings) -> tuple[Params, History]:
    """Train on X (784, m), Y labels (m,) with ``trainer`` ("gradient_descent" or "train").

    ``settings`` are the trainer's keyword arguments (full batch: ``alpha`` and ``iterations``
    among them; mini-batches: ``epochs`` and ``batch_size``).
    """
    if trainer not in TRAINERS:
        raise ValueError(f"trainer must be one of {', '.join(TRAINERS)}, got {trainer!r}")
    return TRAINERS[trainer](X, Y, **settings)


def run_recipe(name: str, X: np.ndarray, Y: np.ndarray, **overrides) -> tuple[Params, History]:
    """Train with recipe ``name`` on X (784, m), Y labels (m,); ``overrides`` replace its settings."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; choose one of {', '.join(RECIPES)}")
    recipe = RECIPES[name]
    return fit(recipe.trainer, X, Y, **{**recipe, **overrides})
