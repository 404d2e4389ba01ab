"""The commands that prepare a course: ``release`` (the student versions) and ``nbgrader-course``."""

from __future__ import annotations

import argparse
from pathlib import Path


def _release(args: argparse.Namespace) -> int:
    from helpers.assignments.cli import fail
    from helpers.assignments.student_versions import release

    try:
        written = release(
            args.notebooks, args.out, notebooks_dir=args.notebooks_dir, instructions=not args.no_instructions
        )
    except (OSError, ValueError, ImportError) as exc:
        return fail(exc, 1)
    for p in written:
        print(f"wrote {p}")
    return 0


def _nbgrader_course(args: argparse.Namespace) -> int:
    from helpers.assignments.cli import fail
    from helpers.assignments.nbgrader_course import make_course
    from helpers.assignments.student_versions import course_notebooks

    try:
        notebooks = args.notebooks or course_notebooks(args.notebooks_dir)
        source = make_course(args.course_dir, notebooks, assignment=args.assignment, timeout=args.timeout)
    except (OSError, ValueError) as exc:
        return fail(exc, 1)
    print(f"wrote {Path(args.course_dir) / 'nbgrader_config.py'} and {source}/")
    print(f"next: cd {args.course_dir} && nbgrader generate_assignment {args.assignment} --force")
    return 0


def add_release(sub: argparse._SubParsersAction) -> None:
    """Add the ``release`` command to ``sub``."""
    p = sub.add_parser(
        "release",
        help="write the student versions of the course notebooks",
        description="Write the student versions: solutions replaced by stubs, hidden tests "
        "removed, outputs cleared, check cells kept and locked.",
    )
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="instructor notebooks (default: all)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the student notebooks")
    p.add_argument(
        "--notebooks-dir",
        default="notebooks",
        metavar="DIR",
        help="where the course notebooks are (default: notebooks)",
    )
    p.add_argument(
        "--no-instructions",
        action="store_true",
        help="don't put the 'How to work on this notebook' cell first",
    )
    p.set_defaults(func=_release)


def add_nbgrader_course(sub: argparse._SubParsersAction) -> None:
    """Add the ``nbgrader-course`` command to ``sub``."""
    c = sub.add_parser(
        "nbgrader-course",
        help="set up an nbgrader course folder for the notebooks",
        description="Write nbgrader_config.py, source/header.ipynb and "
        "source/ASSIGNMENT/*.ipynb so that nbgrader works on the course.",
    )
    c.add_argument("course_dir", metavar="COURSE_DIR")
    c.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="instructor notebooks (default: all)")
    c.add_argument("--assignment", default="course", help="nbgrader assignment name (default: course)")
    c.add_argument("--notebooks-dir", default="notebooks", metavar="DIR")
    c.add_argument(
        "--timeout",
        type=int,
        default=300,
        metavar="SECONDS",
        help="autograde time limit per cell (default: 300)",
    )
    c.set_defaults(func=_nbgrader_course)
