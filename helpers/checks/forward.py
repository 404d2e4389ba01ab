"""Checkers for chapter 1: the first layer and the whole forward pass."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks.core import as_array, call_student, expect_array, expect_tuple, fail, succeed
from helpers.nn import forward_prop as reference_forward_prop
from helpers.nn import relu, softmax

# (hidden units, examples): the course's 10 hidden units, then another size, so that a
# function with a hard-coded 10 or m fails.
CASES = ((10, 6), (16, 1))


def network(n_hidden: int, m: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Fixed random inputs: W1 (h, 784), b1 (h, 1), W2 (10, h), b2 (10, 1), X (784, m) in [0, 1].

    The biases are non-zero so that a forgotten bias shows.
    """
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(0, 0.05, (n_hidden, 784)),
        "b1": rng.normal(0, 0.5, (n_hidden, 1)),
        "W2": rng.normal(0, 0.5, (10, n_hidden)),
        "b2": rng.normal(0, 0.5, (10, 1)),
        "X": rng.random((784, m)),
    }


def check_first_layer(first_layer: Callable[..., np.ndarray]) -> None:
    """Check ``first_layer(W1, b1, X)``: Z1 = W1 X + b1, shape (h, m)."""
    name = "first_layer"
    for h, m in CASES:
        p = network(h, m)
        Z1 = as_array(name, "Z1", call_student(name, first_layer, p["W1"], p["b1"], p["X"]))
        expected = p["W1"] @ p["X"] + p["b1"]
        if Z1.shape == expected.shape and np.allclose(Z1, p["W1"] @ p["X"]):
            fail(name, "the shape is right but the values are off: Z1 is missing the bias b1")
        expect_array(name, "Z1", Z1, expected, hint=f"with {h} hidden units and m = {m}")
    succeed(name)


def check_forward_prop(forward_prop: Callable[..., tuple]) -> None:
    """Check ``forward_prop(W1, b1, W2, b2, X)`` -> (Z1, A1, Z2, A2) against the reference."""
    name = "forward_prop"
    labels = ("Z1", "A1", "Z2", "A2")
    for h, m in CASES:
        p = network(h, m)
        args = (p["W1"], p["b1"], p["W2"], p["b2"], p["X"])
        out = expect_tuple(name, call_student(name, forward_prop, *args), labels)
        got = dict(zip(labels, (as_array(name, k, v) for k, v in zip(labels, out))))
        want = dict(zip(labels, reference_forward_prop(*args)))
        hint = f"with {h} hidden units and m = {m}"
        expect_array(name, "Z1", got["Z1"], want["Z1"], hint=hint)
        if got["A1"].shape == want["A1"].shape and np.allclose(got["A1"], want["Z1"]):
            fail(name, "A1 equals Z1: the activation is missing")
        expect_array(name, "A1", got["A1"], want["A1"], hint=hint)
        if got["Z2"].shape == want["Z2"].shape:
            if np.allclose(got["Z2"], p["W2"] @ want["Z1"] + p["b2"]):
                fail(name, "Z2 is computed from Z1, expected the activations A1")
        expect_array(name, "Z2", got["Z2"], want["Z2"], hint=hint)
        if got["A2"].shape == want["A2"].shape:
            if np.allclose(got["A2"], relu(want["Z2"])):
                fail(name, "A2 uses ReLU, expected softmax on the output layer")
            if np.allclose(got["A2"], softmax(want["Z2"].T).T):
                fail(name, "A2: the softmax runs along the wrong axis (each column should sum to 1)")
        expect_array(name, "A2", got["A2"], want["A2"], hint=hint)
    succeed(name)
