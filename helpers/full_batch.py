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


def block_columns(X: np.ndarray, threads: int, target_bytes: int = 8 << 20) -> int:
    """Columns per block so that one block of X (n, m) takes about ``target_bytes``.

    A block must survive in cache from forward_prop (Z1 = W1 X) to backward_prop
    (dW1 = dZ1 X^T); much smaller blocks add Python overhead per block, much larger ones fall
    out of cache so that X is read from memory twice. The number of blocks is rounded up to a
    multiple of ``threads`` so that every thread gets the same share.
    """
    n, m = X.shape
    n_blocks = max(1, -(-m * n * X.itemsize // target_bytes))
    n_blocks = -(-n_blocks // threads) * threads
    return max(1, -(-m // n_blocks))


def full_batch_gradients(
    params: Params, X: np.ndarray, labels: np.ndarray, block: int, pool: ThreadPoolExecutor | None = None
) -> tuple[float, float, Params]:
    """Loss, accuracy and mean gradients over all m columns of X (n, m), block by block.

    Calls forward_prop and backward_prop on each block of at most ``block`` columns; the
    gradients of a block of b columns are means over b examples, so adding them with weight
    b / m gives the mean over all m. With a thread ``pool`` the blocks are shared out among
    its threads; the sums are still taken in block order, so the result does not depend on it.
    Returns ``(loss, accuracy, (dW1, db1, dW2, db2))``, gradients shaped like their parameters.
    """
    W1, b1, W2, b2 = params
    m = X.shape[1]

    def one_block(s: int) -> tuple[int, float, int, Params]:
        Xb, yb = X[:, s : s + block], labels[s : s + block]
        with np.errstate(over="ignore", invalid="ignore"):  # per thread: worker threads start afresh
            Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, Xb)
            correct = int(np.count_nonzero(get_predictions(A2) == yb))
            grads = backward_prop(Z1, A1, Z2, A2, W1, W2, Xb, yb)
            return Xb.shape[1], cross_entropy(A2, yb), correct, grads

    if block >= m:  # one block: the reference's numbers, nothing to add up
        b, loss, correct, grads = one_block(0)
        return loss, correct / m, grads
    starts = range(0, m, block)
    total: list[np.ndarray] = []
    loss_sum, correct = 0.0, 0
    for b, loss, right, grads in pool.map(one_block, starts) if pool else map(one_block, starts):
        loss_sum += loss * b
        correct += right
        if not total:
            total = [g * (b / m) for g in grads]
        else:
            for t, g in zip(total, grads):
                t += g * (b / m)
    return loss_sum / m, correct / m, tuple(total)  # type: ignore[return-value]


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


__all__ = ["block_columns", "block_workers", "full_batch_gradients"]
