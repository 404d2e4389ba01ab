"""Benchmark the course's network on full MNIST: accuracy, speed, memory, and PyTorch beside it.

Usage (from the repository root)::

    python benchmarks/run.py [--data-dir data] [--quick] [--repeats 3] [--no-torch]

Prints a results table (medians over repeats, with ranges), writes ``benchmarks/results/
results.json`` and ``benchmarks/results/accuracy_vs_time.png``, and exits with status 1 when a
test-accuracy floor fails (notes recipe < 80 %, fast < 94 %, wide < 98 %). Timings are
reported, never enforced: the machine may be shared.

Everything trained here goes through ``helpers.run_recipe`` / ``helpers.train``, i.e. through
the course's own forward_prop, backward_prop and update_params.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers.data import MNIST_FILES, find_idx, load_mnist  # noqa: E402
from helpers.nn import evaluate, get_accuracy, init_params, predict, train  # noqa: E402
from helpers.recipes import RECIPES, run_recipe  # noqa: E402

FLOORS = {"notes": 0.80, "fast": 0.94, "wide": 0.98}
RESULTS = Path(__file__).resolve().parent / "results"
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


def subprocess_figures(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


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
    Two PyTorch versions: ``torch`` does by hand exactly the operations train() does,
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
    final, _ = train(
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


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------
def fmt_range(s: dict, scale: float = 1.0, digits: int = 2, unit: str = "") -> str:
    med, lo, hi = s["median"] * scale, s["min"] * scale, s["max"] * scale
    if s["n"] == 1:
        return f"{med:.{digits}f}{unit}"
    return f"{med:.{digits}f}{unit} ({lo:.{digits}f}-{hi:.{digits}f})"


def table(results: dict) -> str:
    rows = [("measure", "result", "target")]
    for name, target in (
        ("notes", "<= 20 s, ~84-86 %"),
        ("fast", ">= 94.5 % in <= 5 s"),
        ("wide", ">= 98.0 % in <= 10 s"),
    ):
        runs = results["recipes"][name]["runs"]
        test = summary([r["test_accuracy"] for r in runs])
        dev = summary([r["dev_accuracy"] for r in runs])
        secs = summary([r["seconds"] for r in runs])
        rows.append((f"{name}: test accuracy %", fmt_range(test, 100), target))
        rows.append((f"{name}: dev accuracy %", fmt_range(dev, 100), ""))
        rows.append((f"{name}: training seconds", fmt_range(secs), ""))
        if name == "notes":
            ms = summary([r["ms_per_iteration"] for r in runs])
            rows.append(("notes: ms per iteration", fmt_range(ms, digits=1), ""))
    notes_ms = statistics.median(r["ms_per_iteration"] for r in results["recipes"]["notes"]["runs"])
    gb = results["data"]["X_train_bytes"] / 1e9
    rows.append(("notes: passes over X per iteration", "1 (blocked)", ""))
    rows.append(("notes: effective bandwidth GB/s", f"{gb / (notes_ms / 1000):.1f}", ""))
    peak = results["gemm"]["gflops"]["median"]
    rows.append(("sgemm 4096^3 GFLOP/s (peak)", fmt_range(results["gemm"]["gflops"], digits=1), ""))
    for key, label, target in (
        ("fast", "784-10-10 b64", "<= 0.35"),
        ("h256", "784-256-10 b128", "<= 0.90"),
        ("h256_sgd", "784-256-10 b128 plain SGD", "<= 0.90"),
        ("h256_b256", "784-256-10 b256", ""),
        ("h256_b512", "784-256-10 b512", ""),
        ("h256_b1024", "784-256-10 b1024", ""),
        ("wide", "wide recipe", ""),
    ):
        c = results["comparisons"].get(key)
        if not c:
            continue
        s = c["settings"]
        tag = f"{label} (h={s['n_hidden']}, B={s['batch_size']})"
        rows.append((f"{tag}: numpy s/epoch", fmt_range(c["numpy_seconds_per_epoch"], digits=3), ""))
        # The targets apply to PyTorch as a student would use it (autograd + torch.optim.SGD);
        # the hand-written mirror of train()'s own operations is the stricter comparison.
        for name, what, goal in (
            ("torch_autograd", "torch autograd", target),
            ("torch", "torch by hand", ""),
        ):
            if f"{name}_seconds_per_epoch" in c:
                secs = fmt_range(c[f"{name}_seconds_per_epoch"], digits=3)
                rows.append((f"{tag}: {what} s/epoch", secs, ""))
                rows.append((f"{tag}: ratio numpy/{what}", f"{c[f'ratio_numpy_over_{name}']:.2f}", goal))
                diff = c[f"max_abs_param_difference_{name}"]
                rows.append((f"{tag}: max |param diff| vs {what}", f"{diff:.1e}", ""))
        if key != "fast":
            frac = c["gflops_numpy"] / peak
            rows.append(
                (
                    f"{tag}: numpy GFLOP/s, fraction of peak",
                    f"{c['gflops_numpy']:.1f}, {frac:.0%}",
                    "",
                )
            )
            g6 = c.get("gflops_numpy_6n_convention")
            if g6:
                goal = ">= 55 %" if key.startswith("h256") else ""
                rows.append((f"{tag}:   same, counted as 6 flops/weight", f"{g6:.1f}, {g6 / peak:.0%}", goal))
            alone = c.get("products_alone")
            if alone:
                rows.append(
                    (
                        f"{tag}:   the five products alone (ceiling)",
                        f"{alone['gflops']:.1f}, {alone['gflops'] / peak:.0%}",
                        "",
                    )
                )
                share = c["gflops_numpy"] / alone["gflops"]
                rows.append((f"{tag}:   training rate / ceiling", f"{share:.0%}", ""))
    if results.get("torch_skipped"):
        rows.append(("PyTorch comparison", "skipped: " + results["torch_skipped"], ""))
    mem = results["memory"]
    rows.append(("peak memory MiB (load + fast recipe)", f"{mem['peak_mib']:.0f}", "<= 300"))
    rows.append(("  after importing helpers (no matplotlib)", f"{mem['imports_mib']:.0f}", ""))
    rows.append(("  peak while loading (load_mnist)", f"{mem['peak_during_load_mib']:.0f}", ""))
    rows.append(("  RSS after loading", f"{mem['rss_after_load_mib']:.0f}", ""))
    rows.append(("  peak while training + evaluating", f"{mem['peak_during_training_mib']:.0f}", ""))
    rows.append(("load full MNIST (.gz), fresh process, s", fmt_range(results["load_seconds"]), "<= 1"))
    for name, s in results["inference_ms"].items():
        rows.append((f"inference 10,000 images, {name}, ms", fmt_range(s, digits=1), "<= 20"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 5))
    curve = results["recipes"]["notes"].get("curve")
    if curve:
        t, a = zip(*curve)
        ax.plot(t, np.array(a) * 100, color="tab:gray", label="notes recipe (NumPy, full batch)")
    colors = {
        "fast": "tab:blue",
        "wide": "tab:green",
        "h256": "tab:purple",
        "h256_sgd": "tab:pink",
        "h256_b256": "tab:red",
        "h256_b512": "tab:orange",
        "h256_b1024": "tab:brown",
    }
    for key, c in results["comparisons"].items():
        s = c["settings"]
        label = f"784-{s['n_hidden']}-10, batch {s['batch_size']}"
        label += "" if s.get("momentum") else ", plain SGD"
        x = np.cumsum(c["numpy_epoch_seconds"])
        ax.plot(
            x, np.array(c["numpy_test_accuracy"]) * 100, "o-", ms=3, color=colors[key], label=f"{label} NumPy"
        )
        if "torch_autograd_epoch_seconds" in c:  # PyTorch as a student would use it
            x = np.cumsum(c["torch_autograd_epoch_seconds"])
            ax.plot(
                x,
                np.array(c["torch_autograd_test_accuracy"]) * 100,
                "s--",
                ms=3,
                color=colors[key],
                alpha=0.6,
                label=f"{label} PyTorch (autograd)",
            )
    ax.set_xscale("log")
    ax.set_ylim(60, 100)
    ax.set_xlabel("training seconds (cumulative, log scale)")
    ax.set_ylabel("test accuracy %")
    ax.set_title("Full MNIST: test accuracy against training time")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))  # beside the curves
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    os.replace(tmp, path)


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="data", help="folder with the four MNIST .gz files")
    parser.add_argument("--quick", action="store_true", help="one repeat, no PyTorch, fewer epochs timed")
    parser.add_argument("--repeats", type=int, default=3, help="runs per recipe (default 3)")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    parser.add_argument("--out", default=str(RESULTS), help="folder for results.json and the figure")
    parser.add_argument("--probe", choices=["load", "memory"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        print(json.dumps((probe_load if args.probe == "load" else probe_memory)(args.data_dir)))
        return 0

    missing = [name for name in MNIST_FILES if find_idx(args.data_dir, name) is None]
    if missing:
        sys.exit(f"benchmarks need full MNIST: {args.data_dir} lacks {', '.join(missing)} (.gz or raw)")
    repeats = 1 if args.quick else args.repeats
    results: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": {
            "cpu": _cpu_name(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "blas": blas_info(),
        },
        "recipes": {},
        "comparisons": {},
    }
    load_times = [
        subprocess_figures(["--probe", "load", "--data-dir", args.data_dir])["seconds"]
        for _ in range(1 if args.quick else 3)
    ]
    results["load_seconds"] = summary(load_times)
    data = load_full(args.data_dir)
    X, y, X_dev, y_dev = split_in_place(data.X_train, data.y_train, N_DEV, SEED)
    X_test, y_test = data.X_test, data.y_test
    results["data"] = {
        "train": X.shape[1],
        "dev": X_dev.shape[1],
        "test": X_test.shape[1],
        "X_train_bytes": X.nbytes,
    }
    print(f"full MNIST: {X.shape[1]} train, {X_dev.shape[1]} dev, {X_test.shape[1]} test", flush=True)

    results["gemm"] = gemm_peak()
    print(f"sgemm peak: {results['gemm']['gflops']['median']:.1f} GFLOP/s", flush=True)

    runs, curve = run_notes(X, y, X_dev, y_dev, X_test, y_test, repeats, None)
    results["recipes"]["notes"] = {"settings": _jsonable(RECIPES["notes"]), "runs": runs, "curve": curve}
    print("notes:", json.dumps(runs[-1]), flush=True)
    inference = {}
    for name in ("fast", "wide"):
        runs, params = run_train_recipe(name, X, y, X_dev, y_dev, X_test, y_test, repeats)
        results["recipes"][name] = {"settings": _jsonable(RECIPES[name]), "runs": runs}
        inference[f"784-{params[0].shape[0]}-10"] = inference_ms(params, X_test)
        print(f"{name}:", json.dumps(runs[-1]), flush=True)
    results["inference_ms"] = inference

    use_torch = not (args.no_torch or args.quick)
    if use_torch:
        try:
            import torch

            torch.set_num_threads(2)
        except ImportError:
            use_torch = False
            results["torch_skipped"] = "torch is not importable (pip install torch==2.13.0)"
            print("PyTorch comparison skipped: torch is not importable", flush=True)
    else:
        results["torch_skipped"] = "--quick" if args.quick else "--no-torch"
    fast = {k: v for k, v in RECIPES["fast"].items() if k != "dtype"}
    wide = {k: v for k, v in RECIPES["wide"].items() if k != "dtype"}
    comparisons = {
        "fast": {**fast, "batch_size": 64},
        # alpha 0.05: timing does not depend on it, and with smaller steps float32 rounding
        # differences between the two libraries stay small, so the final weights can be compared.
        "h256": {**wide, "n_hidden": 256, "batch_size": 128, "alpha": 0.05, "epochs": 3 if args.quick else 6},
        # The protocol of the reference figures (benchmarks/README.md): plain SGD, linear decay.
        "h256_sgd": {
            **wide,
            "n_hidden": 256,
            "batch_size": 128,
            "alpha": 0.05,
            "momentum": 0.0,
            "epochs": 3 if args.quick else 6,
        },
        # The same network at larger batch sizes (the wide recipe's 256, then 512 and 1024):
        # larger products, fewer steps; the GEMM-fraction target names no batch size.
        **{
            f"h256_b{b}": {
                **wide,
                "n_hidden": 256,
                "batch_size": b,
                "alpha": 0.05,
                "epochs": 3 if args.quick else 6,
            }
            for b in (256, 512, 1024)
        },
    }
    if RECIPES["fast"].get("batch_size") != 64:
        comparisons["fast_recipe"] = fast
    comparisons["wide"] = wide
    if args.quick:
        comparisons = {"h256": comparisons["h256"], "h256_b256": comparisons["h256_b256"]}
    for key, settings in comparisons.items():
        results["comparisons"][key] = compare_with_torch(X, y, X_test, y_test, settings, use_torch)
        c = results["comparisons"][key]
        if key.startswith("h256"):
            c["products_alone"] = products_alone(c["settings"]["n_hidden"], c["settings"]["batch_size"])
        print(
            f"compare {key}: numpy {c['numpy_seconds_per_epoch']['median']:.3f} s/epoch"
            + (f", torch {c['torch_seconds_per_epoch']['median']:.3f}" if use_torch else ""),
            flush=True,
        )

    del data, X, y, X_dev, y_dev, X_test, y_test
    results["memory"] = subprocess_figures(["--probe", "memory", "--data-dir", args.data_dir])

    out = Path(args.out)
    write_json(out / "results.json", results)
    plot(results, out / "accuracy_vs_time.png")
    print()
    print(
        f"{results['date']}, {results['machine']['cpu']}, {results['machine']['cores']} cores, "
        f"numpy {np.__version__}, BLAS {results['machine']['blas']}"
    )
    print(table(results))
    print(f"\nwrote {out / 'results.json'} and {out / 'accuracy_vs_time.png'}")

    failed = []
    for name, floor in FLOORS.items():
        acc = statistics.median(r["test_accuracy"] for r in results["recipes"][name]["runs"])
        if acc < floor:
            failed.append(f"{name}: test accuracy {acc:.2%} < {floor:.0%}")
    for line in failed:
        print("FAIL", line)
    return 1 if failed else 0


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _jsonable(settings: dict) -> dict:
    return {k: (np.dtype(v).name if k == "dtype" else v) for k, v in settings.items()}


if __name__ == "__main__":
    sys.exit(main())
