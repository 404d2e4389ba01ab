"""L2 weight decay: the penalty and its gradient against hand-worked values and central differences.

Its checker, ``check_l2_gradient``, is tested in ``test_checks_optimisation.py`` (with
:func:`helpers.l2_gradient` as the reference) and ``test_mutations.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import backward_prop, cross_entropy, forward_prop, init_params, l2_gradient, l2_penalty
from helpers.checks.backprop_basics import central_difference


def _problem(seed: int = 3):
    rng = np.random.default_rng(seed)
    params = tuple(p + rng.normal(0, 0.1, p.shape) for p in init_params(7, 4, 3, seed=seed, scheme="he"))
    return params, rng.random((7, 6)), rng.integers(0, 3, 6)


def test_penalty_is_half_lambda_over_m_times_the_squared_weights():
    W1, b1, W2, b2 = np.full((2, 3), 2.0), np.full((2, 1), 9.0), np.full((1, 2), -1.0), np.full((1, 1), 5.0)
    # sum W1^2 = 6 * 4 = 24, sum W2^2 = 2: (3 / (2 * 4)) * 26; the biases do not count
    assert l2_penalty((W1, b1, W2, b2), 3.0, 4) == pytest.approx(3.0 / 8 * 26)


def test_gradient_adds_lambda_over_m_times_the_weights_and_leaves_the_biases():
    params = np.full((2, 3), 2.0), np.full((2, 1), 9.0), np.full((1, 2), -1.0), np.full((1, 1), 5.0)
    grads = np.ones((2, 3)), np.full((2, 1), 0.5), np.zeros((1, 2)), np.full((1, 1), -1.0)
    # lambd / m = 3 / 4: dW1 = 1 + 0.75 * 2, dW2 = 0 + 0.75 * (-1); db1 and db2 as they were
    dW1, db1, dW2, db2 = l2_gradient(grads, params, 3.0, 4)
    assert np.array_equal(dW1, np.full((2, 3), 2.5)) and np.array_equal(dW2, np.full((1, 2), -0.75))
    assert np.array_equal(db1, np.full((2, 1), 0.5)) and np.array_equal(db2, np.full((1, 1), -1.0))


@pytest.mark.parametrize("lambd", [0.0, 0.5, 4.0])
def test_gradient_matches_central_differences_of_the_penalised_loss(lambd):
    params, X, y = _problem()
    m = X.shape[1]

    def loss(ps):
        return cross_entropy(forward_prop(*ps, X)[3], y) + l2_penalty(ps, lambd, m)

    grads = backward_prop(*forward_prop(*params, X), params[0], params[2], X, y)
    got = l2_gradient(grads, params, lambd, m)
    for i, G in enumerate(got):
        numeric = central_difference(
            lambda v, i=i: loss(tuple(v if j == i else p for j, p in enumerate(params))), params[i]
        )
        np.testing.assert_allclose(G, numeric, rtol=1e-5, atol=1e-8)


def test_biases_untouched_and_inputs_unchanged():
    params, X, y = _problem(5)
    grads = backward_prop(*forward_prop(*params, X), params[0], params[2], X, y)
    before = [a.copy() for a in (*grads, *params)]
    out = l2_gradient(grads, params, 2.0, 6)
    assert np.array_equal(out[1], grads[1]) and np.array_equal(out[3], grads[3])
    assert not np.allclose(out[0], grads[0])
    for a, b in zip((*grads, *params), before):
        assert np.array_equal(a, b)


@pytest.mark.parametrize(
    "lambd, m",
    [(-1.0, 5), (1.0, 0), (float("nan"), 5), (float("inf"), 5), (-float("inf"), 5), (1.0, float("nan"))],
)
def test_bad_arguments_are_named(lambd, m):
    params, X, y = _problem()
    with pytest.raises(ValueError, match="m >= 1 and lambd >= 0"):
        l2_penalty(params, lambd, m)
    with pytest.raises(ValueError, match="m >= 1 and lambd >= 0"):
        l2_gradient(params, params, lambd, m)
