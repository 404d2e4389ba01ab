"""End-to-end tests of ``python -m helpers`` on the offline sample, in temporary folders."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import RECIPES, fast
from helpers.cli import build_parser, confusion_table, main, training_plan
from helpers.data import load_mnist
from helpers.images import image_to_column
from helpers.models import load_params, save_params
from helpers.nn import evaluate, predict_proba

FIGURES = ("training_curves.png", "confusion_matrix.png", "mistakes.png", "weights.png")
PNG = b"\x89PNG\r\n\x1a\n"


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got: {err!r}"
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """One short training run on the sample (30 full-batch iterations), shared by the tests."""
    out = tmp_path_factory.mktemp("report") / "run"
    code = main(["train", "--source", "sample", "--iterations", "30", "--out", str(out), "--no-progress"])
    assert code == 0
    return out


def test_train_writes_the_report(report, capsys):
    names = {p.name for p in report.iterdir()}
    assert names == {"model.npz", "metrics.json", "history.json", "manifest.json", *FIGURES}  # nothing else
    for name in FIGURES:
        assert (report / name).read_bytes()[:8] == PNG
    metrics = json.loads((report / "metrics.json").read_text())
    history = json.loads((report / "history.json").read_text())
    assert metrics["data_kind"] == "sample" and metrics["method"] == "gradient_descent"
    assert metrics["settings"]["iterations"] == 30 and metrics["settings"]["n_hidden"] == 10
    assert metrics["examples"] == {"train": 3500, "dev": 500, "test": 1000}
    assert history["step"] == list(range(1, 31)) and len(history["dev_accuracy"]) == 3
    # The saved model reproduces the reported test accuracy, computed independently.
    params = load_params(report / "model.npz")
    data = load_mnist(source="sample")
    loss, acc = evaluate(params, data.X_test, data.y_test)
    assert metrics["test_accuracy"] == pytest.approx(acc)
    assert metrics["test_loss"] == pytest.approx(loss, rel=1e-5)
    cm = np.array(metrics["test_confusion_matrix"])
    assert cm.sum() == 1000 and np.trace(cm) == round(acc * 1000)
    assert metrics["test_accuracy"] > 0.3  # 30 steps learn something (chance is 0.1)


def test_evaluate_prints_accuracy_and_table(report, tmp_path, capsys):
    code = main(["evaluate", str(report / "model.npz"), "--source", "sample", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    acc = json.loads((report / "metrics.json").read_text())["test_accuracy"]
    assert f"test accuracy {acc:.2%}" in out
    table = out.split("predicted digit)\n")[1].split("\n\n")[0].splitlines()
    assert table[0].split()[1:] == [str(d) for d in range(10)]
    counts = np.array([[int(v) for v in row.split()[1:]] for row in table[1:]])
    assert counts.shape == (10, 10) and counts.sum() == 1000
    assert round(np.trace(counts) / 1000, 4) == round(acc, 4)
    assert "accuracy per digit" in out and "most confused" in out
    assert (tmp_path / "confusion_matrix.png").read_bytes()[:8] == PNG


def test_confusion_table_layout():
    cm = np.arange(100).reshape(10, 10)
    rows = confusion_table(cm).splitlines()
    assert len(rows) == 11
    assert [int(v) for v in rows[4].split()] == [3, *cm[3]]


def _digit_png(x: np.ndarray, path: Path) -> Path:
    """An MNIST column drawn as a 280x280 dark-on-light picture."""
    img = Image.fromarray((255 - x.reshape(28, 28) * 255).astype(np.uint8)).resize((280, 280))
    img.save(path)
    return path


def test_predict_prints_label_and_probabilities(report, tmp_path, capsys):
    data = load_mnist(source="sample")
    paths = [_digit_png(data.X_test[:, j], tmp_path / f"digit{j}.png") for j in range(3)]
    code = main(["predict", str(report / "model.npz"), *map(str, paths)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and len(lines) == 3
    params = load_params(report / "model.npz")
    for path, line in zip(paths, lines):
        pattern = rf"{re.escape(str(path))}: (\d) \(p=(\d\.\d\d)\)( \(unsure\))?  ((?:\d:\d\.\d\d ?){{10}})"
        m = re.fullmatch(pattern, line)
        assert m, line
        p = predict_proba(params, image_to_column(path))[:, 0]
        assert int(m[1]) == p.argmax() and float(m[2]) == pytest.approx(p.max(), abs=0.006)
        assert bool(m[3]) == (p.max() < 0.5)
        shown = [float(item.split(":")[1]) for item in m[4].split()]
        np.testing.assert_allclose(shown, p, atol=0.006)


def test_predict_marks_an_unsure_answer(tmp_path, capsys):
    """A network that cannot tell the digits apart (all weights 0: p = 0.10 each) says so."""
    zeros = (np.zeros((10, 784)), np.zeros((10, 1)), np.zeros((10, 10)), np.zeros((10, 1)))
    model = save_params(tmp_path / "flat.npz", zeros)
    picture = _digit_png(load_mnist(source="sample").X_test[:, 0], tmp_path / "digit.png")
    assert main(["predict", str(model), str(picture)]) == 0
    assert "(p=0.10) (unsure)" in capsys.readouterr().out


def test_predict_reports_a_bad_image_and_goes_on(report, tmp_path, capsys):
    good = _digit_png(load_mnist(source="sample").X_test[:, 0], tmp_path / "good.png")
    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50), 255).save(blank)
    code = main(["predict", str(report / "model.npz"), str(blank), str(good)])
    captured = capsys.readouterr()
    assert code == 1
    assert "blank.png" in _one_error_line(captured.err)
    assert captured.out.startswith(f"{good}: ")


@pytest.mark.parametrize(
    "name",
    [
        "x.png\nforged.png: 7 (p=1.00)  0:0.00 1:0.00.png",  # a newline starts a line of its own
        "x\r3.png",  # a carriage return overwrites the line on a terminal
        "x\x1b[2K.png",  # an escape sequence erases it
        "x\u2028y.png",  # a Unicode line separator
    ],
)
def test_a_picture_name_cannot_forge_a_result_line(report, tmp_path, capsys, name):
    path = _digit_png(load_mnist(source="sample").X_test[:, 0], tmp_path / name)
    assert main(["predict", str(report / "model.npz"), str(path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 1 and len(out.split("\n")) == 2, out  # exactly one line, and it ends
    assert not any(c in out for c in "\r\x1b\u2028")
    assert lines[0].startswith(repr(str(path)) + ": ")  # quoted and escaped: unambiguous
    bad = tmp_path / (name + ".txt")
    bad.write_text("not a picture")
    assert main(["predict", str(report / "model.npz"), str(bad)]) == 1
    err = capsys.readouterr().err
    assert len(err.split("\n")) == 2 and not any(c in err for c in "\r\x1b\u2028"), err


@pytest.mark.parametrize(
    "error, words",
    [
        (MemoryError("Unable to allocate 922. MiB for an array"), "error: out of memory: Unable to allocate"),
        (RecursionError("maximum recursion depth exceeded"), "error: maximum recursion depth exceeded"),
        (NotImplementedError("cannot decode DDS"), "error: cannot decode DDS"),
        (AttributeError("'NoneType' has no 'shape'"), "error: AttributeError: 'NoneType' has no 'shape'"),
        (KeyError("W1"), "error: 'W1'"),
        (TypeError(), "error: TypeError"),
        (
            OSError(28, "No space left on device", "r/model.npz"),
            "error: r/model.npz: No space left on device",
        ),
    ],
)
@pytest.mark.parametrize("command", ["train", "evaluate", "predict", "download"])
def test_every_command_raises_to_the_one_error_line(tmp_path, capsys, monkeypatch, error, words, command):
    """Whatever a command raises, the command line prints one line (never a traceback), exit 1."""
    import helpers.commands as commands

    def fail(*args, **kwargs):
        raise error

    target = {"train": "check_train_args", "evaluate": "checked_out", "download": "_log"}
    if command in ("predict", "evaluate"):
        monkeypatch.setattr(commands, "load_params", fail)
    else:
        monkeypatch.setattr(commands, target[command], fail)
    mirror = tmp_path / "m"
    mirror.mkdir()
    argv = {
        "train": ["train", "--source", "sample"],
        "evaluate": ["evaluate", "model.npz"],
        "predict": ["predict", "model.npz", "x.png"],
        "download": ["download", "--mirror", str(mirror), "--data-dir", str(tmp_path / "d")],
    }[command]
    assert main(argv) == 1
    assert _one_error_line(capsys.readouterr().err).startswith(words)


@pytest.mark.parametrize("out", [".", "afile", "..", ""])
@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_an_out_refused_up_front_exits_2_for_every_command(tmp_path, capsys, monkeypatch, out, command):
    """One rule: an --out refused before any work is a bad argument (exit 2, one line)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    argv = ["train", "--source", "sample"] if command == "train" else ["evaluate", "missing.npz"]
    assert main([*argv, "--out", out]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "--out" in _one_error_line(captured.err)
    assert sorted(os.listdir(tmp_path)) == ["afile"] and (tmp_path / "afile").read_text() == "x"


def test_subprocess_minibatch_training(tmp_path):
    cmd = [sys.executable, "-m", "helpers", "train", "--source", "sample", "--epochs", "2"]
    cmd += ["--batch-size", "64", "--out", "tmp", "--no-progress"]
    run = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert "data: sample" in run.stdout and "report: tmp" in run.stdout
    assert re.search(r"test accuracy\s+\d+\.\d\d%", run.stdout)
    metrics = json.loads((tmp_path / "tmp" / "metrics.json").read_text())
    assert metrics["method"] == "train"
    assert metrics["settings"]["epochs"] == 2 and metrics["settings"]["batch_size"] == 64
    assert len(json.loads((tmp_path / "tmp" / "history.json").read_text())["step"]) == 2
    assert load_params(tmp_path / "tmp" / "model.npz")[0].shape == (10, 784)


def test_subprocess_error_has_no_traceback(tmp_path):
    cmd = [sys.executable, "-m", "helpers", "evaluate", "missing.npz"]
    run = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "missing.npz" in _one_error_line(run.stderr)


def _plan(*argv):
    return training_plan(build_parser().parse_args(["train", *argv]))


def test_training_plan_recipes_and_overrides():
    plan = _plan()
    assert plan.train is fast.gradient_descent and plan["iterations"] == 500 and plan["scheme"] == "notes"
    plan = _plan("--iterations", "7", "--alpha", "0.5", "--hidden", "16", "--seed", "3")
    assert (plan.train, plan["iterations"], plan["alpha"], plan["n_hidden"], plan["seed"]) == (
        fast.gradient_descent,
        7,
        0.5,
        16,
        3,
    )
    plan = _plan("--epochs", "3")  # the notes' network on mini-batches
    assert plan.train is fast.train
    assert plan == {"n_hidden": 10, "alpha": 0.1, "epochs": 3, "batch_size": 64, "seed": 0}
    plan = _plan("--recipe", "wide", "--batch-size", "32")
    wide = RECIPES["wide"]
    assert plan.train is fast.train
    assert plan["n_hidden"] == wide["n_hidden"] and plan["epochs"] == wide["epochs"]
    assert plan["batch_size"] == 32  # the flag overrides the recipe
    assert wide["batch_size"] == 256  # and leaves the recipe itself as it was


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["train", "--recipe", "fast", "--iterations", "5"], "--iterations"),
        (["train", "--recipe", "nope"], "invalid choice"),
        (["train", "--epochs", "0"], "--epochs must be positive"),
        (["train", "--alpha", "-1"], "--alpha"),
        (["train", "--iterations", "3", "--epochs", "2"], "not allowed with"),
        (["train", "--hidden", "ten"], "invalid int"),
        (["predict", "model.npz"], "required"),
        ([], "required"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, needle, capsys):
    assert main(argv) == 2
    assert needle in _one_error_line(capsys.readouterr().err)


def test_missing_and_corrupt_model(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "none.npz"), "--source", "sample"]) == 1
    assert "none.npz" in _one_error_line(capsys.readouterr().err)
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"PK\x03\x04 this is not a zip archive")
    assert main(["predict", str(corrupt), "x.png"]) == 1
    assert "corrupt.npz" in _one_error_line(capsys.readouterr().err)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, W1=np.zeros((3, 4)))
    assert main(["evaluate", str(wrong)]) == 1
    assert "wrong.npz" in _one_error_line(capsys.readouterr().err)


def test_full_source_without_files(tmp_path, capsys):
    code = main(["train", "--source", "full", "--data-dir", str(tmp_path), "--out", str(tmp_path / "r")])
    assert code == 1
    assert "full MNIST is not in" in _one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "r").exists()


def test_download_failure_is_one_line(tmp_path, capsys):
    empty = tmp_path / "empty_mirror"
    empty.mkdir()
    code = main(["download", "--mirror", str(empty), "--data-dir", str(tmp_path / "data"), "--no-progress"])
    assert code == 1
    assert "empty_mirror" in _one_error_line(capsys.readouterr().err)


def test_train_download_falls_back_to_the_sample(tmp_path, capsys):
    empty = tmp_path / "empty_mirror"
    empty.mkdir()
    argv = ["train", "--download", "--mirror", str(empty), "--data-dir", str(tmp_path / "data")]
    argv += ["--iterations", "3", "--out", str(tmp_path / "r"), "--no-progress"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    notice = [line for line in captured.err.splitlines() if line.startswith("notice:")]
    assert len(notice) == 1 and "sample" in notice[0]
    assert "data: sample" in captured.out
    assert (tmp_path / "r" / "model.npz").is_file()


def test_help_has_examples(capsys):
    assert main(["--help"]) == 0
    assert "examples:" in capsys.readouterr().out
    for command in ("download", "train", "evaluate", "predict"):
        assert main([command, "--help"]) == 0
        assert f"python -m helpers {command}" in capsys.readouterr().out
