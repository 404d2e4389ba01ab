"""The public API: every name of the contract is importable from the ``helpers`` top level, and
an installed (not editable) copy carries its package data."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONTRACT = [
    "init_params",
    "relu",
    "relu_deriv",
    "softmax",
    "forward_prop",
    "backward_prop",
    "update_params",
    "cross_entropy",
    "get_predictions",
    "get_accuracy",
    "gradient_descent",
    "train",
    "save_params",
    "load_params",
    "read_idx",
    "load_sample",
    "load_mnist",
    "one_hot",
    "train_dev_split",
    "RECIPES",
]


@pytest.mark.parametrize("name", CONTRACT)
def test_contract_name_importable_from_top_level(name):
    helpers = importlib.import_module("helpers")
    assert hasattr(helpers, name), f"helpers does not export {name}"
    obj = getattr(helpers, name)
    if name == "RECIPES":
        assert isinstance(obj, dict) and obj
    else:
        assert callable(obj)
        assert obj.__doc__, f"helpers.{name} has no docstring"


def test_contract_names_in_all():
    helpers = importlib.import_module("helpers")
    missing = sorted(set(CONTRACT) - set(helpers.__all__))
    assert not missing, f"not in helpers.__all__: {missing}"


def test_star_import():
    namespace: dict = {}
    exec("from helpers import *", namespace)
    assert set(CONTRACT) <= set(namespace)


def test_reexports_are_the_module_objects():
    helpers = importlib.import_module("helpers")
    nn = importlib.import_module("helpers.nn")
    data = importlib.import_module("helpers.data")
    models = importlib.import_module("helpers.models")
    training = importlib.import_module("helpers.training")
    for name in CONTRACT:
        if name == "RECIPES":
            continue
        source = next(module for module in (nn, training, models, data) if hasattr(module, name))
        assert getattr(helpers, name) is getattr(source, name), name


@pytest.mark.slow  # builds and installs the package: about half a minute
def test_non_editable_install_ships_the_offline_sample(tmp_path):
    """``pip install .`` (not editable) installs the sample: load_sample works outside the checkout."""
    root = Path(__file__).resolve().parents[1]
    source = tmp_path / "source"  # a copy, so that the build leaves nothing in the checkout
    shutil.copytree(root / "helpers", source / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(root / name, source / name)
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", site, source],
        check=True,
        capture_output=True,
    )
    code = (
        "import helpers.data as d; X, y = d.load_sample(); "
        "print(d.__file__.startswith(sys.argv[1]), X.shape, y.sum())"
    )
    out = subprocess.run(
        [sys.executable, "-c", "import sys; " + code, str(site)],
        cwd=tmp_path,  # outside the checkout: only the installed copy can be imported
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "(784,", "5000)", str(500 * 45)]
