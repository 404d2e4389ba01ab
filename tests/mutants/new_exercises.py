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
