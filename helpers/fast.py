"""The fast engine: the same training as :mod:`helpers.training`, with what measurably pays.

The recipes, the command line and the benchmark train through this module; the notebooks of
chapters 1-6 use the plain loops of :mod:`helpers.training`, and chapter 7 ("Making it fast")
builds each trick below step by step. The tests check that both give the same parameters and
History (float64 to 1e-12, float32 to 1e-5) and that the thread count of the blocked full batch
does not change a bit (BLAS threads can change the last bits of a split product: trick 2).

Each trick was measured on the course's 2-core machine on full MNIST, the engine against the
readable loop alternately in one process (``benchmarks/README.md``). The machine is shared:
the figures of 2026-11-30 were taken with a load average of 12-15, so they are ranges, and an
idle machine shows smaller differences for the per-step savings. Tricks measured below 1.1x
were left out.

1. **Per-step bookkeeping done once** (:func:`train`): shapes checked once per call, not at
   every step; the loss and accuracy of an epoch kept as the probability of the true class and
   the predicted class of each example, reduced once per epoch; no one-hot matrix (dZ2 is A2
   with 1 subtracted at the labels), dZ2 divided by the batch size once; gradients written into
   one preallocated buffer and parameters and velocities kept in one buffer each, so the
   momentum step and the update are one operation each; batches gathered as rows of X^T into
   one buffer. 784-10-10 at batch 64 (the fast recipe): 1.7-3.5x per epoch (chapter 7 on the
   same day: 1.7x); 784-128-10 at batch 256 (wide): 1.05-1.3x.
2. **BLAS threads chosen by timing** (:class:`AdaptiveBlasThreads`, ``blas_threads="auto"``):
   OpenBLAS splits a large enough product (the wide network's, not the 784-10-10 network's) over
   both cores and hands work between threads on every call; beside a busy program each
   hand-over stalls. A split product may add its terms in another order, so the thread count
   changes the wide network's float32 numbers in their last bits (chapter 7 prints how much).
   Measured for the wide recipe under load: 45-64 s per epoch with two BLAS threads against
   3.4-4.1 s with one (12-19x); the old default-threaded engine took 90-181 s for 5 epochs
   beside one busy core, this one 11-19 s.
   On an idle machine two threads can be faster for 128 hidden units, so the engine times both
   at the start of an epoch instead of fixing one.
3. **Blocked full-batch gradient** (:func:`gradient_descent`): each iteration propagates
   blocks of at most 8 MB of X forward and back (:func:`helpers.full_batch.block_columns`),
   adds up their summed losses and gradients and divides the totals by m once, which is exactly
   the full-batch mean. A block is still in the CPU cache when ``dW1 = dZ1 X^T`` needs it, so X
   is read from memory once per iteration instead of twice: 1.23x on an idle machine, 1.34x for
   one gradient in chapter 7 under load.
4. **Whole blocks per core, single-threaded BLAS** (the ``threads`` of :func:`gradient_descent`,
   :mod:`helpers.full_batch`):
   whole blocks per thread, each with one BLAS thread, instead of every product split over
   both cores: as fast idle, and with tricks 3 and 4 together 1.5-1.8x against the readable
   loop under load (2.4-9x against default-threaded BLAS).
5. **Two block workers per core beside a busy program** (:class:`TimedChoice` between two
   workers per core and one, probed at the start of windows of :data:`WINDOW` iterations:
   windows 1, 2, 4, 8, 16, 24, ... while two per core win, every window while one per core
   wins): the operating system shares the cores among the threads that want them, so beside
   one busy thread two workers on two cores get 4/3 of a core and four get 8/5. Blocks are
   then about 4 MB, so that four in flight still fit in the cache. The notes recipe on full
   MNIST, 75 iterations alternately, best of 3, on the idle machine and beside a busy process:
   four workers 40.0 and 55.4 ms per iteration, two workers 39.3 and 67.4 ms (1.22x beside the
   busy one), chosen by timing 37.9 and 54.7 ms. One worker per core is kept only when it is
   faster by 3 %.
6. **Lean blocks** (:func:`helpers.full_batch.block_sums`): a block's forward and backward
   propagation written in place (:func:`helpers.full_batch.forward_in_place` and
   ``backward_in_place``, which :func:`train`'s steps use too), summed rather than averaged,
   without the shape checks of a public call: 37 instead of 102 microseconds of Python per
   block, which matters once four threads share the interpreter (measured on blocks of 10
   columns).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from helpers.blas_threads import AdaptiveBlasThreads, TimedChoice, default_threads, limit_blas_threads
from helpers.full_batch import (
    backward_in_place,
    block_columns,
    block_workers,
    forward_in_place,
    full_batch_gradients,
    log_loss_sum,
)
from helpers.nn import Params, update_params
from helpers.training import (
    History,
    check_data,
    check_loss,
    check_positive,
    check_sgd_settings,
    progress_bar,
    starting_params,
)

#: Iterations of the full-batch loop between two timings of its worker counts (trick 5).
WINDOW = 25


def gradient_descent(
    X: np.ndarray,
    Y: np.ndarray,
    alpha: float,
    iterations: int,
    *,
    n_hidden: int = 10,
    scheme: str = "notes",
    seed: int | None = None,
    params: Params | None = None,
    X_dev: np.ndarray | None = None,
    Y_dev: np.ndarray | None = None,
    dtype: type | np.dtype = np.float64,
    eval_every: int = 10,
    progress: bool = True,
    callback: Callable[[int, Params, History], None] | None = None,
    block_size: int | None = None,
    threads: int | None = None,
) -> tuple[Params, History]:
    """:func:`helpers.training.gradient_descent` with the full-batch gradient taken in blocks.

    Same arguments, same result (to rounding) and the same :class:`History`. ``block_size``
    (default: at most 8 MB of X and at most 16 MB in flight, so 4 MB for the four workers of two
    cores: :func:`block_columns`) and ``threads`` (default: one or two per CPU core, chosen by
    timing, trick 5) only change speed; the thread count does not change a bit of the result.
    X (n, m), Y labels (m,) or one-hot (k, m). Returns ``((W1, b1, W2, b2), history)``.
    """
    labels = check_data(X, Y)
    check_positive(iterations=iterations, eval_every=eval_every, block_size=block_size, threads=threads)
    W1, b1, W2, b2 = starting_params(X, labels, params, n_hidden, scheme, seed, dtype)
    X = X.astype(dtype, copy=False)
    dev = X_dev is not None and Y_dev is not None
    if dev:
        dev_labels = check_data(X_dev, Y_dev, "X_dev")
        X_dev = X_dev.astype(dtype, copy=False)
    # Workers: one per core, or twice as many when that timed faster (trick 5); the blocks are
    # cut for the most workers, so that the choice does not change a bit of the result.
    cores = default_threads()
    adaptive = None
    if threads is None and cores > 1:
        adaptive = TimedChoice((2 * cores, cores), probe=2, margin=0.97)
    counts = adaptive.choices if adaptive else (cores if threads is None else int(threads),)
    block = block_columns(X, max(counts)) if block_size is None else int(block_size)
    history = History(unit="iteration")
    start = time.perf_counter()
    with (
        np.errstate(over="ignore", invalid="ignore"),
        progress_bar(iterations, "gradient descent", progress) as bar,
        block_workers(-(-X.shape[1] // block), counts) as pools,
    ):
        for i in range(1, iterations + 1):
            if adaptive:
                adaptive.before_step((i - 1) % WINDOW)
            pool = pools[adaptive.current if adaptive else counts[0]]
            loss, accuracy, grads = full_batch_gradients((W1, b1, W2, b2), X, labels, block, pool)
            if adaptive:
                adaptive.after_step((i - 1) % WINDOW)
            check_loss(loss, f"iteration {i}", alpha, history.loss[0] if history.loss else loss, W2.shape[0])
            history.step.append(i)
            history.loss.append(loss)
            history.accuracy.append(accuracy)
            W1, b1, W2, b2 = update_params(W1, b1, W2, b2, *grads, alpha)
            if i % eval_every == 0 or i == iterations:
                if dev:
                    dev_accuracy = history.record_dev(i, (W1, b1, W2, b2), X_dev, dev_labels)
                    bar.set_postfix(loss=f"{loss:.3f}", dev_acc=f"{dev_accuracy:.3f}")
                if callback is not None:
                    callback(i, (W1, b1, W2, b2), history)
            bar.update()
    history.seconds = time.perf_counter() - start
    return (W1, b1, W2, b2), history


def train(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    n_hidden: int = 10,
    epochs: int,
    batch_size: int,
    alpha: float,
    momentum: float = 0.0,
    schedule: str = "constant",
    dtype: type | np.dtype = np.float32,
    seed: int | None = None,
    params: Params | None = None,
    X_dev: np.ndarray | None = None,
    Y_dev: np.ndarray | None = None,
    progress: bool = True,
    callback: Callable[[int, Params, History], None] | None = None,
    blas_threads: int | str | None = "auto",
) -> tuple[Params, History]:
    """:func:`helpers.training.train` with the per-step work cut down (tricks 1 and 2).

    Same arguments, the same shuffles and steps, the same result (to rounding) and the same
    :class:`History`; X (n, m), Y labels (m,) or one-hot (k, m). ``blas_threads``: "auto"
    chooses one thread or every core by timing (:class:`AdaptiveBlasThreads`, trick 2); a
    number limits BLAS to that many threads; None leaves BLAS as configured.
    Returns ``((W1, b1, W2, b2), history)``.
    """
    labels = check_data(X, Y)
    n, m = X.shape
    check_sgd_settings(epochs, batch_size, momentum, schedule)
    start_params = starting_params(X, labels, params, n_hidden, "he", seed, dtype)
    dev = X_dev is not None and Y_dev is not None
    if dev:
        dev_labels = check_data(X_dev, Y_dev, "X_dev")
        X_dev = X_dev.astype(dtype, copy=False)
    # Parameters, gradients and velocities each live in one flat buffer, the four arrays being
    # views of it: the momentum step and the update are then one operation on the whole buffer.
    ends = np.cumsum([p.size for p in start_params])

    def views(buffer: np.ndarray) -> list[np.ndarray]:
        return [v.reshape(p.shape) for v, p in zip(np.split(buffer, ends[:-1]), start_params)]

    P = np.concatenate([p.ravel() for p in start_params])
    G = np.empty_like(P)
    V = np.zeros_like(P)
    W1, b1, W2, b2 = views(P)
    grads = views(G)  # dW1, db1, dW2, db2
    # Batches are gathered as rows of X^T into one buffer: when X is (n, m) in Fortran order
    # (as load_mnist returns it) each example's pixels lie side by side in memory.
    XT = X.T if X.flags.f_contiguous else np.ascontiguousarray(X.T)
    same_dtype = XT.dtype == P.dtype
    buffer = np.empty((min(batch_size, m), n), dtype=P.dtype)
    columns = np.arange(batch_size)
    p_true = np.empty(m, dtype=P.dtype)  # per epoch: the probability given to the true class
    predicted = np.empty(m, dtype=np.intp)
    rng = np.random.default_rng(None if seed is None else seed + 1)
    total_steps = epochs * -(-m // batch_size)
    step = 0
    history = History(unit="epoch")
    start = time.perf_counter()
    adaptive = AdaptiveBlasThreads() if blas_threads == "auto" else None
    with (
        np.errstate(over="ignore", invalid="ignore"),
        progress_bar(total_steps, "training", progress) as bar,
        limit_blas_threads(None if adaptive else blas_threads),
    ):
        for epoch in range(1, epochs + 1):
            order = rng.permutation(m)
            for i, s in enumerate(range(0, m, batch_size)):
                if adaptive:
                    adaptive.before_step(i)
                idx = order[s : s + batch_size]
                b = len(idx)
                if same_dtype:  # indices from a permutation are valid: mode="clip" skips a copy
                    Xb = np.take(XT, idx, axis=0, out=buffer[:b], mode="clip").T  # (n, b)
                else:
                    Xb = XT[idx].astype(P.dtype).T
                yb, cols = labels[idx], columns[:b]
                Z1, A1, A2 = forward_in_place(W1, b1, W2, b2, Xb)
                p_true[s : s + b] = A2[yb, cols]
                A2.argmax(axis=0, out=predicted[s : s + b])
                # backward_prop, dividing dZ2 by b once and writing the gradients into G
                dZ2 = A2  # in place: A2 is not needed any more
                dZ2[yb, cols] -= 1  # A2 - Y
                dZ2 /= b
                backward_in_place(dZ2, Z1, A1, W2, Xb, grads)
                # the momentum step and update_params, each on a whole buffer
                if momentum:
                    V *= momentum
                    V += G
                lr = alpha * (1 - step / total_steps) if schedule == "linear" else alpha
                P -= lr * (V if momentum else G)
                step += 1
                if adaptive:
                    adaptive.after_step(i)
            if epoch == 1:  # the loss of the untrained network, from the first batch
                initial = _mean_log_loss(p_true[: min(batch_size, m)])
            loss = _mean_log_loss(p_true)
            check_loss(loss, f"epoch {epoch}", alpha, initial, W2.shape[0])
            history.step.append(epoch)
            history.loss.append(loss)
            history.accuracy.append(int(np.count_nonzero(predicted == labels[order])) / m)
            current = (W1.copy(), b1.copy(), W2.copy(), b2.copy())
            if dev:
                dev_accuracy = history.record_dev(epoch, current, X_dev, dev_labels)
                bar.set_postfix(loss=f"{loss:.3f}", dev_acc=f"{dev_accuracy:.3f}")
            bar.update(-(-m // batch_size))
            if callback is not None:
                callback(epoch, current, history)
    if adaptive:
        adaptive.restore()
    history.seconds = time.perf_counter() - start
    return (W1.copy(), b1.copy(), W2.copy(), b2.copy()), history


def _mean_log_loss(p_true: np.ndarray) -> float:
    """-mean(log p) of the probabilities p (m,) given to the true classes, floored as cross_entropy does."""
    return log_loss_sum(p_true) / len(p_true)
