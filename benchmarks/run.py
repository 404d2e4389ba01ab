"""Benchmark the course's network on full MNIST: accuracy, speed, memory, and PyTorch beside it.

Usage (from the repository root)::

    python benchmarks/run.py [--data-dir data] [--quick] [--repeats 3] [--no-torch]

Prints a results table (medians over repeats, with ranges) against the targets of
``benchmarks/targets.py``, writes ``benchmarks/results/results.json`` and
``benchmarks/results/accuracy_vs_time.png``, and exits with status 1 when a test-accuracy floor
fails. Timings are reported, never enforced: the machine may be shared. The measuring is in
``benchmarks/measure.py``, the table and figure in ``benchmarks/report.py``; this file runs them
in order. Everything trained here goes through ``helpers.run_recipe`` / ``helpers.fast``, the
engine the command line uses. The "one busy core" rows train every recipe (seed 0) twice on the
idle machine and twice beside a busy process of its own, alternating, and once on one core.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import measure, report, versus_torch  # noqa: E402
from helpers.data import MNIST_FILES, find_idx  # noqa: E402
from helpers.recipes import RECIPES  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def subprocess_figures(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


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
        print(
            json.dumps((measure.probe_load if args.probe == "load" else measure.probe_memory)(args.data_dir))
        )
        return 0

    missing = [name for name in MNIST_FILES if find_idx(args.data_dir, name) is None]
    if missing:
        sys.exit(f"benchmarks need full MNIST: {args.data_dir} lacks {', '.join(missing)} (.gz or raw)")
    repeats = 1 if args.quick else args.repeats
    results: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": {
            "cpu": measure.cpu_name(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "blas": measure.blas_info(),
        },
        "recipes": {},
        "comparisons": {},
    }
    load_times = [
        subprocess_figures(["--probe", "load", "--data-dir", args.data_dir])["seconds"]
        for _ in range(1 if args.quick else 3)
    ]
    results["load_seconds"] = measure.summary(load_times)
    data = measure.load_full(args.data_dir)
    X, y, X_dev, y_dev = measure.split_in_place(data.X_train, data.y_train, measure.N_DEV, measure.SEED)
    X_test, y_test = data.X_test, data.y_test
    results["data"] = {
        "train": X.shape[1],
        "dev": X_dev.shape[1],
        "test": X_test.shape[1],
        "X_train_bytes": X.nbytes,
    }
    print(f"full MNIST: {X.shape[1]} train, {X_dev.shape[1]} dev, {X_test.shape[1]} test", flush=True)

    results["gemm"] = measure.gemm_peak()
    print(f"sgemm peak: {results['gemm']['gflops']['median']:.1f} GFLOP/s", flush=True)

    runs, curve = measure.run_notes(X, y, X_dev, y_dev, X_test, y_test, repeats, None)
    results["recipes"]["notes"] = {"settings": _jsonable(RECIPES["notes"]), "runs": runs, "curve": curve}
    print("notes:", json.dumps(runs[-1]), flush=True)
    inference = {}
    for name in ("fast", "wide"):
        runs, params = measure.run_train_recipe(name, X, y, X_dev, y_dev, X_test, y_test, repeats)
        results["recipes"][name] = {"settings": _jsonable(RECIPES[name]), "runs": runs}
        inference[f"784-{params[0].shape[0]}-10"] = measure.inference_ms(params, X_test)
        print(f"{name}:", json.dumps(runs[-1]), flush=True)
    results["inference_ms"] = inference
    if not args.quick:
        results["busy_core"] = measure.beside_a_busy_core(X, y, X_dev, y_dev)

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
        results["comparisons"][key] = versus_torch.compare_with_torch(
            X, y, X_test, y_test, settings, use_torch
        )
        c = results["comparisons"][key]
        if key.startswith("h256"):
            c["products_alone"] = versus_torch.products_alone(
                c["settings"]["n_hidden"], c["settings"]["batch_size"]
            )
        print(
            f"compare {key}: numpy {c['numpy_seconds_per_epoch']['median']:.3f} s/epoch"
            + (f", torch {c['torch_seconds_per_epoch']['median']:.3f}" if use_torch else ""),
            flush=True,
        )

    del data, X, y, X_dev, y_dev, X_test, y_test
    results["memory"] = subprocess_figures(["--probe", "memory", "--data-dir", args.data_dir])

    out = Path(args.out)
    report.write_json(out / "results.json", results)
    report.plot(results, out / "accuracy_vs_time.png")
    print()
    print(
        f"{results['date']}, {results['machine']['cpu']}, {results['machine']['cores']} cores, "
        f"numpy {np.__version__}, BLAS {results['machine']['blas']}"
    )
    print(report.table(results))
    print(f"\nwrote {out / 'results.json'} and {out / 'accuracy_vs_time.png'}")

    failed = report.failures(results)
    for line in failed:
        print("FAIL", line)
    return 1 if failed else 0


def _jsonable(settings: dict) -> dict:
    return {k: (np.dtype(v).name if k == "dtype" else v) for k, v in settings.items()}


if __name__ == "__main__":
    sys.exit(main())
