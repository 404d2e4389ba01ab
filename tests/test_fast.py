"""The fast engine (helpers.fast) changes speed only, never results.

Every check runs the fast engine and the plain loops of helpers.training, which are written on
the reference functions of helpers.nn, from the same start, and compares the parameters after
a few steps and every field of the History: float64 to 1e-12 and float32 to 1e-5 (relative to
the size of each array). The thread count of the blocked full-batch gradient must not change a
single bit.
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from helpers import blas_threads, fast, load_mnist, training
from helpers.checks import CheckFailed, check_blocked_gradients
from helpers.data import images_to_columns, parse_idx
from helpers.full_batch import block_sums
from helpers.nn import backward_prop, cross_entropy, forward_prop, init_params

TOLERANCE = {np.float64: 1e-12, np.float32: 1e-5}
HISTORY_FIELDS = ("unit", "step", "loss", "accuracy", "dev_step", "dev_loss", "dev_accuracy")


def _data(n: int = 20, m: int = 300, k: int = 10, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, m))
    y = rng.integers(0, k, size=m)
    y[: min(k, m)] = np.arange(min(k, m))  # every class present when m allows
    return X, y


def assert_close(ours, reference, rtol: float, what: str) -> None:
    """|ours - reference| <= rtol * (largest |reference|) elementwise, shapes equal."""
    ours, reference = np.asarray(ours, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    assert ours.shape == reference.shape, what
    scale = max(float(np.abs(reference).max(initial=0.0)), 1e-30)
    np.testing.assert_allclose(ours, reference, rtol=0, atol=rtol * scale, err_msg=what)


def assert_same_training(ours, reference, dtype) -> None:
    """Parameters and every History field of two (params, history) results agree."""
    rtol = TOLERANCE[dtype]
    (params, history), (ref_params, ref_history) = ours, reference
    for name, p, q in zip(("W1", "b1", "W2", "b2"), params, ref_params):
        assert p.dtype == q.dtype == dtype, name
        assert_close(p, q, rtol, name)
    for name in HISTORY_FIELDS:
        a, b = getattr(history, name), getattr(ref_history, name)
        if name in ("unit", "step", "dev_step"):
            assert a == b, name
        else:
            assert len(a) == len(b), name
            if a:
                assert_close(a, b, rtol, name)


# --------------------------------------------------------------------------------------------
# Full batch: blocks and threads
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_hidden", [1, 10, 128])
@pytest.mark.parametrize(("m", "block_size"), [(1, 1), (1, 4), (7, 7), (7, 3), (300, 100), (300, 64)])
def test_blocked_gradient_descent_equals_the_reference(dtype, n_hidden, m, block_size):
    # A block of at least m columns is one block through block_sums too, not the reference itself.
    X, y = _data(m=m)
    kwargs = dict(n_hidden=n_hidden, seed=3, dtype=dtype, eval_every=2, progress=False, X_dev=X, Y_dev=y)
    reference = training.gradient_descent(X, y, 0.5, 5, **kwargs)
    ours = fast.gradient_descent(X, y, 0.5, 5, block_size=block_size, threads=2, **kwargs)
    assert_same_training(ours, reference, dtype)
    assert reference[1].dev_step == [2, 4, 5]


@pytest.mark.parametrize("b", [1, 7, 64])
def test_block_sums_are_b_times_the_reference_means(b):
    X, y = _data(m=b)
    W1, b1, W2, b2 = init_params(20, 16, 10, seed=1)
    loss, correct, sums = block_sums(W1, b1, W2, b2, X, y)
    Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
    for got, mean in zip(sums, backward_prop(Z1, A1, Z2, A2, W1, W2, X, y)):
        np.testing.assert_allclose(got / b, mean, rtol=1e-12, atol=1e-15)
    assert loss / b == pytest.approx(cross_entropy(A2, y), rel=1e-12)
    assert correct == np.count_nonzero(A2.argmax(axis=0) == y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_thread_count_does_not_change_a_bit(dtype):  # 1, 2 and 4 block workers
    X, y = _data(m=300)
    runs = [
        fast.gradient_descent(
            X, y, 0.5, 4, n_hidden=10, seed=0, dtype=dtype, block_size=37, threads=t, progress=False
        )
        for t in (1, 2, 4)
    ]
    for params, history in runs[1:]:
        for p, q in zip(params, runs[0][0]):
            np.testing.assert_array_equal(p, q)
        assert history.loss == runs[0][1].loss and history.accuracy == runs[0][1].accuracy


@pytest.mark.skipif(fast.default_threads() < 2, reason="one core: no worker counts to choose between")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_worker_counts_chosen_by_timing_do_not_change_a_bit(monkeypatch, dtype):
    X, y = _data(m=300)
    monkeypatch.setattr(fast, "WINDOW", 5)  # a probe every few iterations: many switches
    kwargs = dict(n_hidden=10, seed=0, dtype=dtype, block_size=37, progress=False)
    (params, history), (fixed, fixed_history) = (
        fast.gradient_descent(X, y, 0.5, 30, threads=t, **kwargs) for t in (None, 1)
    )
    for p, q in zip(params, fixed):
        np.testing.assert_array_equal(p, q)
    assert history.loss == fixed_history.loss and history.accuracy == fixed_history.accuracy


def test_timed_choice_keeps_the_second_setting_only_when_it_wins_by_the_margin(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(blas_threads.time, "perf_counter", lambda: clock[0])

    def probe(first: float, second: float) -> int:
        chooser = fast.TimedChoice((2, 4), probe=2, margin=0.97)
        for i in range(7):
            chooser.before_step(i)
            clock[0] += first if chooser.current == 2 else second
            chooser.after_step(i)
        return chooser.current

    assert probe(1.0, 0.9) == 4
    assert probe(1.0, 0.99) == 2  # within the margin: the first setting stays
    assert probe(1.0, 2.0) == 2


@pytest.mark.parametrize(("threads", "megabytes"), [(1, 8), (2, 8), (4, 4), (8, 2)])
def test_default_blocks_hold_at_most_8_mb_and_16_mb_in_flight_shared_evenly(threads, megabytes):
    X = np.zeros((784, 60_000), dtype=np.float32)  # 188 MB
    block = fast.block_columns(X, threads=threads)
    n_blocks = -(-60_000 // block)
    assert n_blocks % threads == 0
    assert (megabytes - 1) << 20 <= block * 784 * 4 <= megabytes << 20


def test_blocked_gradient_descent_still_detects_divergence():
    sample = load_mnist(source="sample")
    X, y = sample.X_train[:, :1000], sample.y_train[:1000]
    with pytest.raises(training.TrainingDiverged, match="iteration"):
        fast.gradient_descent(X, y, 1e6, 20, block_size=300, threads=2, progress=False)


@pytest.mark.parametrize("bad", [0, -1, 2.5])
def test_gradient_descent_rejects_bad_block_size_and_threads(bad):
    X, y = _data(m=30)
    for name in ("block_size", "threads"):
        with pytest.raises(ValueError, match=f"{name} must be a positive integer"):
            fast.gradient_descent(X, y, 0.1, 2, progress=False, **{name: bad})


# --------------------------------------------------------------------------------------------
# Mini-batches
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_hidden", [1, 10, 128])
@pytest.mark.parametrize(("m", "batch_size"), [(1, 1), (7, 7), (7, 3), (7, 50), (300, 60), (300, 64)])
@pytest.mark.parametrize(("momentum", "schedule"), [(0.0, "constant"), (0.9, "linear")])
def test_fast_train_equals_the_reference(dtype, n_hidden, m, batch_size, momentum, schedule):
    X, y = _data(m=m)
    kwargs = dict(
        n_hidden=n_hidden,
        epochs=3,
        batch_size=batch_size,
        alpha=0.05,
        momentum=momentum,
        schedule=schedule,
        dtype=dtype,
        seed=1,
        X_dev=X,
        Y_dev=y,
        progress=False,
    )
    assert_same_training(fast.train(X, y, **kwargs), training.train(X, y, **kwargs), dtype)


@pytest.mark.parametrize("order", ["C", "F"])
def test_fast_train_any_memory_order_and_float64_data_for_float32_training(order):
    X, y = _data(m=100)
    kwargs = dict(epochs=2, batch_size=16, alpha=0.1, momentum=0.9, seed=0, progress=False, dtype=np.float32)
    reference = training.train(X, y, **kwargs)
    assert_same_training(fast.train(np.asarray(X, order=order), y, **kwargs), reference, np.float32)
    X32 = np.asarray(X, dtype=np.float32, order=order)
    assert_same_training(fast.train(X32, y, **kwargs), training.train(X32, y, **kwargs), np.float32)


def test_fast_train_blas_threads_do_not_change_the_result():
    X, y = _data(m=300)
    kwargs = dict(n_hidden=128, epochs=2, batch_size=64, alpha=0.1, momentum=0.9, seed=0, progress=False)
    runs = [fast.train(X, y, blas_threads=t, **kwargs) for t in (1, 2, "auto", None)]
    for params, history in runs[1:]:
        assert_same_training((params, history), runs[0], np.float32)


def test_fast_train_starts_from_given_params_and_passes_copies_to_the_callback():
    X, y = _data(m=50)
    start = init_params(20, 5, 10, seed=4)
    seen = []
    kwargs = dict(params=start, epochs=2, batch_size=10, alpha=0.1, seed=0, dtype=np.float64, progress=False)
    params, _ = fast.train(X, y, callback=lambda epoch, p, history: seen.append(p), **kwargs)
    reference, _ = training.train(X, y, **kwargs)
    assert_close(params[0], reference[0], 1e-12, "W1")
    assert len(seen) == 2 and not np.array_equal(seen[0][0], seen[1][0])  # not views of one buffer
    np.testing.assert_array_equal(seen[1][0], params[0])


def test_fast_train_detects_divergence_and_rejects_bad_settings():
    sample = load_mnist(source="sample")
    X, y = sample.X_train[:, :1000], sample.y_train[:1000]
    with pytest.raises(training.TrainingDiverged, match="smaller learning rate"):
        fast.train(X, y, epochs=5, batch_size=64, alpha=1e6, seed=0, progress=False)
    with pytest.raises(ValueError, match="momentum must be in"):
        fast.train(X, y, epochs=1, batch_size=32, alpha=0.1, momentum=1.0, progress=False)


# --------------------------------------------------------------------------------------------
# The adaptive choice of BLAS threads
# --------------------------------------------------------------------------------------------
def _probe(single_seconds: float, every_seconds: float) -> int:
    tuner = fast.AdaptiveBlasThreads(probe=1)
    try:
        for i, pause in enumerate((0.0, single_seconds, 0.0, every_seconds)):  # 0 and 2: untimed
            tuner.before_step(i)
            time.sleep(pause)
            tuner.after_step(i)
        tuner.before_step(4)
    finally:
        tuner.restore()
    return tuner.chosen[-1]


def test_adaptive_threads_pick_the_faster_setting():
    assert _probe(0.05, 0.0) == max(fast.default_threads(), 1)
    assert _probe(0.0, 0.05) == 1


def test_adaptive_threads_restore_blas():
    from threadpoolctl import threadpool_info

    before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    X, y = _data(m=100)
    fast.train(X, y, epochs=2, batch_size=8, alpha=0.1, progress=False)
    after = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert before == after
    sample = load_mnist(source="sample")
    with pytest.raises(training.TrainingDiverged):  # given back on the way out of a failed run too
        fast.train(
            sample.X_train[:, :1000],
            sample.y_train[:1000],
            epochs=5,
            batch_size=64,
            alpha=1e6,
            progress=False,
        )
    assert [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"] == before


# --------------------------------------------------------------------------------------------
# Memory: lazy plotting imports, no needless copies while loading
# --------------------------------------------------------------------------------------------
def test_importing_helpers_does_not_import_matplotlib():
    code = (
        "import sys, helpers\n"
        "assert 'matplotlib' not in sys.modules, 'import helpers pulled in matplotlib'\n"
        "from helpers import plot_digits\n"
        "assert 'matplotlib.pyplot' in sys.modules and callable(plot_digits)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr


def test_every_name_in_all_resolves_and_plots_are_the_real_functions():
    import helpers
    import helpers.plots

    for name in helpers.__all__:
        assert getattr(helpers, name) is not None, name
    assert helpers.plot_digits is helpers.plots.plot_digits
    assert {"plot_history", "plot_weights"} <= set(dir(helpers))
    with pytest.raises(AttributeError, match="no attribute"):
        helpers.plot_nothing  # noqa: B018


@pytest.mark.parametrize("pixels", [np.uint8, np.int64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_images_to_columns_equals_astype_then_divide(dtype, pixels):
    images = np.random.default_rng(0).integers(0, 256, size=(7, 28, 28)).astype(pixels)
    X = images_to_columns(images, dtype)
    expected = images.reshape(7, 784).astype(dtype) / dtype(255)
    assert X.dtype == dtype and X.shape == (784, 7) and X.flags.f_contiguous
    np.testing.assert_array_equal(X, expected.T)


@pytest.mark.parametrize(("code", "dtype"), [(0x08, ">u1"), (0x0B, ">i2"), (0x0D, ">f4")])
def test_parse_idx_returns_a_writable_native_copy(code, dtype):
    values = np.arange(24).reshape(2, 3, 4).astype(dtype)
    header = bytes([0, 0, code, 3]) + b"".join(int(s).to_bytes(4, "big") for s in values.shape)
    data = header + values.tobytes()
    out = parse_idx(data)
    assert out.flags.writeable and out.dtype.isnative
    np.testing.assert_array_equal(out, values.astype(np.dtype(dtype).newbyteorder("=")))
    out[0, 0, 0] = 7  # writable, and not a view of the bytes


# --------------------------------------------------------------------------------------------
# The checker of chapter 7's exercise
# --------------------------------------------------------------------------------------------
def _blocked_right(W1, b1, W2, b2, X, Y, block):
    m = X.shape[1]
    total = [np.zeros_like(p) for p in (W1, b1, W2, b2)]
    for s in range(0, m, block):
        Xb, Yb = X[:, s : s + block], Y[s : s + block]
        Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, Xb)
        for t, g in zip(total, backward_prop(Z1, A1, Z2, A2, W1, W2, Xb, Yb)):
            t += g * (Xb.shape[1] / m)
    return tuple(total)


def _blocked_unweighted(W1, b1, W2, b2, X, Y, block):
    grads = []
    for s in range(0, X.shape[1], block):
        Xb, Yb = X[:, s : s + block], Y[s : s + block]
        grads.append(backward_prop(*forward_prop(W1, b1, W2, b2, Xb), W1, W2, Xb, Yb))
    return tuple(np.mean([g[i] for g in grads], axis=0) for i in range(4))


def _blocked_summed(W1, b1, W2, b2, X, Y, block):
    return tuple(g * X.shape[1] for g in _blocked_right(W1, b1, W2, b2, X, Y, block))


def test_check_blocked_gradients_passes_a_right_answer(capsys):
    check_blocked_gradients(_blocked_right)
    assert "✓ blocked_gradients" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (_blocked_unweighted, "weight each block's gradient by its number of columns"),
        (_blocked_summed, "times the expected values"),
        (lambda *args: (1, 2, 3), "should return 4 values"),
    ],
)
def test_check_blocked_gradients_names_the_mistake(wrong, words):
    with pytest.raises(CheckFailed, match=words):
        check_blocked_gradients(wrong)


def _probed_epochs(monkeypatch, single_cost: float, every_cost: float, epochs: int = 20) -> list[int]:
    """Epochs in which AdaptiveBlasThreads probed, on a fake clock where a step with one BLAS
    thread takes ``single_cost`` and a step on every core ``every_cost``."""
    clock = [0.0]
    monkeypatch.setattr(blas_threads.time, "perf_counter", lambda: clock[0])
    tuner = fast.AdaptiveBlasThreads(probe=2)
    threads = [1]
    monkeypatch.setattr(tuner, "_set", threads.append)  # record instead of touching BLAS
    probed = []
    for epoch in range(1, epochs + 1):
        before = len(tuner.chosen)
        for i in range(10):
            tuner.before_step(i)
            clock[0] += single_cost if threads[-1] == 1 else every_cost
            tuner.after_step(i)
        if len(tuner.chosen) > before:
            probed.append(epoch)
    return probed


@pytest.mark.skipif(fast.default_threads() < 2, reason="one core: nothing to choose")
def test_adaptive_threads_probe_less_often_while_one_thread_wins(monkeypatch):
    assert _probed_epochs(monkeypatch, 1.0, 3.0) == [1, 2, 4, 8, 16]


@pytest.mark.skipif(fast.default_threads() < 2, reason="one core: nothing to choose")
def test_adaptive_threads_probe_every_epoch_while_every_core_wins(monkeypatch):
    assert _probed_epochs(monkeypatch, 3.0, 1.0) == list(range(1, 21))
