"""Download the four standard MNIST files into data/, from the first mirror that works.

Each file is fetched into a hidden temporary file next to its final place, its *decompressed*
MD5 is checked against :data:`helpers.data.MNIST_FILES`, and only then is it renamed to
``<name>.gz``: a failed, interrupted or corrupt download never leaves a file behind. A file
already in data/ counts only if it is the one the loader reads (:func:`helpers.data.find_idx`)
and it verifies (:func:`helpers.idx.verify_md5`, the check the loader repeats). A mirror
is an ``http(s)://`` URL, a ``file://`` URL or a local directory (which may hold ``<name>.gz``
or the raw ``<name>``). Mirrors are tried in order for each file; when all fail, one
:class:`DownloadError` says what went wrong with each.

    download_mnist("data")                            # the public mirrors
    download_mnist("data", "../shared/data/mnist")    # a local copy, e.g. offline
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from helpers import data as _data
from helpers.atomic import atomic_write, remove_stale
from helpers.fetch import Budget, Unreachable, WriteFailed, fetch_http, fetch_local, local_dir, redact
from helpers.idx import verify_md5

#: Public mirrors tried in order (the ones torchvision uses). The original host now answers
#: 403/404 for these files, so it is a fallback only.
DEFAULT_MIRRORS: list[str] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
]

#: Environment variable naming the mirror(s) to use when none is passed (comma-separated).
MIRROR_ENV = "MNIST_MIRROR"

_HINT = (
    "Hint: use `python -m helpers download --mirror DIR_OR_URL` (or set MNIST_MIRROR) to fetch "
    "from another mirror or a local copy of the four files. Without them, load_mnist() uses "
    "the offline 5,000-digit sample automatically."
)

Mirror = str | os.PathLike


class DownloadError(RuntimeError):
    """No mirror delivered a verified copy of an MNIST file; the message lists each failure."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))  # a mirror's password is never shown


def _raw_size(name: str) -> int:
    """The decompressed size of MNIST file ``name``: 4 + 4 * ndim header bytes + the pixels."""
    shape = _data.MNIST_SHAPES[name]
    return 4 + 4 * len(shape) + math.prod(shape)


def size_limit(name: str) -> int:
    """The most bytes a download of ``<name>.gz`` may take (gzip adds a little at worst)."""
    raw = _raw_size(name)
    return raw + raw // 100 + 4096


def _mirror_list(mirrors: Mirror | Sequence[Mirror] | None) -> list[str]:
    """The mirrors to try: the argument, else $MNIST_MIRROR (comma-separated), else the defaults."""
    if mirrors is None:
        env = os.environ.get(MIRROR_ENV, "").strip()
        if env:
            mirrors = [m.strip() for m in env.split(",") if m.strip()]
            if not mirrors:
                raise ValueError(f"the environment variable {MIRROR_ENV}={env!r} names no mirror")
        else:
            mirrors = list(DEFAULT_MIRRORS)  # read at call time, so it can be patched
    elif isinstance(mirrors, str | os.PathLike):
        mirrors = [mirrors]
    result = [os.fspath(m) for m in mirrors]
    if not result:
        raise ValueError("download_mnist: the list of mirrors is empty")
    return result


def _check_payload(path: Path, name: str, expected_md5: str) -> None:
    """Raise ValueError(reason) unless ``path`` is gzip data whose decompressed MD5 is expected."""
    try:
        verify_md5(path, expected_md5, _raw_size(name), gzip_required=True)
    except ValueError as exc:  # the reason alone: the path is a hidden temporary file
        raise ValueError(str(exc).removeprefix(f"{path}: ")) from None


def _existing(data_dir: Path, name: str, expected_md5: str) -> tuple[Path | None, str]:
    """The file the loader reads for ``name`` and, when it does not verify, why ("" if it does)."""
    path = _data.find_idx(data_dir, name)
    if path is None:
        return None, "missing"
    try:
        verify_md5(path, expected_md5, _raw_size(name))
    except (ValueError, OSError) as exc:
        return path, str(exc).removeprefix(f"{path}: ")
    return path, ""


def _fetch_one(
    data_dir: Path, name: str, expected_md5: str, mirror: str, timeout: float, deadline: float, progress: bool
) -> Path:
    """Fetch ``<name>.gz`` from one mirror into data_dir via a verified temp file.

    Raises Unreachable or ValueError(reason); the temp file is removed on any failure,
    including KeyboardInterrupt.
    """
    target = data_dir / f"{name}.gz"
    local = local_dir(mirror)
    with atomic_write(
        target, "wb", suffix=".part", verify=lambda tmp: _check_payload(tmp, name, expected_md5)
    ) as out:
        budget = Budget(target.name, size_limit(name), deadline, _raw_size(name))
        if local is None:
            url = mirror.rstrip("/") + "/" + target.name
            fetch_http(url, out, timeout, target.name, progress, budget)
        else:
            fetch_local(local, name, out, target.name, progress, budget)
        try:
            out.flush()
            os.fsync(out.fileno())
        except OSError as exc:
            raise WriteFailed(exc.strerror or str(exc)) from None
    return target


def _check_writable(data_dir: Path) -> None:
    """Raise OSError naming data_dir unless it is (or can be made) a writable folder."""
    if data_dir.exists() and not data_dir.is_dir():
        raise NotADirectoryError(f"{data_dir}: exists and is not a folder; cannot download MNIST into it")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(f"cannot create the data folder {data_dir}: {exc.strerror or exc}") from None
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise PermissionError(f"{data_dir}: the data folder is not writable")
    remove_stale(data_dir)  # what a killed download left behind


def _from_mirrors(
    data_dir: Path,
    name: str,
    expected_md5: str,
    mirrors: list[str],
    unreachable: dict[str, str],
    say: Callable[[str], None],
    fetch: dict,
) -> Path:
    """Fetch ``<name>.gz`` from the first of ``mirrors`` that delivers a verified copy.

    A mirror that cannot be reached is recorded in ``unreachable`` and skipped for later files;
    ``fetch`` holds _fetch_one's timeout, deadline and progress. Raises DownloadError naming each
    mirror's failure, or at once when the file cannot be written into data_dir.
    """
    failures: list[str] = []
    for mirror in mirrors:
        if mirror in unreachable:
            failures.append(f"{mirror}: skipped, unreachable for an earlier file ({unreachable[mirror]})")
            continue
        say(f"{name}.gz: fetching from {mirror}")
        try:
            return _fetch_one(data_dir, name, expected_md5, mirror, **fetch)
        except WriteFailed as exc:
            raise DownloadError(
                f"cannot write {name}.gz into {data_dir}: {exc}. This is not the mirror's fault: "
                "free some space or choose another data folder (--data-dir)."
            ) from None
        except Unreachable as exc:
            unreachable[mirror] = str(exc)
            failures.append(f"{mirror}: {exc}")
            say(f"  failed: {exc}")
        except ValueError as exc:
            failures.append(f"{mirror}: {exc}")
            say(f"  failed: {exc}")
    lines = "\n".join(f"  - {f}" for f in failures)
    raise DownloadError(
        f"could not download MNIST file {name}.gz into {data_dir}; every mirror failed:\n{lines}\n{_HINT}"
    )


def download_mnist(
    data_dir: str | os.PathLike = "data",
    mirrors: Mirror | Sequence[Mirror] | None = None,
    *,
    timeout: float = 10.0,
    deadline: float = 300.0,
    progress: bool = True,
    log: Callable[[str], None] | None = print,
) -> Path:
    """Fetch the four MNIST files into data_dir as ``<name>.gz``, verified by MD5.

    ``mirrors``: a mirror or a list of them, tried in order for each file; by default
    ``$MNIST_MIRROR`` (comma-separated) when set, else :data:`DEFAULT_MIRRORS`. A mirror is an
    http(s):// URL, a file:// URL or a local directory. Files already in data_dir whose
    decompressed MD5 verifies are kept and not fetched again. ``timeout`` bounds the connect
    and each read, in seconds, ``deadline`` each file's whole download; a mirror that cannot
    be reached or stalls is not tried again for the remaining files. No download may exceed
    the size its file can have (:func:`size_limit`). ``progress`` shows a byte progress bar
    per file; ``log`` receives short status lines (None for silence).

    Returns data_dir as a Path. Raises DownloadError, naming each mirror and what went wrong
    with it, when no mirror delivers a verified copy of some file.
    """
    say = (lambda msg: log(redact(msg))) if log else (lambda _msg: None)
    data_dir = Path(data_dir)
    mirror_list = _mirror_list(mirrors)
    _check_writable(data_dir)
    unreachable: dict[str, str] = {}
    fetch = {"timeout": timeout, "deadline": deadline, "progress": progress}
    for name, expected_md5 in dict(_data.MNIST_FILES).items():  # read at call time
        present, problem = _existing(data_dir, name, expected_md5)
        if present is not None and not problem:
            say(f"{present.name}: already in {data_dir}, MD5 verified")
            continue
        if present is not None:
            say(f"{present.name}: in {data_dir} but does not verify ({problem}); fetching a fresh copy")
        target = _from_mirrors(data_dir, name, expected_md5, mirror_list, unreachable, say, fetch)
        if present is not None and present != target:  # the raw copy that failed
            present.unlink(missing_ok=True)
        say(f"{target.name}: MD5 verified, saved in {data_dir}")
    return data_dir


__all__ = ["DEFAULT_MIRRORS", "MIRROR_ENV", "DownloadError", "download_mnist", "size_limit"]
