"""``python -m helpers editions build|progress``: the learner's and the web edition, and progress.

Registered on the main command line by :func:`register` (called from :mod:`helpers.cli`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from helpers import learner
from helpers.edition_files import build_learner, build_web, progress_report


def _cmd_build(args) -> int:
    try:
        report = build_learner(Path(args.source), Path(args.learner))
    except ImportError as exc:  # nbgrader, which makes the exercise stubs, is not installed
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for notice in report.notices:
        print(notice)
    if report.up_to_date:
        print(f"learner's edition: {args.learner}/ is up to date")
    else:
        written = [p for p in report.written if p.suffix == ".ipynb"]
        kept = f"{len(report.kept)} kept as you left them"
        print(f"learner's edition: {args.learner}/ ({len(written)} notebook(s) written, {kept})")
    if args.web:
        print(f"web edition: {args.web}/ ({len(build_web(Path(args.source), Path(args.web)))} notebooks)")
    return 0


def _cmd_progress(args) -> int:
    folder = Path(args.learner)
    if not (folder / learner.COURSE_DIR).is_dir():
        print(
            f"error: {folder}: no learner's edition here; "
            "`make lab` (or `python -m helpers editions build`) makes it",
            file=sys.stderr,
        )
        return 1
    passed, total, lines = progress_report(folder)
    print("\n".join(lines))
    print(f"In all: {learner.tally(passed, total)}.")
    return 0


def register(sub) -> None:
    """Add ``editions build`` and ``editions progress`` to the main parser's subcommands."""
    from helpers.paths import checkout_root

    root = checkout_root() or Path.cwd()
    p = sub.add_parser("editions", help="build the learner's and the web edition; list your progress")
    cmds = p.add_subparsers(dest="editions_command", required=True, metavar="{build,progress}")
    b = cmds.add_parser(
        "build", help="build or update the learner's edition (never overwriting your changes)"
    )
    b.add_argument(
        "--source", default=str(root / "notebooks"), help="the instructor notebooks (default: %(default)s)"
    )
    b.add_argument(
        "--learner", default=str(root / "learn"), help="the learner's edition (default: %(default)s)"
    )
    b.add_argument("--web", default=None, metavar="DIR", help="also build the web edition into DIR")
    b.set_defaults(func=_cmd_build)
    g = cmds.add_parser("progress", help="which exercises pass, chapter by chapter, in the learner's edition")
    g.add_argument(
        "--learner", default=str(root / "learn"), help="the learner's edition (default: %(default)s)"
    )
    g.set_defaults(func=_cmd_progress)
