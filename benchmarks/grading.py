"""Benchmark the grader on a simulated class: every course notebook, once per student.

Usage (from the repository root)::

    python benchmarks/grading.py [--students 30] [--jobs 1 2] [--notebooks-dir notebooks]

Each simulated student hands in every course notebook that has check cells (the instructor
version, so every exercise passes; chapters added later are picked up from the folder). The class
is graded once per ``--jobs`` value, from scratch, through ``python -m helpers assignments grade``
(sandboxed kernels, verdicts in the grader), and the wall time is printed with the time per
notebook and the speed-up over the first value. Timings are indicative on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat


def course_notebooks(folder: Path) -> list[Path]:
    """The notebooks in ``folder`` that have at least one nbgrader check cell."""
    out = []
    for p in sorted(folder.glob("*.ipynb")):
        cells = nbformat.read(p, 4).cells
        if any((c.metadata.get("nbgrader", {}) or {}).get("grade") for c in cells):
            out.append(p)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--notebooks-dir", type=Path, default=Path("notebooks"))
    args = parser.parse_args(argv)
    notebooks = course_notebooks(args.notebooks_dir)
    if not notebooks or args.students < 1:
        print(f"error: no notebooks with check cells in {args.notebooks_dir}", file=sys.stderr)
        return 2
    from helpers.assignments.sandbox import isolation

    print(
        f"{args.students} students x {len(notebooks)} notebooks; {platform.processor() or platform.machine()}"
    )
    print(f"kernels: {isolation()}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        subs = []
        for s in range(args.students):
            folder = Path(tmp) / "subs" / f"student{s:03d}"
            folder.mkdir(parents=True)
            for nb in notebooks:
                shutil.copy(nb, folder / nb.name)
                subs.append(folder / nb.name)
        for jobs in args.jobs:
            out = Path(tmp) / f"jobs{jobs}"
            cmd = [sys.executable, "-m", "helpers", "assignments", "grade", *map(str, subs), "--quiet"]
            cmd += [
                "--source-dir",
                str(args.notebooks_dir),
                "--jobs",
                str(jobs),
                "--report",
                str(out / "grades"),
            ]
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            wall = time.perf_counter() - start
            data = json.loads((out / "grades.json").read_text()) if (out / "grades.json").is_file() else {}
            graded = [s for s in data.get("submissions", []) if s["status"] == "graded"]
            full = sum(s["score"] == s["max_score"] for s in graded)
            rows.append((jobs, wall))
            speedup = rows[0][1] / wall
            print(
                f"--jobs {jobs}: {wall:7.1f} s wall, {wall / len(subs):5.2f} s per notebook, "
                f"speed-up {speedup:4.2f}x; {len(graded)}/{len(subs)} graded, {full} with full marks"
                + ("" if proc.returncode == 0 else f" (exit {proc.returncode})")
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
