"""The full-batch gradient taken in blocks of columns, the blocks shared out among threads.

Tricks 3 and 4 of :mod:`helpers.fast` (chapter 7, section 6): each block of X is small enough to
stay in the CPU cache from ``Z1 = W1 X`` to ``dW1 = dZ1 X^T``, so X is read from memory once per
iteration; whole blocks go to each thread, every block with single-threaded BLAS.
:func:`helpers.fast.gradient_descent` is the loop that uses them.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import numpy as np

from helpers.blas_threads import limit_blas_threads
from helpers.nn import Params, backward_prop, cross_entropy, forward_prop, get_predictions


def block_columns(X: np.ndarray, threads: int, target_bytes: int | None = None) -> int:
    """Columns per block so that one block of X (n, m) takes about ``target_bytes``.

    A block must survive in cache from forward_prop (Z1 = W1 X) to backward_prop
    (dW1 = dZ1 X^T); much smaller blocks add Python overhead per block, much larger ones fall
    out of cache so that X is read from memory twice. By default a block is 8 MB, less when more
    than two threads work at once, so that the blocks in flight take at most 16 MB. The number
    of blocks is rounded up to a multiple of ``threads`` so that every thread gets the same share.
    """
    if target_bytes is None:
        target_bytes = min(8 << 20, (16 << 20) // threads)
    n, m = X.shape
    n_blocks = max(1, -(-m * n * X.itemsize // target_bytes))
    n_blocks = -(-n_blocks // threads) * threads
    return max(1, -(-m // n_blocks))


def block_sums(
    W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, Xb: np.ndarray, yb: np.ndarray
) -> tuple[float, int, Params]:
    """forward_prop and backward_prop on one block Xb (n, b) with labels yb (b,), summed, not averaged.

    The formulas of :mod:`helpers.nn` (dZ2 = A2 - Y, dW2 = dZ2 A1^T, dZ1 = W2^T dZ2 * ReLU'(Z1),
    dW1 = dZ1 X^T) without their 1/b, written in place and without the shape checks a public
    call makes, so that a block costs about a third of the Python time. Returns the summed loss
    -sum log A2[y_i, i], the number of correct predictions and the summed gradients
    (dW1, db1, dW2, db2), shaped like the parameters.
    """
    cols = np.arange(Xb.shape[1])
    Z1 = W1 @ Xb
    Z1 += b1
    A1 = np.maximum(Z1, 0)
    A2 = W2 @ A1  # softmax(W2 A1 + b2), in place
    A2 += b2
    A2 -= A2.max(axis=0, keepdims=True)
    np.exp(A2, out=A2)
    A2 /= A2.sum(axis=0, keepdims=True)
    p_true = np.maximum(A2[yb, cols], np.finfo(A2.dtype).tiny)  # floored as cross_entropy does
    loss = -float(np.log(p_true).sum(dtype=np.float64))
    correct = int(np.count_nonzero(A2.argmax(axis=0) == yb))
    dZ2 = A2
    dZ2[yb, cols] -= 1  # A2 - Y
    dZ1 = W2.T @ dZ2
    dZ1 *= Z1 > 0
    grads = (dZ1 @ Xb.T, dZ1.sum(axis=1, keepdims=True), dZ2 @ A1.T, dZ2.sum(axis=1, keepdims=True))
    return loss, correct, grads


def full_batch_gradients(
    params: Params, X: np.ndarray, labels: np.ndarray, block: int, pool: ThreadPoolExecutor | None = None
) -> tuple[float, float, Params]:
    """Loss, accuracy and mean gradients over all m columns of X (n, m), block by block.

    Each block of at most ``block`` columns gives its summed loss and gradients
    (:func:`block_sums`); their totals divided by m are the means over all m examples, the
    full-batch gradient of :func:`helpers.nn.backward_prop`. With a thread ``pool`` the blocks
    are shared out among its threads; the sums are still taken in block order, so the result
    does not depend on it. One block covering X is handed to the reference functions as it is.
    Returns ``(loss, accuracy, (dW1, db1, dW2, db2))``, gradients shaped like their parameters.
    """
    W1, b1, W2, b2 = params
    m = X.shape[1]
    if block >= m:  # one block: the reference's numbers, nothing to add up
        Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
        correct = int(np.count_nonzero(get_predictions(A2) == labels))
        return cross_entropy(A2, labels), correct / m, backward_prop(Z1, A1, Z2, A2, W1, W2, X, labels)

    def one_block(s: int) -> tuple[float, int, Params]:
        with np.errstate(over="ignore", invalid="ignore"):  # per thread: worker threads start afresh
            return block_sums(W1, b1, W2, b2, X[:, s : s + block], labels[s : s + block])

    starts = range(0, m, block)
    total: list[np.ndarray] = []
    loss_sum, correct = 0.0, 0
    for loss, right, grads in pool.map(one_block, starts) if pool else map(one_block, starts):
        loss_sum += loss
        correct += right
        if not total:
            total = list(grads)
        else:
            for t, g in zip(total, grads):
                t += g
    return loss_sum / m, correct / m, tuple(t / m for t in total)  # type: ignore[return-value]


@contextmanager
def block_workers(n_blocks: int, counts: tuple[int, ...]) -> Iterator[dict[int, ThreadPoolExecutor | None]]:
    """A pool of threads for each worker count in ``counts``, with BLAS single-threaded meanwhile.

    Yields ``{count: pool}``; a count of 1 (or a single block) gets no pool, and BLAS runs
    single-threaded all the same (trick 4 of :mod:`helpers.fast`).
    """
    with limit_blas_threads(1), ExitStack() as stack:
        pools: dict[int, ThreadPoolExecutor | None] = {}
        for count in counts:
            workers = min(int(count), n_blocks)
            pools[count] = stack.enter_context(ThreadPoolExecutor(workers)) if workers > 1 else None
        yield pools


__all__ = ["block_columns", "block_sums", "block_workers", "full_batch_gradients"]
