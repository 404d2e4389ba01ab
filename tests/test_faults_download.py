"""Hostile mirrors and local faults for download_mnist; mirrors are served from 127.0.0.1.

Every download has a size cap (the file's known size) and an overall deadline; a mirror that
stalls is skipped for the remaining files; a local write failure (full disk) is reported as
ours, not the mirror's; SIGTERM leaves nothing behind, and what SIGKILL leaves is removed by
the next run.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from helpers import data, download
from helpers.cli import main
from helpers.download import MIRROR_ENV, DownloadError, download_mnist

SHAPES = {
    "train-images-idx3-ubyte": (7, 28, 28),
    "train-labels-idx1-ubyte": (7,),
    "t10k-images-idx3-ubyte": (3, 28, 28),
    "t10k-labels-idx1-ubyte": (3,),
}


def _payloads() -> dict[str, bytes]:
    rng = np.random.default_rng(1)
    out = {}
    for name, shape in SHAPES.items():
        header = struct.pack(">HBB", 0, 8, len(shape)) + b"".join(struct.pack(">I", n) for n in shape)
        out[name] = header + rng.integers(0, 10 if len(shape) == 1 else 256, shape).astype(np.uint8).tobytes()
    return out


PAYLOADS = _payloads()
FAKE_MD5 = {name: hashlib.md5(p).hexdigest() for name, p in PAYLOADS.items()}
PATCH = (  # the same patches, for code run in a subprocess
    f"from helpers import data\ndata.MNIST_FILES = {FAKE_MD5!r}\ndata.MNIST_SHAPES = {SHAPES!r}\n"
)


@pytest.fixture(autouse=True)
def small_mnist(monkeypatch) -> None:
    """MNIST's checksums and sizes describe the small fake files, so the caps are small too."""
    monkeypatch.setattr(data, "MNIST_FILES", FAKE_MD5)
    monkeypatch.setattr(data, "MNIST_SHAPES", SHAPES)
    monkeypatch.delenv(MIRROR_ENV, raising=False)


class Mirror:
    """Modes: good, forever (gzip-looking bytes without end), trickle (a byte every 0.2 s),
    slowhead (the headers a byte every 0.2 s, for at most 30 s), auth (good, for user:s3cret
    only), elsewhere (a redirect to auth on another host name), missing (404)."""

    def __init__(self) -> None:
        self.files = {f"{n}.gz": gzip.compress(p) for n, p in PAYLOADS.items()}
        self.requests: list[str] = []
        self.auth: list[str | None] = []
        self.stop = threading.Event()
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                mirror.requests.append(self.path)
                _, mode, filename = self.path.split("/", 2)
                body = mirror.files[filename]
                mirror.auth.append(self.headers.get("Authorization"))
                if mode == "slowhead":
                    self.wfile.write(b"HTTP/1.0 200 OK\r\nX-Slow: ")
                    for _ in range(150):
                        if mirror.stop.wait(0.2):
                            break
                        try:
                            self.wfile.write(b"x")
                            self.wfile.flush()
                        except OSError:
                            break
                    self.close_connection = True
                    return
                if mode == "elsewhere":
                    self.send_response(302)
                    self.send_header("Location", f"http://localhost:{mirror.port}/auth/{filename}")
                    self.end_headers()
                    return
                basic = "Basic " + base64.b64encode(b"user:s3cret").decode()
                if mode == "missing" or (mode == "auth" and self.headers.get("Authorization") != basic):
                    self.send_error(404 if mode == "missing" else 401)
                    return
                mode = "good" if mode == "auth" else mode
                self.send_response(200)
                if mode == "good":
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    if mode == "good":
                        self.wfile.write(body)
                    elif mode == "forever":
                        self.wfile.write(body[:10])
                        while not mirror.stop.is_set():
                            self.wfile.write(bytes(1 << 16))
                    elif mode == "trickle":
                        for byte in body:
                            if mirror.stop.wait(0.2):
                                break
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                except OSError:
                    pass  # the client hung up, as it should
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def __call__(self, mode: str, user: str = "") -> str:
        return f"http://{user}127.0.0.1:{self.port}/{mode}/"


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    m = Mirror()
    yield m
    m.stop.set()
    m.httpd.shutdown()
    m.httpd.server_close()


def test_a_mirror_that_streams_forever_is_cut_at_the_files_size(tmp_path, mirror):
    with pytest.raises(DownloadError) as info:
        download_mnist(tmp_path, mirror("forever"), progress=False, log=None, timeout=2)
    limit = download.size_limit("train-images-idx3-ubyte")
    assert f"sent more than {limit:,} bytes, the most train-images-idx3-ubyte.gz can take" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_trickling_mirror_meets_the_deadline_and_is_then_skipped(tmp_path, mirror):
    start = time.monotonic()
    download_mnist(tmp_path, [mirror("trickle"), mirror("good")], progress=False, log=None, deadline=1.0)
    assert time.monotonic() - start < 5
    assert sum("/trickle/" in r for r in mirror.requests) == 1  # not tried again for later files
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.gz" for n in PAYLOADS)


def test_a_mirror_that_sends_its_headers_slowly_meets_the_deadline(tmp_path, mirror):
    """The deadline covers connect, headers and body: a header trickling a byte every 0.2 s
    never trips the 5 s read timeout, yet the download ends at its 1 s deadline."""
    start = time.monotonic()
    with pytest.raises(DownloadError, match=r"too slow: train-images-idx3-ubyte.gz not complete within 1 s"):
        download_mnist(tmp_path, mirror("slowhead"), progress=False, log=None, timeout=5, deadline=1.0)
    assert time.monotonic() - start < 3  # was held until the mirror gave up (30 s here)
    assert list(tmp_path.iterdir()) == []


def test_a_tls_handshake_that_never_comes_meets_the_deadline(tmp_path):
    """An https mirror that accepts the connection and then says nothing: the 1 s deadline
    ends the wait, not the 5 s read timeout."""
    import socket

    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        start = time.monotonic()
        with pytest.raises(DownloadError, match="too slow: .* within 1 s"):
            url = f"https://127.0.0.1:{server.getsockname()[1]}/"
            download_mnist(tmp_path, url, progress=False, log=None, timeout=5, deadline=1.0)
        assert time.monotonic() - start < 3
    finally:
        stop.set()
        thread.join()
        for sock in [*held, server]:
            sock.close()
    assert list(tmp_path.iterdir()) == []


def test_a_password_in_a_mirror_url_is_used_and_never_printed(tmp_path, mirror, capsys):
    argv = ["download", "--data-dir", str(tmp_path), "--no-progress"]
    assert main([*argv, "--mirror", mirror("auth", "user:s3cret@")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.gz" for n in PAYLOADS)
    out, err = capsys.readouterr()
    assert "s3cret" not in out + err and "http://***@127.0.0.1" in out

    for p in tmp_path.iterdir():
        p.unlink()
    assert main([*argv, "--mirror", mirror("missing", "user:s3cret@")]) == 1
    out, err = capsys.readouterr()
    assert "s3cret" not in out + err and "***@127.0.0.1" in err and "HTTP 404" in err
    with pytest.raises(DownloadError) as info:  # the library's message too
        download_mnist(tmp_path, mirror("missing", "user:s3cret@"), progress=False, log=None)
    assert "s3cret" not in str(info.value)


def test_a_redirect_to_another_host_does_not_get_the_password(tmp_path, mirror):
    with pytest.raises(DownloadError, match="HTTP 401"):
        download_mnist(tmp_path, mirror("elsewhere", "user:s3cret@"), progress=False, log=None)
    assert mirror.auth[0] is not None and mirror.auth[1] is None  # sent to 127.0.0.1, not localhost


def test_a_file_url_of_another_host_is_not_read_as_a_local_folder(tmp_path):
    local = tmp_path / "copy"
    local.mkdir()
    for name, payload in PAYLOADS.items():
        (local / f"{name}.gz").write_bytes(gzip.compress(payload))
    data_dir = tmp_path / "data"
    with pytest.raises(DownloadError, match="a file:// URL of another host .otherhost. cannot be read here"):
        download_mnist(data_dir, f"file://otherhost{local}", progress=False, log=None)
    assert list(data_dir.iterdir()) == []
    download_mnist(data_dir, f"file://localhost{local}", progress=False, log=None)  # this host: fine
    download_mnist(data_dir, f"file://{local}", progress=False, log=None)
    assert len(list(data_dir.iterdir())) == 4


def test_a_bomb_already_in_data_is_replaced_not_inflated(tmp_path, mirror):
    """A .gz in data/ that inflates far beyond the file's size: the repair runs."""
    bomb = tmp_path / "train-labels-idx1-ubyte.gz"
    with gzip.open(bomb, "wb") as gz:
        for _ in range(64):
            gz.write(bytes(1 << 20))
    lines: list[str] = []
    download_mnist(tmp_path, mirror("good"), progress=False, log=lines.append)
    assert "train-labels-idx1-ubyte.gz: in" in "\n".join(lines) and "fetching a fresh copy" in "\n".join(
        lines
    )
    assert gzip.decompress(bomb.read_bytes()) == PAYLOADS["train-labels-idx1-ubyte"]


def test_mirror_variable_that_names_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(MIRROR_ENV, ",,,")
    with pytest.raises(ValueError, match=r"environment variable MNIST_MIRROR=',,,' names no mirror"):
        download_mnist(tmp_path, progress=False, log=None)


def test_a_data_folder_that_cannot_be_one_fails_before_any_request(tmp_path, mirror):
    """Checked before anything is fetched (read-only folders too; a file works even as root)."""
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(NotADirectoryError, match="exists and is not a folder"):
        download_mnist(afile, mirror("good"), progress=False, log=None)
    with pytest.raises(OSError, match=f"cannot create the data folder {afile / 'data'}"):
        download_mnist(afile / "data", mirror("good"), progress=False, log=None)
    assert mirror.requests == []


def _run(code: str, preexec=None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", PATCH + code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec,
        **kwargs,
    )


def test_a_full_disk_is_reported_as_ours_not_the_mirrors(tmp_path, mirror):
    """RLIMIT_FSIZE makes every write past 2 KB fail, as a full disk would."""
    import resource

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    code = (
        "import sys\nfrom helpers.cli import main\n"
        f"sys.exit(main(['download', '--mirror', {mirror('good')!r}, '--data-dir', {str(tmp_path)!r}, "
        "'--no-progress']))"
    )
    proc = _run(code, small_disk)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: cannot write train-images-idx3-ubyte.gz into")
    assert "File too large" in lines[0] and "not the mirror's fault" in lines[0]
    assert "another mirror" not in lines[0] and "connection failed" not in lines[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_download_leaves_nothing_after_the_next_run(tmp_path, mirror, sig):
    code = (
        "import sys\nfrom helpers.cli import main\n"
        f"sys.exit(main(['download', '--mirror', {mirror('trickle')!r}, '--data-dir', {str(tmp_path)!r}, "
        "'--no-progress']))"
    )
    proc = _run(code)
    deadline = time.monotonic() + 20
    while not any(p.name.endswith(".part") for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=20)
    if sig == signal.SIGTERM:
        assert proc.returncode == 130 and err.strip().startswith("error: interrupted")
        assert list(tmp_path.iterdir()) == []
    else:
        assert any(p.name.endswith(".part") for p in tmp_path.iterdir())  # SIGKILL cannot clean up
        download_mnist(tmp_path, mirror("good"), progress=False, log=None)  # the next run
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.gz" for n in PAYLOADS)


def test_train_download_notice_keeps_the_reason(tmp_path, capsys):
    code = main(
        ["train", "--download", "--source", "full", "--mirror", str(tmp_path / "nowhere"),
         "--data-dir", str(tmp_path / "d"), "--out", str(tmp_path / "r"), "--no-progress"]
    )  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err.splitlines()
    notice = [line for line in err if line.startswith("notice:")]
    assert len(notice) == 1
    assert f"{tmp_path / 'nowhere'}: no such directory" in notice[0] and notice[0].endswith("giving up")
    assert err[-1].startswith(f"error: full MNIST is not in {tmp_path / 'd'}")
