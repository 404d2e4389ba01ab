"""What is made from a class's results after grading, in one place for ``grade``, ``merge``, ``regrade``.

In order: manual cells marked as waiting, partial credit per check (:mod:`.partial_credit`), the manual
grading sheet's points merged
(:mod:`.manual_grading`), the late penalty (:mod:`.late_work`), the reports with "What the class
gets wrong" (:mod:`.class_stats`), identical answers (:mod:`.identical`) and the roster
(:mod:`.roster`), the LMS file (:mod:`.lms_export`) and the students' feedback pages
(:mod:`.feedback`). The result files are never changed: each run starts from them again.

Every input file is read by :func:`prepare` before any grading starts, so a typo in a roster or a
deadline costs one line, not a graded class.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line builds its parser without loading the grader
    from helpers.assignments.grade import SubmissionResult


@dataclass
class Plan:
    """What to make after grading (from the command line), its inputs already read and checked."""

    report: str
    source_dir: str = "notebooks"
    feedback: str | None = None
    roster: object | None = None  # roster.Roster
    lms: str | None = None
    manual: str | None = None
    policy: object | None = None  # late_work.LatePolicy
    times: dict[tuple[str, str], datetime] | None = None
    partial: float | None = None


def add_options(p: argparse.ArgumentParser, source_dir: bool = False) -> None:
    """The post-grading options (``source_dir``: also ``--source-dir``, for commands without it)."""
    if source_dir:
        p.add_argument("--source-dir", default="notebooks", metavar="DIR", help="the instructor notebooks")
    p.add_argument(
        "--feedback", metavar="DIR", help="write DIR/<student>/<notebook>.html for each submission"
    )
    p.add_argument(
        "--roster", metavar="CSV", help="Canvas or Moodle roster export, or a CSV with a student column"
    )
    p.add_argument(
        "--lms",
        choices=("canvas", "moodle"),
        default=None,
        help="the LMS import file to write from --roster (default: the roster's own format, else moodle)",
    )
    p.add_argument(
        "--partial-credit",
        metavar="P%",
        help="P%% of an exercise's points for its visible check, the rest shared by its hidden test "
        "cases (default: all or nothing; a check cell's own metadata wins)",
    )
    p.add_argument("--manual", metavar="SHEET", help="a filled manual grading sheet (see manual-sheet)")
    p.add_argument(
        "--deadline", metavar="TIME", help="ISO 8601 with a time zone, e.g. 2026-12-01T23:59+01:00"
    )
    p.add_argument(
        "--late-penalty",
        default="0%",
        metavar="P",
        help="P%%, P%%/day or P%%/hour off the total (default: 0%%)",
    )
    p.add_argument(
        "--submission-times",
        metavar="CSV",
        help="student[, notebook], submitted columns (default: file times)",
    )


def prepare(args: argparse.Namespace) -> Plan:
    """Read and check every post-grading input named on the command line; ValueError in one line."""
    from helpers.assignments import late_work, manual_grading, partial_credit, roster

    plan = Plan(str(args.report), str(args.source_dir), args.feedback, lms=args.lms, manual=args.manual)
    if args.roster:
        plan.roster = roster.read_roster(args.roster)
        plan.lms = plan.lms or (plan.roster.kind if plan.roster.kind != "plain" else "moodle")
        if plan.lms == "canvas" and plan.roster.kind != "canvas":
            raise ValueError(
                f"--lms canvas needs Canvas's own gradebook export as --roster, not {args.roster}"
            )
    elif args.lms:
        raise ValueError("--lms needs --roster (the LMS's own export, to know each student's ids)")
    if args.partial_credit:
        plan.partial = partial_credit.parse_share(args.partial_credit)
    partial_credit.check_cells(plan.source_dir)  # a check cell's own split, if it has one, is well formed
    if args.manual:
        manual_grading.read_sheet(args.manual)
    if args.deadline:
        plan.policy = late_work.parse_policy(args.deadline, args.late_penalty)
        plan.times = late_work.read_times(args.submission_times) if args.submission_times else None
    elif args.submission_times or args.late_penalty != "0%":
        raise ValueError("--late-penalty and --submission-times need --deadline")
    return plan


def adjust(plan: Plan, results: list[SubmissionResult]) -> list[SubmissionResult]:
    """Manual cells waiting, partial credit, the sheet's points, then the late penalty (copies)."""
    from helpers.assignments import late_work, manual_grading, partial_credit

    results = manual_grading.mark_pending(results, plan.source_dir)
    results = partial_credit.apply(results, plan.partial, plan.source_dir)
    if plan.manual:
        results, _ = manual_grading.merge_sheet(results, plan.manual)
    if plan.policy is not None:
        results = late_work.apply(results, plan.policy, plan.times)
    return results


def finish(plan: Plan, results: list[SubmissionResult]) -> tuple[list[SubmissionResult], dict[str, Path]]:
    """Adjust the results and write the reports, the LMS file and the feedback; returns both."""
    from helpers.assignments import class_stats, identical, lms_export, roster
    from helpers.assignments.feedback import write_feedback
    from helpers.assignments.report import report_paths, write_reports
    from helpers.atomic import write_text

    results = adjust(plan, results)
    base = report_paths(plan.report)["md"]
    stats = class_stats.exercise_stats(results)
    figure = base.with_name(base.stem + "-class.png")
    drawn = class_stats.write_figure(stats, figure)
    sections = [class_stats.to_markdown(stats, figure.name if drawn else None)]
    released = identical.released_versions(roster.notebooks_of(results), plan.source_dir)
    sections.append(identical.to_markdown(identical.identical_groups(results, released)))
    matching = roster.match(plan.roster, results) if plan.roster is not None else None
    if matching is not None:
        sections.append(lms_export.to_markdown(matching, results))
    paths = write_reports(
        results, plan.report, sections, roster.ids(matching) if matching is not None else None
    )
    if drawn:
        paths["figure"] = drawn
    if matching is not None:
        text = (lms_export.canvas_csv if plan.lms == "canvas" else lms_export.moodle_csv)(matching, results)
        paths[plan.lms] = write_text(base.with_name(f"{base.stem}-{plan.lms}.csv"), text)
        paths["roster"] = write_text(
            base.with_name(f"{base.stem}-roster.csv"), lms_export.roster_csv(matching, results)
        )
    if plan.feedback:
        pages = write_feedback(results, plan.feedback, plan.source_dir)
        if pages:
            paths["feedback"] = Path(plan.feedback)
    return results, paths
