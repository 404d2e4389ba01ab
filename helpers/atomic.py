"""Writing files so that nothing is ever left half-written.

Every file the project writes (downloads, models, reports, notebooks) goes through
:func:`atomic_write`: the data goes to a hidden temporary file in the target's folder, is
optionally verified, and only then renamed over the target. A rename within one folder is atomic,
so a reader sees the old file or the complete new one, never a partial one; on any error,
Ctrl-C included, the temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def atomic_write(
    path: str | os.PathLike,
    mode: str = "wb",
    *,
    verify: Callable[[Path], Any] | None = None,
    suffix: str = ".tmp",
    **open_kwargs: Any,
) -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing; on success rename it to ``path``.

    ``mode`` is "wb" or "w" (``open_kwargs`` such as ``encoding`` go to :func:`os.fdopen`).
    ``verify(tmp_path)``, when given, runs after the file is closed and before the rename; an
    exception from it aborts the write. The file gets the usual permissions (0644), not
    mkstemp's private 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
        if verify is not None:
            verify(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # already gone after a successful rename


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8, \\n line ends) to ``path`` atomically; returns the path."""
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return Path(path)
