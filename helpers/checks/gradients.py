"""Checkers for chapter 3: the gradients of backpropagation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks.core import as_array, call_student, expect_array, expect_tuple, fail, succeed
from helpers.checks.forward import CASES, network
from helpers.data import one_hot
from helpers.nn import backward_prop as reference_backward_prop
from helpers.nn import forward_prop, relu_deriv


def _pass(h: int, m: int, seed: int = 0) -> dict[str, np.ndarray]:
    """The fixed network of :func:`helpers.checks.forward.network` after a forward pass, with
    one-hot labels Y (10, m) and the reference's intermediate gradients dZ2 and dZ1."""
    p = network(h, m, seed)
    p["Z1"], p["A1"], p["Z2"], p["A2"] = forward_prop(p["W1"], p["b1"], p["W2"], p["b2"], p["X"])
    p["Y"] = one_hot(np.random.default_rng(seed + 1).integers(0, 10, m))
    p["dZ2"] = p["A2"] - p["Y"]
    p["dZ1"] = (p["W2"].T @ p["dZ2"]) * relu_deriv(p["Z1"])
    return p


def _expect_bias(name: str, label: str, got: np.ndarray, dZ: np.ndarray, hint: str) -> None:
    """Compare a bias gradient with the mean of ``dZ`` over the examples, naming the usual slips."""
    expected = dZ.mean(axis=1, keepdims=True)
    if got.shape == expected.shape and not np.allclose(got, expected):
        if np.allclose(got, np.abs(dZ).mean(axis=1, keepdims=True)):
            fail(name, f"{label} averages the absolute errors; the signs of the errors matter")
    if got.size == 1 and expected.size > 1:
        fail(name, f"{label} is a single number, expected shape {expected.shape}: one value per unit")
    expect_array(name, label, got, expected, hint=hint)


def check_output_layer_grads(output_layer_grads: Callable[..., tuple]) -> None:
    """Check ``output_layer_grads(A1, A2, Y)`` -> (dZ2 (10, m), dW2 (10, h), db2 (10, 1))."""
    name = "output_layer_grads"
    for h, m in CASES:
        p = _pass(h, m)
        A2 = p["A2"].copy()
        out = call_student(name, output_layer_grads, p["A1"], A2, p["Y"], _copy_args=False)
        if not np.array_equal(A2, p["A2"]):
            fail(name, "it changed its input A2 in place; leave the inputs as they are")
        out = expect_tuple(name, out, ("dZ2", "dW2", "db2"))
        dZ2, dW2, db2 = (as_array(name, k, v) for k, v in zip(("dZ2", "dW2", "db2"), out))
        hint = f"with {h} hidden units and m = {m}"
        expect_array(name, "dZ2", dZ2, p["dZ2"], hint=hint)
        expect_array(name, "dW2", dW2, p["dZ2"] @ p["A1"].T / m, hint=hint)
        _expect_bias(name, "db2", db2, p["dZ2"], hint)
    succeed(name)


def check_hidden_layer_grads(hidden_layer_grads: Callable[..., tuple]) -> None:
    """Check ``hidden_layer_grads(Z1, W2, dZ2, X)`` -> (dZ1 (h, m), dW1 (h, 784), db1 (h, 1))."""
    name = "hidden_layer_grads"
    for h, m in CASES:
        p = _pass(h, m)
        out = call_student(name, hidden_layer_grads, p["Z1"], p["W2"], p["dZ2"], p["X"])
        out = expect_tuple(name, out, ("dZ1", "dW1", "db1"))
        dZ1, dW1, db1 = (as_array(name, k, v) for k, v in zip(("dZ1", "dW1", "db1"), out))
        hint = f"with {h} hidden units and m = {m}"
        if dZ1.shape == p["dZ1"].shape and np.allclose(dZ1, p["W2"].T @ p["dZ2"]):
            if not np.allclose(dZ1, p["dZ1"]):
                fail(name, "dZ1 ignores the ReLU: units that were off (Z1 <= 0) must get no gradient")
        expect_array(name, "dZ1", dZ1, p["dZ1"], hint=hint)
        expect_array(name, "dW1", dW1, p["dZ1"] @ p["X"].T / m, hint=hint)
        _expect_bias(name, "db1", db1, p["dZ1"], hint)
    succeed(name)


def check_backward_prop(backward_prop: Callable[..., tuple]) -> None:
    """Check ``backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)`` -> (dW1, db1, dW2, db2), Y one-hot."""
    name = "backward_prop"
    labels = ("dW1", "db1", "dW2", "db2")
    for h, m in CASES:
        p = _pass(h, m)
        args = tuple(p[k] for k in ("Z1", "A1", "Z2", "A2", "W1", "W2", "X", "Y"))
        out = expect_tuple(name, call_student(name, backward_prop, *args), labels)
        got = dict(zip(labels, (as_array(name, k, v) for k, v in zip(labels, out))))
        want = dict(zip(labels, reference_backward_prop(*args)))
        hint = f"with {h} hidden units and m = {m}"
        for label in ("dW2", "db2", "dW1", "db1"):
            if label.startswith("db"):
                _expect_bias(name, label, got[label], p["dZ" + label[-1]], hint)
            expect_array(name, label, got[label], want[label], hint=hint)
    succeed(name)
