"""Reporting of the benchmark: the results table against the targets, the figure, the JSON.

The targets themselves are data, in :mod:`benchmarks.targets`.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from benchmarks.measure import PLAIN_EPOCHS, PLAIN_LOOP, summary
from benchmarks.targets import (
    ACCURACY_FLOORS,
    BUSY_CORE_MAX_RATIO,
    BUSY_OVER_ONE_CORE_MAX_RATIO,
    RECIPE_TARGETS,
    TARGETS,
    TORCH_RATIO_TARGETS,
)
from helpers.atomic import atomic_write


def fmt_range(s: dict, scale: float = 1.0, digits: int = 2, unit: str = "") -> str:
    med, lo, hi = s["median"] * scale, s["min"] * scale, s["max"] * scale
    if s["n"] == 1:
        return f"{med:.{digits}f}{unit}"
    return f"{med:.{digits}f}{unit} ({lo:.{digits}f}-{hi:.{digits}f})"


def _busy_rows(name: str, beside: dict | None) -> list[tuple[str, str, str]]:
    """The rows of one loop trained idle and beside a busy core, alternately, and on one core."""
    if beside is None:
        return []
    idle_runs = summary(beside["idle"])
    idle, busy, one = idle_runs["median"], statistics.median(beside["busy"]), beside["one_core"]
    busy_cell, one_cell = f"{busy:.1f} ({busy / idle:.2f}x idle)", f"{one:.1f} ({one / idle:.2f}x idle)"
    return [
        (f"{name}: seconds idle, alternating with busy", fmt_range(idle_runs), ""),
        (f"{name}: seconds beside one busy core", busy_cell, f"<= {BUSY_CORE_MAX_RATIO}x"),
        (f"{name}: seconds on one idle core", one_cell, ""),
        (f"{name}: busy / one idle core", f"{busy / one:.2f}x", f"<= {BUSY_OVER_ONE_CORE_MAX_RATIO}x"),
    ]


def table(results: dict) -> str:
    rows = [("measure", "result", "target")]
    for name, target in RECIPE_TARGETS.items():
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
        rows += _busy_rows(name, results.get("busy_core", {}).get(name))
    plain = results.get("busy_core", {}).get(PLAIN_LOOP)
    rows += _busy_rows(f"{PLAIN_LOOP} (wide, {PLAIN_EPOCHS} epochs)", plain)
    notes_ms = statistics.median(r["ms_per_iteration"] for r in results["recipes"]["notes"]["runs"])
    gb = results["data"]["X_train_bytes"] / 1e9
    rows.append(("notes: passes over X per iteration", "1 (blocked)", ""))
    rows.append(("notes: effective bandwidth GB/s", f"{gb / (notes_ms / 1000):.1f}", ""))
    peak = results["gemm"]["gflops"]["median"]
    rows.append(("sgemm 4096^3 GFLOP/s (peak)", fmt_range(results["gemm"]["gflops"], digits=1), ""))
    for key, (label, target) in TORCH_RATIO_TARGETS.items():
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
    rows.append(("peak memory MiB (load + fast recipe)", f"{mem['peak_mib']:.0f}", TARGETS["peak_memory"]))
    rows.append(("  after importing helpers (no matplotlib)", f"{mem['imports_mib']:.0f}", ""))
    rows.append(("  peak while loading (load_mnist)", f"{mem['peak_during_load_mib']:.0f}", ""))
    rows.append(("  RSS after loading", f"{mem['rss_after_load_mib']:.0f}", ""))
    rows.append(("  peak while training + evaluating", f"{mem['peak_during_training_mib']:.0f}", ""))
    rows.append(
        ("load full MNIST (.gz), fresh process, s", fmt_range(results["load_seconds"]), TARGETS["load"])
    )
    for name, s in results["inference_ms"].items():
        rows.append((f"inference 10,000 images, {name}, ms", fmt_range(s, digits=1), TARGETS["inference"]))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def plot(results: dict, path: Path) -> None:
    """Draw test accuracy against training time (helpers.curves.plot_accuracy_vs_time) into ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    from helpers.curves import plot_accuracy_vs_time

    fig = plot_accuracy_vs_time(results)
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format="png", dpi=120)


def write_json(path: Path, obj) -> None:
    """Write ``obj`` as indented JSON to ``path``, atomically."""
    with atomic_write(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1)


def failures(results: dict) -> list[str]:
    """One line per recipe whose median test accuracy is below its floor in the targets."""
    failed = []
    for name, floor in ACCURACY_FLOORS.items():
        acc = statistics.median(r["test_accuracy"] for r in results["recipes"][name]["runs"])
        if acc < floor:
            failed.append(f"{name}: test accuracy {acc:.2%} < {floor:.1%}")
    return failed
