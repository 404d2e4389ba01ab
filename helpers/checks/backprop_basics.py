"""Checkers for backpropagation from the ground up: one neuron differentiated by hand, and the
softmax Jacobian. Both compare the student's derivatives with central finite differences
computed here, so the check does not rest on a formula the student is asked to derive.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from helpers.checks.compare import as_array, close, expect_number, expect_tuple, first_mistake, shape_problem
from helpers.checks.core import call_student, checker, fail, succeed
from helpers.nn import softmax

#: The step of the central differences: small enough for a truncation error of about h^2, large
#: enough for a rounding error of about 1e-16 / h, both far below the checks' tolerances.
STEP = 1e-6
#: The tolerances of a comparison with central differences: looser than those of a comparison
#: with a formula (:func:`helpers.checks.compare.close`), as the differences carry an error of their own.
FD_RTOL, FD_ATOL = 1e-4, 1e-7


def central_difference(
    f: Callable[[np.ndarray], float | np.ndarray], x: np.ndarray, h: float = STEP
) -> np.ndarray:
    """Numerical derivative of ``f`` at ``x`` by central differences.

    x: a float array of any shape (n1, ..., nd); f(x): a number or an array of shape S.
    Returns an array of shape S + x.shape whose entry [..., i] is (f(x + h e_i) - f(x - h e_i)) / 2h.
    """
    x = np.array(x, dtype=np.float64)
    columns = []
    for i in range(x.size):
        up, down = x.copy(), x.copy()
        up.flat[i] += h
        down.flat[i] -= h
        columns.append(
            (np.asarray(f(up), dtype=np.float64) - np.asarray(f(down), dtype=np.float64)) / (2 * h)
        )
    out = np.stack(columns, axis=-1)
    return out.reshape(out.shape[:-1] + x.shape)


# --------------------------------------------------------------------------------------------
# One neuron: L = (relu(w x + b) - t)^2
# --------------------------------------------------------------------------------------------
#: (w, b, x, t): z = w x + b positive with y above and below the target, a negative input x,
#: z < 0, where the ReLU is off, and z = 0 exactly, where the course takes ReLU'(0) = 0.
NEURON_CASES = (
    (0.5, 0.1, 2.0, 0.3),
    (-1.5, 0.4, -1.0, 2.5),
    (0.8, -0.2, 1.5, 0.1),
    (-0.8, 0.2, 1.5, 0.5),
    (1.0, -2.0, 2.0, 0.5),
)


def neuron_loss(w: float, b: float, x: float, t: float) -> float:
    """L = (relu(w x + b) - t)^2 for scalars w, b, x and target t."""
    return (max(w * x + b, 0.0) - t) ** 2


def _neuron_loss_at(wb: np.ndarray, x: float, t: float) -> float:
    """:func:`neuron_loss` with w and b taken from the array ``wb`` (2,)."""
    return neuron_loss(float(wb[0]), float(wb[1]), x, t)


@checker
def check_neuron_backprop(neuron_backprop: Callable[[float, float, float, float], tuple]) -> None:
    """Check ``neuron_backprop(w, b, x, t)`` -> ``(dw, db)``, the derivatives of the loss
    L = (y - t)^2 with y = relu(z), z = w x + b (all scalars, ReLU'(0) = 0), against central
    differences of L in w and in b.
    """
    __tracebackhide__ = True  # noqa: F841
    name = "neuron_backprop"
    for w, b, x, t in NEURON_CASES:
        result = expect_tuple(name, call_student(name, neuron_backprop, w, b, x, t), ("dw", "db"))
        dw, db = (expect_number(name, label, value) for label, value in zip(("dw", "db"), result))
        z = w * x + b
        given = f"w={w:g}, b={b:g}, x={x:g}, t={t:g}"
        if z == 0:  # the kink: central differences average the two sides, the course takes 0
            if dw != 0 or db != 0:
                fail(
                    name,
                    f"with {given}, z = w x + b is exactly 0, where the course takes ReLU'(0) = 0, so "
                    f"dw and db are 0, yet you return dw = {dw:.4g}, db = {db:.4g}",
                )
            continue
        loss = partial(_neuron_loss_at, x=x, t=t)
        want_dw, want_db = (float(d) for d in central_difference(loss, np.array([w, b])))
        g, e = np.array([dw, db]), np.array([want_dw, want_db])
        if close(g, e, rtol=FD_RTOL, atol=FD_ATOL):
            continue
        if z < 0:
            fail(
                name,
                f"with {given}, z = {z:.3g}: where z < 0 the ReLU is flat, so nudging w or b does not "
                f"change the loss, yet you return dw = {dw:.4g}, db = {db:.4g}",
            )
        mistake = first_mistake(
            g,
            [
                (-e, f"with {given}: dw and db have the opposite sign of the numerical derivatives"),
                (e / 2, f"with {given}: dw and db are half the numerical derivatives; check the outer step"),
                (e[::-1], f"with {given}: dw and db look swapped; they come in the order (dw, db)"),
            ],
            rtol=FD_RTOL,
            atol=FD_ATOL,
        )
        if mistake:
            fail(name, mistake)
        if np.isclose(dw, db) and not np.isclose(want_dw, want_db):
            fail(name, f"with {given}: dw equals db; how fast does z = w x + b change with w, and with b?")
        for label, value, want in (("dw", dw, want_dw), ("db", db, want_db)):
            if not np.isclose(value, want, rtol=FD_RTOL, atol=FD_ATOL):
                fail(name, f"with {given}: {label} is {value:.4g}, the numerical derivative is {want:.4g}")
    succeed(name)


# --------------------------------------------------------------------------------------------
# The softmax Jacobian
# --------------------------------------------------------------------------------------------
#: Logits of one column: the notes' example and a column of 3 classes.
JACOBIAN_LOGITS = (np.array([1.3, 5.1, 2.2, 0.7, 1.1]), np.array([0.5, -1.0, 2.0]))


@checker
def check_softmax_jacobian(softmax_jacobian: Callable[[np.ndarray], np.ndarray]) -> None:
    """Check ``softmax_jacobian(a)`` -> J (k, k) for one column of probabilities a (k,) =
    softmax(z): J[i, j] = d a_i / d z_j, compared with central differences of softmax in z.
    """
    __tracebackhide__ = True  # noqa: F841
    name = "softmax_jacobian"
    for z in JACOBIAN_LOGITS:
        k = z.size
        a = softmax(z[:, None])[:, 0]
        J = as_array(name, "J", call_student(name, softmax_jacobian, a, labels=("a",)))
        want = central_difference(lambda v: softmax(v[:, None])[:, 0], z)
        given = f"for a = softmax({np.round(z, 2).tolist()})"
        problem = shape_problem("J", J.shape, (k, k))
        if problem:
            fail(name, f"{problem}: one row per output a_i, one column per logit z_j ({given})")
        if not np.all(np.isfinite(J)):
            fail(name, f"J contains nan or inf ({given})")
        if close(J, want, rtol=FD_RTOL, atol=FD_ATOL):
            continue
        if close(J, -want, rtol=FD_RTOL, atol=FD_ATOL):
            fail(name, f"J has the opposite sign of the numerical derivatives ({given})")
        off = ~np.eye(k, dtype=bool)
        if not close(J[off], want[off], rtol=FD_RTOL, atol=FD_ATOL):
            zero = " are all 0" if np.allclose(J[off], 0) else " are wrong"
            fail(
                name,
                f"the off-diagonal entries (d a_i / d z_j with i != j){zero}: raising one logit "
                f"lowers every other probability of the column ({given})",
            )
        i = int(np.argmax(~np.isclose(np.diag(J), np.diag(want), rtol=FD_RTOL, atol=FD_ATOL)))
        fail(name, f"J[{i}, {i}] is {J[i, i]:.4g}, the numerical derivative is {want[i, i]:.4g} ({given})")
    succeed(name)
