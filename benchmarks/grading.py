"""Benchmark the grader on a simulated class, beside nbgrader's autograde, locally and on Dask.

Usage (from the repository root)::

    python benchmarks/grading.py [--students 30] [--jobs 1 2] [--dask 1 2] [--no-nbgrader] [--chapters 02 03]

Each simulated student hands in every course notebook that has check cells: student 0, 3, 6...
the instructor version (every exercise passes), 1, 4, 7... a weak one (every other solution left
as the released stub), 2, 5, 8... the blank released version. The class is graded from scratch
through ``python -m helpers assignments grade`` (sandboxed kernels, verdicts in the grader) once
per ``--jobs`` value, once per ``--dask`` number of local workers (a ``dask scheduler`` and that
many ``dask worker --nthreads 1`` processes on 127.0.0.1,
:class:`helpers.assignments.local_cluster.LocalCluster`), and by ``nbgrader autograde`` on the
same submissions. Each line gives the wall time, seconds per notebook, the CPU seconds the machine
used meanwhile (``/proc/stat``: the kernels and Dask's workers count; run it on an idle machine)
and the ratio to the first line. Then one student's notebooks are graded in this
process with timers on the kernel start, the ordinary cells and the checks: where the time goes.
Timings are indicative on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

BIN = Path(sys.executable).parent


def course_notebooks(folder: Path) -> list[Path]:
    """The notebooks in ``folder`` that have at least one nbgrader check cell."""
    out = []
    for p in sorted(folder.glob("*.ipynb")):
        cells = nbformat.read(p, 4).cells
        if any((c.metadata.get("nbgrader", {}) or {}).get("grade") for c in cells):
            out.append(p)
    return out


def weak(instructor: nbformat.NotebookNode, released: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The instructor notebook with every other solution cell as released (its stub)."""
    stubs = {(c.metadata.get("nbgrader") or {}).get("grade_id"): c.source for c in released.cells}
    nb = nbformat.from_dict(instructor)
    solutions = [c for c in nb.cells if (c.metadata.get("nbgrader") or {}).get("solution")]
    for cell in solutions[1::2]:
        cell.source = stubs.get(cell.metadata["nbgrader"].get("grade_id"), cell.source)
    return nb


def write_class(tmp: Path, notebooks: list[Path], students: int) -> dict[str, list[Path]]:
    """The submissions in nbgrader's layout, ``submitted/<student>/course/<notebook>``."""
    from helpers.assignments import release

    released = {p.name: nbformat.read(p, 4) for p in release(notebooks, tmp / "released")}
    subs: dict[str, list[Path]] = {}
    for s in range(students):
        name = f"student{s:03d}"
        folder = tmp / "course" / "submitted" / name / "course"
        folder.mkdir(parents=True)
        for nb in notebooks:
            inst = nbformat.read(nb, 4)
            kind = s % 3
            out = inst if kind == 0 else weak(inst, released[nb.name]) if kind == 1 else released[nb.name]
            nbformat.write(out, folder / nb.name)
            subs.setdefault(name, []).append(folder / nb.name)
    return subs


def machine_cpu() -> float:
    """CPU seconds the whole machine has used since it started (user, nice, system, interrupts):
    on an idle machine the difference over a run is the run's, kernels and Dask workers included."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    return (ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]) / os.sysconf("SC_CLK_TCK")


def timed(cmd: list[str], **kw) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall s, CPU s the machine used meanwhile, the completed process)."""
    start, before = time.perf_counter(), machine_cpu()
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    return time.perf_counter() - start, machine_cpu() - before, proc


def grade_class(files: list[Path], out: Path, source: Path, extra: list[str]) -> tuple[float, float, str]:
    cmd = [sys.executable, "-m", "helpers", "assignments", "grade", *map(str, files), "--quiet"]
    cmd += ["--source-dir", str(source), "--report", str(out / "grades"), *extra]
    wall, cpu, proc = timed(cmd)
    data = json.loads((out / "grades.json").read_text()) if (out / "grades.json").is_file() else {}
    graded = [s for s in data.get("submissions", []) if s["status"] == "graded"]
    note = f"{len(graded)}/{len(files)} graded, {sum(s['score'] for s in graded):g} points"
    return wall, cpu, note + ("" if proc.returncode == 0 else f" (exit {proc.returncode})")


def nbgrader_class(tmp: Path, notebooks: list[Path]) -> tuple[float, float, str]:
    from helpers.assignments.nbgrader_course import make_course
    from helpers.assignments.student_versions import referenced_files

    course = tmp / "course"
    source = make_course(course, notebooks, assignment="course", timeout=300)
    for nb in notebooks:
        for f in referenced_files(nbformat.read(nb, 4), nb.parent):
            shutil.copyfile(f, source / f.name)
    # The kernels read the 5,000-digit sample, as the grader's sandboxed kernels do (they cannot
    # see the checkout's data/): an empty MNIST folder, never full MNIST from data/.
    (tmp / "no-mnist").mkdir(exist_ok=True)
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "MNIST_DATA_DIR": str(tmp / "no-mnist"),
    }
    run = {"cwd": course, "env": env}
    subprocess.run(
        [str(BIN / "nbgrader"), "generate_assignment", "course", "--force"], capture_output=True, **run
    )
    wall, cpu, proc = timed([str(BIN / "nbgrader"), "autograde", "course"], **run)
    return wall, cpu, "" if proc.returncode == 0 else f"(exit {proc.returncode}: {proc.stderr[-200:]})"


def where_the_time_goes(files: list[Path], source: Path) -> dict[str, float]:
    """Seconds spent entering kernels (waiting for one to start), in cells and in checks, and
    the rest, grading ``files`` one after the other in this process (with a spare kernel)."""
    from helpers.assignments import sandbox, verdicts
    from helpers.assignments.grade import grade_submission

    spent = {"kernel start (waited)": 0.0, "cells": 0.0, "checks": 0.0}
    in_check = [False]

    def timer(what, func):
        def wrapper(*args, **kw):
            start = time.perf_counter()
            try:
                return func(*args, **kw)
            finally:
                if not (what == "cells" and in_check[0]):
                    spent[what] += time.perf_counter() - start

        return wrapper

    def check(*args, **kw):
        in_check[0] = True
        try:
            return real_check(*args, **kw)
        finally:
            in_check[0] = False

    real_check = verdicts.run_check
    sandbox.SandboxKernel.__enter__ = timer("kernel start (waited)", sandbox.SandboxKernel.__enter__)
    sandbox.SandboxKernel.run = timer("cells", sandbox.SandboxKernel.run)
    verdicts.run_check = timer("checks", check)
    sandbox.keep_a_spare()
    start = time.perf_counter()
    for f in files:
        grade_submission(f, source, sandbox.Limits(), student_from="folder")
    spent["total"] = time.perf_counter() - start
    spent["other (reading, restoring, shutting down)"] = spent["total"] - sum(
        v for k, v in spent.items() if k != "total"
    )
    return spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--dask", type=int, nargs="*", default=[1, 2], metavar="WORKERS")
    parser.add_argument("--no-nbgrader", action="store_true")
    parser.add_argument("--notebooks-dir", type=Path, default=Path("notebooks"))
    parser.add_argument("--chapters", nargs="*", default=[], metavar="NN", help="only these (e.g. 02 03)")
    args = parser.parse_args(argv)
    notebooks = course_notebooks(args.notebooks_dir)
    if args.chapters:
        notebooks = [p for p in notebooks if p.name.startswith(tuple(args.chapters))]
    if not notebooks or args.students < 1:
        print(f"error: no notebooks with check cells in {args.notebooks_dir}", file=sys.stderr)
        return 2
    from helpers.assignments.sandbox import isolation

    print(
        f"{args.students} students x {len(notebooks)} notebooks; {os.cpu_count()} cores, {platform.machine()}"
    )
    print(f"kernels: {isolation()}")
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as name:
        spent, n = compare(Path(name), notebooks, args)
    print(f"where the time goes ({n} notebooks of up to 3 students, one after the other, in one process):")
    for what, seconds in spent.items():
        print(f"  {what:<42} {seconds:6.1f} s ({seconds / n:5.2f} s per notebook)")
    return 0


def compare(tmp: Path, notebooks: list[Path], args: argparse.Namespace) -> tuple[dict[str, float], int]:
    """Print a line per way of grading the class (the ``--jobs``, the ``--dask`` clusters,
    nbgrader) and the ratios the targets name; then time where one student's notebooks spend
    it (:func:`where_the_time_goes`)."""
    from helpers.assignments.local_cluster import LocalCluster

    subs = write_class(tmp, notebooks, args.students)
    files = [f for fs in subs.values() for f in fs]
    walls: dict[str, float] = {}
    cpus: dict[str, float] = {}

    def show(what: str, wall: float, cpu: float, note: str) -> None:
        walls[what], cpus[what] = wall, cpu
        print(
            f"{what:<22} {wall:7.1f} s wall, {wall / len(files):5.2f} s per notebook, {cpu:7.1f} s CPU "
            f"({cpu / len(files):4.2f} s per notebook), "
            f"{next(iter(walls.values())) / wall:4.2f}x the first line; {note}",
            flush=True,
        )

    for jobs in args.jobs:
        show(
            f"--jobs {jobs}",
            *grade_class(files, tmp / f"jobs{jobs}", args.notebooks_dir, ["--jobs", str(jobs)]),
        )
    for workers in args.dask:
        with LocalCluster(tmp / f"dask{workers}" / "cluster", workers) as cluster:
            extra = ["--scheduler", cluster.address]
            result = grade_class(files, tmp / f"dask{workers}", args.notebooks_dir, extra)
        show(f"Dask, {workers} worker{'s' * (workers > 1)}", *result)
    if not args.no_nbgrader:
        show("nbgrader autograde", *nbgrader_class(tmp, notebooks))
    targets(walls, cpus, len(files))
    some = sorted((f for fs in list(subs.values())[:3] for f in fs), key=lambda f: f.name)
    return where_the_time_goes(some, args.notebooks_dir), len(some)


def targets(walls: dict[str, float], cpus: dict[str, float], n: int) -> None:
    """The ratios the targets name, from the lines above (each only when both were measured)."""
    print("against the targets:")
    if "--jobs 1" in walls and "nbgrader autograde" in walls:
        ratio = walls["nbgrader autograde"] / walls["--jobs 1"]
        print(f"  notebooks per second, one at a time, this grader / nbgrader: {ratio:.2f}x (target >= 2x)")
        ratio = cpus["nbgrader autograde"] / cpus["--jobs 1"]
        print(f"  notebooks per CPU second, this grader / nbgrader: {ratio:.2f}x (target >= 2x)")
    if "Dask, 1 worker" in walls and "Dask, 2 workers" in walls:
        ratio = walls["Dask, 1 worker"] / walls["Dask, 2 workers"]
        print(f"  Dask, 2 workers / 1 worker: {ratio:.2f}x (target >= 1.7x)")
    if "--jobs 1" in walls and "--jobs 2" in walls:
        print(f"  --jobs 2 / --jobs 1: {walls['--jobs 1'] / walls['--jobs 2']:.2f}x")
    best = min(v for k, v in walls.items() if not k.startswith("nbgrader"))
    print(
        f"  the class, {n} notebooks: {best:.0f} s at best; 270 (30 students x 9) at that rate: "
        f"{best / n * 270:.0f} s (target <= 360 s)"
    )


if __name__ == "__main__":
    sys.exit(main())
