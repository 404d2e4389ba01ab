"""The train report is all or nothing, and bad flags or output paths fail before training.

An old report is never mixed with a new one: not when writing fails (full disk, Ctrl-C,
SIGTERM), not when two trainings write the same folder at once.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from helpers import cli, plots, report
from helpers.cli import main
from helpers.data import load_mnist
from helpers.models import load_params
from helpers.nn import evaluate

QUICK = ["train", "--source", "sample", "--iterations", "3", "--no-progress"]


def _one_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


def _old_report(folder: Path, extra: tuple[str, ...] = ()) -> dict[str, bytes]:
    """A training report as this project writes it; ``extra``: files an older version wrote."""
    folder.mkdir(parents=True)
    files = (*report.REPORT_FILES, *extra)
    for name in files:
        (folder / name).write_bytes(f"old {name}".encode())
    manifest = {"written_by": report.WRITER, "command": "train", "files": list(files)}
    (folder / report.MANIFEST).write_text(json.dumps(manifest))
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _no_temporaries(folder: Path) -> None:
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (["--seed", "-1"], 2, r"--seed must lie in 0\.\.4294967295, got -1"),
        (["--hidden", "1000000000"], 2, "--hidden must be at most 4096, got 1000000000"),
        (["--iterations", "100000000"], 2, "--iterations must be at most 1,000,000"),
        (["--out", ""], 2, "--out is empty"),
        (["--out", "{tmp}/afile"], 2, "exists and is not a folder"),
        (["--out", "."], 2, "name the report folder itself"),
        (["--out", "{tmp}/afile/report"], 2, "cannot write a report there"),
        (["--out", "{tmp}/" + "x" * 300], 2, "cannot write a report there .*name too long"),
    ],
)
def test_bad_flags_and_outputs_fail_before_any_work(tmp_path, capsys, argv, code, words):
    (tmp_path / "afile").write_text("x")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    start = time.monotonic()
    assert main([*QUICK, *argv]) == code
    out, err = capsys.readouterr()
    assert out == ""  # nothing loaded, nothing trained
    assert re.search(words, _one_error(err)), err
    assert time.monotonic() - start < 2


def test_failure_while_writing_keeps_the_old_report(tmp_path, capsys, monkeypatch):
    out = tmp_path / "latest"
    before = _old_report(out)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plots, "plot_mistakes", disk_full)  # after model.npz and metrics.json
    assert main([*QUICK, "--out", str(out)]) == 1
    assert "No space left on device" in _one_error(capsys.readouterr().err)
    assert _snapshot(out) == before
    _no_temporaries(tmp_path)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "plot_mistakes", interrupted)
    assert main([*QUICK, "--out", str(out)]) == 130
    assert _snapshot(out) == before
    _no_temporaries(tmp_path)


def test_a_new_report_replaces_every_old_file(tmp_path, capsys):
    out = tmp_path / "latest"
    _old_report(out, extra=("stray.png",))  # a figure an older version wrote
    assert main([*QUICK, "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([*report.REPORT_FILES, report.MANIFEST])
    assert json.loads((out / "metrics.json").read_text())["settings"]["iterations"] == 3
    _no_temporaries(tmp_path)


def _train_process(out: Path, *extra: str) -> subprocess.Popen:
    argv = [*QUICK[:3], "--iterations", "5", "--no-progress", "--out", str(out), *extra]
    return subprocess.Popen(
        [sys.executable, "-u", "-m", "helpers", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )


def test_sigterm_during_training_leaves_the_old_report(tmp_path):
    out = tmp_path / "latest"
    before = _old_report(out)
    proc = _train_process(out, "--iterations", "100000")
    assert proc.stdout is not None
    for line in proc.stdout:  # wait until training has started
        if line.startswith("training:"):
            break
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert _one_error(err).startswith("error: interrupted")
    assert _snapshot(out) == before
    _no_temporaries(tmp_path)


def test_two_trainings_into_one_folder_leave_one_consistent_report(tmp_path):
    """Different seeds, same --out, at once: the model and the metrics come from the same run."""
    out = tmp_path / "latest"
    procs = [_train_process(out, "--seed", str(seed)) for seed in (1, 2)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    data = load_mnist(source="sample")
    loss, acc = evaluate(load_params(out / "model.npz"), data.X_test, data.y_test)
    assert metrics["test_accuracy"] == pytest.approx(acc) and metrics["test_loss"] == pytest.approx(
        loss, rel=1e-5
    )
    history = json.loads((out / "history.json").read_text())
    assert history["seconds"] == metrics["seconds"]  # the same run's timing, to the last digit
    _no_temporaries(tmp_path)


def test_stale_report_folders_of_killed_runs_are_removed_before_training(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".latest.{dead.pid}.abc.tmpdir"
    stale.mkdir()
    (stale / "model.npz").write_bytes(b"half")
    report.check_out_dir(tmp_path / "latest")
    assert not stale.exists()


def test_metrics_json_is_strict_json_without_nan(tmp_path):
    path = report.write_json(tmp_path / "m.json", {"a": float("nan"), "b": np.float32(0.5), "c": [np.inf]})
    assert json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"JSON holds {c}")) == {
        "a": None,
        "b": 0.5,
        "c": [None],
    }


def test_evaluate_on_a_tiny_set_says_n_a_not_nan(tmp_path, capsys):
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    rng = np.random.default_rng(0)
    rows = [f"{i % 3}," + ",".join(map(str, rng.integers(0, 256, 784))) for i in range(12)]
    (tmp_path / "train.csv").write_text("\n".join([header, *rows]) + "\n")
    model = tmp_path / "model.npz"
    from helpers.models import save_params
    from helpers.nn import init_params

    save_params(model, init_params(784, 10, 10, seed=0))
    assert main(["evaluate", str(model), "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "nan" not in out.lower() and "9:n/a" in out


def test_default_data_dir_is_the_checkouts_wherever_you_run(tmp_path, monkeypatch):
    repo = Path(cli.__file__).resolve().parents[1]
    monkeypatch.chdir(repo)
    assert cli.default_data_dir() == "data"
    monkeypatch.chdir(repo / "notebooks")
    assert cli.default_data_dir() == str(repo / "data")  # not notebooks/data
    args = cli.build_parser().parse_args(["download"])
    assert args.data_dir == str(repo / "data")


def test_too_few_training_images_are_named_not_dev_size(tmp_path, capsys, monkeypatch):
    """Three training digits: the error says so; it does not blame a --dev-size never given."""
    import gzip
    import hashlib
    import struct

    from helpers import data

    rng = np.random.default_rng(0)
    monkeypatch.setattr(data, "MNIST_FILES", dict(data.MNIST_FILES))  # the fake files verify
    for split, m in (("train", 3), ("t10k", 2)):
        for kind, shape, high in (("images-idx3", (m, 28, 28), 256), ("labels-idx1", (m,), 10)):
            head = struct.pack(">HBB", 0, 8, len(shape)) + b"".join(struct.pack(">I", n) for n in shape)
            body = rng.integers(0, high, shape).astype(np.uint8).tobytes()
            (tmp_path / f"{split}-{kind}-ubyte.gz").write_bytes(gzip.compress(head + body))
            data.MNIST_FILES[f"{split}-{kind}-ubyte"] = hashlib.md5(head + body).hexdigest()
    assert main([*QUICK, "--source", "full", "--data-dir", str(tmp_path), "--out", str(tmp_path / "r")]) == 1
    line = _one_error(capsys.readouterr().err)
    assert "only 3 training images" in line and "dev" in line and "dev_size" not in line
