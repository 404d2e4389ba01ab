"""Building the editions on disk without ever overwriting what a learner changed.

:func:`build_learner` writes the learner's edition (``learn/``), :func:`build_web` the web edition
(``web/``). The learner's folder keeps a manifest, ``.course/manifest.json``: the SHA-256 of every
file as it was built, and of each notebook cell. On a rebuild (``make lab`` again, after a
``git pull``) each file is

- written when it is missing;
- replaced when the learner has not changed it (its hash is the manifest's) and the course has;
- left alone when the learner changed it: if the course's version changed too, that version is
  written beside it as ``NAME.new.ipynb`` and a one-line notice says so and what changed.

The learner's progress (``.course/progress.json``) is never touched. When nothing the build
reads has changed since the last one (same source, results, code and nbgrader) and every file it
wrote is there, a rebuild does nothing (and does not even load nbgrader).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from helpers import editions, learner
from helpers.atomic import atomic_write, write_text

MANIFEST = "manifest.json"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def notebook_bytes(nb: nbformat.NotebookNode) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = nbformat.writes(nb, version=4)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def _cell_hashes(nb: nbformat.NotebookNode) -> list[str]:
    return [_sha(f"{c.cell_type}\n{c.source}".encode()) for c in nb.cells]


def _headings(nb: nbformat.NotebookNode) -> list[str]:
    """For each cell, the nearest markdown heading at or above it."""
    out, current = [], ""
    for c in nb.cells:
        if c.cell_type == "markdown":
            for line in c.source.splitlines():
                if line.startswith("#"):
                    current = line.lstrip("#").strip()
                    break
        out.append(current)
    return out


def what_changed(old: list[str], nb: nbformat.NotebookNode) -> str:
    """In words: how the cells of ``nb`` differ from the cell hashes ``old`` (a former build)."""
    import difflib

    new = _cell_hashes(nb)
    heads = _headings(nb)
    changed = added = removed = 0
    where: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        common = min(i2 - i1, j2 - j1)
        changed += common
        added += (j2 - j1) - common
        removed += (i2 - i1) - common
        for j in range(j1, max(j2, j1 + 1)):
            h = heads[min(j, len(heads) - 1)] if heads else ""
            if h and h not in where:
                where.append(h)
    parts = [
        f"{n} cell{'s' if n != 1 else ''} {w}"
        for n, w in ((changed, "changed"), (added, "added"), (removed, "removed"))
        if n
    ]
    text = ", ".join(parts) or "no cell changed"
    return text + (f" (in: {'; '.join(where[:3])})" if where else "")


@dataclass
class BuildReport:
    """What a build did: files written, left alone, and the notices to show."""

    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    up_to_date: bool = False  #: nothing in the course changed since the last build


def _beside(out: Path, rel: str, manifest: dict) -> str:
    """``NAME.new.EXT`` next to ``rel``, or ``NAME.new-2.EXT``... when the learner changed that one too."""
    path = Path(rel)
    for n in range(1, 1000):
        name = str(path.with_name(f"{path.stem}.new{'' if n == 1 else f'-{n}'}{path.suffix}"))
        target, entry = out / name, manifest["files"].get(name)
        if not target.exists() or (entry and _sha(target.read_bytes()) == entry["sha256"]):
            return name
    raise FileExistsError(f"{out / rel}: too many newer versions beside it; remove some")


def _load_manifest(course: Path) -> dict:
    try:
        return json.loads((course / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"files": {}}


def _place(out: Path, rel: str, data: bytes, manifest: dict, report: BuildReport, nb=None) -> None:
    """Write ``data`` as ``out/rel`` unless the learner changed that file (see the module)."""
    target = out / rel
    entry = manifest["files"].get(rel)
    new_entry = {"sha256": _sha(data), **({"cells": _cell_hashes(nb)} if nb is not None else {})}
    if not target.exists() or target.read_bytes() == data:
        if not target.exists():
            with atomic_write(target) as f:
                f.write(data)
            report.written.append(target)
        manifest["files"][rel] = new_entry
        return
    current = _sha(target.read_bytes())
    if entry is not None and current == entry["sha256"]:  # untouched by the learner: update it
        with atomic_write(target) as f:
            f.write(data)
        report.written.append(target)
        change = what_changed(entry.get("cells", []), nb) if nb is not None else "a new version"
        report.notices.append(f"updated {rel}: {change}")
        manifest["files"][rel] = new_entry
        return
    report.kept.append(target)
    if entry is not None and entry["sha256"] == new_entry["sha256"]:
        return  # the learner's changes, and nothing new from the course
    beside = _beside(out, rel, manifest)
    change = what_changed(entry.get("cells", []), nb) if (nb is not None and entry) else "a new version"
    notice = f"{rel}: your copy is kept; the course's new version is beside it, {beside}: {change}"
    if nb is not None:  # the notice also opens the new version, where the learner will look
        data = notebook_bytes(editions.with_notice(nb, notice))
    with atomic_write(out / beside) as f:
        f.write(data)
    report.written.append(out / beside)
    report.notices.append(notice)
    manifest["files"][rel] = new_entry
    manifest["files"][beside] = {"sha256": _sha(data)}


def _inputs_digest(source: Path) -> str:
    """One hash of everything a build reads: the source folder, the benchmark results, the code
    that makes the editions and nbgrader's version. The same digest means the same edition."""
    from importlib.metadata import version

    h = hashlib.sha256(version("nbgrader").encode())
    here = Path(__file__).resolve().parent
    code = [here / "editions.py", here / "edition_files.py", here / "assignments" / "student_versions.py"]
    results = source.parent / "benchmarks" / "results"
    files = sorted(p for p in source.iterdir() if p.is_file()) + code
    files += sorted(p for p in results.iterdir() if p.is_file()) if results.is_dir() else []
    for p in files:
        h.update(f"{p.name}\0{len(p.read_bytes())}\0".encode() + p.read_bytes())
    return h.hexdigest()


def _up_to_date(out: Path, manifest: dict, digest: str) -> bool:
    """True when the last build read the same inputs and every file it wrote is still there."""
    names = [*manifest.get("files", {}), f"{learner.COURSE_DIR}/{learner.SOLUTIONS_FILE}"]
    return manifest.get("inputs") == digest and all((out / n).exists() for n in names)


def build_learner(source: Path, out: Path) -> BuildReport:
    """Build (or update) the learner's edition of every ``source/*.ipynb`` in ``out``."""
    from helpers.assignments._io import read_notebook, require_nbgrader
    from helpers.assignments.student_versions import course_notebooks, referenced_files

    source, out = Path(source), Path(out)
    notebooks = course_notebooks(source)  # before anything is written: a missing folder is one line
    course = out / learner.COURSE_DIR
    manifest = _load_manifest(course)
    manifest.setdefault("files", {})
    report = BuildReport()
    digest = _inputs_digest(source)
    if _up_to_date(out, manifest, digest):  # `make lab` again: nothing to do, and no nbgrader to load
        report.up_to_date = True
        return report
    require_nbgrader()
    course.mkdir(parents=True, exist_ok=True)
    answers: dict[str, str] = {}
    for path in notebooks:
        nb = read_notebook(path)
        answers.update(editions.solutions(nb))
        built = editions.learner_notebook(nb, path.name)
        _place(out, path.name, notebook_bytes(built), manifest, report, nb=built)
        files = referenced_files(nb, source) + [source.parent / rel for rel in editions.shipped_files(nb)]
        for f in files:
            if not f.is_file():
                raise FileNotFoundError(f"{f}: {path.name} reads it, and it is missing")
            _place(out, f.name, f.read_bytes(), manifest, report)
    write_text(course / learner.SOLUTIONS_FILE, json.dumps(answers, indent=1, sort_keys=True) + "\n")
    hints = source / learner.HINTS_FILE
    if hints.is_file():
        shutil.copyfile(hints, course / learner.HINTS_FILE)
    manifest["inputs"] = digest
    write_text(course / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return report


def build_web(source: Path, out: Path) -> list[Path]:
    """Build the web edition of every ``source/*.ipynb`` in ``out`` (nobody edits it: replaced)."""
    from helpers.assignments._io import read_notebook
    from helpers.assignments.student_versions import course_notebooks, referenced_files

    written = []
    for path in course_notebooks(source):
        nb = read_notebook(path)
        with atomic_write(Path(out) / path.name) as f:
            f.write(notebook_bytes(editions.web_notebook(nb)))
        written.append(Path(out) / path.name)
        for extra in referenced_files(nb, source):
            with atomic_write(Path(out) / extra.name) as f:
                f.write(extra.read_bytes())
    return written


def progress_report(folder: Path) -> tuple[int, int, list[str]]:
    """(passed, total, lines): every chapter's status in the learner's edition ``folder``."""
    results = learner.recorded_results(folder)
    lines, passed_all, total = [], 0, 0
    for path in sorted(Path(folder).glob("*.ipynb")):
        if path.name.endswith(".new.ipynb"):
            continue
        names = learner.chapter_exercises(path)
        if not names:
            continue
        passed, rows = learner.status_lines(names, results)
        passed_all, total = passed_all + passed, total + len(names)
        mark = "✓" if passed == len(names) else " "
        lines.append(f"{mark} {path.stem}: {learner.tally(passed, len(names))}")
        lines.extend(rows)
    return passed_all, total, lines
