"""Mutants of chapters 3-6: the gradients, the update step, predictions, accuracy, the training
loop and the confusion matrix."""

from __future__ import annotations

from mutants.model import Mutant

M = Mutant

#: The notebook's training loop with a slot before and after the update, for its mutants.
LOOP = """W1, b1, W2, b2 = params
losses = []
for _ in range(iterations):
    Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
    {before}
    dW1, db1, dW2, db2 = backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)
    W1, b1, W2, b2 = update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha)
    {after}
return (W1, b1, W2, b2), losses"""

#: solution grade_id -> (checker name, mutants).
EXERCISES: dict[str, tuple[str, list[Mutant]]] = {
    # ---------------------------------------------------------------- chapter 3
    "output_layer_grads": (
        "check_output_layer_grads",
        [
            M(
                "dZ2 = Y - A2",
                "m = Y.shape[1]\ndZ2 = Y - A2\n"
                "return dZ2, dZ2 @ A1.T / m, dZ2.sum(axis=1, keepdims=True) / m",
                ("opposite sign",),
            ),
            M(
                "dW2 summed over examples",
                "m = Y.shape[1]\ndZ2 = A2 - Y\nreturn dZ2, dZ2 @ A1.T, dZ2.sum(axis=1, keepdims=True) / m",
                ("dw2", "sum", "mean"),
            ),
            M(
                "dW2 transposed",
                "m = Y.shape[1]\ndZ2 = A2 - Y\n"
                "return dZ2, A1 @ dZ2.T / m, dZ2.sum(axis=1, keepdims=True) / m",
                ("transposed",),
            ),
            M(
                "db2 one number",
                "m = Y.shape[1]\ndZ2 = A2 - Y\nreturn dZ2, dZ2 @ A1.T / m, np.sum(dZ2) / m",
                ("single number",),
            ),
            M(
                "db2 over the wrong axis",
                "m = Y.shape[1]\ndZ2 = A2 - Y\nreturn dZ2, dZ2 @ A1.T / m, dZ2.mean(axis=0)",
                ("db2", "shape"),
            ),
            M(
                "divided by the hidden units",
                "m = A1.shape[0]\ndZ2 = A2 - Y\n"
                "return dZ2, dZ2 @ A1.T / m, dZ2.sum(axis=1, keepdims=True) / m",
                ("the hidden units or the classes",),
            ),
            M(
                "edits A2 in place",
                "m = Y.shape[1]\nA2 -= Y\nreturn A2, A2 @ A1.T / m, A2.sum(axis=1, keepdims=True) / m",
                ("in place",),
            ),
            M(
                "db2 of absolute errors",
                "m = Y.shape[1]\ndZ2 = A2 - Y\n"
                "return dZ2, dZ2 @ A1.T / m, np.abs(dZ2).mean(axis=1, keepdims=True)",
                ("absolute",),
            ),
        ],
    ),
    "hidden_layer_grads": (
        "check_hidden_layer_grads",
        [
            M(
                "Z1 >= 0",
                "m = X.shape[1]\ndZ1 = (W2.T @ dZ2) * (Z1 >= 0)\n"
                "return dZ1, dZ1 @ X.T / m, dZ1.sum(axis=1, keepdims=True) / m",
                ("z1 = 0",),
                ("z1 > 0",),
            ),
            M(
                "ignores the ReLU",
                "m = X.shape[1]\ndZ1 = W2.T @ dZ2\n"
                "return dZ1, dZ1 @ X.T / m, dZ1.sum(axis=1, keepdims=True) / m",
                ("relu",),
            ),
            M(
                "the notes' 1/n slip",
                "m = X.shape[1]\ndZ1 = (W2.T @ dZ2) * (Z1 > 0)\n"
                "return dZ1, dZ1 @ X.T / X.shape[0], dZ1.sum(axis=1, keepdims=True) / m",
                ("784", "pixels", "m = 6"),
            ),
            M(
                "W2 not transposed",
                "m = X.shape[1]\ndZ1 = (W2 @ dZ2) * (Z1 > 0)\n"
                "return dZ1, dZ1 @ X.T / m, dZ1.sum(axis=1, keepdims=True) / m",
                ("w2",),
            ),
            M(
                "times ReLU instead of its slope",
                "m = X.shape[1]\ndZ1 = (W2.T @ dZ2) * np.maximum(Z1, 0)\n"
                "return dZ1, dZ1 @ X.T / m, dZ1.sum(axis=1, keepdims=True) / m",
                ("slope",),
            ),
            M(
                "dW1 transposed",
                "m = X.shape[1]\ndZ1 = (W2.T @ dZ2) * (Z1 > 0)\n"
                "return dZ1, X @ dZ1.T / m, dZ1.sum(axis=1, keepdims=True) / m",
                ("transposed",),
            ),
            M(
                "db1 summed",
                "m = X.shape[1]\ndZ1 = (W2.T @ dZ2) * (Z1 > 0)\n"
                "return dZ1, dZ1 @ X.T / m, dZ1.sum(axis=1, keepdims=True)",
                ("db1", "sum", "mean"),
            ),
        ],
    ),
    # ---------------------------------------------------------------- chapter 4
    "update_params": (
        "check_update_params",
        [
            M(
                "uphill",
                "return W1 + alpha * dW1, b1 + alpha * db1, W2 + alpha * dW2, b2 + alpha * db2",
                ("uphill",),
            ),
            M("no alpha", "return W1 - dW1, b1 - db1, W2 - dW2, b2 - db2", ("learning rate",)),
            M(
                "alpha hard-coded",
                "alpha = 0.1\nreturn W1 - alpha * dW1, b1 - alpha * db1, W2 - alpha * dW2, b2 - alpha * db2",
                ("alpha argument",),
            ),
            M(
                "in place",
                "W1 -= alpha * dW1\nb1 -= alpha * db1\nW2 -= alpha * dW2\nb2 -= alpha * db2\n"
                "return W1, b1, W2, b2",
                ("in place",),
            ),
            M(
                "wrong order",
                "return W1 - alpha * dW1, W2 - alpha * dW2, b1 - alpha * db1, b2 - alpha * db2",
                ("shape",),
            ),
            M(
                "steps alone",
                "return -alpha * dW1, -alpha * db1, -alpha * dW2, -alpha * db2",
                ("old",),
            ),
            M(
                "biases not updated",
                "return W1 - alpha * dW1, b1, W2 - alpha * dW2, b2",
                ("b1", "unchanged"),
            ),
        ],
    ),
    # ---------------------------------------------------------------- chapter 5
    "get_predictions": (
        "check_get_predictions",
        [
            M("wrong axis", "return np.argmax(A2, axis=1)", ("one prediction per example",)),
            M("flat argmax", "return np.argmax(A2)", ("scalar",)),
            M("squeezed", "return np.argmax(A2, axis=0).squeeze()", ("scalar",)),
            M("max, not argmax", "return np.max(A2, axis=0)", ("largest probabilities",)),
            M("argmin", "return np.argmin(A2, axis=0)", ("smallest",)),
            M("off by one", "return np.argmax(A2, axis=0) + 1", ("one more",)),
            M("one-hot", "return (A2 == A2.max(axis=0)).astype(int)", ("shape",)),
        ],
    ),
    "get_accuracy": (
        "check_get_accuracy",
        [
            M("count", "return np.sum(predictions == Y)", ("number of correct",)),
            M("percentage", "return 100 * np.mean(predictions == Y)", ("percentage",)),
            M("error rate", "return np.mean(predictions != Y)", ("wrong predictions",)),
            M("element-wise", "return predictions == Y", ("one number",)),
            M("integer division", "return np.sum(predictions == Y) // Y.size", ("whole number",)),
            M("over the classes", "return np.sum(predictions == Y) / 10", ("accuracy",)),
            M("rounded", "return round(float(np.mean(predictions == Y)), 2)", ("rounded",)),
        ],
    ),
    "training_loop": (
        "check_training_loop",
        [
            M(
                "loss after the update",
                LOOP.format(
                    before="", after="losses.append(cross_entropy(forward_prop(W1, b1, W2, b2, X)[3], Y))"
                ),
                ("before",),
            ),
            M(
                "updates not kept",
                LOOP.replace("W1, b1, W2, b2 = update_params", "update_params").format(
                    before="losses.append(cross_entropy(A2, Y))", after=""
                ),
                ("did not change",),
            ),
            M(
                "one step too many",
                LOOP.replace("range(iterations)", "range(iterations + 1)").format(
                    before="losses.append(cross_entropy(A2, Y))", after=""
                ),
                ("iterations=",),
            ),
            M(
                "alpha hard-coded",
                LOOP.replace(", alpha)", ", 0.1)").format(
                    before="losses.append(cross_entropy(A2, Y))", after=""
                ),
                ("alpha",),
            ),
            M(
                "fresh parameters",
                "params = helpers.init_params(784, 10, 10, seed=0)\n"
                + LOOP.format(before="losses.append(cross_entropy(A2, Y))", after=""),
                ("given",),
            ),
            M(
                "updates in place",
                LOOP.replace(
                    "W1, b1, W2, b2 = update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha)",
                    "W1 -= alpha * dW1\n    b1 -= alpha * db1\n    W2 -= alpha * dW2\n    b2 -= alpha * db2",
                ).format(before="losses.append(cross_entropy(A2, Y))", after=""),
                ("in place",),
            ),
            M(
                "no losses",
                LOOP.format(before="", after=""),
                ("losses",),
            ),
        ],
    ),
    # ---------------------------------------------------------------- chapter 6
    "confusion_matrix": (
        "check_confusion_matrix",
        [
            M(
                "transposed",
                "C = np.zeros((10, 10), dtype=np.int64)\nnp.add.at(C, (y_pred, y_true), 1)\nreturn C",
                ("transposed",),
            ),
            M(
                "fancy indexing does not accumulate",
                "C = np.zeros((10, 10), dtype=np.int64)\nC[y_true, y_pred] += 1\nreturn C",
                ("add up",),
            ),
            M(
                "size from the data",
                "k = max(y_true.max(), y_pred.max()) + 1\nC = np.zeros((k, k), dtype=np.int64)\n"
                "np.add.at(C, (y_true, y_pred), 1)\nreturn C",
                ("shape",),
            ),
            M(
                "row shares",
                "C = np.zeros((10, 10))\nnp.add.at(C, (y_true, y_pred), 1)\n"
                "return C / np.maximum(C.sum(axis=1, keepdims=True), 1)",
                ("shares",),
            ),
            M(
                "fractions of all",
                "C = np.zeros((10, 10))\nnp.add.at(C, (y_true, y_pred), 1)\nreturn C / y_true.size",
                ("fractions",),
            ),
            M(
                "counts in bytes",
                "C = np.zeros((10, 10), dtype=np.uint8)\nnp.add.at(C, (y_true, y_pred), 1)\nreturn C",
                ("overflowed",),
            ),
            M(
                "mistakes only",
                "C = np.zeros((10, 10), dtype=np.int64)\nnp.add.at(C, (y_true, y_pred), 1)\n"
                "np.fill_diagonal(C, 0)\nreturn C",
                ("diagonal",),
            ),
        ],
    ),
}
