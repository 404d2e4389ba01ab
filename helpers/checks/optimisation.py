"""Checkers for the optimisation exercises: a momentum step, the linear learning-rate decay and
the gradient of L2 weight decay.

The conventions are those of :func:`helpers.training.train`: the velocity collects gradients,
``V := beta V + dP``, and the step is ``P := P - alpha V``; the learning rate at step t of T
(t = 0, 1, ..., T - 1) is ``alpha (1 - t / T)``, so the first step uses alpha and the schedule
reaches 0 just after the last one. Weight decay adds ``(lambd / 2m) (sum W1^2 + sum W2^2)`` to the
loss: the weights only, not the biases. Penalty and gradient are those of
:mod:`helpers.regularisation`; the student's gradient is measured against central differences of
the penalised loss.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers import regularisation
from helpers.checks.backprop_basics import FD_ATOL, FD_RTOL, central_difference
from helpers.checks.compare import (
    close,
    expect_array,
    expect_arrays,
    expect_number,
    expect_tuple,
    first_mistake,
)
from helpers.checks.core import PARAM_LABELS, call_student, checker, fail, succeed
from helpers.nn import Params, backward_prop, cross_entropy, forward_prop, init_params


def _arrays(name: str, what: str, values: object) -> tuple[np.ndarray, ...]:
    """Four float arrays (one per parameter) from the student's ``values``, or a verdict."""
    return tuple(expect_arrays(name, values, PARAM_LABELS, what=f"the {what}").values())


# --------------------------------------------------------------------------------------------
# Momentum
# --------------------------------------------------------------------------------------------
def _momentum_problem(P, V, dP, got_p, got_v, alpha, beta) -> str | None:
    """Name a common mistake in one parameter's new value and velocity, or None."""
    new_v = beta * V + dP
    if close(got_p, P - alpha * new_v) and close(got_v, new_v):
        return None
    return (
        first_mistake(
            got_p,
            [
                (
                    P - alpha * dP,
                    "it moved by alpha times the gradient alone: the velocities play no part in the step",
                )
            ],
        )
        or first_mistake(
            got_v,
            [
                (
                    beta * V + alpha * dP,
                    "the new velocities include the learning rate alpha; here they collect gradients only",
                ),
                (
                    beta * V + (1 - beta) * dP,
                    "the gradient enters the velocity damped by (1 - beta); here it enters whole",
                ),
            ],
        )
        or first_mistake(
            got_p,
            [
                (
                    P - alpha * V,
                    "the step used the old velocities; the parameters move with the updated ones",
                ),
                (P + alpha * new_v, "the parameters moved uphill: the step should go against the velocity"),
                (
                    P + alpha * (beta * V - dP),
                    "the velocity has the opposite sign of this course's (it should follow the gradient)",
                ),
                (
                    P - beta * (alpha * V + dP) if alpha != beta else None,
                    "alpha and beta look swapped: beta weighs the old velocity, alpha the step",
                ),
            ],
        )
    )


@checker
def check_momentum_step(momentum_step: Callable) -> None:
    """Check ``momentum_step(params, velocities, grads, alpha, beta)`` -> ``(params, velocities)``.

    params, velocities and grads are tuples (W1, b1, W2, b2) of arrays of shapes (h, n), (h, 1),
    (k, h), (k, 1). For every parameter P with velocity V and gradient dP the new velocity is
    ``beta V + dP`` and the new parameter ``P - alpha (beta V + dP)``, as in
    :func:`helpers.training.train`. Both tuples come back as new arrays; the inputs stay as they were.
    """
    __tracebackhide__ = True  # noqa: F841
    name = "momentum_step"
    for seed, alpha, beta in ((0, 0.05, 0.9), (1, 0.5, 0.6)):
        rng = np.random.default_rng(seed)
        params = init_params(5, 3, 4, seed=seed, scheme="notes")
        velocities = tuple(rng.standard_normal(p.shape) for p in params)
        grads = tuple(rng.standard_normal(p.shape) for p in params)
        labels = ("params", "velocities", "grads")
        result = call_student(name, momentum_step, params, velocities, grads, alpha, beta, labels=labels)
        new_params, new_velocities = expect_tuple(name, result, ("params", "velocities"))
        got_p = _arrays(name, "new", new_params)
        got_v = _arrays(name, "new velocity", new_velocities)
        for label, P, V, dP, gp, gv in zip(PARAM_LABELS, params, velocities, grads, got_p, got_v):
            if gp.shape == P.shape and gv.shape == V.shape:
                problem = _momentum_problem(P, V, dP, gp, gv, alpha, beta)
                if problem:
                    fail(name, f"with alpha={alpha:g}, beta={beta:g}, {label}: {problem}")
            new_v = beta * V + dP
            expect_array(name, f"the new velocity of {label}", gv, new_v)
            expect_array(name, f"the new {label}", gp, P - alpha * new_v)
    succeed(name)


# --------------------------------------------------------------------------------------------
# Linear learning-rate decay
# --------------------------------------------------------------------------------------------
@checker
def check_linear_decay(linear_decay: Callable[[float, int, int], float]) -> None:
    """Check ``linear_decay(alpha, step, total_steps)`` -> the learning rate at ``step``
    (0, 1, ..., total_steps - 1): ``alpha (1 - step / total_steps)``, falling by the same amount
    every step from alpha at step 0 towards 0, which it reaches just after the last step, as in
    :func:`helpers.training.train`.
    """
    __tracebackhide__ = True  # noqa: F841
    name = "linear_decay"
    for alpha, total in ((0.02, 10), (0.5, 4), (3.0, 1)):
        rates = []
        for step in range(total):
            rates.append(
                expect_number(name, "the rate", call_student(name, linear_decay, alpha, step, total))
            )
        got = np.array(rates)
        want = alpha * (1 - np.arange(total) / total)
        given = f"with alpha={alpha:g} and {total} steps"
        if close(got, want):
            continue
        if not np.isclose(got[0], alpha):
            fail(name, f"at step 0 the rate is {got[0]:.4g}, expected the full alpha = {alpha:g} ({given})")
        if total > 1 and np.allclose(got, got[0]):
            fail(name, f"the rate stays constant at {got[0]:.4g}; it should decay ({given})")
        if total > 1 and np.isclose(got[-1], 0):
            fail(
                name,
                f"at the last step (step {total - 1}) the rate is already 0, so that step is wasted; "
                f"the rate reaches 0 only after the last step ({given})",
            )
        if total > 2 and not np.allclose(np.diff(got), got[1] - got[0]):
            fail(
                name,
                f"the rate does not fall by the same amount at every step: expected a linear decay ({given})",
            )
        t = int(np.argmax(~np.isclose(got, want)))
        fail(name, f"at step {t} the rate is {got[t]:.4g}, expected {want[t]:.4g} ({given})")
    succeed(name)


# --------------------------------------------------------------------------------------------
# L2 weight decay
# --------------------------------------------------------------------------------------------
def _l2_problem() -> tuple[Params, np.ndarray, np.ndarray]:
    """A small network, 6 inputs, 3 hidden units, 4 classes, and 5 examples X (6, 5), labels y (5,)."""
    rng = np.random.default_rng(12)
    params = tuple(p + rng.normal(0, 0.1, p.shape) for p in init_params(6, 3, 4, seed=12, scheme="he"))
    return params, rng.normal(0, 1, (6, 5)), rng.integers(0, 4, 5)  # type: ignore[return-value]


def regularised_loss(params: Params, X: np.ndarray, y: np.ndarray, lambd: float) -> float:
    """Cross-entropy of the network on X (n, m), labels y (m,), plus the weight-decay penalty
    :func:`helpers.regularisation.l2_penalty`, (lambd / 2m) (sum W1^2 + sum W2^2)."""
    return cross_entropy(forward_prop(*params, X)[3], y) + regularisation.l2_penalty(
        params, lambd, X.shape[1]
    )


def _numerical_gradients(
    params: Params, X: np.ndarray, y: np.ndarray, lambd: float
) -> tuple[np.ndarray, ...]:
    """Central differences of :func:`regularised_loss` in every entry of every parameter."""
    out = []
    for i, P in enumerate(params):

        def loss_at(v: np.ndarray, i: int = i) -> float:
            return regularised_loss(tuple(v if j == i else p for j, p in enumerate(params)), X, y, lambd)  # type: ignore[arg-type]

        out.append(central_difference(loss_at, P))
    return tuple(out)


def _weight_decay_problem(
    G: np.ndarray, D: np.ndarray, R: np.ndarray, label: str, m: int, hint: str
) -> str | None:
    """Name a common mistake in the weights' gradient G, given D, the loss's own gradient, and R,
    the weight-decay term alone; None when G is none of them."""
    return first_mistake(
        G,
        [
            (D, f"{label} has no weight-decay term ({hint})"),
            (R, f"{label} is the weight-decay term alone: the gradient of the loss itself is missing"),
            (D + m * R, f"the weight-decay term of {label} is m = {m} times too large ({hint})"),
            (D + R / 2, f"the weight-decay term of {label} is half what it should be ({hint})"),
            (D - R, f"the weight-decay term of {label} has the wrong sign ({hint})"),
        ],
    )


@checker
def check_l2_gradient(l2_gradient: Callable) -> None:
    """Check ``l2_gradient(grads, params, lambd, m)`` -> the gradients (dW1, db1, dW2, db2) of
    the loss plus the weight-decay term (lambd / 2m) (sum W1^2 + sum W2^2), given ``grads``, the
    gradients of the loss alone (from backward_prop), ``params`` = (W1, b1, W2, b2) and m, the
    number of examples. The biases are not penalised. Shapes: (h, n), (h, 1), (k, h), (k, 1)
    for both tuples and the result. The result is compared with central differences of the
    regularised loss, computed here.
    """
    __tracebackhide__ = True  # noqa: F841
    name = "l2_gradient"
    params, X, y = _l2_problem()
    m = X.shape[1]
    Z1, A1, Z2, A2 = forward_prop(*params, X)
    data = backward_prop(Z1, A1, Z2, A2, params[0], params[2], X, y)
    for lambd in (0.7, 2.0):
        result = call_student(name, l2_gradient, data, params, lambd, m, labels=("grads", "params"))
        got = _arrays(name, "gradient", result)
        want = _numerical_gradients(params, X, y, lambd)
        reference = regularisation.l2_gradient(data, params, lambd, m)
        hint = f"with lambd={lambd:g} and m = {m}"
        for i, label in ((0, "dW1"), (2, "dW2")):
            if got[i].shape == data[i].shape and not close(got[i], reference[i]):
                problem = _weight_decay_problem(got[i], data[i], lambd / m * params[i], label, m, hint)
                if problem:
                    fail(name, problem)
        for i, label in ((1, "db1"), (3, "db2")):
            if got[i].shape == data[i].shape and not close(got[i], data[i]):
                if close(got[i], data[i] + lambd / m * params[i]):
                    fail(
                        name, f"{label} was decayed too; the penalty covers the weights only, not the biases"
                    )
        for label, G, W in zip(("dW1", "db1", "dW2", "db2"), got, want):
            expect_array(
                name, label, G, W, rtol=FD_RTOL, atol=FD_ATOL, hint=f"{hint}, against central differences"
            )
    succeed(name)
