"""Checker for chapter 7 ("Making it fast"): the full-batch gradient computed in blocks."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import numpy as np

from helpers.checks.compare import close, expect_array, expect_arrays
from helpers.checks.core import GRAD_LABELS, PARAM_LABELS, call_student, checker, fail, succeed
from helpers.nn import Params, backward_prop, forward_prop, init_params

# (hidden units, examples m, block size): blocks that divide m, that do not (a short last
# block), a block of one column, and a block larger than m.
CASES = ((4, 12, 4), (4, 13, 5), (3, 7, 1), (5, 9, 50))


def _problem(h: int, m: int, seed: int, n: int = 16) -> tuple[Params, np.ndarray, np.ndarray]:
    """Float64 parameters of an n-h-10 network, X (n, m) and labels (m,)."""
    rng = np.random.default_rng(seed)
    params = init_params(n, h, 10, seed=seed)
    X = rng.random((n, m))
    y = rng.integers(0, 10, m)
    return params, X, y


def _full_batch(params: Params, X: np.ndarray, y: np.ndarray) -> Params:
    W1, b1, W2, b2 = params
    Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
    return backward_prop(Z1, A1, Z2, A2, W1, W2, X, y)


def _unweighted_block_mean(params: Params, X: np.ndarray, y: np.ndarray, block: int) -> list[np.ndarray]:
    """The usual slip: every block's gradient counted alike, however many columns it has."""
    grads = [_full_batch(params, X[:, s : s + block], y[s : s + block]) for s in range(0, X.shape[1], block)]
    return [np.mean([g[i] for g in grads], axis=0) for i in range(4)]


#: The problem on which the memory of one call is measured: m examples in blocks of ``block``
#: through h hidden units, so that one (h, m) array of a full-batch pass is 10 times the
#: arrays of a block pass together.
MEMORY_CASE = {"h": 64, "m": 1000, "block": 10}


def _peak_bytes(func: Callable[[], object]) -> int:
    """The peak of the memory NumPy and Python allocate while ``func()`` runs (tracemalloc)."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    start = tracemalloc.get_traced_memory()[0]
    try:
        func()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        if not was_tracing:
            tracemalloc.stop()
    return peak - start


def expect_blocks(name: str, blocked_gradients: Callable[..., tuple], seed: int = 9) -> None:
    """Fail unless ``blocked_gradients`` on :data:`MEMORY_CASE` holds less memory at once than
    one (h, m) array of a full-batch pass: a function that ignores ``block`` gets the right
    numbers, so only its memory shows it. (Measured in this process, and for a function run
    elsewhere, as by the grader's kernels, the ``peak_bytes`` it reports from there.)"""
    __tracebackhide__ = True  # noqa: F841
    h, m, block = MEMORY_CASE["h"], MEMORY_CASE["m"], MEMORY_CASE["block"]
    params, X, y = _problem(h, m, seed, n=4)
    one_array = h * m * 8
    remote = hasattr(blocked_gradients, "peak_bytes")  # the grader's stand-in for a kernel's function
    if remote:
        blocked_gradients.measure_memory = True  # measured where it runs
    try:
        peak = _peak_bytes(lambda: call_student(name, blocked_gradients, *params, X, y, block))
    finally:
        if remote:
            blocked_gradients.measure_memory = False
    peak = max(peak, getattr(blocked_gradients, "peak_bytes", 0))
    if peak >= one_array:
        fail(
            name,
            f"with m = {m} and blocks of {block} it held {peak / 1e3:.0f} kB at once, more than one "
            f"({h}, {m}) array of a full-batch pass ({one_array / 1e3:.0f} kB): each block's "
            f"arrays should have only its {block} columns",
        )


@checker
def check_blocked_gradients(blocked_gradients: Callable[..., tuple]) -> None:
    """Check ``blocked_gradients(W1, b1, W2, b2, X, Y, block)`` -> ``(dW1, db1, dW2, db2)``.

    X (n, m), Y labels (m,). The result must equal the full-batch gradients of
    ``backward_prop`` on all m columns (to 1e-10) for blocks that divide m, blocks that do not,
    blocks of one column and blocks larger than m, with X and Y left as they are. A short last
    block weighted like the others gets its own verdict, and so does a call that holds arrays
    as large as one full-batch pass (it ignores ``block``).
    """
    __tracebackhide__ = True  # noqa: F841
    name = "blocked_gradients"
    for seed, (h, m, block) in enumerate(CASES):
        params, X, y = _problem(h, m, seed)
        result = call_student(name, blocked_gradients, *params, X, y, block, labels=(*PARAM_LABELS, "X", "Y"))
        got = expect_arrays(name, result, GRAD_LABELS)
        arrays = list(got.values())
        expected = _full_batch(params, X, y)
        if m % block and all(a.shape == e.shape for a, e in zip(arrays, expected)):
            slip = _unweighted_block_mean(params, X, y, block)
            if not close(arrays[0], expected[0]) and close(arrays[0], slip[0]):
                fail(
                    name,
                    f"with m = {m} and blocks of {block} the last block is shorter: weight each "
                    "block's gradient by its number of columns b (b / m), not equally",
                )
        for label, actual, exp in zip(GRAD_LABELS, arrays, expected):
            expect_array(
                name,
                label,
                actual,
                exp,
                rtol=1e-10,
                atol=1e-12,
                hint=f"m = {m} examples in blocks of {block}",
            )
    expect_blocks(name, blocked_gradients)
    succeed(name)
