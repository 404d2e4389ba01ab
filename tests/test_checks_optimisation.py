"""The teaching round's checkers: their references follow helpers.train, pass, and stubs are
told so; the numerical derivatives they rest on are accurate.

The reference of ``check_l2_gradient`` is the course's own, :func:`helpers.l2_gradient`, tested
against hand-worked values and central differences in ``test_regularisation.py``. The checkers'
wrong solutions are in ``test_mutations.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import l2_gradient, nn, training
from helpers.checks import (
    CheckFailed,
    check_l2_gradient,
    check_linear_decay,
    check_momentum_step,
    check_neuron_backprop,
    check_softmax_jacobian,
)
from helpers.checks.backprop_basics import central_difference
from helpers.checks.core import NOT_IMPLEMENTED


def momentum_step(params, velocities, grads, alpha, beta):
    new_v = tuple(beta * V + dP for V, dP in zip(velocities, grads))
    return tuple(P - alpha * V for P, V in zip(params, new_v)), new_v


def linear_decay(alpha, step, total_steps):
    return alpha * (1 - step / total_steps)


def neuron_backprop(w, b, x, t):
    z = w * x + b
    dz = 2 * (max(z, 0.0) - t) * (1.0 if z > 0 else 0.0)
    return dz * x, dz


def softmax_jacobian(a):
    return np.diag(a) - np.outer(a, a)


REFERENCES = [
    (check_momentum_step, momentum_step),
    (check_linear_decay, linear_decay),
    (check_l2_gradient, l2_gradient),
    (check_neuron_backprop, neuron_backprop),
    (check_softmax_jacobian, softmax_jacobian),
]
IDS = [c.__name__ for c, _ in REFERENCES]


@pytest.mark.parametrize(("check", "reference"), REFERENCES, ids=IDS)
def test_checker_passes_the_reference(check, reference, capsys):
    check(reference)
    assert capsys.readouterr().out.strip() == f"✓ {check.__name__.removeprefix('check_')}: all checks passed"


@pytest.mark.parametrize("check", [c for c, _ in REFERENCES], ids=IDS)
def test_checker_reports_an_unfinished_stub(check, capsys):
    def stub(*args):
        raise NotImplementedError()

    with pytest.raises(CheckFailed) as info:
        check(stub)
    assert str(info.value) == f"✗ {check.__name__.removeprefix('check_')}: {NOT_IMPLEMENTED}"


def test_momentum_and_linear_decay_are_what_train_does():
    """Three full-batch steps of helpers.train with momentum and the linear schedule equal three
    steps of the references above, starting from the same parameters (float64 throughout)."""
    rng = np.random.default_rng(0)
    X, y = rng.random((784, 12)), rng.integers(0, 10, 12)
    params = nn.init_params(784, 5, 10, seed=1)
    trained, _ = training.train(
        X, y, epochs=3, batch_size=12, alpha=0.3, momentum=0.8, schedule="linear",
        dtype=np.float64, params=params, progress=False,
    )  # fmt: skip
    velocities = tuple(np.zeros_like(p) for p in params)
    for step in range(3):
        Z1, A1, Z2, A2 = nn.forward_prop(*params, X)
        grads = nn.backward_prop(Z1, A1, Z2, A2, params[0], params[2], X, y)
        params, velocities = momentum_step(params, velocities, grads, linear_decay(0.3, step, 3), 0.8)
    for got, want in zip(trained, params):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_central_difference_matches_known_derivatives():
    x = np.array([[0.5, -1.2], [2.0, 0.1]])
    np.testing.assert_allclose(central_difference(lambda v: float(np.sum(v**3)), x), 3 * x**2, rtol=1e-8)
    z = np.array([0.3, -0.4, 1.0])
    J = central_difference(lambda v: np.sin(v) * v.sum(), z)  # J[i, j] = d f_i / d z_j
    assert J.shape == (3, 3)
    np.testing.assert_allclose(J, np.diag(np.cos(z) * z.sum()) + np.sin(z)[:, None], rtol=1e-7)


def test_the_softmax_jacobian_reference_is_the_numerical_one():
    z = np.array([1.3, 5.1, 2.2, 0.7, 1.1])
    a = nn.softmax(z[:, None])[:, 0]
    numerical = central_difference(lambda v: nn.softmax(v[:, None])[:, 0], z)
    np.testing.assert_allclose(softmax_jacobian(a), numerical, atol=1e-8)
