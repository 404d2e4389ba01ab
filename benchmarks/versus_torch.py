"""The benchmark's comparison with PyTorch, and the GEMM rates of a training step.

:func:`compare_with_torch` trains with :func:`helpers.fast.train` and, alternating epoch by
epoch in the same process, with PyTorch (``benchmarks/torch_reference.py``) from the same start.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from benchmarks.measure import SEED, summary
from helpers import fast
from helpers.nn import get_accuracy, init_params, predict


def flops_per_epoch(m: int, n: int, h: int, k: int) -> float:
    """Multiply-adds x2 of the five matrix products per example: W1 X and dW1 = dZ1 X^T (n h
    each), W2 A1, dW2 = dZ2 A1^T and W2^T dZ2 (h k each)."""
    return m * 2.0 * (2 * n * h + 3 * h * k)


def flops_per_epoch_6n(m: int, n: int, h: int, k: int) -> float:
    """The common "6 flops per weight per example" count: 2 forward, 4 backward, which includes
    the input gradient W1^T dZ1 (k h of it for the second layer) that this network never
    computes; for 784-256-10 it is 1.5 times :func:`flops_per_epoch`. Reported beside it only to
    compare with figures that use this convention."""
    return m * 6.0 * (n * h + h * k)


def products_alone(n_hidden: int, batch_size: int, n: int = 784, k: int = 10, repeats: int = 300) -> dict:
    """GFLOP/s of the five matrix products of one training step alone, with nothing between them.

    The same shapes and memory layouts as a step of train(): W1 (h, n) C-ordered, the batch X
    (n, B) the transpose of a gathered (B, n) buffer, dZ1 and A1 (h, B). No step of training can
    beat this rate, so it is the ceiling for the network's fraction of the GEMM peak at this
    batch size: small products run far below the 4096^3 peak.
    """
    rng = np.random.default_rng(0)
    W1 = rng.random((n_hidden, n), dtype=np.float32)
    W2 = rng.random((k, n_hidden), dtype=np.float32)
    X = rng.random((batch_size, n), dtype=np.float32).T
    A1 = rng.random((n_hidden, batch_size), dtype=np.float32)
    dZ1 = rng.random((n_hidden, batch_size), dtype=np.float32)
    dZ2 = rng.random((k, batch_size), dtype=np.float32)
    Z1, G1 = np.empty_like(A1), np.empty_like(W1)

    def step():
        np.matmul(W1, X, out=Z1)
        W2 @ A1
        dZ2 @ A1.T
        W2.T @ dZ2
        np.matmul(dZ1, X.T, out=G1)

    step()
    times = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(repeats):
            step()
        times.append((time.perf_counter() - t) / repeats)
    seconds = statistics.median(times)
    flops = flops_per_epoch(batch_size, n, n_hidden, k)  # one step = one batch of examples
    return {"batch_size": batch_size, "us_per_step": seconds * 1e6, "gflops": flops / seconds / 1e9}


def compare_with_torch(X, y, X_test, y_test, settings: dict, use_torch: bool) -> dict:
    """Our train() and PyTorch's identical training, epoch by epoch, alternating in one process.

    Same initial weights, the same example order every epoch (train() draws its permutations
    from default_rng(seed + 1), so do we), the same schedule and momentum, float32, 2 threads.
    Ours is :func:`helpers.fast.train`, the engine the recipes use. Two PyTorch versions:
    ``torch`` does by hand the operations of a training step,
    ``torch_autograd`` is what a student would write (autograd, ``torch.optim.SGD``).
    Our epoch times exclude the test evaluation done between epochs (in the callback).
    """
    settings = dict(settings)
    n_hidden, epochs = settings.pop("n_hidden"), settings.pop("epochs")
    n, m = X.shape
    params = init_params(n, n_hidden, 10, seed=SEED, scheme="he", dtype=np.float32)
    rng = np.random.default_rng(SEED + 1)
    orders = [rng.permutation(m) for _ in range(epochs)]
    trainers = {}
    if use_torch:
        from benchmarks.torch_reference import TorchTrainer

        for name, autograd in (("torch", False), ("torch_autograd", True)):
            trainers[name] = TorchTrainer(X.T, y, params, epochs=epochs, autograd=autograd, **settings)
    ours_s, ours_acc = [], []
    their_s = {name: [] for name in trainers}
    their_acc = {name: [] for name in trainers}
    mark = [0.0]

    def between_epochs(epoch, p, history):
        ours_s.append(time.perf_counter() - mark[0])
        ours_acc.append(get_accuracy(predict(p, X_test), y_test))
        for name, trainer in trainers.items():
            t = time.perf_counter()
            trainer.epoch(orders[epoch - 1])
            their_s[name].append(time.perf_counter() - t)
            their_acc[name].append(trainer.accuracy(X_test, y_test))
        mark[0] = time.perf_counter()

    mark[0] = time.perf_counter()
    final, _ = fast.train(
        X,
        y,
        n_hidden=n_hidden,
        epochs=epochs,
        seed=SEED,
        params=params,
        progress=False,
        callback=between_epochs,
        dtype=np.float32,
        **settings,
    )
    epoch_s = statistics.median(ours_s)
    out = {
        "settings": {"n_hidden": n_hidden, "epochs": epochs, **settings},
        "numpy_seconds_per_epoch": summary(ours_s),
        "numpy_epoch_seconds": ours_s,
        "numpy_test_accuracy": ours_acc,
        "gflops_numpy": flops_per_epoch(m, n, n_hidden, 10) / epoch_s / 1e9,
        "gflops_numpy_6n_convention": flops_per_epoch_6n(m, n, n_hidden, 10) / epoch_s / 1e9,
    }
    for name, trainer in trainers.items():
        theirs = trainer.numpy_params()
        out.update(
            {
                f"{name}_seconds_per_epoch": summary(their_s[name]),
                f"{name}_epoch_seconds": their_s[name],
                f"{name}_test_accuracy": their_acc[name],
                f"ratio_numpy_over_{name}": epoch_s / statistics.median(their_s[name]),
                f"max_abs_param_difference_{name}": max(
                    float(np.abs(a - b).max()) for a, b in zip(final, theirs)
                ),
            }
        )
    return out
