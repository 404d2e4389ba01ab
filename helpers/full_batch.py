"""The full-batch gradient taken in blocks of columns, the blocks shared out among threads.

Tricks 3-6 of :mod:`helpers.fast` (chapter 7, section 6): each block of X is small enough to
stay in the CPU cache from ``Z1 = W1 X`` to ``dW1 = dZ1 X^T``, so X is read from memory once per
iteration; whole blocks go to each thread, every block with single-threaded BLAS, and with
more workers than cores beside a busy program. :func:`forward_in_place` and
:func:`backward_in_place` are the lean propagation shared by a block and by the mini-batch step
:class:`helpers.fast.FastStep`; :class:`helpers.fast.BlockedGradient` hands the blocks to
the training loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import numpy as np

from helpers.blas_threads import limit_blas_threads
from helpers.nn import Params, log_loss_sum


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


def forward_in_place(
    W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, X: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """forward_prop of :mod:`helpers.nn` on X (n, b), the biases and softmax applied in place.

    Returns Z1 (h, b), A1 = ReLU(Z1) (h, b) and A2 = softmax(W2 A1 + b2) (k, b), without the
    shape checks of the public call and without keeping Z2 (A2 is computed in its place).
    """
    Z1 = W1 @ X
    Z1 += b1
    A1 = np.maximum(Z1, 0)
    A2 = W2 @ A1
    A2 += b2
    A2 -= A2.max(axis=0, keepdims=True)
    np.exp(A2, out=A2)
    A2 /= A2.sum(axis=0, keepdims=True)
    return Z1, A1, A2


def backward_in_place(
    dZ2: np.ndarray, Z1: np.ndarray, A1: np.ndarray, W2: np.ndarray, X: np.ndarray, grads: Params
) -> None:
    """backward_prop of :mod:`helpers.nn` from dZ2 (k, b), written into ``grads`` (dW1, db1, dW2, db2).

    dW2 = dZ2 A1^T, db2 = the sum of dZ2 over the b examples, dZ1 = W2^T dZ2 * ReLU'(Z1),
    dW1 = dZ1 X^T, db1 = the sum of dZ1: the caller gives dZ2 = A2 - Y already divided by b for
    means, or not for sums. ``grads`` are arrays shaped like the parameters.
    """
    dW1, db1, dW2, db2 = grads
    np.matmul(dZ2, A1.T, out=dW2)
    dZ2.sum(axis=1, keepdims=True, out=db2)
    dZ1 = W2.T @ dZ2
    dZ1 *= Z1 > 0
    np.matmul(dZ1, X.T, out=dW1)
    dZ1.sum(axis=1, keepdims=True, out=db1)


def block_sums(
    W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray, Xb: np.ndarray, yb: np.ndarray
) -> tuple[float, int, Params]:
    """forward_prop and backward_prop on one block Xb (n, b) with labels yb (b,), summed, not averaged.

    The formulas of :mod:`helpers.nn` without their 1/b (:func:`forward_in_place`,
    :func:`backward_in_place`), so that a block costs about a third of the Python time of the
    public calls. Returns the summed loss -sum log A2[y_i, i], the number of correct predictions
    and the summed gradients (dW1, db1, dW2, db2), shaped like the parameters.
    """
    cols = np.arange(Xb.shape[1])
    Z1, A1, A2 = forward_in_place(W1, b1, W2, b2, Xb)
    loss = log_loss_sum(A2[yb, cols])
    correct = int(np.count_nonzero(A2.argmax(axis=0) == yb))
    dZ2 = A2  # in place: A2 is not needed any more
    dZ2[yb, cols] -= 1  # A2 - Y
    grads = (np.empty_like(W1), np.empty_like(b1), np.empty_like(W2), np.empty_like(b2))
    backward_in_place(dZ2, Z1, A1, W2, Xb, grads)
    return loss, correct, grads


def full_batch_gradients(
    params: Params, X: np.ndarray, labels: np.ndarray, block: int, pool: ThreadPoolExecutor | None = None
) -> tuple[float, float, Params]:
    """Loss, accuracy and mean gradients over all m columns of X (n, m), block by block.

    Each block of at most ``block`` columns gives its summed loss and gradients
    (:func:`block_sums`); their totals divided by m are the means over all m examples, the
    full-batch gradient of :func:`helpers.nn.backward_prop`. With a thread ``pool`` the blocks
    are shared out among its threads; the sums are still taken in block order, so the result
    does not depend on it.
    Returns ``(loss, accuracy, (dW1, db1, dW2, db2))``, gradients shaped like their parameters.
    """
    W1, b1, W2, b2 = params
    m = X.shape[1]

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


__all__ = [
    "backward_in_place",
    "block_columns",
    "block_sums",
    "block_workers",
    "forward_in_place",
    "full_batch_gradients",
]
