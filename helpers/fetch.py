"""Fetching one file from one mirror, within a byte budget and a deadline.

:mod:`helpers.download` decides which files to fetch from which mirrors and verifies them;
this module moves the bytes: from an http(s) URL or a local folder into an open file, never
more bytes than the file can have, never for longer than its deadline (which covers the
connection, the headers and the body: a watchdog closes the socket when it passes), and tells
apart a mirror's failure (:class:`Unreachable`, ValueError) from a failure to write here
(:class:`WriteFailed`). A user name and password in a mirror's URL are sent as HTTP basic
authentication, never to another host a redirect points to, and never printed
(:func:`redact`).
"""

from __future__ import annotations

import base64
import gzip
import http.client
import re
import socket
import threading
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


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")


def redact(text: str) -> str:
    """``text`` with the user name and password of every URL in it replaced by ``***``."""
    return _USERINFO.sub(r"\1***@", text)


def local_dir(mirror: str) -> Path | None:
    """The directory a file:// URL or a plain path names; None for an http(s) URL.

    Raises Unreachable for another URL scheme and for a file:// URL naming another host
    (``file://host/path`` is not the local ``/path``).
    """
    lower = mirror.lower()
    if lower.startswith(("http://", "https://")):
        return None
    if lower.startswith("file:"):
        parts = urllib.parse.urlparse(mirror)
        if parts.netloc.lower() not in ("", "localhost"):
            raise Unreachable(
                f"a file:// URL of another host ({redact(parts.netloc)}) cannot be read here: "
                "use file:///path (three slashes) or the folder itself"
            )
        return Path(urllib.request.url2pathname(parts.path))
    if "://" in mirror:
        raise Unreachable(
            f"unsupported URL scheme (use http://, https://, file:// or a directory): {redact(mirror)}"
        )
    return Path(mirror).expanduser()


class Budget:
    """What one file's download may still take: bytes (the size cap) and seconds (a deadline).

    ``max_bytes`` caps what is received (compressed), ``max_raw`` a raw file a local mirror holds.
    """

    def __init__(self, name: str, max_bytes: int, deadline: float, max_raw: int) -> None:
        self.name, self.max_bytes, self.deadline, self.max_raw = name, max_bytes, deadline, max_raw
        self.end = time.monotonic() + deadline

    def remaining(self) -> float:
        """Seconds left before the deadline (at least a millisecond, so a timeout stays valid)."""
        return max(self.end - time.monotonic(), 1e-3)

    def too_slow(self, done: int) -> Unreachable:
        return Unreachable(f"too slow: {self.name} not complete within {self.deadline:g} s ({done:,} bytes)")

    def check(self, done: int) -> None:
        if done > self.max_bytes:
            raise ValueError(f"sent more than {self.max_bytes:,} bytes, the most {self.name} can take")
        if time.monotonic() > self.end:
            raise self.too_slow(done)


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


class _Watchdog:
    """Shuts down every socket a download opened once its deadline passes.

    A mirror that sends its headers (or anything else) a byte at a time never trips the
    per-read timeout; shutting the socket down from another thread ends the blocked read.
    """

    def __init__(self, budget: Budget) -> None:
        self.budget, self.sockets, self.expired = budget, [], False
        self.lock = threading.Lock()
        self.timer = threading.Timer(budget.remaining(), self.expire)
        self.timer.daemon = True

    def expire(self) -> None:
        with self.lock:
            self.expired = True
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def connect(self, address, timeout=None, source_address=None, **kwargs) -> socket.socket:
        """socket.create_connection within what is left of the deadline, then watched.

        Reads keep the per-read ``timeout``; the watchdog ends them at the deadline.
        """
        left = self.budget.remaining()
        capped = timeout is None or left < timeout
        try:
            sock = socket.create_connection(address, left if capped else timeout, source_address, **kwargs)
        except TimeoutError:
            self.expired = self.expired or capped  # the deadline, not the mirror's timeout
            raise
        sock.settimeout(timeout)
        with self.lock:
            self.sockets.append(sock)
            if self.expired:
                sock.shutdown(socket.SHUT_RDWR)
        return sock

    def opener(self) -> urllib.request.OpenerDirector:
        """An opener whose HTTP and HTTPS connections are made by :meth:`connect`."""
        watchdog = self

        def watched(base: type[http.client.HTTPConnection]) -> type[http.client.HTTPConnection]:
            class Watched(base):  # type: ignore[misc, valid-type]
                def __init__(self, *args, **kwargs) -> None:
                    super().__init__(*args, **kwargs)
                    self._create_connection = watchdog.connect

            return Watched

        class HTTP(urllib.request.HTTPHandler):
            def do_open(self, http_class, req, **kwargs):
                return super().do_open(watched(http_class), req, **kwargs)

        class HTTPS(urllib.request.HTTPSHandler):
            def do_open(self, http_class, req, **kwargs):
                return super().do_open(watched(http_class), req, **kwargs)

        return urllib.request.build_opener(HTTP, HTTPS)


def _request(url: str) -> urllib.request.Request:
    """A GET of ``url``; a user:password in it becomes a basic-auth header that redirects drop."""
    parts = urllib.parse.urlsplit(url)
    request = urllib.request.Request(
        urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2])),
        headers={"User-Agent": USER_AGENT},
    )
    if "@" in parts.netloc:
        user = urllib.parse.unquote(parts.username or "")
        password = urllib.parse.unquote(parts.password or "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        request.add_unredirected_header("Authorization", f"Basic {token}")
    return request


def fetch_http(url: str, out: BinaryIO, timeout: float, desc: str, progress: bool, budget: Budget) -> None:
    """Download url into out. Every wait (connect, each read) is bounded by ``timeout`` seconds,
    the whole download (connect, headers and body) by the budget's deadline and size cap.

    Raises Unreachable when no connection could be made or the mirror stalls or is too slow,
    ValueError(reason) otherwise.
    """
    watchdog = _Watchdog(budget)
    watchdog.timer.start()
    received = 0
    try:
        with watchdog.opener().open(_request(url), timeout=min(timeout, budget.remaining())) as response:
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
    except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException) as exc:
        if watchdog.expired:
            raise budget.too_slow(received) from None
        if isinstance(exc, urllib.error.URLError):  # no connection: DNS failure, refused, timeout
            reason = exc.reason
            if isinstance(reason, TimeoutError | socket.timeout):
                reason = f"no answer within {timeout:g} s"
            raise Unreachable(f"cannot connect: {redact(str(reason))}") from None
        if isinstance(exc, TimeoutError):
            raise Unreachable(f"stalled: no data for {timeout:g} s") from None
        raise ValueError(f"connection failed: {type(exc).__name__}: {redact(str(exc))}") from None
    finally:
        watchdog.timer.cancel()
    if watchdog.expired:
        raise budget.too_slow(received)
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
