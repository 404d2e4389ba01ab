"""Checkers for chapter 3: the gradients of backpropagation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks.compare import close, expect_array, expect_arrays, first_mistake
from helpers.checks.core import GRAD_LABELS, call_student, checker, fail, succeed
from helpers.checks.forward import CASES, network
from helpers.data import one_hot
from helpers.nn import backward_prop as reference_backward_prop
from helpers.nn import relu, relu_deriv, softmax


def _pass(h: int, m: int, seed: int = 0) -> dict[str, np.ndarray]:
    """The fixed network of :func:`helpers.checks.forward.network` after a forward pass, with
    one-hot labels Y (10, m) and the reference's intermediate gradients dZ2 and dZ1.

    Every third entry of Z1 is exactly 0 (a unit on the edge of ReLU, whose slope the course
    takes as 0), so that ``Z1 >= 0`` in place of ``Z1 > 0`` shows.
    """
    p = network(h, m, seed)
    Z1 = p["W1"] @ p["X"] + p["b1"]
    Z1.flat[::3] = 0.0
    p["Z1"], p["A1"] = Z1, relu(Z1)
    p["Z2"] = p["W2"] @ p["A1"] + p["b2"]
    p["A2"] = softmax(p["Z2"])
    p["Y"] = one_hot(np.random.default_rng(seed + 1).integers(0, 10, m))
    p["dZ2"] = p["A2"] - p["Y"]
    p["dZ1"] = (p["W2"].T @ p["dZ2"]) * relu_deriv(p["Z1"])
    return p


def _scale_problem(
    label: str, got: np.ndarray, expected: np.ndarray, m: int, counts: dict[int, str]
) -> str | None:
    """Name a gradient that is ``expected`` divided by the wrong count, or None: a sum over the
    m examples, or a division by another of the problem's ``counts`` (count -> what it counts:
    the pixels per image, n = 784 in the notes' slip, the hidden units, the classes)."""
    if got.shape != expected.shape or close(got, expected):
        return None
    if m > 1 and close(got, expected * m):
        return f"{label} is m = {m} times too large: a sum over the examples, expected their mean"
    for count, what in counts.items():
        if count != m and close(got, expected * m / count):
            return f"{label} looks divided by {count} ({what}) instead of m = {m} (the examples)"
    return None


def _counts(p: dict[str, np.ndarray]) -> dict[int, str]:
    """The sizes of the problem other than m: count -> what it counts (equal counts merged)."""
    counts: dict[int, list[str]] = {}
    for count, what in ((p["X"].shape[0], "n, the pixels per image"), (p["A1"].shape[0], "the hidden units")):
        counts.setdefault(count, []).append(what)
    counts.setdefault(p["A2"].shape[0], []).append("the classes")
    return {count: " or ".join(whats) for count, whats in counts.items()}


def _expect_gradient(
    name: str, label: str, got: np.ndarray, expected: np.ndarray, p: dict, hint: str
) -> None:
    """expect_array for a gradient, naming a division by the wrong count first."""
    problem = _scale_problem(label, got, expected, p["X"].shape[1], _counts(p))
    if problem:
        fail(name, f"the shape is right but the values are off: {problem} ({hint})")
    expect_array(name, label, got, expected, hint=hint)


def _expect_bias(name: str, label: str, got: np.ndarray, dZ: np.ndarray, hint: str) -> None:
    """Compare a bias gradient with the mean of ``dZ`` over the examples, naming the usual slips."""
    expected = dZ.mean(axis=1, keepdims=True)
    if got.shape == expected.shape and not close(got, expected):
        if close(got, np.abs(dZ).mean(axis=1, keepdims=True)):
            fail(name, f"{label} averages the absolute errors; the signs of the errors matter")
    if got.size == 1 and expected.size > 1:
        fail(name, f"{label} is a single number, expected shape {expected.shape}: one value per unit")
    scaled = got.shape == expected.shape and dZ.shape[1] > 1 and not close(got, expected)
    if scaled and close(got, expected * dZ.shape[1]):
        fail(
            name,
            f"{label} is m = {dZ.shape[1]} times too large: a sum over the examples, expected their mean",
        )
    expect_array(name, label, got, expected, hint=hint)


def _cases() -> list[tuple[str, dict[str, np.ndarray]]]:
    """(hint, forward pass) for the gradient checkers: the sizes of CASES, then one-hot labels
    stored as integers."""
    cases = [(f"with {h} hidden units and m = {m}", _pass(h, m)) for h, m in CASES]
    p = _pass(4, 5, seed=7)
    p["Y"] = p["Y"].astype(np.int64)
    cases.append(("with an integer one-hot Y", p))
    return cases


@checker
def check_output_layer_grads(output_layer_grads: Callable[..., tuple]) -> None:
    """Check ``output_layer_grads(A1, A2, Y)`` -> (dZ2 (10, m), dW2 (10, h), db2 (10, 1))."""
    name = "output_layer_grads"
    for hint, p in _cases():
        m = p["X"].shape[1]
        result = call_student(name, output_layer_grads, p["A1"], p["A2"], p["Y"], labels=("A1", "A2", "Y"))
        got = expect_arrays(name, result, ("dZ2", "dW2", "db2"))
        expect_array(name, "dZ2", got["dZ2"], p["dZ2"], hint=hint)
        _expect_gradient(name, "dW2", got["dW2"], p["dZ2"] @ p["A1"].T / m, p, hint)
        _expect_bias(name, "db2", got["db2"], p["dZ2"], hint)
    succeed(name)


def _dz1_problem(dZ1: np.ndarray, p: dict[str, np.ndarray]) -> str | None:
    """Name a common mistake in dZ1 (shape already right), or None."""
    if close(dZ1, p["dZ1"]):
        return None
    back = p["W2"].T @ p["dZ2"]
    square = p["W2"].shape[0] == p["W2"].shape[1]
    return first_mistake(
        dZ1,
        [
            (back, "dZ1 ignores the ReLU: units that were off (Z1 <= 0) must get no gradient"),
            (
                back * (p["Z1"] >= 0),
                "dZ1 is wrong where Z1 = 0: the course takes ReLU'(0) = 0, so those units get no gradient",
            ),
            (back * relu(p["Z1"]), "dZ1 is multiplied by ReLU(Z1) itself, expected by ReLU's slope at Z1"),
            (
                (p["W2"] @ p["dZ2"]) * relu_deriv(p["Z1"]) if square else None,
                "dZ1 sends dZ2 back through W2 as it is; going backwards, W2's rows and columns swap roles",
            ),
        ],
    )


@checker
def check_hidden_layer_grads(hidden_layer_grads: Callable[..., tuple]) -> None:
    """Check ``hidden_layer_grads(Z1, W2, dZ2, X)`` -> (dZ1 (h, m), dW1 (h, 784), db1 (h, 1))."""
    name = "hidden_layer_grads"
    for hint, p in _cases():
        m = p["X"].shape[1]
        labels = ("Z1", "W2", "dZ2", "X")
        result = call_student(name, hidden_layer_grads, *(p[k] for k in labels), labels=labels)
        got = expect_arrays(name, result, ("dZ1", "dW1", "db1"))
        problem = _dz1_problem(got["dZ1"], p) if got["dZ1"].shape == p["dZ1"].shape else None
        if problem:
            fail(name, f"{problem} ({hint})")
        expect_array(name, "dZ1", got["dZ1"], p["dZ1"], hint=hint)
        _expect_gradient(name, "dW1", got["dW1"], p["dZ1"] @ p["X"].T / m, p, hint)
        _expect_bias(name, "db1", got["db1"], p["dZ1"], hint)
    succeed(name)


@checker
def check_backward_prop(backward_prop: Callable[..., tuple]) -> None:
    """Check ``backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)`` -> (dW1, db1, dW2, db2), Y one-hot."""
    name = "backward_prop"
    inputs = ("Z1", "A1", "Z2", "A2", "W1", "W2", "X", "Y")
    for hint, p in _cases():
        args = tuple(p[k] for k in inputs)
        got = expect_arrays(name, call_student(name, backward_prop, *args, labels=inputs), GRAD_LABELS)
        want = dict(zip(GRAD_LABELS, reference_backward_prop(*args)))
        for label in ("dW2", "db2", "dW1", "db1"):
            if label.startswith("db"):
                _expect_bias(name, label, got[label], p["dZ" + label[-1]], hint)
            _expect_gradient(name, label, got[label], want[label], p, hint)
    succeed(name)
