"""Wrong solutions that only unusual inputs expose: exact zeros of ReLU and of softmax, very
negative, huge and integer logits, uint8 labels, float and (1, 1) results where integers or
numbers are due, inputs changed in place, and a blocked gradient that ignores its block; and a
few more of notebooks 04-05.

Each list here extends the exercise's list in the chapter modules (see ``mutants.EXERCISES``).
"""

from __future__ import annotations

from mutants.model import Mutant

M = Mutant

_FORWARD = (
    "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ A1 + b2\nreturn Z1, A1, Z2, helpers.softmax(Z2)"
)
_ZEROED = "W1[...] = 0\nb1[...] = 0\nX[...] = 0\n"

#: solution grade_id -> further mutants.
EXTRA: dict[str, list[Mutant]] = {
    "one_hot": [
        M(
            "flat index, wraps for uint8 labels",
            "Y = np.zeros((num_classes, y.size))\nY.flat[y * y.size + np.arange(y.size)] = 1\nreturn Y",
            ("uint8",),
        ),
    ],
    "first_layer": [
        M("zeroes its inputs", _ZEROED + "return W1 @ X + b1", ("in place",)),
    ],
    "forward_prop": [
        M("zeroes its inputs", _ZEROED + "W2[...] = 0\nb2[...] = 0\n" + _FORWARD, ("in place",)),
    ],
    "relu": [
        M(
            "integer Z returned as it is",
            "return np.maximum(Z, 0) if Z.dtype.kind == 'f' else Z",
            ("integer z",),
        ),
        M("float32 result", "return np.maximum(Z, 0).astype(np.float32)", ("inf", "extreme")),
    ],
    "relu_deriv": [
        M("slope 1 at subnormal zeros", "return (Z > -1e-300).astype(float) * (Z != 0)", ("z < 0",)),
    ],
    "softmax": [
        M(
            "shifted only on large logits",
            "Z = Z - Z.max(axis=0, keepdims=True) if Z.max() > 500 else Z\n"
            "E = np.exp(Z)\nreturn E / E.sum(axis=0, keepdims=True)",
            ("very negative",),
        ),
        M(
            "longdouble, not shifted",
            "E = np.exp(Z.astype(np.longdouble))\nreturn (E / E.sum(axis=0, keepdims=True)).astype(float)",
            ("huge logits",),
        ),
        M(
            "output allocated like Z",
            "A = np.empty_like(Z)\nE = np.exp(Z - Z.max(axis=0, keepdims=True))\n"
            "A[...] = E / E.sum(axis=0, keepdims=True)\nreturn A",
            ("integer logits",),
        ),
    ],
    "cross_entropy": [
        M("0 log 0", "return float(-np.sum(Y * np.log(A2)) / Y.shape[1])", ("nan", "exact zeros")),
        M(
            "a (1, 1) array",
            "loss = -np.sum(np.log(np.sum(Y * A2, axis=0))) / Y.shape[1]\nreturn np.array([[loss]])",
            ("one number", "(1, 1)"),
        ),
    ],
    "neuron_backprop": [
        M(
            "ReLU'(0) = 1",
            "z = w * x + b\ndz = 2 * (max(z, 0.0) - t) * (1.0 if z >= 0 else 0.0)\nreturn dz * x, dz",
            ("exactly 0",),
        ),
        M(
            "arrays of shape (1,)",
            "z = w * x + b\ndz = 2 * (max(z, 0.0) - t) * (1.0 if z > 0 else 0.0)\n"
            "return np.array([dz * x]), np.array([dz])",
            ("one number", "(1,)"),
        ),
    ],
    "output_layer_grads": [
        M(
            "dZ2 allocated like Y",
            "m = Y.shape[1]\ndZ2 = np.zeros_like(Y)\ndZ2[...] = A2 - Y\n"
            "return dZ2, dZ2 @ A1.T / m, dZ2.sum(axis=1, keepdims=True) / m",
            ("integer one-hot y",),
        ),
    ],
    "update_params": [
        M(
            "alpha squared",
            "return tuple(P - alpha * alpha * d for P, d in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)))",
            ("values are off",),
        ),
        M("three values", "return W1 - alpha * dW1, b1 - alpha * db1, W2 - alpha * dW2", ("4 values",)),
    ],
    "training_loop": [
        M(
            "returns after the first step",
            "W1, b1, W2, b2 = params\nlosses = []\nfor _ in range(iterations):\n"
            "    Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)\n    losses.append(cross_entropy(A2, Y))\n"
            "    dW1, db1, dW2, db2 = backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)\n"
            "    W1, b1, W2, b2 = update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha)\n"
            "    return (W1, b1, W2, b2), losses\nreturn (W1, b1, W2, b2), losses",
            ("after 1 update(s)",),
        ),
    ],
    "get_predictions": [
        M("float predictions", "return np.argmax(A2, axis=0).astype(float)", ("integers", "index")),
    ],
    "get_accuracy": [
        M("an array of shape (1,)", "return np.array([np.mean(predictions == Y)])", ("one number", "(1,)")),
        M(
            "compares the wrong objects",
            "return float(np.mean(predictions is Y))",
            ("14 correct out of 20",),
            ("integer division",),
        ),
    ],
    "linear_decay": [
        M(
            "a (1, 1) array",
            "return np.array([[alpha * (1 - step / total_steps)]])",
            ("one number", "(1, 1)"),
        ),
    ],
    "blocked_gradients": [
        M(
            "one full-batch pass",
            "Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)\n"
            "return backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)",
            ("full-batch",),
        ),
        M(
            "every block on all of X",
            "m = X.shape[1]\ntotal = [np.zeros_like(p) for p in (W1, b1, W2, b2)]\n"
            "for s in range(0, m, block):\n    b = X[:, s : s + block].shape[1]\n"
            "    Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)\n"
            "    grads = backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)\n"
            "    for t, g in zip(total, grads):\n        t += g * (b / m)\nreturn tuple(total)",
            ("full-batch",),
        ),
        M(
            "sorts X and Y in place",
            "order = np.argsort(Y, kind='stable')\nX[...] = X[:, order]\nY[...] = Y[order]\n"
            "Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)\n"
            "return backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)",
            ("in place",),
        ),
    ],
}
