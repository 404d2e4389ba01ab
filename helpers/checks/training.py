"""Checkers for the exercises of notebooks 04-05 that change the parameters: the update step
and the training loop (predictions and accuracy: :mod:`helpers.checks.metrics`).

Each ``check_*`` calls the student's function on small fixed inputs, compares the result with
the reference in :mod:`helpers.nn` and prints a one-line verdict (see :mod:`helpers.checks.core`);
on failure it raises :class:`~helpers.checks.core.CheckFailed`. Common mistakes get a verdict
that names them: in the update step, a parameter left unchanged, a step uphill, the learning rate
missing or not the alpha given, the step returned without the old parameter; in the loop, a start
from other parameters than those given, a learning rate other than alpha, updates not kept or
too few or too many of them, and losses recorded after each update instead of before it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks.compare import (
    as_array_or_none,
    close,
    expect_array,
    expect_tuple,
    first_mistake,
    shape_problem,
)
from helpers.checks.core import GRAD_LABELS, PARAM_LABELS, call_student, checker, fail, succeed
from helpers.nn import Params, backward_prop, cross_entropy, forward_prop, init_params, update_params

__all__ = [
    "check_training_loop",
    "check_update_params",
]


# --------------------------------------------------------------------------------------------
# update_params
# --------------------------------------------------------------------------------------------
def _update_inputs(seed: int) -> tuple[Params, Params]:
    """Small parameters (h=3, n=5, k=4) and gradients of the same shapes, all distinct."""
    rng = np.random.default_rng(seed)
    params = init_params(5, 3, 4, seed=seed, scheme="notes")
    grads = tuple(rng.standard_normal(p.shape) for p in params)
    return params, grads  # type: ignore[return-value]


def _diagnose_update(
    label: str, actual: np.ndarray, P: np.ndarray, dP: np.ndarray, alpha: float, other_alpha: float
) -> str | None:
    """Name a typical mistake in ``actual`` (expected P - alpha dP), or None if none is known."""
    return first_mistake(
        actual,
        [
            (P, f"{label} is unchanged: the new {label} should move by alpha times the gradient"),
            (P + alpha * dP, f"{label} moved uphill: the step should go against the gradient d{label}"),
            (P - dP, f"{label} moved by the whole gradient: the learning rate alpha is missing"),
            (P + dP, f"{label} moved uphill by the whole gradient: check the sign and the learning rate"),
            (
                P - other_alpha * dP,
                f"{label} moved by {other_alpha:g} times the gradient: use the alpha argument ({alpha:g})",
            ),
            (-alpha * dP, f"{label} is -alpha d{label} alone: the step should start from the old {label}"),
            (alpha * dP, f"{label} is alpha d{label} alone: the step should start from the old {label}"),
        ],
    )


@checker
def check_update_params(update_params_fn: Callable) -> None:
    """Check ``update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha)`` -> ``(W1, b1, W2, b2)``.

    Each returned parameter must equal ``P - alpha * dP`` for two different learning rates.
    """
    __tracebackhide__ = True  # noqa: F841
    name = "update_params"
    for seed, alpha, other in ((0, 0.1, 0.5), (1, 0.5, 0.1)):
        params, grads = _update_inputs(seed)
        labels = (*PARAM_LABELS, *GRAD_LABELS)
        result = call_student(name, update_params_fn, *params, *grads, alpha, labels=labels)
        result = expect_tuple(name, result, PARAM_LABELS)
        expected = update_params(*params, *grads, alpha)
        for label, actual, P, dP, exp in zip(PARAM_LABELS, result, params, grads, expected):
            arr = as_array_or_none(actual)
            if arr is not None and arr.shape == P.shape:
                problem = _diagnose_update(label, arr, P, dP, alpha, other)
                if problem:
                    fail(name, f"with alpha={alpha:g}, {problem}")
            expect_array(name, f"the new {label}", actual, exp, hint=f"expected {label} - alpha * d{label}")
    succeed(name)


# --------------------------------------------------------------------------------------------
# The training loop
# --------------------------------------------------------------------------------------------
def _loop_problem() -> tuple[np.ndarray, np.ndarray, Params]:
    """A small problem of the course's shapes: X (784, 16) with sparse ink, labels y (16,) in
    0..9, parameters for 784-10-10."""
    rng = np.random.default_rng(42)
    X = rng.random((784, 16)) * (rng.random((784, 16)) < 0.2)
    y = rng.integers(0, 10, 16)
    params = init_params(784, 10, 10, seed=3, scheme="he")
    return X, y, params


def _reference_trajectory(
    X: np.ndarray, y: np.ndarray, params: Params, alpha: float, iterations: int
) -> tuple[list[Params], list[float]]:
    """Parameters after 0..iterations updates and the loss before each update."""
    trajectory, losses = [params], []
    for _ in range(iterations):
        Z1, A1, Z2, A2 = forward_prop(*params, X)
        losses.append(cross_entropy(A2, y))
        grads = backward_prop(Z1, A1, Z2, A2, params[0], params[2], X, y)
        params = update_params(*params, *grads, alpha)
        trajectory.append(params)
    return trajectory, losses


def _params_equal(actual: tuple, expected: Params) -> bool:
    arrays = [as_array_or_none(a) for a in actual]
    return all(a is not None and close(a, e) for a, e in zip(arrays, expected))


@checker
def check_training_loop(training_loop_fn: Callable) -> None:
    """Check ``training_loop(X, Y, params, alpha, iterations)`` -> ``(params, losses)``.

    Starting from ``params`` it must run ``iterations`` steps of forward_prop, cross_entropy
    (recorded before the step), backward_prop and update_params, and return the final
    parameters and the list of the ``iterations`` losses.
    """
    __tracebackhide__ = True  # noqa: F841
    name = "training_loop"
    X, y, params = _loop_problem()
    for alpha, iterations in ((0.5, 6), (0.2, 3)):
        result = call_student(
            name, training_loop_fn, X, y, params, alpha, iterations, labels=("X", "Y", "params")
        )
        new_params, losses = expect_tuple(name, result, ("params", "losses"))
        new_params = expect_tuple(name, new_params, PARAM_LABELS)
        trajectory, ref_losses = _reference_trajectory(X, y, params, alpha, iterations + 1)
        expected = trajectory[iterations]
        for label, actual, exp in zip(PARAM_LABELS, new_params, expected):
            arr = as_array_or_none(actual)
            problem = None if arr is None else shape_problem(f"the final {label}", arr.shape, exp.shape)
            if problem:
                fail(name, problem + ": start from the params you are given")
        losses_arr = as_array_or_none(losses)
        if (
            losses_arr is not None
            and losses_arr.ndim == 1
            and losses_arr.size
            and not np.isclose(losses_arr[0], ref_losses[0])
            and not np.isclose(losses_arr[0], ref_losses[1])
        ):
            fail(
                name,
                f"the first loss is {losses_arr[0]:.4g}, but the params you are given have a loss of "
                f"{ref_losses[0]:.4g}: start from the params you are given",
            )
        if not _params_equal(new_params, expected):
            _fail_on_a_known_params_mistake(name, (X, y, params), alpha, iterations, new_params, trajectory)
        for label, actual, exp in zip(PARAM_LABELS, new_params, expected):
            expect_array(name, f"the final {label}", actual, exp)
        _check_losses(name, losses, ref_losses, iterations)
    succeed(name)


def _fail_on_a_known_params_mistake(name, problem, alpha, iterations, new_params, trajectory) -> None:
    """Fail naming the mistake when ``new_params`` are those of another alpha or step count."""
    X, y, params = problem
    for other in (0.1, 0.01, 0.05, 1.0, 0.5, 0.2):
        if other != alpha and _params_equal(
            new_params, _reference_trajectory(X, y, params, other, iterations)[0][-1]
        ):
            fail(
                name,
                f"with alpha={alpha:g} the final parameters are those of a learning rate of "
                f"{other:g}: use the alpha argument",
            )
    done = [k for k, p in enumerate(trajectory) if _params_equal(new_params, p)]
    if done == [0]:
        fail(name, "the parameters did not change: keep the result of update_params each iteration")
    if done:
        fail(
            name,
            f"with iterations={iterations} the final parameters are those after {done[0]} "
            f"update(s), expected {iterations}",
        )


def _check_losses(name: str, losses, ref_losses: list, iterations: int) -> None:
    """Fail unless ``losses`` are the ``iterations`` losses before each update, in order."""
    arr = as_array_or_none(losses)
    if arr is None or arr.ndim != 1:
        got = "something else" if arr is None else f"shape {arr.shape}"
        fail(name, f"losses should be a list of {iterations} numbers, got {got}")
    if arr.size != iterations:
        fail(name, f"losses has {arr.size} entries, expected {iterations} (one per iteration)")
    if not np.allclose(arr, ref_losses[:iterations]) and np.allclose(arr, ref_losses[1 : iterations + 1]):
        fail(
            name,
            "each loss is measured after its update: record the loss of the forward pass, "
            "before update_params",
        )
    expect_array(name, "losses", arr, np.array(ref_losses[:iterations]))
