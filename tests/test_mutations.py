"""A mutation suite for the exercise checkers: the mistakes students really make, for every
exercise, each rejected by the visible checker with a verdict that names the problem (without
the code of the fix) and by the exercise's hidden tests in the notebook.

Each exercise lists its mutants as solution bodies: the text that replaces the notebook's
``### BEGIN SOLUTION`` .. ``### END SOLUTION`` block. For an exercise in the notebooks the
function around it is the notebook's own solution cell and the hidden tests are those of the
locked check cell after it; an exercise that no notebook holds yet (the teaching round's new
ones) uses the reference cell written here, and its hidden tests are checked once a notebook
gains a check cell for it.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import pytest

import helpers
import helpers.checks
import helpers.checks.training
from helpers.checks import CheckFailed

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SOLUTION = re.compile(r"( *)### BEGIN SOLUTION\n.*?### END SOLUTION\n?", re.S)
#: Code that a verdict must never contain: it would hand the student the fix.
CODE = ("np.", "keepdims", "axis=", ".T", "@", "return np", "return (", "astype", "[:,", "lambda")


@dataclass(frozen=True)
class Mutant:
    """A wrong solution: ``body`` replaces the solution block; the verdict must contain every
    one of ``words`` (case-insensitive) and none of ``not_words``."""

    id: str
    body: str
    words: tuple[str, ...]
    not_words: tuple[str, ...] = ()


M = Mutant

#: solution grade_id -> the notebook-free reference cell of the teaching round's new exercises.
NEW_EXERCISES = {
    "momentum_step": '''
def momentum_step(params, velocities, grads, alpha, beta):
    """One momentum step: V := beta V + dP, then P := P - alpha V, for every parameter."""
    ### BEGIN SOLUTION
    new_v = tuple(beta * V + dP for V, dP in zip(velocities, grads))
    new_p = tuple(P - alpha * V for P, V in zip(params, new_v))
    return new_p, new_v
    ### END SOLUTION
''',
    "linear_decay": '''
def linear_decay(alpha, step, total_steps):
    """The learning rate at step `step` (0, 1, ..., total_steps - 1): alpha down to 0."""
    ### BEGIN SOLUTION
    return alpha * (1 - step / total_steps)
    ### END SOLUTION
''',
    "l2_gradient": '''
def l2_gradient(grads, params, lambd, m):
    """The gradients of the loss plus (lambd / 2m) (sum W1^2 + sum W2^2)."""
    ### BEGIN SOLUTION
    dW1, db1, dW2, db2 = grads
    W1, b1, W2, b2 = params
    return dW1 + lambd / m * W1, db1, dW2 + lambd / m * W2, db2
    ### END SOLUTION
''',
    "neuron_backprop": '''
def neuron_backprop(w, b, x, t):
    """dL/dw and dL/db for L = (relu(w x + b) - t)^2, all scalars."""
    ### BEGIN SOLUTION
    z = w * x + b
    y = max(z, 0.0)
    dy = 2 * (y - t)
    dz = dy * (1.0 if z > 0 else 0.0)
    return dz * x, dz
    ### END SOLUTION
''',
    "softmax_jacobian": '''
def softmax_jacobian(a):
    """J[i, j] = d a_i / d z_j for one column of probabilities a (k,): J (k, k)."""
    ### BEGIN SOLUTION
    return np.diag(a) - np.outer(a, a)
    ### END SOLUTION
''',
}

#: The notebook's training loop with a slot before and after the update, for its mutants.
LOOP = """W1, b1, W2, b2 = params
losses = []
for _ in range(iterations):
    Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
    {before}
    dW1, db1, dW2, db2 = backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)
    W1, b1, W2, b2 = update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha)
    {after}
return (W1, b1, W2, b2), losses"""

#: solution grade_id -> (checker name, mutants).
EXERCISES: dict[str, tuple[str, list[Mutant]]] = {
    # ---------------------------------------------------------------- chapter 0
    "scale_pixels": (
        "check_scale_pixels",
        [
            M("integer division", "return rows // 255", ("integer",)),
            M("divides by 256", "return rows / 256.0", ("255",)),
            M("divides by the image's max", "return rows / rows.max()", ("largest pixel",)),
            M("overwrites its input", "rows[...] = rows / 255.0\nreturn rows / 255.0", ("input", "in place")),
            M("flattens every image", "return rows.reshape(rows.shape[0], -1) / 255.0", ("shape",)),
            M("standardises", "return (rows - rows.mean()) / rows.std()", ("[0, 1]",)),
            M("centres on zero", "return rows / 255.0 - 0.5", ("[0, 1]",)),
        ],
    ),
    "one_hot": (
        "check_one_hot",
        [
            M(
                "ignores num_classes",
                "Y = np.zeros((10, y.size))\nY[y, np.arange(y.size)] = 1\nreturn Y",
                ("num_classes",),
            ),
            M(
                "classes from the data",
                "Y = np.zeros((y.max() + 1, y.size))\nY[y, np.arange(y.size)] = 1\nreturn Y",
                ("shape",),
            ),
            M(
                "examples as rows",
                "Y = np.zeros((y.size, num_classes))\nY[np.arange(y.size), y] = 1\nreturn Y",
                ("transposed",),
            ),
            M("whole rows set", "Y = np.zeros((num_classes, y.size))\nY[y, :] = 1\nreturn Y", ("column",)),
            M(
                "labels shifted by one",
                "Y = np.zeros((num_classes, y.size))\nY[y - 1, np.arange(y.size)] = 1\nreturn Y",
                ("shifted",),
            ),
            M("returns the labels", "return y", ("shape",)),
        ],
    ),
    # ---------------------------------------------------------------- chapter 1
    "first_layer": (
        "check_first_layer",
        [
            M("missing bias", "return W1 @ X", ("bias",)),
            M("bias added into W1", "return (W1 + b1) @ X", ("b1", "w1")),
            M("examples as rows", "return X.T @ W1.T + b1.T", ("transposed",)),
            M("bias squeezed", "return W1 @ X + b1.squeeze()", ("shape",)),
            M("bias of one unit", "return W1 @ X + b1[0]", ("b1",)),
            M("with the ReLU", "return np.maximum(W1 @ X + b1, 0)", ("relu",)),
            M("squeeze then newaxis", "return W1 @ X + b1.squeeze()[:, np.newaxis]", ("raised",)),
        ],
    ),
    "forward_prop": (
        "check_forward_prop",
        [
            M(
                "naive softmax",
                "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ A1 + b2\n"
                "A2 = np.exp(Z2) / np.exp(Z2).sum(axis=0)\nreturn Z1, A1, Z2, A2",
                ("large",),
            ),
            M(
                "softmax shifted by the global max",
                "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ A1 + b2\n"
                "E = np.exp(Z2 - Z2.max())\nA2 = E / E.sum(axis=0)\nreturn Z1, A1, Z2, A2",
                ("large",),
            ),
            M(
                "no activation",
                "Z1 = W1 @ X + b1\nZ2 = W2 @ Z1 + b2\nreturn Z1, Z1, Z2, helpers.softmax(Z2)",
                ("activation",),
            ),
            M(
                "Z2 from Z1",
                "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ Z1 + b2\n"
                "return Z1, A1, Z2, helpers.softmax(Z2)",
                ("z1", "a1"),
            ),
            M(
                "ReLU on the output",
                "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ A1 + b2\n"
                "return Z1, A1, Z2, np.maximum(Z2, 0)",
                ("relu", "softmax"),
            ),
            M(
                "softmax over the wrong axis",
                "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ A1 + b2\n"
                "E = np.exp(Z2 - Z2.max(axis=1, keepdims=True))\n"
                "return Z1, A1, Z2, E / E.sum(axis=1, keepdims=True)",
                ("axis",),
            ),
            M(
                "b1 in place of b2",
                "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ A1 + b1\n"
                "return Z1, A1, Z2, helpers.softmax(Z2)",
                ("b1", "b2"),
            ),
            M(
                "missing b2",
                "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ A1\n"
                "return Z1, A1, Z2, helpers.softmax(Z2)",
                ("bias", "b2"),
            ),
        ],
    ),
    # ---------------------------------------------------------------- chapter 2
    "relu": (
        "check_relu",
        [
            M("np.max reduces", "return np.max(Z, 0)", ("shape",)),
            M("edits Z in place", "Z[Z < 0] = 0\nreturn Z", ("in place",)),
            M("absolute value", "return np.abs(Z)", ("negative",)),
            M("leaky", "return np.where(Z > 0, Z, 0.01 * Z)", ("negative",)),
            M("rounds to integers", "return np.maximum(Z, 0).astype(int)", ("whole",)),
            M(
                "only for 2-D arrays",
                "return np.array([[max(z, 0.0) for z in row] for row in Z])",
                ("raised",),
            ),
            M("Python's max", "return max(Z, 0)", ("raised",)),
        ],
    ),
    "relu_deriv": (
        "check_relu_deriv",
        [
            M("Z >= 0", "return (Z >= 0).astype(float)", ("z = 0",)),
            M("ReLU itself", "return np.maximum(Z, 0)", ("relu(z) itself",)),
            M("sign of Z", "return np.sign(Z)", ("z < 0",)),
            M("ones everywhere", "return np.ones_like(Z)", ("z < 0",)),
            M("edits Z in place", "Z[Z > 0] = 1\nZ[Z <= 0] = 0\nreturn Z", ("in place",)),
            M(
                "only for 2-D arrays",
                "return np.array([[1.0 if z > 0 else 0.0 for z in row] for row in Z])",
                ("raised",),
            ),
        ],
    ),
    "softmax": (
        "check_softmax",
        [
            M("naive", "E = np.exp(Z)\nreturn E / E.sum(axis=0, keepdims=True)", ("nan",)),
            M(
                "shifted by the global max",
                "E = np.exp(Z - Z.max())\nreturn E / E.sum(axis=0, keepdims=True)",
                ("nan", "column"),
            ),
            M(
                "shifted by the column mean",
                "E = np.exp(Z - Z.mean(axis=0, keepdims=True))\nreturn E / E.sum(axis=0, keepdims=True)",
                ("nan",),
            ),
            M(
                "sums reshaped into a column",
                "E = np.exp(Z - Z.max(axis=0, keepdims=True))\nreturn E / E.sum(axis=0).reshape(-1, 1)",
                ("broadcast",),
            ),
            M(
                "row maxima without keepdims",
                "E = np.exp(Z - Z.max(axis=1))\nreturn E / E.sum(axis=0)",
                ("shape",),
            ),
            M(
                "max over the wrong axis",
                "E = np.exp(Z - Z.max(axis=1, keepdims=True))\nreturn E / E.sum(axis=0, keepdims=True)",
                ("a[",),
            ),
            M(
                "rows sum to one",
                "E = np.exp(Z - Z.max(axis=1, keepdims=True))\nreturn E / E.sum(axis=1, keepdims=True)",
                ("rows",),
            ),
            M("global sum", "E = np.exp(Z - Z.max(axis=0))\nreturn E / E.sum()", ("sums to",)),
            M(
                "edits Z in place",
                "Z -= Z.max(axis=0, keepdims=True)\nE = np.exp(Z)\nreturn E / E.sum(axis=0, keepdims=True)",
                ("in place",),
            ),
        ],
    ),
    "cross_entropy": (
        "check_cross_entropy",
        [
            M("sign flipped", "return float(np.sum(Y * np.log(A2)) / Y.shape[1])", ("sign",)),
            M("total, not mean", "return float(-np.sum(Y * np.log(A2)))", ("total",)),
            M("mean over all entries", "return float(-np.mean(Y * np.log(A2)))", ("10 m",)),
            M("m from the wrong axis", "return float(-np.sum(Y * np.log(A2)) / Y.shape[0])", ("classes",)),
            M("log10", "return float(-np.sum(Y * np.log10(A2)) / Y.shape[1])", ("logarithm",)),
            M("one loss per example", "return -np.sum(Y * np.log(A2), axis=0)", ("single number",)),
            M(
                "log of the masked probabilities",
                "return float(-np.mean(np.log(np.sum(A2 * Y, axis=1))))",
                ("loss",),
            ),
            M(
                "probabilities clipped",
                "return float(-np.sum(Y * np.log(np.clip(A2, 1e-7, 1 - 1e-7))) / Y.shape[1])",
                ("certain",),
            ),
        ],
    ),
    # ---------------------------------------------------------------- chapter 3
    "output_layer_grads": (
        "check_output_layer_grads",
        [
            M(
                "dZ2 = Y - A2",
                "m = Y.shape[1]\ndZ2 = Y - A2\n"
                "return dZ2, dZ2 @ A1.T / m, dZ2.sum(axis=1, keepdims=True) / m",
                ("opposite sign",),
            ),
            M(
                "dW2 summed over examples",
                "m = Y.shape[1]\ndZ2 = A2 - Y\nreturn dZ2, dZ2 @ A1.T, dZ2.sum(axis=1, keepdims=True) / m",
                ("dw2", "sum", "mean"),
            ),
            M(
                "dW2 transposed",
                "m = Y.shape[1]\ndZ2 = A2 - Y\n"
                "return dZ2, A1 @ dZ2.T / m, dZ2.sum(axis=1, keepdims=True) / m",
                ("transposed",),
            ),
            M(
                "db2 one number",
                "m = Y.shape[1]\ndZ2 = A2 - Y\nreturn dZ2, dZ2 @ A1.T / m, np.sum(dZ2) / m",
                ("single number",),
            ),
            M(
                "db2 over the wrong axis",
                "m = Y.shape[1]\ndZ2 = A2 - Y\nreturn dZ2, dZ2 @ A1.T / m, dZ2.mean(axis=0)",
                ("db2", "shape"),
            ),
            M(
                "divided by the hidden units",
                "m = A1.shape[0]\ndZ2 = A2 - Y\n"
                "return dZ2, dZ2 @ A1.T / m, dZ2.sum(axis=1, keepdims=True) / m",
                ("hidden units",),
            ),
            M(
                "edits A2 in place",
                "m = Y.shape[1]\nA2 -= Y\nreturn A2, A2 @ A1.T / m, A2.sum(axis=1, keepdims=True) / m",
                ("in place",),
            ),
            M(
                "db2 of absolute errors",
                "m = Y.shape[1]\ndZ2 = A2 - Y\n"
                "return dZ2, dZ2 @ A1.T / m, np.abs(dZ2).mean(axis=1, keepdims=True)",
                ("absolute",),
            ),
        ],
    ),
    "hidden_layer_grads": (
        "check_hidden_layer_grads",
        [
            M(
                "Z1 >= 0",
                "m = X.shape[1]\ndZ1 = (W2.T @ dZ2) * (Z1 >= 0)\n"
                "return dZ1, dZ1 @ X.T / m, dZ1.sum(axis=1, keepdims=True) / m",
                ("z1 = 0",),
            ),
            M(
                "ignores the ReLU",
                "m = X.shape[1]\ndZ1 = W2.T @ dZ2\n"
                "return dZ1, dZ1 @ X.T / m, dZ1.sum(axis=1, keepdims=True) / m",
                ("relu",),
            ),
            M(
                "the notes' 1/n slip",
                "m = X.shape[1]\ndZ1 = (W2.T @ dZ2) * (Z1 > 0)\n"
                "return dZ1, dZ1 @ X.T / X.shape[0], dZ1.sum(axis=1, keepdims=True) / m",
                ("784", "m"),
            ),
            M(
                "W2 not transposed",
                "m = X.shape[1]\ndZ1 = (W2 @ dZ2) * (Z1 > 0)\n"
                "return dZ1, dZ1 @ X.T / m, dZ1.sum(axis=1, keepdims=True) / m",
                ("w2",),
            ),
            M(
                "times ReLU instead of its slope",
                "m = X.shape[1]\ndZ1 = (W2.T @ dZ2) * np.maximum(Z1, 0)\n"
                "return dZ1, dZ1 @ X.T / m, dZ1.sum(axis=1, keepdims=True) / m",
                ("slope",),
            ),
            M(
                "dW1 transposed",
                "m = X.shape[1]\ndZ1 = (W2.T @ dZ2) * (Z1 > 0)\n"
                "return dZ1, X @ dZ1.T / m, dZ1.sum(axis=1, keepdims=True) / m",
                ("transposed",),
            ),
            M(
                "db1 summed",
                "m = X.shape[1]\ndZ1 = (W2.T @ dZ2) * (Z1 > 0)\n"
                "return dZ1, dZ1 @ X.T / m, dZ1.sum(axis=1, keepdims=True)",
                ("db1", "sum", "mean"),
            ),
        ],
    ),
    # ---------------------------------------------------------------- chapter 4
    "update_params": (
        "check_update_params",
        [
            M(
                "uphill",
                "return W1 + alpha * dW1, b1 + alpha * db1, W2 + alpha * dW2, b2 + alpha * db2",
                ("uphill",),
            ),
            M("no alpha", "return W1 - dW1, b1 - db1, W2 - dW2, b2 - db2", ("learning rate",)),
            M(
                "alpha hard-coded",
                "alpha = 0.1\nreturn W1 - alpha * dW1, b1 - alpha * db1, W2 - alpha * dW2, b2 - alpha * db2",
                ("alpha argument",),
            ),
            M(
                "in place",
                "W1 -= alpha * dW1\nb1 -= alpha * db1\nW2 -= alpha * dW2\nb2 -= alpha * db2\n"
                "return W1, b1, W2, b2",
                ("in place",),
            ),
            M(
                "wrong order",
                "return W1 - alpha * dW1, W2 - alpha * dW2, b1 - alpha * db1, b2 - alpha * db2",
                ("shape",),
            ),
            M(
                "steps alone",
                "return -alpha * dW1, -alpha * db1, -alpha * dW2, -alpha * db2",
                ("old",),
            ),
            M(
                "biases not updated",
                "return W1 - alpha * dW1, b1, W2 - alpha * dW2, b2",
                ("b1", "unchanged"),
            ),
        ],
    ),
    # ---------------------------------------------------------------- chapter 5
    "get_predictions": (
        "check_get_predictions",
        [
            M("wrong axis", "return np.argmax(A2, axis=1)", ("one prediction per example",)),
            M("flat argmax", "return np.argmax(A2)", ("scalar",)),
            M("squeezed", "return np.argmax(A2, axis=0).squeeze()", ("scalar",)),
            M("max, not argmax", "return np.max(A2, axis=0)", ("largest probabilities",)),
            M("argmin", "return np.argmin(A2, axis=0)", ("smallest",)),
            M("off by one", "return np.argmax(A2, axis=0) + 1", ("one more",)),
            M("one-hot", "return (A2 == A2.max(axis=0)).astype(int)", ("shape",)),
        ],
    ),
    "get_accuracy": (
        "check_get_accuracy",
        [
            M("count", "return np.sum(predictions == Y)", ("number of correct",)),
            M("percentage", "return 100 * np.mean(predictions == Y)", ("percentage",)),
            M("error rate", "return np.mean(predictions != Y)", ("wrong predictions",)),
            M("element-wise", "return predictions == Y", ("one number",)),
            M("integer division", "return np.sum(predictions == Y) // Y.size", ("whole number",)),
            M("over the classes", "return np.sum(predictions == Y) / 10", ("accuracy",)),
        ],
    ),
    "training_loop": (
        "check_training_loop",
        [
            M(
                "loss after the update",
                LOOP.format(
                    before="", after="losses.append(cross_entropy(forward_prop(W1, b1, W2, b2, X)[3], Y))"
                ),
                ("before",),
            ),
            M(
                "updates not kept",
                LOOP.replace("W1, b1, W2, b2 = update_params", "update_params").format(
                    before="losses.append(cross_entropy(A2, Y))", after=""
                ),
                ("did not change",),
            ),
            M(
                "one step too many",
                LOOP.replace("range(iterations)", "range(iterations + 1)").format(
                    before="losses.append(cross_entropy(A2, Y))", after=""
                ),
                ("iterations=",),
            ),
            M(
                "alpha hard-coded",
                LOOP.replace(", alpha)", ", 0.1)").format(
                    before="losses.append(cross_entropy(A2, Y))", after=""
                ),
                ("alpha",),
            ),
            M(
                "fresh parameters",
                "params = helpers.init_params(784, 10, 10, seed=0)\n"
                + LOOP.format(before="losses.append(cross_entropy(A2, Y))", after=""),
                ("given",),
            ),
            M(
                "updates in place",
                LOOP.replace(
                    "W1, b1, W2, b2 = update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha)",
                    "W1 -= alpha * dW1\n    b1 -= alpha * db1\n    W2 -= alpha * dW2\n    b2 -= alpha * db2",
                ).format(before="losses.append(cross_entropy(A2, Y))", after=""),
                ("in place",),
            ),
            M(
                "no losses",
                LOOP.format(before="", after=""),
                ("losses",),
            ),
        ],
    ),
    # ---------------------------------------------------------------- chapter 6
    "confusion_matrix": (
        "check_confusion_matrix",
        [
            M(
                "transposed",
                "C = np.zeros((10, 10), dtype=np.int64)\nnp.add.at(C, (y_pred, y_true), 1)\nreturn C",
                ("transposed",),
            ),
            M(
                "fancy indexing does not accumulate",
                "C = np.zeros((10, 10), dtype=np.int64)\nC[y_true, y_pred] += 1\nreturn C",
                ("add up",),
            ),
            M(
                "size from the data",
                "k = max(y_true.max(), y_pred.max()) + 1\nC = np.zeros((k, k), dtype=np.int64)\n"
                "np.add.at(C, (y_true, y_pred), 1)\nreturn C",
                ("shape",),
            ),
            M(
                "row shares",
                "C = np.zeros((10, 10))\nnp.add.at(C, (y_true, y_pred), 1)\n"
                "return C / np.maximum(C.sum(axis=1, keepdims=True), 1)",
                ("shares",),
            ),
            M(
                "fractions of all",
                "C = np.zeros((10, 10))\nnp.add.at(C, (y_true, y_pred), 1)\nreturn C / y_true.size",
                ("fractions",),
            ),
            M(
                "mistakes only",
                "C = np.zeros((10, 10), dtype=np.int64)\nnp.add.at(C, (y_true, y_pred), 1)\n"
                "np.fill_diagonal(C, 0)\nreturn C",
                ("diagonal",),
            ),
        ],
    ),
    # ---------------------------------------------------------------- the teaching round
    "neuron_backprop": (
        "check_neuron_backprop",
        [
            M(
                "factor 2 forgotten",
                "z = w * x + b\ndz = (max(z, 0.0) - t) * (z > 0)\nreturn dz * x, dz",
                ("half",),
            ),
            M(
                "ReLU's slope forgotten",
                "z = w * x + b\ndz = 2 * (max(z, 0.0) - t)\nreturn dz * x, dz",
                ("relu", "z < 0"),
            ),
            M(
                "sign flipped",
                "z = w * x + b\ndz = 2 * (t - max(z, 0.0)) * (z > 0)\nreturn dz * x, dz",
                ("opposite sign",),
            ),
            M(
                "dw without x",
                "z = w * x + b\ndz = 2 * (max(z, 0.0) - t) * (z > 0)\nreturn dz, dz",
                ("dw", "x"),
            ),
            M(
                "swapped",
                "z = w * x + b\ndz = 2 * (max(z, 0.0) - t) * (z > 0)\nreturn dz, dz * x",
                ("swapped",),
            ),
            M(
                "w in place of x",
                "z = w * x + b\ndz = 2 * (max(z, 0.0) - t) * (z > 0)\nreturn dz * w, dz",
                ("dw",),
            ),
        ],
    ),
    "softmax_jacobian": (
        "check_softmax_jacobian",
        [
            M("diagonal only", "return np.diag(a * (1 - a))", ("off-diagonal",)),
            M("diag(a) alone", "return np.diag(a)", ("off-diagonal",)),
            M("sign flipped", "return np.outer(a, a) - np.diag(a)", ("opposite sign",)),
            M("element-wise square", "return np.diag(a) - a * a", ("off-diagonal",)),
            M("sum of squares", "return np.diag(a) - a @ a", ("off-diagonal",)),
            M("a vector", "return a * (1 - a)", ("shape",)),
        ],
    ),
    "momentum_step": (
        "check_momentum_step",
        [
            M(
                "plain gradient descent",
                "return tuple(P - alpha * dP for P, dP in zip(params, grads)), velocities",
                ("velocit",),
            ),
            M(
                "learning rate inside V",
                "new_v = tuple(beta * V + alpha * dP for V, dP in zip(velocities, grads))\n"
                "return tuple(P - V for P, V in zip(params, new_v)), new_v",
                ("alpha", "velocit"),
            ),
            M(
                "damped gradient",
                "new_v = tuple(beta * V + (1 - beta) * dP for V, dP in zip(velocities, grads))\n"
                "return tuple(P - alpha * V for P, V in zip(params, new_v)), new_v",
                ("1 - beta",),
            ),
            M(
                "steps with the old velocity",
                "new_p = tuple(P - alpha * V for P, V in zip(params, velocities))\n"
                "return new_p, tuple(beta * V + dP for V, dP in zip(velocities, grads))",
                ("old velocit",),
            ),
            M(
                "uphill",
                "new_v = tuple(beta * V + dP for V, dP in zip(velocities, grads))\n"
                "return tuple(P + alpha * V for P, V in zip(params, new_v)), new_v",
                ("uphill",),
            ),
            M(
                "velocity of the other sign",
                "new_v = tuple(beta * V - dP for V, dP in zip(velocities, grads))\n"
                "return tuple(P + alpha * V for P, V in zip(params, new_v)), new_v",
                ("opposite sign",),
            ),
            M(
                "velocities in place",
                "for V, dP in zip(velocities, grads):\n    V *= beta\n    V += dP\n"
                "return tuple(P - alpha * V for P, V in zip(params, velocities)), velocities",
                ("in place",),
            ),
            M(
                "beta and alpha swapped",
                "new_v = tuple(alpha * V + dP for V, dP in zip(velocities, grads))\n"
                "return tuple(P - beta * V for P, V in zip(params, new_v)), new_v",
                ("beta",),
            ),
        ],
    ),
    "linear_decay": (
        "check_linear_decay",
        [
            M("zero at the last step", "return alpha * (1 - step / (total_steps - 1))", ("last step",)),
            M("one step late", "return alpha * (1 - (step + 1) / total_steps)", ("step 0",)),
            M("growing", "return alpha * step / total_steps", ("step 0",)),
            M("inverse-time decay", "return alpha / (1 + step)", ("linear",)),
            M("integer division", "return alpha * (1 - step // total_steps)", ("constant",)),
            M("without alpha", "return 1 - step / total_steps", ("alpha",)),
            M("exponential", "return alpha * 0.99**step", ("linear",)),
        ],
    ),
    "l2_gradient": (
        "check_l2_gradient",
        [
            M(
                "lambda without 1/m",
                "dW1, db1, dW2, db2 = grads\nW1, b1, W2, b2 = params\n"
                "return dW1 + lambd * W1, db1, dW2 + lambd * W2, db2",
                ("m",),
            ),
            M(
                "half the penalty's gradient",
                "dW1, db1, dW2, db2 = grads\nW1, b1, W2, b2 = params\n"
                "return dW1 + lambd / (2 * m) * W1, db1, dW2 + lambd / (2 * m) * W2, db2",
                ("half",),
            ),
            M(
                "biases decayed too",
                "return tuple(dP + lambd / m * P for dP, P in zip(grads, params))",
                ("bias",),
            ),
            M(
                "subtracted",
                "dW1, db1, dW2, db2 = grads\nW1, b1, W2, b2 = params\n"
                "return dW1 - lambd / m * W1, db1, dW2 - lambd / m * W2, db2",
                ("sign",),
            ),
            M(
                "W2 forgotten",
                "dW1, db1, dW2, db2 = grads\nW1, b1, W2, b2 = params\n"
                "return dW1 + lambd / m * W1, db1, dW2, db2",
                ("dw2",),
            ),
            M(
                "penalty alone",
                "W1, b1, W2, b2 = params\nreturn lambd / m * W1, 0 * b1, lambd / m * W2, 0 * b2",
                ("loss",),
            ),
            M(
                "squares in the gradient",
                "dW1, db1, dW2, db2 = grads\nW1, b1, W2, b2 = params\n"
                "return dW1 + lambd / m * W1**2, db1, dW2 + lambd / m * W2**2, db2",
                ("dw1",),
            ),
            M(
                "grads changed in place",
                "dW1, db1, dW2, db2 = grads\nW1, b1, W2, b2 = params\n"
                "dW1 += lambd / m * W1\ndW2 += lambd / m * W2\nreturn dW1, db1, dW2, db2",
                ("in place",),
            ),
        ],
    ),
}


# --------------------------------------------------------------------------------------------
# Machinery: the exercise cells, a mutant's function, its verdict and the hidden tests
# --------------------------------------------------------------------------------------------
def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _notebook_exercises() -> dict[str, tuple[str, str, str | None]]:
    """solution grade_id -> (notebook name, solution cell source, hidden tests of the check cell
    after it or None) for every exercise in the notebooks."""
    found = {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        for i, cell in enumerate(cells):
            if not _meta(cell).get("solution"):
                continue
            check = next(
                (c for c in cells[i + 1 :] if _meta(c).get("grade") and not _meta(c).get("solution")), None
            )
            hidden = None
            if check is not None and BEGIN in check.source:
                hidden = check.source.partition(BEGIN + "\n")[2].partition("\n" + END)[0]
            found[_meta(cell)["grade_id"]] = (path.name, cell.source, hidden)
    return found


IN_NOTEBOOKS = _notebook_exercises()


def _source(gid: str) -> str:
    return IN_NOTEBOOKS[gid][1] if gid in IN_NOTEBOOKS else NEW_EXERCISES[gid]


def _namespace() -> dict:
    """What the notebooks' cells see: NumPy, helpers and the functions notebook 05 imports."""
    ns: dict = {"np": np, "helpers": helpers}
    for name in ("forward_prop", "cross_entropy", "backward_prop", "update_params"):
        ns[name] = getattr(helpers, name)
    return ns


def _function(gid: str, body: str | None = None):
    """The exercise's function: the solution, or the solution block replaced by ``body``."""
    source = _source(gid)
    if body is not None:
        source = SOLUTION.sub(
            lambda m: "\n".join(m.group(1) + line for line in body.split("\n")) + "\n", source
        )
        assert "BEGIN SOLUTION" not in source
    ns = _namespace()
    exec(compile(source, f"<{gid}>", "exec"), ns)
    return ns[gid], ns


def _verdict(gid: str, func) -> tuple[bool, str]:
    """(passed, printed line) of the visible checker on ``func``."""
    name = EXERCISES[gid][0]
    checker = getattr(helpers.checks, name, None) or getattr(helpers.checks.training, name)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            checker(func)
        except CheckFailed as exc:
            assert out.getvalue().strip() == str(exc), "the verdict is printed once, as raised"
            return False, str(exc)
    return True, out.getvalue().strip()


def _hidden_tests_pass(gid: str, ns: dict) -> bool:
    """Run the hidden tests the way the notebook does (warnings are not errors there)."""
    hidden = IN_NOTEBOOKS[gid][2]
    assert hidden, f"{gid}: its check cell has no hidden tests"
    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
        warnings.catch_warnings(),
        np.errstate(all="ignore"),
    ):
        warnings.simplefilter("ignore")
        try:
            exec(compile(hidden, f"<hidden tests of {gid}>", "exec"), ns)
        except Exception:  # noqa: BLE001 - a failed assert or a crash both score 0
            return False
    return True


CASES = [(gid, m) for gid, (_, mutants) in EXERCISES.items() for m in mutants]
CASE_IDS = [f"{gid}:{m.id}" for gid, m in CASES]
HIDDEN_CASES = [(gid, m) for gid, m in CASES if gid in IN_NOTEBOOKS]


# --------------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------------
def test_every_exercise_has_at_least_five_mutants():
    assert IN_NOTEBOOKS, "no exercises found in the notebooks"
    assert set(IN_NOTEBOOKS) <= set(EXERCISES), set(IN_NOTEBOOKS) - set(EXERCISES)
    assert set(EXERCISES) <= set(IN_NOTEBOOKS) | set(NEW_EXERCISES)
    for gid, (_, mutants) in EXERCISES.items():
        assert len(mutants) >= 5, f"{gid}: {len(mutants)} mutants"
        assert len({m.id for m in mutants}) == len(mutants)


@pytest.mark.parametrize("gid", list(EXERCISES))
def test_the_solution_passes_the_checker_and_the_hidden_tests(gid):
    func, ns = _function(gid)
    passed, line = _verdict(gid, func)
    assert passed and line.startswith("✓"), line
    if gid in IN_NOTEBOOKS:
        assert _hidden_tests_pass(gid, ns)


@pytest.mark.parametrize(("gid", "mutant"), CASES, ids=CASE_IDS)
def test_the_checker_rejects_the_mutant_and_names_the_problem(gid, mutant):
    func, _ = _function(gid, mutant.body)
    passed, line = _verdict(gid, func)
    assert not passed, f"{gid}: the checker passed {mutant.id!r}"
    text = line.lower()
    for word in mutant.words:
        assert word.lower() in text, f"{word!r} not in {line!r}"
    for code in CODE + mutant.not_words:
        assert code.lower() not in text, f"the verdict gives code away ({code!r}): {line!r}"


@pytest.mark.parametrize(("gid", "mutant"), HIDDEN_CASES, ids=[f"{g}:{m.id}" for g, m in HIDDEN_CASES])
def test_the_hidden_tests_reject_the_mutant(gid, mutant):
    _, ns = _function(gid, mutant.body)
    assert not _hidden_tests_pass(gid, ns), f"{gid}: the hidden tests passed {mutant.id!r}"
