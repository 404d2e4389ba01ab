"""A chapter of the learner's edition run in a real kernel, outside the checkout: it finds its data,
a failing check points to the next hint, the verdicts are recorded, the last cell shows progress.
Also: where the data are found from any folder, and the widgets' still pictures saying that the
cells above must run first."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from helpers import editions, learner
from helpers.edition_files import build_learner

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "00_data_and_one_hot.ipynb"


def _run(path: Path) -> nbformat.NotebookNode:
    """Run the notebook in a kernel started in its folder, as JupyterLab does."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    return nb


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []))


def _by_tag(nb, tag):
    return next(c for c in nb.cells if tag in c.metadata.get("tags", []))


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """The learner's edition of chapter 0, built and then copied away from the checkout."""
    built = tmp_path_factory.mktemp("built")
    src = built / "notebooks"
    src.mkdir()
    for name in (CHAPTER, "hints.toml"):
        (src / name).write_bytes((ROOT / "notebooks" / name).read_bytes())
    build_learner(src, built / "learn")
    away = tmp_path_factory.mktemp("elsewhere") / "my-course"
    shutil.copytree(built / "learn", away)
    return away


def test_unsolved_chapter_runs_points_to_hints_and_shows_progress(edition):
    nb = _run(edition / CHAPTER)
    assert _text(_by_tag(nb, "learner-tools")).startswith("Data: "), "the chapter says which data it uses"
    checks = [c for c in nb.cells if c.source.startswith("check_")]
    assert len(checks) == 2
    for cell, name in zip(checks, ("scale_pixels", "one_hot")):
        out = _text(cell)
        assert f"✗ {name}: not implemented yet" in out
        assert f'Stuck? hint("{name}") shows hint 1 of 3.' in out
    progress = _text(_by_tag(nb, "progress"))
    assert progress.startswith("Chapter 00_data_and_one_hot: 0 of 2 exercises pass")
    assert "✗ scale_pixels  not passed yet (checked once)" in progress
    saved = json.loads((edition / ".course" / "progress.json").read_text())["exercises"]
    assert saved["scale_pixels"] == {"checked": 1, "passed": False}


def test_a_solved_exercise_is_recorded_as_passing(edition):
    path = edition / CHAPTER
    nb = nbformat.read(path, as_version=4)
    answers = json.loads((edition / ".course" / learner.SOLUTIONS_FILE).read_text())
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "scale_pixels":
            cell.source = answers["scale_pixels"]
    nbformat.write(nb, path)
    nb = _run(path)
    progress = _text(_by_tag(nb, "progress"))
    assert progress.startswith("Chapter 00_data_and_one_hot: 1 of 2 exercises pass")
    assert "✓ scale_pixels  passed" in progress and "✗ one_hot" in progress
    assert editions.exercises(nb) == ["scale_pixels", "one_hot"]


def test_a_widgets_still_picture_says_the_cells_above_must_run_first():
    import matplotlib.pyplot as plt

    from helpers.widgets._static import STILL_NOTICE, with_picture

    fig = plt.figure()
    data, _ = with_picture({"text/plain": "a widget"}, fig)
    assert data["image/png"].startswith(b"\x89PNG")
    assert [t.get_text() for t in fig.texts] == [STILL_NOTICE]
    assert "run the cells above" in STILL_NOTICE
    plt.close(fig)


def test_the_data_are_found_the_same_way_from_any_folder(tmp_path, monkeypatch):
    """$MNIST_DATA_DIR, else the checkout's data/, else the per-user cache; load_mnist's default."""
    from helpers import data, paths

    monkeypatch.chdir(tmp_path)  # a folder that has no data/ and no ../data
    monkeypatch.delenv(paths.DATA_ENV, raising=False)
    assert paths.data_dir() == ROOT / "data"
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path / "mine"))
    assert paths.data_dir() == tmp_path / "mine"
    assert f"full MNIST is not in {tmp_path / 'mine'}, named by $MNIST_DATA_DIR" in paths.describe_data()
    monkeypatch.delenv(paths.DATA_ENV)
    monkeypatch.setattr(paths, "checkout_root", lambda: None)  # an installed package
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert paths.data_dir() == tmp_path / "cache" / "nn-from-scratch" / "mnist"
    assert "the per-user cache" in paths.describe_data()
    seen = []
    monkeypatch.setattr(data, "find_idx", lambda folder, name: seen.append(Path(folder)))
    monkeypatch.setattr(data, "load_sample", lambda: (_ for _ in ()).throw(RuntimeError("sample")))
    with pytest.raises(RuntimeError, match="sample"):
        data.load_mnist()
    assert seen and seen[0] == paths.data_dir(), "load_mnist() must look where helpers.paths says"
