"""Command line of the assignment tools.

``python -m helpers assignments {release,grade,nbgrader-course}`` once the main CLI calls
:func:`register`; ``python -m helpers.assignments {release,grade,nbgrader-course}`` always.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

GRADE_HELP = """\
Each submission is matched to its instructor notebook by its nbgrader grade ids (its file name is
the fallback). Student names come from the file names: `<student>/<notebook>.ipynb` (in a folder
per student) or `<student>-<notebook>.ipynb` / `<notebook>-<student>.ipynb` (separator -, _, . or a
space). The student's cells run in a sandboxed kernel; the check cells run in the grader. Each
result is written to the results folder as soon as it is graded, and a re-run skips those (unless
--force). The report is written as REPORT.json, REPORT.md (ending with what the class gets wrong)
and REPORT.csv; --feedback, --roster, --manual and --deadline add feedback pages, LMS files, manual
points and late penalties (also later, from the result files, with merge).
A submission whose kernel could not run (not the student's doing) is "not graded", tried once more
at the end, and listed first in the report. Before the first one, a known-good notebook is graded:
a sandbox that cannot run a kernel stops the command with one line.
Exit code 0 when every submission was graded, 1 when some could not be (see the report), 2 when
nothing was graded."""


def fail(exc: BaseException | str, code: int = 2, after: str = "") -> int:
    """Print ``exc`` as the one ``error:`` line (:func:`helpers.errors.error_line`), then
    ``after``; return ``code``. Every assignments command reports its errors through this (a
    missing optional package is the setup's problem, said as such, not a bug)."""
    from helpers.errors import error_line

    plain = isinstance(exc, str | ImportError)
    print(error_line(ValueError(str(exc)) if plain else exc) + after, file=sys.stderr)
    return code


def _limits(args: argparse.Namespace):
    from helpers.assignments.sandbox import Limits

    for name in ("timeout", "notebook_timeout", "memory"):
        if getattr(args, name) <= 0:
            raise ValueError(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    return Limits(cell=args.timeout, notebook=args.notebook_timeout, memory_mb=args.memory)


def _grade(args: argparse.Namespace) -> int:
    from helpers.assignments.batch import grade_many
    from helpers.assignments.canary import SandboxUnusable
    from helpers.assignments.class_outputs import finish
    from helpers.assignments.executors import NoSandboxOnWorkers
    from helpers.assignments.report import report_paths, to_markdown

    try:
        limits, plan = _before_grading(args)
    except (OSError, ValueError, SandboxUnusable) as exc:
        return fail(exc)
    results_dir = args.results or str(report_paths(args.report)["json"].with_suffix("")) + "-results"
    try:
        results = grade_many(
            args.submissions,
            results_dir,
            args.source_dir,
            limits,
            jobs=args.jobs,
            notebook=args.notebook,
            allow_reference=args.allow_reference,
            force=args.force,
            progress=_progress,
            scheduler=args.scheduler,
            allow_unsandboxed_workers=args.allow_unsandboxed_workers,
        )
    except (OSError, ValueError, ImportError, NoSandboxOnWorkers) as exc:  # no scheduler, no bwrap...
        return fail(exc)
    try:
        results, paths = finish(plan, results)
    except (OSError, ValueError) as exc:  # e.g. a sheet row naming no submission: fix it, then merge
        return fail(exc, after=f" (the results are in {results_dir}/)")
    if not args.quiet:
        print(to_markdown(results))
    print(f"results in {results_dir}/; wrote " + ", ".join(str(p) for p in paths.values()), file=sys.stderr)
    return 0 if all(r.status == "graded" for r in results) else 1


def _before_grading(args: argparse.Namespace) -> tuple:
    """``grade``'s checks before any submission: the arguments, the grader's folder, the
    post-grading options (read now, not after grading) and a sandbox that runs a kernel (one
    line now, not a class of zeros); ``(limits, the post-grading plan)``."""
    from helpers.assignments.canary import check_sandbox
    from helpers.assignments.class_outputs import prepare
    from helpers.assignments.isolation import bwrap_path, grader_folder

    if not Path(args.source_dir).is_dir():
        raise ValueError(f"{args.source_dir}: no such folder of instructor notebooks")
    limits = _limits(args)
    if args.jobs is not None and args.jobs <= 0:
        raise ValueError(f"--jobs must be positive, got {args.jobs}")
    grader_folder(bwrap_path())  # a folder the kernels cannot work in: one line now, not per submission
    plan = prepare(args)  # the roster, sheet, deadline...: read now, not after grading
    check_sandbox(limits)  # a sandbox that cannot run a kernel: one line now, not a class of zeros
    if args.scheduler and not args.scheduler.startswith(("tcp://", "tls://", "ws://", "wss://")):
        raise ValueError(f"--scheduler {args.scheduler}: expected tcp://HOST:PORT")
    return limits, plan


def _progress(r) -> None:
    from tqdm import tqdm

    name = r.notebook or Path(r.file).name
    tqdm.write(f"{r.student}: {name}: {r.score:g} / {r.max_score:g} ({r.status})", file=sys.stderr)


def _grade_one(args: argparse.Namespace) -> int:
    from helpers.assignments.batch import grade_one
    from helpers.assignments.canary import SandboxUnusable, check_sandbox
    from helpers.assignments.isolation import bwrap_path, grader_folder

    try:
        limits = _limits(args)
        grader_folder(bwrap_path())
        check_sandbox(limits)
    except (OSError, ValueError, SandboxUnusable) as exc:
        return fail(exc)
    r = grade_one(args.submission, args.out, args.source_dir, limits, args.notebook, args.allow_reference)
    if r.status == "not graded":  # the kernel could not run: once more
        r = grade_one(args.submission, args.out, args.source_dir, limits, args.notebook, args.allow_reference)
    print(f"{r.student}: {r.notebook or Path(r.file).name}: {r.score:g} / {r.max_score:g} ({r.status})")
    return 0 if r.status == "graded" else 1


def _merge(args: argparse.Namespace) -> int:
    from helpers.assignments.batch import merge
    from helpers.assignments.class_outputs import finish, prepare

    skipped: list[str] = []
    try:
        results, paths = finish(prepare(args), merge(args.results, skipped))
    except (OSError, ValueError, RecursionError) as exc:
        return fail(exc, 1)
    for why in skipped:
        print(f"skipped {' '.join(why.split())[:300]}", file=sys.stderr)
    print(f"{len(results)} results; wrote " + ", ".join(str(p) for p in paths.values()))
    return 0 if all(r.status == "graded" for r in results) else 1


def limit_options(g: argparse.ArgumentParser) -> None:
    """Add a kernel's limits, read back by :func:`_limits`: --timeout, --notebook-timeout, --memory."""
    g.add_argument(
        "--timeout", type=float, default=300, metavar="SECONDS", help="limit per cell (default: 300)"
    )
    g.add_argument(
        "--notebook-timeout",
        type=float,
        default=1800,
        metavar="SECONDS",
        help="limit per notebook (default: 1800)",
    )
    g.add_argument(
        "--memory", type=int, default=4096, metavar="MIB", help="memory per kernel (default: 4096)"
    )


def _grading_options(g: argparse.ArgumentParser) -> None:
    g.add_argument(
        "--source-dir",
        default="notebooks",
        metavar="DIR",
        help="the instructor notebooks, matched by grade ids, then file name (default: notebooks)",
    )
    g.add_argument(
        "--notebook",
        default=None,
        metavar="NAME",
        help="grade every submission against this instructor notebook (file name in --source-dir)",
    )
    limit_options(g)
    g.add_argument(
        "--allow-reference",
        action="store_true",
        help="let exercises that call the course's reference function score (they are reported either way)",
    )


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add the release, grade, grade-one, merge, manual-sheet, regrade, validate and nbgrader-course
    commands to ``sub``."""
    from helpers.assignments import class_commands, course_commands

    course_commands.add_release(sub)
    _add_grade(sub)
    _add_grade_one(sub)
    _add_merge(sub)
    class_commands.add_commands(sub)  # manual-sheet, regrade, validate
    course_commands.add_nbgrader_course(sub)


def _add_grade(sub: argparse._SubParsersAction) -> None:
    from helpers.assignments import class_outputs

    g = sub.add_parser(
        "grade",
        help="autograde submitted notebooks",
        description=GRADE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="submitted notebooks")
    _grading_options(g)
    g.add_argument(
        "--report",
        default="grades",
        metavar="FILE",
        help="report name: writes FILE.json, FILE.md and FILE.csv (default: grades)",
    )
    g.add_argument(
        "--results",
        default=None,
        metavar="DIR",
        help="one result file per submission (default: FILE-results/ beside the report)",
    )
    g.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="kernels at a time (default: one per core)"
    )
    g.add_argument(
        "--scheduler",
        default=None,
        metavar="tcp://HOST:PORT",
        help="grade on the Dask cluster of this scheduler (needs the cluster extra); --jobs is then unused",
    )
    g.add_argument(
        "--allow-unsandboxed-workers",
        action="store_true",
        help="with --scheduler, grade even on Dask workers without bubblewrap (student code unsandboxed)",
    )
    g.add_argument("--force", action="store_true", help="grade again the submissions already in --results")
    g.add_argument("--quiet", action="store_true", help="don't print the Markdown report")
    class_outputs.add_options(g)
    g.set_defaults(func=_grade)


def _add_grade_one(sub: argparse._SubParsersAction) -> None:
    o = sub.add_parser(
        "grade-one",
        help="grade one submission into one result file",
        description="Grade one submission and write its result (JSON); `merge` builds the report.",
    )
    o.add_argument("submission", metavar="SUBMISSION")
    o.add_argument("--out", required=True, metavar="FILE.json", help="the result file")
    _grading_options(o)
    o.set_defaults(func=_grade_one)


def _add_merge(sub: argparse._SubParsersAction) -> None:
    from helpers.assignments import class_outputs

    m = sub.add_parser(
        "merge",
        help="build the class report from result files",
        description="Read result files (or folders of them) written by grade or grade-one; write the report.",
    )
    m.add_argument("results", nargs="+", metavar="RESULT", help="result files or folders")
    m.add_argument("--report", default="grades", metavar="FILE", help="writes FILE.json, .md, .csv")
    class_outputs.add_options(m, source_dir=True)
    m.set_defaults(func=_merge)


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``assignments`` command group (release, grade, nbgrader-course) to a main CLI."""
    parser = subparsers.add_parser(
        "assignments",
        help="release and grade the course notebooks",
        description="Classroom assignments: release student versions, grade submissions.",
    )
    sub = parser.add_subparsers(dest="assignments_command", metavar="COMMAND", required=True)
    add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.assignments ...``"""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.assignments", description="Release and grade the course notebooks."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_commands(sub)
    args = parser.parse_args(argv)
    return args.func(args)
