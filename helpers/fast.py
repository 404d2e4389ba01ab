"""The fast engine: the training loops of :mod:`helpers.training` with a faster gradient and step.

The recipes, the command line and the benchmark train through this module; chapter 7 ("Making
it fast") builds each trick step by step. The tests check that the engine gives the plain
loops' parameters and History (float64 to 1e-12, float32 to 1e-5). The tricks, each measured
in ``benchmarks/README.md`` (tricks measured below 1.1x were left out):

1. :class:`FastStep`: per-step bookkeeping done once, buffers reused, no one-hot matrix.
2. BLAS threads chosen by timing (:class:`AdaptiveBlasThreads`, ``blas_threads="auto"``).
3. :class:`BlockedGradient`: the full-batch gradient in blocks that stay in the CPU cache.
4. Whole blocks per core, each with single-threaded BLAS (:func:`block_workers`).
5. Two block workers per core when that timed faster (:class:`TimedChoice`, :data:`WINDOW`).
6. Lean blocks: propagation in place, summed, without the public calls (:func:`block_sums`).
"""

from __future__ import annotations

from contextlib import ExitStack
from functools import partial

import numpy as np

from helpers import training
from helpers.blas_threads import AdaptiveBlasThreads, TimedChoice, default_threads
from helpers.full_batch import (
    backward_in_place,
    block_columns,
    block_workers,
    forward_in_place,
    full_batch_gradients,
)
from helpers.nn import Params
from helpers.training import History
from helpers.validation import check_positive

#: Iterations of the full-batch loop between two timings of its worker counts (trick 5).
WINDOW = 25


class BlockedGradient:
    """:func:`helpers.training.full_batch_gradient` taken in blocks shared among threads (tricks 3-5).

    A context manager holding the thread pools. ``block_size`` (default: at most 8 MB of X and
    16 MB in flight, :func:`block_columns`) and ``threads`` (default: one or two per core, chosen
    by timing every :data:`WINDOW` iterations) change speed only: the blocks are cut for the
    most workers, so that the worker count does not change a bit of the result.
    """

    def __init__(self, block_size: int | None = None, threads: int | None = None) -> None:
        self.block_size, self.threads = block_size, threads
        self.stack = ExitStack()
        self.pools: dict | None = None
        self.calls = 0

    def __enter__(self) -> BlockedGradient:
        return self

    def __exit__(self, *exc) -> None:
        self.stack.close()

    def _start(self, X: np.ndarray) -> None:
        cores = default_threads()
        timed = self.threads is None and cores > 1
        self.choice = TimedChoice((2 * cores, cores), probe=2, margin=0.97) if timed else None
        self.counts = (
            self.choice.choices if timed else (cores if self.threads is None else int(self.threads),)
        )
        self.block = block_columns(X, max(self.counts)) if self.block_size is None else int(self.block_size)
        self.pools = self.stack.enter_context(block_workers(-(-X.shape[1] // self.block), self.counts))

    def __call__(self, params: Params, X: np.ndarray, labels: np.ndarray) -> tuple[float, float, Params]:
        if self.pools is None:
            self._start(X)
        i, self.calls = self.calls % WINDOW, self.calls + 1
        if self.choice:
            self.choice.before_step(i)
        pool = self.pools[self.choice.current if self.choice else self.counts[0]]
        result = full_batch_gradients(params, X, labels, self.block, pool)
        if self.choice:
            self.choice.after_step(i)
        return result


def gradient_descent(
    X: np.ndarray,
    Y: np.ndarray,
    alpha: float,
    iterations: int,
    *,
    block_size: int | None = None,
    threads: int | None = None,
    **settings,
) -> tuple[Params, History]:
    """:func:`helpers.training.gradient_descent` with the :class:`BlockedGradient`.

    The same arguments (``settings``), result (to rounding) and :class:`History`, plus
    ``block_size`` and ``threads``, which change speed only. X (n, m), Y labels (m,) or one-hot (k, m).
    """
    check_positive(block_size=block_size, threads=threads)
    with BlockedGradient(block_size, threads) as gradient:  # BLAS single-threaded in its workers
        return training.gradient_descent(
            X, Y, alpha, iterations, blas_threads=None, gradient=gradient, **settings
        )


class FastStep:
    """:class:`helpers.training.SGDStep`'s numbers with the per-step work cut down (trick 1).

    Parameters, gradients and velocities each live in one flat buffer, the four arrays being
    views of it, so the momentum step and the update are one operation each; batches are
    gathered as rows of X^T into one buffer (for X in Fortran order, as load_mnist returns it,
    each example's pixels lie side by side); dZ2 is A2 with 1 subtracted at the labels, divided
    by the batch size once. ``threads``: an :class:`AdaptiveBlasThreads` timed around each step.
    """

    def __init__(self, params: Params, X: np.ndarray, labels: np.ndarray, momentum: float, batch_size: int,
                 threads: AdaptiveBlasThreads | None = None) -> None:  # fmt: skip
        n, m = X.shape
        self.shapes, self.ends = [p.shape for p in params], np.cumsum([p.size for p in params])[:-1]
        self.P = np.concatenate([p.ravel() for p in params])
        self.G, self.V = np.empty_like(self.P), np.zeros_like(self.P)
        self.W1, self.b1, self.W2, self.b2 = self._views(self.P)
        self.grads = self._views(self.G)  # dW1, db1, dW2, db2
        self.XT = X.T if X.flags.f_contiguous else np.ascontiguousarray(X.T)
        same_dtype = self.XT.dtype == self.P.dtype
        self.buffer = np.empty((min(batch_size, m), n), dtype=self.P.dtype) if same_dtype else None
        self.columns = np.arange(batch_size)
        self.labels, self.momentum, self.threads = labels, momentum, threads
        self.steps_per_epoch, self.count = -(-m // batch_size), 0

    def _views(self, buffer: np.ndarray) -> list[np.ndarray]:
        return [v.reshape(shape) for v, shape in zip(np.split(buffer, self.ends), self.shapes)]

    @property
    def params(self) -> Params:
        """Copies of the current parameters (W1, b1, W2, b2)."""
        return self.W1.copy(), self.b1.copy(), self.W2.copy(), self.b2.copy()

    def __call__(self, batch: np.ndarray, lr: float) -> tuple[np.ndarray, np.ndarray]:
        i, self.count = self.count % self.steps_per_epoch, self.count + 1
        if self.threads:
            self.threads.before_step(i)
        b = len(batch)
        if self.buffer is not None:  # indices from a permutation are valid: mode="clip" skips a copy
            Xb = np.take(self.XT, batch, axis=0, out=self.buffer[:b], mode="clip").T  # (n, b)
        else:
            Xb = self.XT[batch].astype(self.P.dtype).T
        yb, cols = self.labels[batch], self.columns[:b]
        Z1, A1, A2 = forward_in_place(self.W1, self.b1, self.W2, self.b2, Xb)
        p_true, predicted = A2[yb, cols], A2.argmax(axis=0)
        dZ2 = A2  # in place: A2 is not needed any more
        dZ2[yb, cols] -= 1  # A2 - Y
        dZ2 /= b
        backward_in_place(dZ2, Z1, A1, self.W2, Xb, self.grads)
        if self.momentum:  # the momentum step and update_params, each on a whole buffer
            self.V *= self.momentum
            self.V += self.G
        self.P -= lr * (self.V if self.momentum else self.G)
        if self.threads:
            self.threads.after_step(i)
        return p_true, predicted


def train(
    X: np.ndarray, Y: np.ndarray, *, blas_threads: int | str | None = "auto", **settings
) -> tuple[Params, History]:
    """:func:`helpers.training.train` with the :class:`FastStep` (tricks 1 and 2).

    The same arguments (``settings``), shuffles, steps, result (to rounding) and
    :class:`History`; X (n, m), Y labels (m,) or one-hot (k, m). ``blas_threads``: "auto"
    chooses one thread or every core by timing (:class:`AdaptiveBlasThreads`); a number limits
    BLAS to that many threads; None leaves BLAS as configured.
    """
    if blas_threads != "auto":
        return training.train(X, Y, blas_threads=blas_threads, step=FastStep, **settings)
    with AdaptiveBlasThreads() as threads:
        return training.train(X, Y, blas_threads=None, step=partial(FastStep, threads=threads), **settings)


__all__ = [
    "AdaptiveBlasThreads",
    "BlockedGradient",
    "FastStep",
    "TimedChoice",
    "block_columns",
    "block_workers",
    "default_threads",
    "full_batch_gradients",
    "gradient_descent",
    "train",
]
