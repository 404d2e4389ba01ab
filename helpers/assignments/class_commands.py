"""The class commands beside ``grade`` and ``merge``: ``manual-sheet``, ``regrade`` and ``validate``."""

from __future__ import annotations

import argparse
from pathlib import Path

from helpers.assignments.cli import fail


def _manual_sheet(args: argparse.Namespace) -> int:
    from helpers.assignments.batch import merge
    from helpers.assignments.manual_grading import mark_pending, write_sheet

    try:
        results = mark_pending(merge(args.results), args.source_dir)
        path = write_sheet(results, args.out)
    except (OSError, ValueError) as exc:
        return fail(exc)
    rows = sum(e.status == "manual" for r in results for e in r.exercises)
    print(f"wrote {path}: {rows} answers to grade; fill in points (and a comment),")
    print(f"then: merge RESULTS --manual {path}")
    return 0


def _regrade(args: argparse.Namespace) -> int:
    from helpers.assignments.batch import grade_one, merge, result_path
    from helpers.assignments.class_outputs import finish, prepare
    from helpers.assignments.cli import _limits
    from helpers.assignments.isolation import bwrap_path, grader_folder
    from helpers.assignments.report import report_paths

    results_dir = args.results or str(report_paths(args.report)["json"].with_suffix("")) + "-results"
    if not Path(results_dir).is_dir():
        return fail(f"{results_dir}: no results folder (grade the class first, or give --results)")
    try:
        limits = _limits(args)
        plan = prepare(args)
        grader_folder(bwrap_path())
    except (OSError, ValueError) as exc:
        return fail(exc)
    out = result_path(args.submission, results_dir)
    r = grade_one(args.submission, out, args.source_dir, limits, args.notebook, args.allow_reference)
    name = r.notebook or Path(r.file).name
    print(f"{r.student}: {name}: {r.score:g} / {r.max_score:g} ({r.status}); wrote {out}")
    try:
        results, paths = finish(plan, merge([results_dir]))
    except (OSError, ValueError) as exc:
        return fail(exc)
    print(f"{len(results)} results; wrote " + ", ".join(str(p) for p in paths.values()))
    return 0 if r.status == "graded" else 1


def _validate(args: argparse.Namespace) -> int:
    from helpers.assignments.cli import _limits
    from helpers.assignments.isolation import bwrap_path, grader_folder
    from helpers.assignments.validate import validate

    try:
        limits = _limits(args)
        grader_folder(bwrap_path())
        if not Path(args.source_dir).is_dir():
            raise ValueError(f"{args.source_dir}: no such folder of course notebooks (give --source-dir)")
        outcome = validate(args.notebook, args.source_dir, limits)
    except (OSError, ValueError) as exc:
        return fail(exc)
    print("\n".join(outcome.lines))
    return outcome.code


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add manual-sheet, regrade and validate to ``sub``."""
    from helpers.assignments.class_outputs import add_options
    from helpers.assignments.cli import _grading_options, limit_options

    s = sub.add_parser(
        "manual-sheet",
        help="list the answers to grade by hand in a CSV to fill in",
        description="Write a CSV with one row per submission and manually graded cell (the student's "
        "answer included); fill in points and comment, then merge or grade with --manual SHEET.",
    )
    s.add_argument("results", nargs="+", metavar="RESULT", help="result files or folders")
    s.add_argument(
        "--out", required=True, metavar="SHEET.csv", help="the sheet (never replaced if it exists)"
    )
    s.add_argument("--source-dir", default="notebooks", metavar="DIR", help="the instructor notebooks")
    s.set_defaults(func=_manual_sheet)

    g = sub.add_parser(
        "regrade",
        help="grade one submission again and rebuild the class report",
        description="Grade SUBMISSION again into its result file in the results folder, then merge the "
        "folder into the report (with the same post-grading options as grade).",
    )
    g.add_argument("submission", metavar="SUBMISSION")
    g.add_argument("--report", default="grades", metavar="FILE", help="writes FILE.json, .md, .csv")
    g.add_argument(
        "--results", default=None, metavar="DIR", help="the class's results (default: FILE-results/)"
    )
    _grading_options(g)
    add_options(g)
    g.set_defaults(func=_regrade)

    v = sub.add_parser(
        "validate",
        help="check a notebook before submitting it",
        description="Say whether NOTEBOOK is gradable (right assignment, check cells intact, runs) and "
        "what the visible checks say, graded the way the grader will. Hidden tests never run. Exit "
        "code 0: ready; 1: gradable but something fails; 2: not gradable.",
    )
    v.add_argument("notebook", metavar="NOTEBOOK")
    v.add_argument("--source-dir", default="notebooks", metavar="DIR", help="the course notebooks")
    limit_options(v)
    v.set_defaults(func=_validate)
