"""What ``--out`` may replace: a new path, an empty folder, or a report of the same command.

Anything else (a user's folder, the data folder, the working folder, a report of the other
command, a report with a user's file added) is refused in one line, exit code 2, before
anything is loaded or trained, and is left byte for byte as it was. Symbolic links to a folder
are followed; dangling ones and mount points are refused up front.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import plots, report
from helpers.cli import main
from helpers.models import save_params
from helpers.nn import init_params

QUICK = ["train", "--source", "sample", "--iterations", "3", "--no-progress"]
TRAIN_REPORT = sorted([*report.REPORT_FILES, report.MANIFEST])


def _one_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


def _tree(folder: Path) -> dict[str, bytes | str | None]:
    """Every path under folder (hidden ones too) with its bytes; a link's target; None for a folder."""

    def content(p: Path) -> bytes | str | None:
        return f"-> {os.readlink(p)}" if p.is_symlink() else None if p.is_dir() else p.read_bytes()

    return {str(p.relative_to(folder)): content(p) for p in sorted(folder.rglob("*"))}


def _user_folder(base: Path, kind: str) -> Path:
    """Folders people really pass as --out, each holding what they hold."""
    folder = base / kind
    folder.mkdir()
    if kind == "thesis":
        (folder / "t.tex").write_text("\\documentclass{article}")
    elif kind == "data":  # the data just read: MNIST files and a README
        (folder / "README.md").write_text("what may go here")
        (folder / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b mnist")
    elif kind == "notebooks":
        (folder / "01_forward.ipynb").write_text("{}")
        (folder / ".ipynb_checkpoints").mkdir()
    elif kind == "home":
        (folder / ".bashrc").write_text("export X=1")
        (folder / "Documents").mkdir()
        (folder / "Documents" / "cv.pdf").write_bytes(b"%PDF")
    elif kind == "only a hidden file":
        (folder / ".git").write_text("gitdir: elsewhere")
    elif kind == "only an empty subfolder":
        (folder / "drafts").mkdir()
    elif kind == "report plus a user's file":
        _report(folder, "train")
        (folder / "notes.txt").write_text("my notes on this run")
    elif kind == "report of evaluate":
        _report(folder, "evaluate")
    elif kind == "forged manifest":
        (folder / report.MANIFEST).write_text(json.dumps({"written_by": "someone", "files": []}))
    elif kind == "report with a subfolder":
        _report(folder, "train")
        (folder / "model.npz").unlink()
        (folder / "model.npz").mkdir()
    return folder


def _report(folder: Path, command: str) -> None:
    files = report.REPORT_FILES if command == "train" else report.EVALUATION_FILES
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        (folder / name).write_bytes(f"old {name}".encode())
    manifest = {"written_by": report.WRITER, "command": command, "files": list(files)}
    (folder / report.MANIFEST).write_text(json.dumps(manifest))


USER_FOLDERS = [
    "thesis",
    "data",
    "notebooks",
    "home",
    "only a hidden file",
    "only an empty subfolder",
    "report plus a user's file",
    "report of evaluate",
    "forged manifest",
    "report with a subfolder",
]


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return save_params(tmp_path_factory.mktemp("model") / "model.npz", init_params(784, 10, 10, seed=0))


@pytest.mark.parametrize("kind", USER_FOLDERS)
@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_a_folder_this_project_did_not_write_is_refused_before_any_work(
    tmp_path, capsys, model, kind, command
):
    folder = _user_folder(tmp_path, kind)
    if command == "evaluate" and kind == "report of evaluate":
        _report(folder, "train")  # evaluate's counterpart: a training report
        (folder / "manifest.json").write_text(
            json.dumps({"written_by": report.WRITER, "command": "train", "files": list(report.REPORT_FILES)})
        )
    before = _tree(folder)
    argv = QUICK if command == "train" else ["evaluate", str(model), "--source", "sample"]
    start = time.monotonic()
    assert main([*argv, "--out", str(folder)]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # nothing loaded, nothing trained
    line = _one_error(err)
    assert line.startswith(f"error: --out {folder}: ") and "not replacing" in line or "never replaced" in line
    assert time.monotonic() - start < 2
    assert _tree(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [kind]  # nothing beside it either


def test_the_working_folder_is_refused_as_dot_and_by_its_path(tmp_path, capsys, monkeypatch):
    (tmp_path / "mine.txt").write_text("x")
    monkeypatch.chdir(tmp_path)
    for out in (".", str(tmp_path), f"{tmp_path}/."):
        assert main([*QUICK, "--out", out]) == 2
        assert capsys.readouterr().out == ""
    assert sorted(os.listdir(tmp_path)) == ["mine.txt"]


@pytest.mark.slow  # three trainings, each writing its report's figures
def test_train_writes_into_a_new_path_or_an_empty_folder_and_replaces_its_own_report(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    for out in (tmp_path / "new" / "deeper", empty, empty):  # the third run replaces the second's
        assert main([*QUICK, "--out", str(out)]) == 0
        assert sorted(os.listdir(out)) == TRAIN_REPORT
    manifest = json.loads((empty / report.MANIFEST).read_text())
    assert manifest == {"written_by": report.WRITER, "command": "train", "files": list(report.REPORT_FILES)}
    assert sorted(os.listdir(tmp_path)) == ["empty", "new"]


def test_a_report_of_an_earlier_version_without_manifest_is_replaced(tmp_path, capsys):
    out = tmp_path / "latest"
    out.mkdir()
    for name in report.REPORT_FILES:
        (out / name).write_bytes(b"old")
    assert main([*QUICK, "--out", str(out)]) == 0
    assert sorted(os.listdir(out)) == TRAIN_REPORT and (out / "model.npz").read_bytes() != b"old"


def test_evaluate_writes_a_complete_report_of_its_own(tmp_path, capsys, model):
    out = tmp_path / "eval"
    for _ in range(2):  # the second run replaces the first
        assert main(["evaluate", str(model), "--source", "sample", "--out", str(out)]) == 0
        assert sorted(os.listdir(out)) == sorted([*report.EVALUATION_FILES, report.MANIFEST])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["examples"] == 1000 and sum(map(sum, metrics["test_confusion_matrix"])) == 1000
    assert json.loads((out / report.MANIFEST).read_text())["command"] == "evaluate"
    assert main([*QUICK, "--out", str(out)]) == 2  # a training never replaces it either
    assert "holds a report of 'evaluate'" in _one_error(capsys.readouterr().err)


def test_a_file_put_into_the_folder_during_training_is_kept_and_so_is_the_training(
    tmp_path, capsys, monkeypatch
):
    out = tmp_path / "latest"
    _report(out, "train")
    real = plots.plot_mistakes

    def meanwhile(*args, **kwargs):
        (out / "notes.txt").write_text("written while training ran")
        return real(*args, **kwargs)

    monkeypatch.setattr(plots, "plot_mistakes", meanwhile)
    assert main([*QUICK, "--out", str(out)]) == 1
    line = _one_error(capsys.readouterr().err)
    assert "notes.txt" in line and f"{out}.new" in line
    assert (out / "notes.txt").read_text() == "written while training ran"
    assert sorted(os.listdir(tmp_path / "latest.new")) == TRAIN_REPORT  # the training is not lost
    assert [p for p in os.listdir(tmp_path) if p.startswith(".")] == []


# --------------------------------------------------------------------------------------------
# Symbolic links and mount points: decided before training
# --------------------------------------------------------------------------------------------
def test_a_symlink_to_a_report_folder_is_followed_and_stays_a_link(tmp_path, capsys):
    target = tmp_path / "runs" / "today"
    _report(target, "train")
    link = tmp_path / "latest"
    link.symlink_to(target, target_is_directory=True)
    assert main([*QUICK, "--out", str(link)]) == 0
    assert f"report: {link} -> {target}" in capsys.readouterr().out
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert sorted(os.listdir(target)) == TRAIN_REPORT
    assert (target / "model.npz").read_bytes() != b"old model.npz"
    assert sorted(os.listdir(tmp_path)) == ["latest", "runs"] and os.listdir(tmp_path / "runs") == ["today"]


@pytest.mark.parametrize("kind", ["dangling", "to a file", "to a user's folder", "loop"])
def test_a_symlink_that_cannot_take_a_report_is_refused_up_front(tmp_path, capsys, kind):
    link = tmp_path / "latest"
    if kind == "dangling":
        link.symlink_to(tmp_path / "gone")
    elif kind == "to a file":
        (tmp_path / "f.txt").write_text("x")
        link.symlink_to(tmp_path / "f.txt")
    elif kind == "to a user's folder":
        _user_folder(tmp_path, "thesis")
        link.symlink_to(tmp_path / "thesis")
    else:
        link.symlink_to(link)
    before = _tree(tmp_path)
    assert main([*QUICK, "--out", str(link)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and f"--out {link}" in _one_error(err)
    assert _tree(tmp_path) == before


def test_a_mount_point_is_refused_up_front(tmp_path, capsys, monkeypatch):
    mount = tmp_path / "volume"
    mount.mkdir()
    monkeypatch.setattr(report, "_mount_points", lambda: {str(mount)})
    assert main([*QUICK, "--out", str(mount)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "a mount point" in _one_error(err) and f"{mount}/report" in err
    assert os.listdir(mount) == [] and sorted(os.listdir(tmp_path)) == ["volume"]


BWRAP = shutil.which("bwrap")


def _in_bwrap(tmp_path: Path, mount: Path, argv: list[str], size: int | None = None):
    """Run ``python -m helpers argv`` with a fresh tmpfs mounted at ``mount`` (a container volume)."""
    sized = ["--size", str(size)] if size else []
    cmd = [BWRAP, "--dev-bind", "/", "/", *sized, "--tmpfs", str(mount)]
    cmd += [sys.executable, "-m", "helpers", *argv]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)


@pytest.mark.skipif(BWRAP is None, reason="needs bubblewrap to make a real mount point")
def test_a_real_mount_point_is_refused_before_training(tmp_path):
    mount = tmp_path / "volume"
    mount.mkdir()
    run = _in_bwrap(tmp_path, mount, [*QUICK, "--out", str(mount)])
    assert run.returncode == 2 and run.stdout == "", run.stderr
    assert "a mount point" in _one_error(run.stderr)
    assert sorted(os.listdir(tmp_path)) == ["volume"]  # no hidden folder left beside it


@pytest.mark.skipif(BWRAP is None, reason="needs bubblewrap to make a small file system")
def test_a_full_disk_names_the_file_it_could_not_write(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    run = _in_bwrap(tmp_path, mount, [*QUICK, "--out", str(mount / "report")], size=60_000)
    assert run.returncode == 1, run.stderr
    line = _one_error(run.stderr)
    assert "No space left on device" in line and "Errno" not in line
    assert line.startswith(f"error: {mount}/report/") or line.startswith(f"error: --out {mount}/report"), line
