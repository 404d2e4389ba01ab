"""The teaching round's new exercises: their reference cells (no notebook holds them yet) and
their mutants."""

from __future__ import annotations

from mutants.model import Mutant

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

#: solution grade_id -> (checker name, mutants).
EXERCISES: dict[str, tuple[str, list[Mutant]]] = {
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

#: solution grade_id -> the hidden tests for the check cell of each new exercise: what goes
#: between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` once a notebook holds it.
HIDDEN_TESTS = {
    "momentum_step": """\
_hrng = np.random.default_rng(119)
for _halpha, _hbeta, _hh in ((0.3, 0.0, 2), (0.02, 0.95, 6)):
    _hp = helpers.init_params(784, _hh, 10, seed=_hh)
    _hv = tuple(_hrng.standard_normal(_hx.shape) for _hx in _hp)
    _hg = tuple(_hrng.standard_normal(_hx.shape) for _hx in _hp)
    _hbefore = [_hx.copy() for _hx in (*_hp, *_hv, *_hg)]
    _hnew_p, _hnew_v = momentum_step(_hp, _hv, _hg, _halpha, _hbeta)
    for _hx, _hb in zip((*_hp, *_hv, *_hg), _hbefore):
        assert np.array_equal(_hx, _hb), "momentum_step changed its inputs in place"
    _hmsg = f"alpha={_halpha} beta={_hbeta}"
    for _hk, _hname in enumerate(("W1", "b1", "W2", "b2")):
        _hwant_v = _hbeta * _hv[_hk] + _hg[_hk]
        _hgot_v = np.asarray(_hnew_v[_hk], dtype=np.float64)
        np.testing.assert_allclose(_hgot_v, _hwant_v, rtol=1e-6, err_msg=f"V of {_hname}, {_hmsg}")
        _hgot_p = np.asarray(_hnew_p[_hk], dtype=np.float64)
        _hwant_p = _hp[_hk] - _halpha * _hwant_v
        np.testing.assert_allclose(_hgot_p, _hwant_p, rtol=1e-6, err_msg=f"{_hname}, {_hmsg}")""",
    "linear_decay": """\
for _halpha, _htotal in ((0.2, 1), (0.1, 7), (1.0, 1000)):
    _hrates = np.array([float(linear_decay(_halpha, _ht, _htotal)) for _ht in range(_htotal)])
    _hwant = _halpha * (1 - np.arange(_htotal) / _htotal)
    _hmsg = f"alpha={_halpha} total_steps={_htotal}"
    np.testing.assert_allclose(_hrates, _hwant, rtol=1e-9, err_msg=_hmsg)""",
    "l2_gradient": """\
_hrng = np.random.default_rng(120)
_hp = helpers.init_params(784, 4, 10, seed=4)
_hp = tuple(_hx + _hrng.normal(0, 0.1, _hx.shape) for _hx in _hp)  # non-zero biases
_hg = tuple(_hrng.standard_normal(_hx.shape) for _hx in _hp)
for _hlambd, _hm in ((0.0, 3), (5.0, 64)):
    _hbefore = [_hx.copy() for _hx in (*_hg, *_hp)]
    _hout = l2_gradient(_hg, _hp, _hlambd, _hm)
    for _hx, _hb in zip((*_hg, *_hp), _hbefore):
        assert np.array_equal(_hx, _hb), "l2_gradient changed its inputs in place"
    assert len(_hout) == 4, "l2_gradient should return (dW1, db1, dW2, db2)"
    _hwant = (_hg[0] + _hlambd / _hm * _hp[0], _hg[1], _hg[2] + _hlambd / _hm * _hp[2], _hg[3])
    for _hname, _hgot, _hw in zip(("dW1", "db1", "dW2", "db2"), _hout, _hwant):
        _hmsg = f"{_hname}, lambd={_hlambd} m={_hm}"
        _hgot = np.asarray(_hgot, dtype=np.float64)
        np.testing.assert_allclose(_hgot, _hw, rtol=1e-6, atol=1e-12, err_msg=_hmsg)""",
    "neuron_backprop": """\
for _hw, _hb, _hx, _ht in (
    (2.0, -0.5, 0.75, 0.0),
    (-0.3, 1.0, 4.0, 1.5),
    (1.0, -3.0, 1.0, 0.2),  # z < 0: the ReLU is off
    (0.5, 0.5, -3.0, -1.0),
):
    _hz = _hw * _hx + _hb
    _hdz = 2 * (max(_hz, 0.0) - _ht) * (1.0 if _hz > 0 else 0.0)
    _hgot = neuron_backprop(_hw, _hb, _hx, _ht)
    assert len(_hgot) == 2, "neuron_backprop should return (dw, db)"
    _hgot = np.asarray([np.asarray(_hv, dtype=np.float64).reshape(()) for _hv in _hgot])
    _hmsg = f"(dw, db) for w={_hw} b={_hb} x={_hx} t={_ht}"
    np.testing.assert_allclose(_hgot, [_hdz * _hx, _hdz], rtol=1e-6, atol=1e-12, err_msg=_hmsg)""",
    "softmax_jacobian": """\
for _hz in (
    np.zeros(2),
    np.array([3.0, -2.0, 0.5, 0.5, 1.0, -1.0, 2.0, 0.0, 0.1, -0.3]),
    np.array([10.0, -10.0, 0.0]),
):
    _ha = helpers.softmax(_hz[:, None])[:, 0]
    _hbefore = _ha.copy()
    _hj = np.asarray(softmax_jacobian(_ha), dtype=np.float64)
    assert np.array_equal(_ha, _hbefore), "softmax_jacobian changed its input a in place"
    assert _hj.shape == (_hz.size, _hz.size), f"J has shape {_hj.shape} for k = {_hz.size}"
    _hwant = np.diag(_ha) - np.outer(_ha, _ha)
    np.testing.assert_allclose(_hj, _hwant, atol=1e-12, err_msg=f"k = {_hz.size}")""",
}
