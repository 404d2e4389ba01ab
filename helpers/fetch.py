"""Fetching one file from one mirror, within a byte budget and a deadline.

:mod:`helpers.download` decides which files to fetch from which mirrors and verifies them;
this module moves the bytes: from an http(s) URL or a local folder into an open file, never
more bytes than the file can have, never for longer than its deadline, and tells apart a
mirror's failure (:class:`Unreachable`, ValueError) from a failure to write here
(:class:`WriteFailed`).
"""

from __future__ import annotations

import gzip
import http.client
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import BinaryIO

from tqdm.auto import tqdm

CHUNK = 1 << 16
USER_AGENT = "nn-from-scratch-mnist-downloader/1.0 (Python urllib)"


class Unreachable(Exception):
    """The mirror cannot be reached or stalls (DNS, refused, timeouts): not tried again."""


class WriteFailed(Exception):
    """Writing the download on this machine failed (full disk, ...): no mirror can help."""


def local_dir(mirror: str) -> Path | None:
    """The directory a file:// URL or a plain path names; None for an http(s) URL.

    Raises Unreachable for another URL scheme.
    """
    lower = mirror.lower()
    if lower.startswith(("http://", "https://")):
        return None
    if lower.startswith("file:"):
        return Path(urllib.request.url2pathname(urllib.parse.urlparse(mirror).path))
    if "://" in mirror:
        raise Unreachable(f"unsupported URL scheme (use http://, https://, file:// or a directory): {mirror}")
    return Path(mirror).expanduser()


class Budget:
    """What one file's download may still take: bytes (the size cap) and seconds (a deadline).

    ``max_bytes`` caps what is received (compressed), ``max_raw`` a raw file a local mirror holds.
    """

    def __init__(self, name: str, max_bytes: int, deadline: float, max_raw: int) -> None:
        self.name, self.max_bytes, self.deadline, self.max_raw = name, max_bytes, deadline, max_raw
        self.end = time.monotonic() + deadline

    def check(self, done: int) -> None:
        if done > self.max_bytes:
            raise ValueError(f"sent more than {self.max_bytes:,} bytes, the most {self.name} can take")
        if time.monotonic() > self.end:
            raise Unreachable(
                f"too slow: {self.name} not complete within {self.deadline:g} s ({done:,} bytes)"
            )


def copy_within(
    src: BinaryIO, out: BinaryIO, total: int | None, desc: str, progress: bool, budget: Budget
) -> int:
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
        while chunk := read(CHUNK):
            done += len(chunk)
            budget.check(done)
            try:
                out.write(chunk)
            except OSError as exc:
                raise WriteFailed(exc.strerror or str(exc)) from None
            bar.update(len(chunk))
    return done


def fetch_http(url: str, out: BinaryIO, timeout: float, desc: str, progress: bool, budget: Budget) -> None:
    """Download url into out. Every wait (connect, each read) is bounded by ``timeout`` seconds,
    the whole download by the budget's deadline and size cap.

    Raises Unreachable when no connection could be made or the mirror stalls,
    ValueError(reason) otherwise.
    """
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
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
            received = copy_within(response, out, total, desc, progress, budget)
    except urllib.error.HTTPError as exc:
        raise ValueError(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:  # no connection: DNS failure, refused, connect timeout
        reason = exc.reason
        if isinstance(reason, TimeoutError | socket.timeout):
            reason = f"no answer within {timeout:g} s"
        raise Unreachable(f"cannot connect: {reason}") from None
    except TimeoutError:
        raise Unreachable(f"stalled: no data for {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as exc:
        raise ValueError(f"connection failed: {type(exc).__name__}: {exc}") from None
    if total is not None and received < total:
        raise ValueError(f"connection closed after {received:,} of {total:,} bytes")


def fetch_local(directory: Path, name: str, out: BinaryIO, desc: str, progress: bool, budget: Budget) -> None:
    """Copy ``<name>.gz`` (or raw ``<name>``, gzip-compressing it) from a local directory."""
    if not directory.is_dir():
        raise Unreachable(f"no such directory: {directory}")
    packed, raw = directory / f"{name}.gz", directory / name
    if packed.is_file():
        if packed.stat().st_size > budget.max_bytes:
            raise ValueError(f"{packed} has {packed.stat().st_size:,} bytes, more than {name}.gz can take")
        with open(packed, "rb") as src:
            copy_within(src, out, packed.stat().st_size, desc, progress, budget)
    elif raw.is_file():
        if raw.stat().st_size > budget.max_raw:
            raise ValueError(f"{raw} has {raw.stat().st_size:,} bytes, more than {name} can take")
        with open(raw, "rb") as src, gzip.GzipFile(name, "wb", compresslevel=6, fileobj=out, mtime=0) as gz:
            copy_within(src, gz, raw.stat().st_size, desc, progress, budget)
    else:
        raise ValueError(f"neither {packed.name} nor {raw.name} is in {directory}")
