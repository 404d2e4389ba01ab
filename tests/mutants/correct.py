"""Right solutions written in unusual ways, which the visible checker and the hidden tests must
both accept: float32 (chapter 7 trains in it), longdouble, other dtypes of the result, copies made
before editing in place, vectorised and looped variants, other NumPy routes, and numbers that are
not floats (a ``Fraction``) or arrays that are not NumPy's (a pandas ``DataFrame``).

Each body replaces the exercise's ``### BEGIN SOLUTION`` .. ``### END SOLUTION`` block, like a
mutant's (see ``mutants.EXERCISES``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Correct:
    """A right solution: ``body`` replaces the solution block."""

    id: str
    body: str


C = Correct
_F32 = "W1, b1, W2, b2, X = (np.asarray(v, dtype=np.float32) for v in (W1, b1, W2, b2, X))\n"

#: solution grade_id -> unusual right solutions.
CORRECT: dict[str, list[Correct]] = {
    "scale_pixels": [
        C("float32", "return rows.astype(np.float32) / 255"),
        C("true_divide", "return np.true_divide(rows, 255)"),
    ],
    "one_hot": [
        C("rows of the identity", "return np.eye(num_classes)[:, y]"),
        C("booleans", "return np.arange(num_classes)[:, None] == y"),
        C(
            "integers",
            "Y = np.zeros((num_classes, y.size), dtype=int)\nY[y, np.arange(y.size)] = 1\nreturn Y",
        ),
    ],
    "first_layer": [
        C("float32", "return W1.astype(np.float32) @ X.astype(np.float32) + b1.astype(np.float32)"),
        C("einsum", "return np.einsum('hn,nm->hm', W1, X) + b1"),
        C("a copy edited in place", "Z = W1 @ X\nZ += b1\nreturn Z"),
    ],
    "forward_prop": [
        C(
            "float32",
            _F32 + "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ A1 + b2\n"
            "E = np.exp(Z2 - Z2.max(axis=0, keepdims=True))\n"
            "return Z1, A1, Z2, E / E.sum(axis=0, keepdims=True)",
        ),
        C(
            "a list",
            "Z1 = W1 @ X + b1\nA1 = helpers.relu(Z1)\nZ2 = W2 @ A1 + b2\n"
            "return [Z1, A1, Z2, helpers.softmax(Z2)]",
        ),
    ],
    "relu": [
        C("where", "return np.where(Z > 0, Z, 0)"),
        C("clip", "return np.clip(Z, 0, None)"),
        C("a copy edited in place", "A = np.array(Z, copy=True)\nA[A < 0] = 0\nreturn A"),
    ],
    "relu_deriv": [
        C("the dtype of Z", "return (Z > 0).astype(Z.dtype)"),
        C("heaviside", "return np.heaviside(Z, 0.0)"),
        C("booleans", "return Z > 0"),
        C("float32", "return (Z > 0).astype(np.float32)"),
    ],
    "softmax": [
        C(
            "longdouble, shifted",
            "Z = np.asarray(Z, dtype=np.longdouble)\nE = np.exp(Z - Z.max(axis=0, keepdims=True))\n"
            "return E / E.sum(axis=0, keepdims=True)",
        ),
        C(
            "float32",
            "Z = np.asarray(Z, dtype=np.float32)\nE = np.exp(Z - Z.max(axis=0, keepdims=True))\n"
            "return E / E.sum(axis=0, keepdims=True)",
        ),
        C(
            "log-sum-exp",
            "S = Z - Z.max(axis=0, keepdims=True)\n"
            "return np.exp(S - np.log(np.exp(S).sum(axis=0, keepdims=True)))",
        ),
        C(
            "a float copy edited in place",
            "A = np.array(Z, dtype=float)\nA -= A.max(axis=0, keepdims=True)\nnp.exp(A, out=A)\n"
            "A /= A.sum(axis=0, keepdims=True)\nreturn A",
        ),
        C(
            "column by column",
            "A = np.zeros(Z.shape)\nfor j in range(Z.shape[1]):\n    e = np.exp(Z[:, j] - Z[:, j].max())\n"
            "    A[:, j] = e / e.sum()\nreturn A",
        ),
    ],
    "cross_entropy": [
        C("mean of the true class's log", "return -np.mean(np.log(np.sum(Y * A2, axis=0)))"),
        C("indexed", "return float(-np.mean(np.log(A2[Y.argmax(axis=0), np.arange(Y.shape[1])])))"),
        C(
            "floored at a tiny epsilon",
            "return float(-np.sum(Y * np.log(np.maximum(A2, 1e-300))) / Y.shape[1])",
        ),
        C(
            "float32",
            "p = np.sum(Y.astype(np.float32) * A2.astype(np.float32), axis=0)\nreturn -np.mean(np.log(p))",
        ),
        C("a 0-d array", "return -np.mean(np.log(np.sum(Y * A2, axis=0)), keepdims=False)"),
        C(
            "float32 inside, a float out",
            "p = np.sum(Y * A2, axis=0).astype(np.float32)\nreturn float(-np.mean(np.log(p)))",
        ),
    ],
    "neuron_backprop": [
        C(
            "NumPy numbers",
            "z = np.float64(w) * x + b\ndz = 2 * (np.maximum(z, 0.0) - t) * float(z > 0)\nreturn dz * x, dz",
        ),
        C("a list", "z = w * x + b\ndz = 2 * (max(z, 0.0) - t) if z > 0 else 0.0\nreturn [dz * x, dz]"),
        C(
            "an array of the two",
            "z = w * x + b\ndz = 2 * (max(z, 0.0) - t) if z > 0 else 0.0\nreturn np.array([dz * x, dz])",
        ),
    ],
    "softmax_jacobian": [
        C("diagflat", "return np.diagflat(a) - a[:, None] * a[None, :]"),
        C(
            "loops",
            "k = a.size\nJ = np.zeros((k, k))\nfor i in range(k):\n    for j in range(k):\n"
            "        J[i, j] = a[i] * ((i == j) - a[j])\nreturn J",
        ),
    ],
    "output_layer_grads": [
        C(
            "float32",
            "m = Y.shape[1]\ndZ2 = (A2 - Y).astype(np.float32)\nA1 = A1.astype(np.float32)\n"
            "return dZ2, dZ2 @ A1.T / m, dZ2.mean(axis=1, keepdims=True)",
        ),
        C(
            "a list",
            "m = Y.shape[1]\ndZ2 = A2 - Y\nreturn [dZ2, dZ2 @ A1.T / m, dZ2.mean(axis=1, keepdims=True)]",
        ),
    ],
    "hidden_layer_grads": [
        C(
            "a boolean mask",
            "m = X.shape[1]\ndZ1 = (W2.T @ dZ2) * (Z1 > 0)\n"
            "return dZ1, dZ1 @ X.T / m, dZ1.mean(axis=1, keepdims=True)",
        ),
    ],
    "update_params": [
        C(
            "copies edited in place",
            "new = [p.copy() for p in (W1, b1, W2, b2)]\n"
            "for p, d in zip(new, (dW1, db1, dW2, db2)):\n    p -= alpha * d\nreturn tuple(new)",
        ),
    ],
    "get_predictions": [
        C("int32", "return np.argmax(A2, axis=0).astype(np.int32)"),
        C("uint8", "return A2.argmax(0).astype(np.uint8)"),
    ],
    "get_accuracy": [
        C(
            "a Fraction",
            "from fractions import Fraction\nreturn Fraction(int(np.sum(predictions == Y)), len(Y))",
        ),
        C("count over size", "return np.count_nonzero(predictions == Y) / Y.size"),
        C("float32", "return np.float32(np.mean(predictions == Y))"),
    ],
    "training_loop": [
        C(
            "a list of params",
            "params = list(params)\nlosses = []\nfor _ in range(iterations):\n"
            "    Z1, A1, Z2, A2 = forward_prop(*params, X)\n    losses.append(cross_entropy(A2, Y))\n"
            "    grads = backward_prop(Z1, A1, Z2, A2, params[0], params[2], X, Y)\n"
            "    params = list(update_params(*params, *grads, alpha))\nreturn params, np.array(losses)",
        ),
    ],
    "momentum_step": [
        C(
            "lists",
            "new_v = [beta * V + dP for V, dP in zip(velocities, grads)]\n"
            "return [P - alpha * V for P, V in zip(params, new_v)], new_v",
        ),
    ],
    "linear_decay": [
        C("a Fraction", "from fractions import Fraction\nreturn alpha * (1 - Fraction(step, total_steps))"),
        C("alpha minus the steps taken", "return alpha - alpha * step / total_steps"),
        C("a 0-d array", "return np.array(alpha * (1 - step / total_steps))"),
    ],
    "confusion_matrix": [
        C(
            "bincount",
            "return np.bincount(10 * np.asarray(y_true, dtype=int) + y_pred, minlength=100).reshape(10, 10)",
        ),
        C(
            "a loop",
            "C = np.zeros((10, 10), dtype=int)\nfor t, p in zip(y_true, y_pred):\n    C[t, p] += 1\nreturn C",
        ),
        C(
            "nested lists",
            "C = [[0] * 10 for _ in range(10)]\nfor t, p in zip(y_true, y_pred):\n"
            "    C[int(t)][int(p)] += 1\nreturn C",
        ),
    ],
    "blocked_gradients": [
        C(
            "array_split",
            "m = X.shape[1]\nparts = max(1, -(-m // block))\n"
            "total = [np.zeros_like(p) for p in (W1, b1, W2, b2)]\n"
            "for cols in np.array_split(np.arange(m), parts):\n"
            "    Xb, Yb = X[:, cols], Y[cols]\n    Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, Xb)\n"
            "    for t, g in zip(total, backward_prop(Z1, A1, Z2, A2, W1, W2, Xb, Yb)):\n"
            "        t += g * (len(cols) / m)\nreturn tuple(total)",
        ),
        C(
            "sums first, divided once",
            "m = X.shape[1]\ntotal = [np.zeros_like(p) for p in (W1, b1, W2, b2)]\n"
            "for s in range(0, m, block):\n    Xb, Yb = X[:, s : s + block], Y[s : s + block]\n"
            "    Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, Xb)\n"
            "    for t, g in zip(total, backward_prop(Z1, A1, Z2, A2, W1, W2, Xb, Yb)):\n"
            "        t += g * Xb.shape[1]\nreturn tuple(t / m for t in total)",
        ),
    ],
    "l2_gradient": [
        C(
            "a list",
            "out = list(grads)\nout[0] = out[0] + lambd / m * params[0]\n"
            "out[2] = out[2] + lambd / m * params[2]\nreturn out",
        ),
    ],
}
