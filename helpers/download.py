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
import http.client
import math
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from tqdm.auto import tqdm

from helpers import data as _data
from helpers.atomic import atomic_write, remove_stale
from helpers.idx import md5_of_payload

#: Public mirrors tried in order (the ones torchvision uses). The original host now answers
#: 403/404 for these files, so it is a fallback only.
DEFAULT_MIRRORS: list[str] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
]

#: Environment variable naming the mirror(s) to use when none is passed (comma-separated).
MIRROR_ENV = "MNIST_MIRROR"

_CHUNK = 1 << 16
_USER_AGENT = "nn-from-scratch-mnist-downloader/1.0 (Python urllib)"
_HINT = (
    "Hint: use `python -m helpers download --mirror DIR_OR_URL` (or set MNIST_MIRROR) to fetch "
    "from another mirror or a local copy of the four files. Without them, load_mnist() uses "
    "the offline 5,000-digit sample automatically."
)

Mirror = str | os.PathLike


class DownloadError(RuntimeError):
    """No mirror delivered a verified copy of an MNIST file; the message lists each failure."""


class _Unreachable(Exception):
    """The mirror cannot be reached or stalls (DNS, refused, timeouts): not tried again."""


class _WriteFailed(Exception):
    """Writing the download on this machine failed (full disk, ...): no mirror can help."""


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


def _local_dir(mirror: str) -> Path | None:
    """The directory a file:// URL or a plain path names; None for an http(s) URL.

    Raises _Unreachable for another URL scheme.
    """
    lower = mirror.lower()
    if lower.startswith(("http://", "https://")):
        return None
    if lower.startswith("file:"):
        return Path(urllib.request.url2pathname(urllib.parse.urlparse(mirror).path))
    if "://" in mirror:
        raise _Unreachable(
            f"unsupported URL scheme (use http://, https://, file:// or a directory): {mirror}"
        )
    return Path(mirror).expanduser()


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


class _Budget:
    """What one file's download may still take: bytes (the size cap) and seconds (a deadline)."""

    def __init__(self, name: str, max_bytes: int, deadline: float) -> None:
        self.name, self.max_bytes, self.deadline = name, max_bytes, deadline
        self.end = time.monotonic() + deadline

    def check(self, done: int) -> None:
        if done > self.max_bytes:
            raise ValueError(f"sent more than {self.max_bytes:,} bytes, the most {self.name} can take")
        if time.monotonic() > self.end:
            raise _Unreachable(
                f"too slow: {self.name} not complete within {self.deadline:g} s ({done:,} bytes)"
            )


def _copy(src: BinaryIO, out: BinaryIO, total: int | None, desc: str, progress: bool, budget: _Budget) -> int:
    """Copy src to out in chunks with a byte progress bar, within the budget; return the bytes copied."""
    done = 0
    with tqdm(
        total=total,
        desc=desc,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        disable=not progress,
        leave=False,
    ) as bar:
        read = getattr(src, "read1", src.read)  # read1: what has arrived, so the deadline holds
        while chunk := read(_CHUNK):
            done += len(chunk)
            budget.check(done)
            try:
                out.write(chunk)
            except OSError as exc:
                raise _WriteFailed(exc.strerror or str(exc)) from None
            bar.update(len(chunk))
    return done


def _fetch_http(url: str, out: BinaryIO, timeout: float, desc: str, progress: bool, budget: _Budget) -> None:
    """Download url into out. Every wait (connect, each read) is bounded by ``timeout`` seconds,
    the whole download by the budget's deadline and size cap.

    Raises _Unreachable when no connection could be made or the mirror stalls,
    ValueError(reason) otherwise.
    """
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if response.status != 200:
                raise ValueError(f"HTTP {response.status} {response.reason}")
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if total is not None and total > budget.max_bytes:
                raise ValueError(
                    f"announces {total:,} bytes, more than the {budget.max_bytes:,} {desc} can take"
                )
            received = _copy(response, out, total, desc, progress, budget)
    except urllib.error.HTTPError as exc:
        raise ValueError(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:  # no connection: DNS failure, refused, connect timeout
        reason = exc.reason
        if isinstance(reason, TimeoutError | socket.timeout):
            reason = f"no answer within {timeout:g} s"
        raise _Unreachable(f"cannot connect: {reason}") from None
    except TimeoutError:
        raise _Unreachable(f"stalled: no data for {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as exc:
        raise ValueError(f"connection failed: {type(exc).__name__}: {exc}") from None
    if total is not None and received < total:
        raise ValueError(f"connection closed after {received:,} of {total:,} bytes")


def _fetch_local(
    directory: Path, name: str, out: BinaryIO, desc: str, progress: bool, budget: _Budget
) -> None:
    """Copy ``<name>.gz`` (or raw ``<name>``, gzip-compressing it) from a local directory."""
    if not directory.is_dir():
        raise _Unreachable(f"no such directory: {directory}")
    packed, raw = directory / f"{name}.gz", directory / name
    if packed.is_file():
        if packed.stat().st_size > budget.max_bytes:
            raise ValueError(f"{packed} has {packed.stat().st_size:,} bytes, more than {name}.gz can take")
        with open(packed, "rb") as src:
            _copy(src, out, packed.stat().st_size, desc, progress, budget)
    elif raw.is_file():
        if raw.stat().st_size > _raw_size(name):
            raise ValueError(f"{raw} has {raw.stat().st_size:,} bytes, more than {name} can take")
        with open(raw, "rb") as src, gzip.GzipFile(name, "wb", compresslevel=6, fileobj=out, mtime=0) as gz:
            _copy(src, gz, raw.stat().st_size, desc, progress, budget)
    else:
        raise ValueError(f"neither {packed.name} nor {raw.name} is in {directory}")


def _fetch_one(
    data_dir: Path, name: str, expected_md5: str, mirror: str, timeout: float, deadline: float, progress: bool
) -> Path:
    """Fetch ``<name>.gz`` from one mirror into data_dir via a verified temp file.

    Raises _Unreachable or ValueError(reason); the temp file is removed on any failure,
    including KeyboardInterrupt.
    """
    target = data_dir / f"{name}.gz"
    local = _local_dir(mirror)
    with atomic_write(
        target, "wb", suffix=".part", verify=lambda tmp: _check_payload(tmp, name, expected_md5)
    ) as out:
        budget = _Budget(target.name, size_limit(name), deadline)
        if local is None:
            url = mirror.rstrip("/") + "/" + target.name
            _fetch_http(url, out, timeout, target.name, progress, budget)
        else:
            _fetch_local(local, name, out, target.name, progress, budget)
        try:
            out.flush()
            os.fsync(out.fileno())
        except OSError as exc:
            raise _WriteFailed(exc.strerror or str(exc)) from None
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
    say = log or (lambda _msg: None)
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
            except _WriteFailed as exc:
                raise DownloadError(
                    f"cannot write {name}.gz into {data_dir}: {exc}. This is not the mirror's fault: "
                    "free some space or choose another data folder (--data-dir)."
                ) from None
            except _Unreachable as exc:
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
