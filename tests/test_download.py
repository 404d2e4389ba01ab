"""Tests for helpers.download: a local HTTP server plays the mirrors, with small fake MNIST files.

Nothing here touches the internet. The fake files are valid IDX (a few random 28x28 images and
labels) and ``helpers.data.MNIST_FILES`` is patched to their MD5s, so the downloader verifies
them exactly as it would the real ones.
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import struct
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from helpers import data, download
from helpers.download import DEFAULT_MIRRORS, MIRROR_ENV, DownloadError, download_mnist

NAMES = list(data.MNIST_FILES)  # the four real names; their checksums get patched
REAL_MNIST = next(  # the course machines keep a copy beside the checkout (or its worktrees)
    (
        p / "shared" / "data" / "mnist"
        for p in Path(__file__).resolve().parents[2:4]
        if (p / "shared").is_dir()
    ),
    Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist",
)


def _idx(array: np.ndarray) -> bytes:
    """IDX bytes for a uint8 array, written independently of helpers.data.parse_idx."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture(scope="module")
def payloads() -> dict[str, bytes]:
    """Raw IDX payload of each of the four files: 7 training and 3 test digits."""
    rng = np.random.default_rng(0)
    out = {}
    for split, m in (("train", 7), ("t10k", 3)):
        out[f"{split}-images-idx3-ubyte"] = _idx(rng.integers(0, 256, (m, 28, 28)))
        out[f"{split}-labels-idx1-ubyte"] = _idx(rng.integers(0, 10, m))
    return out


@pytest.fixture(autouse=True)
def fake_checksums(monkeypatch, payloads) -> None:
    """Make the checksum table describe the fake files; ignore any MNIST_MIRROR of the caller."""
    monkeypatch.setattr(data, "MNIST_FILES", {n: hashlib.md5(p).hexdigest() for n, p in payloads.items()})
    monkeypatch.delenv(MIRROR_ENV, raising=False)


class Server:
    """A local HTTP server; the first path segment chooses how it behaves (a 'mirror')."""

    def __init__(self, payloads: dict[str, bytes]) -> None:
        self.files = {f"{n}.gz": gzip.compress(p) for n, p in payloads.items()}
        self.requests: list[str] = []
        self.release = threading.Event()  # set at teardown to free a stalled handler
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                server.requests.append(self.path)
                _, mode, filename = self.path.split("/", 2)
                body = server.files.get(filename)
                if body is None or mode == "missing":
                    self.send_error(404, "Not Found")
                elif mode == "good":
                    self._send(body)
                elif mode == "html":
                    self._send(b"<!DOCTYPE html><html><body>Moved</body></html>", "text/html")
                elif mode == "corrupt":  # valid gzip, wrong contents
                    self._send(gzip.compress(b"\0\0\x08\x01" + b"\0\0\0\1" + b"\7"))
                elif mode == "truncated":  # promise all bytes, send half, hang up
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                elif mode == "stall":  # headers, then silence
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.flush()
                    server.release.wait(5)
                    self.close_connection = True

            def _send(self, body: bytes, ctype: str = "application/octet-stream") -> None:
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def mirror(self, mode: str) -> str:
        return f"{self.url}/{mode}/"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server(payloads) -> Iterator[Server]:
    srv = Server(payloads)
    yield srv
    srv.close()


@pytest.fixture
def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (connection refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def _assert_complete(data_dir: Path, payloads: dict[str, bytes]) -> None:
    """Exactly the four <name>.gz files are in data_dir, each decompressing to its payload."""
    assert sorted(p.name for p in data_dir.iterdir()) == sorted(f"{n}.gz" for n in payloads)
    for name, payload in payloads.items():
        assert gzip.decompress((data_dir / f"{name}.gz").read_bytes()) == payload


def _download(data_dir: Path, mirrors=None, **kwargs) -> tuple[Path, list[str]]:
    lines: list[str] = []
    kwargs.setdefault("timeout", 2.0)
    result = download_mnist(data_dir, mirrors, progress=False, log=lines.append, **kwargs)
    return result, lines


def test_good_http_mirror(tmp_path, server, payloads):
    data_dir = tmp_path / "data"  # created by the downloader
    result, lines = _download(data_dir, server.mirror("good"))
    assert result == data_dir
    _assert_complete(data_dir, payloads)
    assert sorted(server.requests) == sorted(f"/good/{n}.gz" for n in NAMES)
    assert sum("verified" in line for line in lines) == 4
    # load_mnist reads what was downloaded: the fake images and labels, unchanged
    mnist = data.load_mnist(data_dir)
    labels = np.frombuffer(payloads["t10k-labels-idx1-ubyte"], np.uint8, offset=8)
    np.testing.assert_array_equal(mnist.y_test, labels)
    assert mnist.X_train.shape == (784, 7) and mnist.kind == "full"


@pytest.mark.parametrize("bad", ["html", "corrupt", "truncated", "missing"])
def test_bad_mirror_then_good_one(tmp_path, server, payloads, bad):
    _, lines = _download(tmp_path, [server.mirror(bad), server.mirror("good")])
    _assert_complete(tmp_path, payloads)  # no temp files either
    assert sum(line.startswith("  failed") for line in lines) == 4


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("html", "HTML"),
        ("corrupt", "MD5"),
        ("truncated", "connection closed after"),
        ("missing", "HTTP 404"),
        ("stall", "stalled: no data for 0.5 s"),
    ],
)
def test_every_mirror_fails(tmp_path, server, bad, reason, closed_port_url):
    mirrors = [server.mirror(bad), closed_port_url, str(tmp_path / "nowhere")]
    with pytest.raises(DownloadError) as info:
        _download(tmp_path / "data", mirrors, timeout=0.5)
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert NAMES[0] in message
    first, second, third = (line for line in message.splitlines() if line.startswith("  - "))
    assert first.startswith(f"  - {mirrors[0]}: ") and reason in first
    assert second.startswith(f"  - {closed_port_url}: cannot connect")
    assert third.startswith(f"  - {mirrors[2]}: no such directory")
    assert "--mirror" in message and "sample" in message
    assert list((tmp_path / "data").iterdir()) == []  # no partial file, no temp file


def test_unreachable_mirror_is_not_retried_for_later_files(tmp_path, server, payloads, closed_port_url):
    _, lines = _download(tmp_path, [closed_port_url, server.mirror("good")])
    _assert_complete(tmp_path, payloads)
    assert sum("refused" in line for line in lines) == 1  # tried for the first file only
    assert len(server.requests) == 4


def test_interrupt_leaves_no_file(tmp_path, server, monkeypatch):
    def interrupt(path, name, expected):
        assert path.is_file() and path.parent == tmp_path and path.name.startswith(".")
        raise KeyboardInterrupt

    monkeypatch.setattr(download, "_check_payload", interrupt)
    with pytest.raises(KeyboardInterrupt):
        _download(tmp_path, server.mirror("good"))
    assert list(tmp_path.iterdir()) == []


def _local_mirror(root: Path, payloads: dict[str, bytes]) -> Path:
    """A directory with two files gzip-compressed and two raw."""
    root.mkdir()
    for i, (name, payload) in enumerate(payloads.items()):
        if i % 2:
            (root / name).write_bytes(payload)
        else:
            (root / f"{name}.gz").write_bytes(gzip.compress(payload))
    return root


def test_local_directory_mirror(tmp_path, payloads, closed_port_url):
    mirror = _local_mirror(tmp_path / "mirror", payloads)
    _download(tmp_path / "data", [closed_port_url, str(mirror)])
    _assert_complete(tmp_path / "data", payloads)


def test_file_url_mirror(tmp_path, payloads):
    mirror = _local_mirror(tmp_path / "mirror dir", payloads)  # a space, to be %-encoded
    _download(tmp_path / "data", mirror.as_uri())
    _assert_complete(tmp_path / "data", payloads)


def test_local_mirror_with_wrong_file(tmp_path, payloads):
    mirror = _local_mirror(tmp_path / "mirror", payloads)
    (mirror / f"{NAMES[0]}.gz").write_bytes(b"<html>404</html>")
    with pytest.raises(DownloadError, match="HTML"):
        _download(tmp_path / "data", mirror)
    assert list((tmp_path / "data").iterdir()) == []


def test_env_var_is_honoured_and_argument_wins(tmp_path, server, payloads, monkeypatch, closed_port_url):
    monkeypatch.setenv(MIRROR_ENV, f"{server.mirror('missing')},{server.mirror('good')}")
    _download(tmp_path / "a")
    _assert_complete(tmp_path / "a", payloads)
    assert sum(r.startswith("/missing/") for r in server.requests) == 4

    with pytest.raises(DownloadError) as info:
        _download(tmp_path / "b", closed_port_url)
    assert server.mirror("good") not in str(info.value)


def test_default_mirrors_are_read_at_call_time(tmp_path, server, payloads, monkeypatch):
    assert DEFAULT_MIRRORS[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"
    monkeypatch.setattr(download, "DEFAULT_MIRRORS", [server.mirror("good")])
    _download(tmp_path)
    _assert_complete(tmp_path, payloads)


def test_verified_files_are_not_fetched_again(tmp_path, server, payloads):
    _download(tmp_path, server.mirror("good"))
    assert len(server.requests) == 4
    # a damaged copy and a missing one are fetched again; the two others are kept
    (tmp_path / f"{NAMES[0]}.gz").write_bytes(b"garbage")
    (tmp_path / f"{NAMES[1]}.gz").unlink()
    _, lines = _download(tmp_path, server.mirror("good"))
    assert sorted(server.requests[4:]) == sorted(f"/good/{n}.gz" for n in NAMES[:2])
    assert sum("already in" in line for line in lines) == 2
    _assert_complete(tmp_path, payloads)


def test_verified_raw_file_counts_and_corrupt_raw_copy_is_replaced(tmp_path, server, payloads):
    (tmp_path / NAMES[0]).write_bytes(payloads[NAMES[0]])  # a good raw copy: kept
    (tmp_path / NAMES[1]).write_bytes(payloads[NAMES[1]][:-1])  # truncated raw copy: removed
    _download(tmp_path, server.mirror("good"))
    assert f"/good/{NAMES[0]}.gz" not in server.requests
    assert not (tmp_path / NAMES[1]).exists()
    assert (tmp_path / NAMES[0]).is_file() and not (tmp_path / f"{NAMES[0]}.gz").exists()
    data.load_mnist(tmp_path, source="full")


def test_empty_mirror_list_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        download_mnist(tmp_path, [], log=None)


@pytest.mark.skipif(
    not REAL_MNIST.is_dir(),
    reason=f"no local copy of the real MNIST files at {REAL_MNIST} (only on the course's machines)",
)
def test_real_mnist_from_local_mirror(tmp_path, monkeypatch):
    monkeypatch.undo()  # the real checksum table
    download_mnist(tmp_path, str(REAL_MNIST), progress=False, log=None)
    mnist = data.load_mnist(tmp_path)
    assert mnist.kind == "full"
    assert mnist.X_train.shape == (784, 60000) and mnist.X_test.shape == (784, 10000)
    assert np.bincount(mnist.y_train)[0] == 5923 and np.bincount(mnist.y_test)[0] == 980


# --------------------------------------------------------------------------------------------
# What is loaded is what was verified: one file finder and one verifier for both
# --------------------------------------------------------------------------------------------
def _shuffled(payload: bytes) -> bytes:
    """The same IDX labels in another order: valid, the right size, the wrong checksum."""
    labels = np.frombuffer(payload, np.uint8, offset=8)
    return payload[:8] + np.roll(labels, 1).tobytes()


def test_good_raw_file_beside_a_bad_gz_is_not_called_verified(tmp_path, server, payloads):
    """The loader reads <name>.gz: download judges that file, not the good raw copy beside it."""
    name = "train-labels-idx1-ubyte"
    (tmp_path / name).write_bytes(payloads[name])  # good, but not what is read
    (tmp_path / f"{name}.gz").write_bytes(gzip.compress(_shuffled(payloads[name])))
    _, lines = _download(tmp_path, server.mirror("good"))
    said = "\n".join(line for line in lines if name in line)
    assert "already in" not in said
    assert f"{name}.gz: in {tmp_path} but does not verify (wrong contents" in said
    assert f"/good/{name}.gz" in server.requests
    assert gzip.decompress((tmp_path / f"{name}.gz").read_bytes()) == payloads[name]
    np.testing.assert_array_equal(
        data.load_mnist(tmp_path).y_train, np.frombuffer(payloads[name], np.uint8, offset=8)
    )


@pytest.mark.parametrize("raw", [False, True])
def test_a_file_changed_after_download_is_refused_when_loaded(tmp_path, server, payloads, raw):
    """The loader checks the MD5 itself: a swapped file is refused by name, never evaluated."""
    _download(tmp_path, server.mirror("good"))
    name = "t10k-labels-idx1-ubyte"
    swapped = tmp_path / (name if raw else f"{name}.gz")
    (tmp_path / f"{name}.gz").unlink()
    swapped.write_bytes(_shuffled(payloads[name]) if raw else gzip.compress(_shuffled(payloads[name])))
    with pytest.raises(ValueError, match=f"{swapped}: wrong contents: MD5") as info:
        data.load_mnist(tmp_path)
    assert "\n" not in str(info.value) and f"not the MNIST file {name}" in str(info.value)
    assert "python -m helpers download" in str(info.value)
