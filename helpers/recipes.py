"""Named training recipes: one source for the CLI, the notebooks, the benchmark and the README.

``RECIPES[name]`` is a :class:`Recipe`: a dict of its trainer's keyword arguments, with the
trainer itself, a function of the fast engine :mod:`helpers.fast`, in ``.train``. So
``recipe.train(X, y, **recipe)`` trains with it, and ``{**RECIPES["fast"], "epochs": 2}``
passes its settings to another trainer.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers import fast
from helpers.nn import Params
from helpers.training import History

Trainer = Callable[..., tuple[Params, History]]


class Recipe(dict):
    """A recipe's settings (the keyword arguments of its trainer) and, in ``train``, the trainer."""

    def __init__(self, train: Trainer, **settings) -> None:
        if not callable(train):
            raise TypeError(f"a recipe's trainer must be a function, got {train!r}")
        super().__init__(**settings)
        self.train = train


RECIPES: dict[str, Recipe] = {
    # The course notes: 784-10-10, uniform(-0.5, 0.5) init, full-batch gradient descent.
    "notes": Recipe(
        fast.gradient_descent, n_hidden=10, alpha=0.1, iterations=500, scheme="notes", dtype=np.float32
    ),
    # The same architecture, He init, mini-batches of 64, momentum 0.9 and a learning rate
    # decaying linearly to 0 (its accuracy and time: benchmarks/README.md).
    "fast": Recipe(
        fast.train, n_hidden=10, epochs=40, batch_size=64, alpha=0.02, momentum=0.9, schedule="linear"
    ),
    # A wider hidden layer: 128 units, batches of 256 (larger matrix products run closer to the
    # CPU's peak), momentum 0.9, linear decay, 30 epochs (20 leave one seed below 98 %).
    "wide": Recipe(
        fast.train, n_hidden=128, epochs=30, batch_size=256, alpha=0.2, momentum=0.9, schedule="linear"
    ),
}


def run_recipe(name: str, X: np.ndarray, Y: np.ndarray, **overrides) -> tuple[Params, History]:
    """Train with recipe ``name`` on X (784, m), Y labels (m,); ``overrides`` replace its settings."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; choose one of {', '.join(RECIPES)}")
    recipe = RECIPES[name]
    return recipe.train(X, Y, **{**recipe, **overrides})
