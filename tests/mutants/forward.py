"""Mutants of chapters 0-2: scaling pixels, one-hot labels, the forward pass, ReLU, softmax and
the cross-entropy loss."""

from __future__ import annotations

from mutants.model import Mutant

M = Mutant

#: solution grade_id -> (checker name, mutants).
EXERCISES: dict[str, tuple[str, list[Mutant]]] = {
    # ---------------------------------------------------------------- chapter 0
    "scale_pixels": (
        "check_scale_pixels",
        [
            M("not scaled", "return rows.astype(float)", ("reaches 255",)),
            M("transposed", "return (rows / 255.0).T", ("transposed",)),
            M("integer division", "return rows // 255", ("integer",)),
            M("divides by 256", "return rows / 256.0", ("255",)),
            M("half precision", "return rows.astype(np.float16) / 255", ("float16",)),
            M("divides by the image's max", "return rows / rows.max()", ("largest pixel",)),
            M("overwrites its input", "rows[...] = rows / 255.0\nreturn rows / 255.0", ("input", "in place")),
            M("flattens every image", "return rows.reshape(rows.shape[0], -1) / 255.0", ("shape",)),
            M("standardises", "return (rows - rows.mean()) / rows.std()", ("[0, 1]",)),
            M("centres on zero", "return rows / 255.0 - 0.5", ("[0, 1]",)),
        ],
    ),
    "one_hot": (
        "check_one_hot",
        [
            M("twos", "return np.eye(num_classes)[:, y] * 2", ("sums to 2",)),
            M(
                "ignores num_classes",
                "Y = np.zeros((10, y.size))\nY[y, np.arange(y.size)] = 1\nreturn Y",
                ("num_classes",),
            ),
            M(
                "classes from the data",
                "Y = np.zeros((y.max() + 1, y.size))\nY[y, np.arange(y.size)] = 1\nreturn Y",
                ("shape",),
            ),
            M(
                "examples as rows",
                "Y = np.zeros((y.size, num_classes))\nY[np.arange(y.size), y] = 1\nreturn Y",
                ("transposed",),
            ),
            M("whole rows set", "Y = np.zeros((num_classes, y.size))\nY[y, :] = 1\nreturn Y", ("column",)),
            M(
                "labels shifted by one",
                "Y = np.zeros((num_classes, y.size))\nY[y - 1, np.arange(y.size)] = 1\nreturn Y",
                ("shifted",),
            ),
            M("returns the labels", "return y", ("shape",)),
        ],
    ),
    # ---------------------------------------------------------------- chapter 1
    "first_layer": (
        "check_first_layer",
        [
            M("X before W1", "return X @ W1 + b1", ("raised valueerror",)),
            M("bias as a row", "return W1 @ X + b1.T", ("raised valueerror",)),
            M("missing bias", "return W1 @ X", ("bias",)),
            M("bias added into W1", "return (W1 + b1) @ X", ("b1", "w1")),
            M("examples as rows", "return X.T @ W1.T + b1.T", ("transposed",)),
            M("bias squeezed", "return W1 @ X + b1.squeeze()", ("shape",)),
            M("bias of one unit", "return W1 @ X + b1[0]", ("b1",)),
            M("with the ReLU", "return np.maximum(W1 @ X + b1, 0)", ("relu",)),
            M("squeeze then newaxis", "return W1 @ X + b1.squeeze()[:, np.newaxis]", ("raised indexerror",)),
        ],
    ),
    "forward_prop": (
        "check_forward_prop",
        [
            M(
                "three values",
                "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ A1 + b2\nreturn Z1, A1, Z2",
                ("4 values",),
            ),
            M(
                "hard-coded m",
                "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ A1 + b2\n"
                "return Z1, A1, Z2, helpers.softmax(Z2) + np.zeros((10, 6))",
                ("m = 1",),
            ),
            M(
                "naive softmax",
                "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ A1 + b2\n"
                "A2 = np.exp(Z2) / np.exp(Z2).sum(axis=0)\nreturn Z1, A1, Z2, A2",
                ("large",),
            ),
            M(
                "softmax shifted by the global max",
                "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ A1 + b2\n"
                "E = np.exp(Z2 - Z2.max())\nA2 = E / E.sum(axis=0)\nreturn Z1, A1, Z2, A2",
                ("large",),
            ),
            M(
                "no activation",
                "Z1 = W1 @ X + b1\nZ2 = W2 @ Z1 + b2\nreturn Z1, Z1, Z2, helpers.softmax(Z2)",
                ("activation",),
            ),
            M(
                "Z2 from Z1",
                "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ Z1 + b2\n"
                "return Z1, A1, Z2, helpers.softmax(Z2)",
                ("z1", "a1"),
            ),
            M(
                "ReLU on the output",
                "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ A1 + b2\n"
                "return Z1, A1, Z2, np.maximum(Z2, 0)",
                ("relu", "softmax"),
            ),
            M(
                "softmax over the wrong axis",
                "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ A1 + b2\n"
                "E = np.exp(Z2 - Z2.max(axis=1, keepdims=True))\n"
                "return Z1, A1, Z2, E / E.sum(axis=1, keepdims=True)",
                ("axis",),
            ),
            M(
                "b1 in place of b2",
                "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ A1 + b1\n"
                "return Z1, A1, Z2, helpers.softmax(Z2)",
                ("b1", "b2"),
            ),
            M(
                "missing b2",
                "Z1 = W1 @ X + b1\nA1 = np.maximum(Z1, 0)\nZ2 = W2 @ A1\n"
                "return Z1, A1, Z2, helpers.softmax(Z2)",
                ("bias", "b2"),
            ),
        ],
    ),
    # ---------------------------------------------------------------- chapter 2
    "relu": (
        "check_relu",
        [
            M("flattened", "return np.maximum(Z, 0).ravel()", ("shape",)),
            M("summed", "return np.maximum(Z, 0).sum()", ("scalar",)),
            M("np.max reduces", "return np.max(Z, 0)", ("shape",)),
            M("edits Z in place", "Z[Z < 0] = 0\nreturn Z", ("in place",)),
            M("absolute value", "return np.abs(Z)", ("negative",)),
            M("leaky", "return np.where(Z > 0, Z, 0.01 * Z)", ("negative",)),
            M("rounds to integers", "return np.maximum(Z, 0).astype(int)", ("whole",)),
            M(
                "only for 2-D arrays",
                "return np.array([[max(z, 0.0) for z in row] for row in Z])",
                ("raised typeerror",),
            ),
            M("Python's max", "return max(Z, 0)", ("raised valueerror",)),
        ],
    ),
    "relu_deriv": (
        "check_relu_deriv",
        [
            M("Z >= 0", "return (Z >= 0).astype(float)", ("z = 0",)),
            M("ReLU itself", "return np.maximum(Z, 0)", ("relu(z) itself",)),
            M("sign of Z", "return np.sign(Z)", ("z < 0",)),
            M("ones everywhere", "return np.ones_like(Z)", ("z < 0",)),
            M("edits Z in place", "Z[Z > 0] = 1\nZ[Z <= 0] = 0\nreturn Z", ("in place",)),
            M(
                "only for 2-D arrays",
                "return np.array([[1.0 if z > 0 else 0.0 for z in row] for row in Z])",
                ("raised typeerror",),
            ),
        ],
    ),
    "softmax": (
        "check_softmax",
        [
            M(
                "transposed",
                "E = np.exp(Z - Z.max(axis=0, keepdims=True))\nreturn (E / E.sum(axis=0, keepdims=True)).T",
                ("shape",),
            ),
            M("no exponential", "return Z / Z.sum(axis=0, keepdims=True)", ("notes' example",)),
            M(
                "naive",
                "E = np.exp(Z)\nreturn E / E.sum(axis=0, keepdims=True)",
                ("nan",),
                ("subtract", "maximum", "largest"),
            ),
            M(
                "shifted by the global max",
                "E = np.exp(Z - Z.max())\nreturn E / E.sum(axis=0, keepdims=True)",
                ("nan", "column"),
                ("subtract", "maximum", "largest"),
            ),
            M(
                "shifted by the column mean",
                "E = np.exp(Z - Z.mean(axis=0, keepdims=True))\nreturn E / E.sum(axis=0, keepdims=True)",
                ("nan",),
                ("subtract", "maximum", "largest"),
            ),
            M(
                "sums reshaped into a column",
                "E = np.exp(Z - Z.max(axis=0, keepdims=True))\nreturn E / E.sum(axis=0).reshape(-1, 1)",
                ("broadcast",),
            ),
            M(
                "row maxima without keepdims",
                "E = np.exp(Z - Z.max(axis=1))\nreturn E / E.sum(axis=0)",
                ("shape",),
            ),
            M(
                "max over the wrong axis",
                "E = np.exp(Z - Z.max(axis=1, keepdims=True))\nreturn E / E.sum(axis=0, keepdims=True)",
                ("shifted by its own amount",),
            ),
            M(
                "rows sum to one",
                "E = np.exp(Z - Z.max(axis=1, keepdims=True))\nreturn E / E.sum(axis=1, keepdims=True)",
                ("rows",),
            ),
            M("global sum", "E = np.exp(Z - Z.max(axis=0))\nreturn E / E.sum()", ("sums to",)),
            M(
                "edits Z in place",
                "Z -= Z.max(axis=0, keepdims=True)\nE = np.exp(Z)\nreturn E / E.sum(axis=0, keepdims=True)",
                ("in place",),
            ),
        ],
    ),
    "cross_entropy": (
        "check_cross_entropy",
        [
            M("sign flipped", "return float(np.sum(Y * np.log(A2)) / Y.shape[1])", ("sign",)),
            M("total, not mean", "return float(-np.sum(Y * np.log(A2)))", ("total",)),
            M("mean over all entries", "return float(-np.mean(Y * np.log(A2)))", ("10 m",)),
            M("m from the wrong axis", "return float(-np.sum(Y * np.log(A2)) / Y.shape[0])", ("classes",)),
            M("log10", "return float(-np.sum(Y * np.log10(A2)) / Y.shape[1])", ("logarithm",)),
            M("one loss per example", "return -np.sum(Y * np.log(A2), axis=0)", ("single number",)),
            M(
                "log of the masked probabilities",
                "return float(-np.mean(np.log(np.sum(A2 * Y, axis=1))))",
                ("loss",),
            ),
            M(
                "nudges A2 in place",
                "A2 += 1e-12\nreturn float(-np.sum(Y * np.log(A2)) / Y.shape[1])",
                ("changed its input a2 in place",),
            ),
            M(
                "probabilities clipped",
                "return float(-np.sum(Y * np.log(np.clip(A2, 1e-7, 1 - 1e-7))) / Y.shape[1])",
                ("certain",),
            ),
        ],
    ),
}
