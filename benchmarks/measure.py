"""Measurements of the benchmark: data, recipes, PyTorch beside them, GEMM peak, memory, load.

Every function returns plain numbers (dicts of floats) for :mod:`benchmarks.report` to print
and plot; :mod:`benchmarks.run` calls them in order. Training goes through
``helpers.run_recipe`` and ``helpers.fast``, the engine the recipes and the command line use.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from helpers import fast, training
from helpers.data import load_mnist
from helpers.nn import evaluate, get_accuracy, predict
from helpers.recipes import RECIPES, run_recipe

N_DEV = 1000
SEED = 0


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------
def split_in_place(X: np.ndarray, y: np.ndarray, n_dev: int, seed: int):
    """The split of ``helpers.train_dev_split`` without a second copy of X.

    Permutes the columns of X (784, m) and the labels y in place into the order
    ``train_dev_split`` uses (the same seeded permutation), then returns views: the first
    ``n_dev`` columns are the dev set, the rest the training set, exactly the arrays
    train_dev_split would have copied out. Saves 185 MB for full MNIST.
    """
    m = X.shape[1]
    order = np.random.default_rng(seed).permutation(m)
    XT = X.T  # rows of XT are the columns of X, contiguous when X is in Fortran order
    done = np.zeros(m, dtype=bool)
    for start in range(m):  # follow each cycle of the permutation: new[i] = old[order[i]]
        if done[start] or order[start] == start:
            continue
        saved_x, saved_y = XT[start].copy(), y[start]
        i = start
        while True:
            done[i] = True
            j = order[i]
            if j == start:
                XT[i], y[i] = saved_x, saved_y
                break
            XT[i], y[i] = XT[j], y[j]
            i = j
    return X[:, n_dev:], y[n_dev:], X[:, :n_dev], y[:n_dev]


def load_full(data_dir: str):
    try:
        data = load_mnist(data_dir, source="full")
    except FileNotFoundError as exc:
        sys.exit(f"benchmarks need full MNIST: {exc}")
    if data.kind != "full" or data.X_train.shape[1] != 60000:
        sys.exit(f"benchmarks need full MNIST (60,000 training images); got: {data.source}")
    return data


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------
def summary(values) -> dict:
    values = [float(v) for v in values]
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def gemm_peak(repeats: int = 3, size: int = 4096) -> dict:
    """float32 GEMM speed (GFLOP/s) of a size^3 product with NumPy's BLAS and its default threads."""
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    a @ b  # warm up (threads, page faults)
    rates = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        rates.append(2 * size**3 / (time.perf_counter() - t) / 1e9)
    return {"size": size, "gflops": summary(rates)}


def proc_status_mib(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmHWM: peak, VmRSS: now), MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def probe_load(data_dir: str) -> dict:
    """(run in a fresh process) seconds to load full MNIST from the .gz files."""
    t = time.perf_counter()
    load_full(data_dir)
    return {"seconds": time.perf_counter() - t}


def probe_memory(data_dir: str) -> dict:
    """(run in a fresh process) peak memory of loading full MNIST and training the fast recipe."""
    baseline = proc_status_mib("VmHWM")
    data = load_full(data_dir)
    after_load_peak, after_load_rss = proc_status_mib("VmHWM"), proc_status_mib("VmRSS")
    X, y, X_dev, y_dev = split_in_place(data.X_train, data.y_train, N_DEV, SEED)
    split_peak = proc_status_mib("VmHWM")
    try:  # reset the high-water mark to the current RSS (Linux), to see training's own peak
        Path("/proc/self/clear_refs").write_text("5")
        reset = True
    except OSError:
        reset = False
    params, _ = run_recipe("fast", X, y, seed=SEED, X_dev=X_dev, Y_dev=y_dev, progress=False)
    evaluate(params, data.X_test, data.y_test)
    training_peak = proc_status_mib("VmHWM")
    return {
        "imports_mib": baseline,
        "peak_during_load_mib": after_load_peak,
        "rss_after_load_mib": after_load_rss,
        "peak_during_training_mib": training_peak if reset else float("nan"),
        "peak_mib": max(after_load_peak, split_peak, training_peak),
    }


def run_notes(X, y, X_dev, y_dev, X_test, y_test, repeats: int, iterations: int | None):
    runs, curve = [], None
    for r in range(repeats):
        overrides = {} if iterations is None else {"iterations": iterations}
        points: list[tuple[float, float]] = []
        pause = [0.0]
        start = time.perf_counter()

        def on_eval(i, params, history, points=points, pause=pause, start=start):
            t = time.perf_counter()
            points.append((t - start - pause[0], get_accuracy(predict(params, X_test), y_test)))
            pause[0] += time.perf_counter() - t

        params, history = run_recipe(
            "notes",
            X,
            y,
            seed=SEED + r,
            X_dev=X_dev,
            Y_dev=y_dev,
            progress=False,
            callback=on_eval if r == 0 else None,
            **overrides,
        )
        seconds = history.seconds - (pause[0] if r == 0 else 0.0)
        runs.append(
            {
                "seed": SEED + r,
                "seconds": seconds,
                "dev_accuracy": history.dev_accuracy[-1],
                "test_accuracy": evaluate(params, X_test, y_test)[1],
                "ms_per_iteration": 1000 * seconds / len(history.step),
            }
        )
        if r == 0:
            curve = points
    return runs, curve


def run_train_recipe(name, X, y, X_dev, y_dev, X_test, y_test, repeats: int):
    runs = []
    for r in range(repeats):
        params, history = run_recipe(name, X, y, seed=SEED + r, X_dev=X_dev, Y_dev=y_dev, progress=False)
        runs.append(
            {
                "seed": SEED + r,
                "seconds": history.seconds,
                "dev_accuracy": history.dev_accuracy[-1],
                "test_accuracy": evaluate(params, X_test, y_test)[1],
            }
        )
        last_params = params
    return runs, last_params


def inference_ms(params, X_test, repeats: int = 20) -> dict:
    predict(params, X_test)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        predict(params, X_test)
        times.append(1000 * (time.perf_counter() - t))
    return summary(times)


def blas_info() -> dict:
    info = {"OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"), "threads": None, "arch": None}
    try:
        from threadpoolctl import threadpool_info

        for lib in threadpool_info():
            if lib.get("user_api") == "blas":
                info.update(
                    threads=lib.get("num_threads"),
                    arch=lib.get("architecture"),
                    library=lib.get("internal_api"),
                    version=lib.get("version"),
                )
                break
    except ImportError:
        pass
    return info


PLAIN_LOOP = "plain loop"  # chapter 5's helpers.training.train, the wide recipe's settings
PLAIN_EPOCHS = 10


def beside_a_busy_core(X, y, X_dev, y_dev, rounds: int = 2) -> dict:
    """Training seconds of every recipe (seed 0) and of the plain loop: idle, busy, one core.

    For each recipe, and for :data:`PLAIN_LOOP` (the loop learners run in chapter 5,
    ``helpers.training.train`` with the wide recipe's settings for :data:`PLAIN_EPOCHS` epochs),
    ``rounds`` times in turn: once on the idle machine, once while ``python -c "while True:
    pass"`` keeps a core busy (a CPU-bound neighbour, as a browser tab or a colleague's job
    would be). Alternating the two within a minute keeps the machine's own drift out of their
    ratio. Then once on one core of the idle machine (one block worker, one BLAS thread): a loop
    cannot do better than that beside a busy core. Returns ``{name: {"idle": [s, ...],
    "busy": [s, ...], "one_core": s}}``.
    """
    wide = {k: v for k, v in RECIPES["wide"].items()}

    def seconds(name: str, **overrides) -> float:
        if name == PLAIN_LOOP:
            settings = {**wide, "epochs": PLAIN_EPOCHS, "seed": SEED, "progress": False, **overrides}
            return training.train(X, y, **settings)[1].seconds
        _, history = run_recipe(name, X, y, seed=SEED, X_dev=X_dev, Y_dev=y_dev, progress=False, **overrides)
        return history.seconds

    out = {}
    for name in [*RECIPES, PLAIN_LOOP]:
        runs: dict = {"idle": [], "busy": []}
        for _ in range(rounds):
            runs["idle"].append(seconds(name))
            busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            try:
                time.sleep(0.5)  # let it start spinning
                runs["busy"].append(seconds(name))
            finally:
                busy.kill()
                busy.wait()
        engine = name != PLAIN_LOOP and RECIPES[name].train is fast.gradient_descent
        runs["one_core"] = seconds(name, **({"threads": 1} if engine else {"blas_threads": 1}))
        idle, busy_s = statistics.median(runs["idle"]), statistics.median(runs["busy"])
        print(
            f"{name}: idle {idle:.1f} s, beside one busy core {busy_s:.1f} s ({busy_s / idle:.2f}x), "
            f"on one core {runs['one_core']:.1f} s ({busy_s / runs['one_core']:.2f}x of it beside)",
            flush=True,
        )
        out[name] = runs
    return out


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
