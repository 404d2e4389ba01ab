"""Download the four standard MNIST files into data/, from the first mirror that works.

Each file is fetched into a hidden temporary file next to its final place, its *decompressed*
MD5 is checked against :data:`helpers.data.MNIST_FILES`, and only then is it renamed to
``<name>.gz``: a failed, interrupted or corrupt download never leaves a file behind. A mirror
is an ``http(s)://`` URL, a ``file://`` URL or a local directory (which may hold ``<name>.gz``
or the raw ``<name>``). Mirrors are tried in order for each file; when all fail, one
:class:`DownloadError` says what went wrong with each.

    download_mnist("data")                            # the public mirrors
    download_mnist("data", "../shared/data/mnist")    # a local copy, e.g. offline
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

from helpers import data as _data
from helpers.atomic import atomic_write, remove_stale
from helpers.fetch import Budget, Unreachable, WriteFailed, fetch_http, fetch_local, local_dir, redact
from helpers.idx import md5_of_payload

#: Public mirrors tried in order (the ones torchvision uses). The original host now answers
#: 403/404 for these files, so it is a fallback only.
DEFAULT_MIRRORS: list[str] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
]

#: Environment variable naming the mirror(s) to use when none is passed (comma-separated).
MIRROR_ENV = "MNIST_MIRROR"

CHUNK = 1 << 16
USER_AGENT = "nn-from-scratch-mnist-downloader/1.0 (Python urllib)"
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
    """Raise ValueError(reason) unless ``path`` is gzip data whose decompressed MD5 is expected.

    Catches what a broken mirror typically delivers: an HTML or XML error page saved under the
    file's name, a truncated or corrupt gzip stream, or different contents.
    """
    with open(path, "rb") as f:
        head = f.read(64)
    if head[:2] != b"\x1f\x8b":
        text = head.decode("latin-1").strip()
        if text.lower().startswith(("<!doctype", "<html", "<?xml", "<error")):
            raise ValueError(f"not gzip data but an HTML/XML page (starts with {text[:30]!r})")
        raise ValueError(f"not gzip data (starts with {head[:8]!r}, {path.stat().st_size} bytes)")
    md5, size, limit = hashlib.md5(), 0, _raw_size(name)
    try:
        with gzip.open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                md5.update(chunk)
                size += len(chunk)
                if size > limit:
                    raise ValueError(f"decompresses to more than {limit:,} bytes, the size of {name}")
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"corrupt or truncated gzip data ({exc})") from None
    if md5.hexdigest() != expected_md5:
        raise ValueError(
            f"wrong contents: decompressed MD5 {md5.hexdigest()} ({size:,} bytes), expected {expected_md5}"
        )


def _existing_ok(data_dir: Path, name: str, expected_md5: str) -> tuple[Path | None, list[Path]]:
    """The copy of ``name`` in data_dir that verifies, and the copies that do not.

    The loader reads ``<name>.gz`` when it is there, so only a verified .gz counts when one
    exists; a raw ``<name>`` counts only when there is no .gz.
    """
    bad = []
    for candidate in (data_dir / f"{name}.gz", data_dir / name):
        if candidate.is_file():
            try:
                ok = md5_of_payload(candidate, max_bytes=_raw_size(name)) == expected_md5
            except (ValueError, OSError):
                ok = False
            if ok:
                return candidate, []
            bad.append(candidate)
    return None, bad


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
    for name, expected_md5 in dict(_data.MNIST_FILES).items():  # read at call time
        present, bad = _existing_ok(data_dir, name, expected_md5)
        if present is not None:
            say(f"{present.name}: already in {data_dir}, MD5 verified")
            continue
        for path in bad:
            say(f"{path.name}: in {data_dir} but does not verify; fetching a fresh copy")
        failures: list[str] = []
        for mirror in mirror_list:
            if mirror in unreachable:
                failures.append(f"{mirror}: skipped, unreachable for an earlier file ({unreachable[mirror]})")
                continue
            say(f"{name}.gz: fetching from {mirror}")
            try:
                target = _fetch_one(data_dir, name, expected_md5, mirror, timeout, deadline, progress)
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
            else:
                for path in bad:  # a copy that does not verify is never left beside the new one
                    if path != target:
                        path.unlink(missing_ok=True)
                say(f"{target.name}: MD5 verified, saved in {data_dir}")
                break
        else:
            lines = "\n".join(f"  - {f}" for f in failures)
            raise DownloadError(
                f"could not download MNIST file {name}.gz into {data_dir}; every mirror failed:\n"
                f"{lines}\n{_HINT}"
            )
    return data_dir


__all__ = ["DEFAULT_MIRRORS", "MIRROR_ENV", "DownloadError", "download_mnist", "size_limit"]
