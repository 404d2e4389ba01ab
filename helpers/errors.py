"""How the command line reports an error: one line, ``error: ...``, made in one place.

:func:`error_line` turns any exception into that line: line breaks joined, control characters
escaped (:func:`printable`), passwords in URLs hidden, an OSError as ``file: reason``, and the
type named when the error is a bug rather than bad input. :class:`UsageError` marks bad
arguments (exit code 2). :func:`strip_ansi` takes the terminal colours out of a traceback that
a kernel sent.
"""

from __future__ import annotations

import os
import re
import unicodedata

from helpers.fetch import redact


class UsageError(Exception):
    """Arguments that do not fit together, or an output path refused before any work (exit code 2)."""


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` with control characters (newline, carriage return, escape, ...) shown as escapes.

    So a file name cannot start a line of its own or move the cursor in what is printed. A
    byte that is not UTF-8 (a surrogate from :func:`os.fsdecode`) is shown as ``\\xNN``.
    """

    def escape(c: str) -> str:
        if unicodedata.category(c) not in ("Cc", "Cs", "Zl", "Zp"):
            return c
        code = ord(c) - 0xDC00 if 0xDC80 <= ord(c) <= 0xDCFF else ord(c)
        return _ESCAPES.get(c) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")

    return "".join(escape(c) for c in text)


#: A terminal escape sequence (CSI): ESC [, numbers and semicolons, one letter; IPython colours
#: its tracebacks with them (``\x1b[31m``) and moves the cursor with others (``\x1b[2K``).
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """``text`` without its terminal escape sequences (:data:`ANSI`): colours, cursor moves."""
    return ANSI.sub("", text)


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line: line breaks joined, control characters escaped,
    passwords in URLs hidden. An OSError that names a file says ``file: reason``."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename is not None:
        text = f"{os.fsdecode(exc.filename)}: {exc.strerror}"
    elif isinstance(exc, MemoryError):
        text = f"out of memory: {exc}" if str(exc) else "out of memory"
    else:
        text = str(exc)
    text = " ".join(part.strip() for part in text.splitlines() if part.strip())
    return redact(printable(text)) or type(exc).__name__


#: Errors that bad input, a bad file or this machine cause; any other type is a bug and is named.
EXPECTED = (UsageError, ValueError, OSError, ArithmeticError, MemoryError, RuntimeError, LookupError)


def error_line(exc: BaseException) -> str:
    """The one line every command's errors are printed as: ``error: <message>``.

    The only place that makes it; an error of an unexpected type also names its type.
    """
    if isinstance(exc, KeyboardInterrupt):
        return "error: interrupted; nothing half-written was left behind"
    text = one_line(exc)
    if isinstance(exc, EXPECTED) or text == type(exc).__name__:
        return f"error: {text}"
    return f"error: {type(exc).__name__}: {text}"


__all__ = ["ANSI", "EXPECTED", "UsageError", "error_line", "one_line", "printable", "strip_ansi"]
