"""Checkers for chapter 1: the first layer and the whole forward pass."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks.compare import as_array, close, expect_array, expect_arrays, first_mistake
from helpers.checks.core import PARAM_LABELS, call_student, checker, fail, succeed
from helpers.nn import forward_prop as reference_forward_prop
from helpers.nn import relu, softmax

# (hidden units, examples): the course's 10 hidden units, then other sizes, so that a
# function with a hard-coded 10 or m fails, and a single hidden unit (h = 1), where squeezing
# an (h, 1) bias leaves no axis at all.
CASES = ((10, 6), (16, 1), (1, 3))


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


def _first_layer_problem(Z1: np.ndarray, p: dict[str, np.ndarray]) -> str | None:
    """Name a common mistake in Z1 (shape already right), or None."""
    W1, b1, X = p["W1"], p["b1"], p["X"]
    expected = W1 @ X + b1
    if close(Z1, expected):
        return None
    return first_mistake(
        Z1,
        [
            (W1 @ X, "Z1 is missing the bias b1"),
            (
                (W1 + b1) @ X,
                "b1 was added to the weights W1 before the product; the bias belongs to Z1, not W1",
            ),
            (
                W1 @ X + b1[0] if b1.shape[0] > 1 else None,
                "every unit got the bias of unit 0: each unit (row) has its own entry in b1",
            ),
            (
                relu(expected),
                "Z1 has the ReLU applied already; Z1 is the layer's value before the activation",
            ),
        ],
    )


def _first_layer_inputs() -> list[tuple[str, dict[str, np.ndarray]]]:
    """(hint, network): the sizes of CASES, then raw uint8 pixels beside a blank image, and a
    float32 network (chapter 7 trains in float32)."""
    cases = [(f"with {h} hidden units and m = {m}", network(h, m)) for h, m in CASES]
    raw = network(3, 4, seed=5)
    raw["X"] = np.random.default_rng(5).integers(0, 256, (784, 4), dtype=np.uint8)
    raw["X"][:, 0] = 0
    cases.append(("on raw uint8 pixels (0..255) beside a blank image", raw))
    cases.append(
        ("with float32 inputs", {k: v.astype(np.float32) for k, v in network(10, 5, seed=6).items()})
    )
    return cases


@checker
def check_first_layer(first_layer: Callable[..., np.ndarray]) -> None:
    """Check ``first_layer(W1, b1, X)``: Z1 = W1 X + b1, shape (h, m), also on uint8 pixels and
    float32 inputs."""
    name = "first_layer"
    for hint, p in _first_layer_inputs():
        expected = p["W1"].astype(np.float64) @ p["X"] + p["b1"]
        args = (p["W1"], p["b1"], p["X"])
        Z1 = as_array(name, "Z1", call_student(name, first_layer, *args, labels=("W1", "b1", "X")))
        problem = _first_layer_problem(Z1, p) if Z1.shape == expected.shape else None
        if problem:
            fail(name, f"the shape is right but the values are off: {problem} ({hint})")
        expect_array(name, "Z1", Z1, expected, hint=hint, dtype=p["W1"].dtype)
    succeed(name)


def _large_logits() -> dict[str, np.ndarray]:
    """A network fed raw 0..255 pixels, a blank image first, so that its logits Z2 lie in the
    thousands in some columns and near 0 in the blank one."""
    p = network(10, 3, seed=4)
    p["W2"] = p["W2"] * 6
    p["X"] = np.zeros((784, 3))
    p["X"][:, 1] = 255.0
    p["X"][:, 2] = np.random.default_rng(4).integers(0, 256, 784)
    return p


def _z2_problem(Z2: np.ndarray, want: dict[str, np.ndarray], p: dict[str, np.ndarray]) -> str | None:
    """Name a common mistake in Z2 (shape already right), or None."""
    if close(Z2, want["Z2"]):
        return None
    W2A1 = p["W2"] @ want["A1"]
    return first_mistake(
        Z2,
        [
            (p["W2"] @ want["Z1"] + p["b2"], "Z2 is computed from Z1, expected the activations A1"),
            (W2A1, "Z2 is missing the bias b2"),
            (
                W2A1 + p["b1"] if p["b1"].shape == p["b2"].shape else None,
                "Z2 adds b1, the hidden layer's bias, where the output layer's b2 belongs",
            ),
        ],
    )


@checker
def check_forward_prop(forward_prop: Callable[..., tuple]) -> None:
    """Check ``forward_prop(W1, b1, W2, b2, X)`` -> (Z1, A1, Z2, A2) against the reference, also
    on raw pixels, whose large logits break a softmax that does not guard against overflow, and
    on float32 inputs."""
    name = "forward_prop"
    labels = ("Z1", "A1", "Z2", "A2")
    cases = [(f"with {h} hidden units and m = {m}", network(h, m)) for h, m in CASES]
    cases.append(("on raw 0..255 pixels, whose logits Z2 are large (thousands)", _large_logits()))
    cases.append(
        ("with float32 inputs", {k: v.astype(np.float32) for k, v in network(10, 5, seed=6).items()})
    )
    for hint, p in cases:
        args = tuple(p[k] for k in PARAM_LABELS + ("X",))
        result = call_student(name, forward_prop, *args, labels=(*PARAM_LABELS, "X"))
        got = expect_arrays(name, result, labels)
        want = dict(zip(labels, reference_forward_prop(*(a.astype(np.float64) for a in args))))
        dtype = p["X"].dtype
        expect_array(name, "Z1", got["Z1"], want["Z1"], hint=hint, dtype=dtype)
        if close(got["A1"], want["Z1"]) and not close(got["A1"], want["A1"]):
            fail(name, "A1 equals Z1: the activation is missing")
        expect_array(name, "A1", got["A1"], want["A1"], hint=hint, dtype=dtype)
        problem = _z2_problem(got["Z2"], want, p) if got["Z2"].shape == want["Z2"].shape else None
        if problem:
            fail(name, problem)
        expect_array(name, "Z2", got["Z2"], want["Z2"], hint=hint, dtype=dtype)
        problem = first_mistake(
            got["A2"],
            [
                (relu(want["Z2"]), "A2 uses ReLU, expected softmax on the output layer"),
                (
                    softmax(want["Z2"].T).T,
                    "A2: the softmax runs along the wrong axis (each column should sum to 1)",
                ),
            ],
        )
        if problem and not close(got["A2"], want["A2"]):
            fail(name, problem)
        expect_array(name, "A2", got["A2"], want["A2"], hint=hint, dtype=dtype)
    succeed(name)
