"""Mutants of the exercises of the teaching round: the one neuron and the softmax's Jacobian
(chapter 3), momentum and the decaying learning rate (chapter 5), weight decay (chapter 8)."""

from __future__ import annotations

from mutants.model import Mutant

M = Mutant

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
