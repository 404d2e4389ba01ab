"""Command line of the course: ``python -m helpers <command>``.

    python -m helpers download                       # full MNIST into data/
    python -m helpers train                          # the notes' recipe; report in reports/latest
    python -m helpers train --recipe fast            # the same network on mini-batches: seconds
    python -m helpers evaluate reports/latest/model.npz
    python -m helpers predict reports/latest/model.npz my_digit.png

Errors print one line, ``error: ...``, on stderr (:func:`helpers.errors.error_line`, the one
place that makes it): exit code 2 for bad arguments and an ``--out`` refused before any work,
1 for anything else that went wrong (a missing or corrupt file, a failed download, diverged
training, too little memory), 130 for Ctrl-C or SIGTERM. ``python -X dev -m helpers ...``
shows the traceback of an error instead.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from helpers.command_parsers import PROG, add_network_commands
from helpers.command_parsers import default_data_dir as default_data_dir  # re-exported
from helpers.commands import confusion_table as confusion_table  # re-exported for tests and users
from helpers.commands import training_plan as training_plan
from helpers.errors import UsageError, error_line


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and raise instead of exiting."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{message} (see: {self.prog} --help)")


#: The network's own commands: their parser needs neither the assignment nor the edition commands.
NETWORK_COMMANDS = ("download", "train", "evaluate", "predict")


def build_parser(everything: bool = True) -> argparse.ArgumentParser:
    """The ``python -m helpers`` argument parser; each subcommand sets ``func``.

    ``everything=False``: only :data:`NETWORK_COMMANDS`, without importing nbformat (and so
    jsonschema), which the assignment and edition commands need and which takes seconds.
    """
    parser = _Parser(
        prog=PROG,
        description="Train, evaluate and use the two-layer MNIST network of the course.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "examples:\n"
            f"  {PROG} download\n"
            f"  {PROG} train --recipe fast\n"
            f"  {PROG} evaluate reports/latest/model.npz\n"
            f"  {PROG} predict reports/latest/model.npz my_digit.png\n\n"
            f"'{PROG} COMMAND --help' explains each command."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    add_network_commands(sub)
    if not everything:
        return parser
    # The assignment and edition commands register themselves (imported here: they load nbformat).
    from helpers.assignments.cli import register
    from helpers.edition_cli import register as register_editions

    register(sub)
    register_editions(sub)
    return parser


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Handle SIGTERM (sent by ``timeout``, systemd, CI cancellation) like Ctrl-C.

    Both raise KeyboardInterrupt, so temporary files and folders are removed on the way out.
    Only possible in the main thread; elsewhere nothing changes.
    """

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def exit_code(exc: BaseException) -> int:
    """Print ``exc`` as the one ``error:`` line (:func:`error_line`) and return its exit code.

    Every command raises to this: 2 for bad arguments (:class:`UsageError`), 130 for Ctrl-C or
    SIGTERM, 1 for everything else, a bug included.
    """
    print(error_line(exc), file=sys.stderr)
    if isinstance(exc, KeyboardInterrupt):
        return 130
    return 2 if isinstance(exc, UsageError) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m helpers`` with ``argv`` (default: sys.argv[1:]); returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        parser = build_parser(everything=not argv or argv[0] not in NETWORK_COMMANDS)
        args = parser.parse_args(argv)
        with _sigterm_as_interrupt():
            return int(args.func(args) or 0)
    except SystemExit as exc:  # --help exits 0
        return exc.code if isinstance(exc.code, int) else 0
    except (Exception, KeyboardInterrupt) as exc:
        if sys.flags.dev_mode and not isinstance(exc, KeyboardInterrupt):
            raise
        return exit_code(exc)
