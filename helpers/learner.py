"""In a chapter: hints one at a time, a model answer on request, and which exercises pass.

Each chapter imports ``hint``, ``solution`` and ``progress`` from here in its second cell::

    hint("softmax")        # the next hint for the exercise softmax (2 or 3 each, a nudge first)
    solution("softmax")    # its model answer, once its check cell has run at least once
    progress("02_relu_and_softmax")   # which of the chapter's exercises pass (its last cell)

Importing this module in a learner's interactive session (IPython, ``NBGRADER_EXECUTION`` unset)
records every check cell's verdict as it runs, and a failing check ends with a pointer to the next
hint. In the learner's edition (a ``.course/`` folder beside the notebooks, written by
``python -m helpers editions build``) the hints, the model answers and the recorded verdicts
live in that folder, so ``make progress`` lists every chapter. Elsewhere (the instructor source,
a graded student release) there are no model answers, hints only when a ``hints.toml`` sits
beside the notebook, and verdicts are kept for the running kernel alone.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from pathlib import Path

COURSE_DIR = ".course"  #: the learner edition's own folder, beside its notebooks
HINTS_FILE = "hints.toml"
SOLUTIONS_FILE = "solutions.json"
PROGRESS_FILE = "progress.json"
#: A check cell starts with the call of its checker: ``check_softmax(softmax)``.
CHECK_CALL = re.compile(r"^\s*check_(\w+)\s*\(", re.M)

_shown: dict[str, int] = {}  # exercise -> hints shown in this kernel (and before, when recorded)
_results: dict[str, dict] = {}  # exercise -> {"checked": n, "passed": bool}, this kernel
_failed_now: set[str] = set()  # exercises whose check failed in the running cell


def course_dir(folder: str | Path | None = None) -> Path | None:
    """The ``.course`` folder beside the notebooks in ``folder`` (default: the kernel's folder)."""
    d = Path(folder or Path.cwd()) / COURSE_DIR
    return d if d.is_dir() else None


def load_hints(folder: str | Path | None = None) -> dict[str, list[str]]:
    """``{exercise: [hint, ...]}`` from ``.course/hints.toml``, else ``hints.toml``; {} if neither."""
    base = Path(folder or Path.cwd())
    for path in (base / COURSE_DIR / HINTS_FILE, base / HINTS_FILE):
        if path.is_file():
            table = tomllib.loads(path.read_text(encoding="utf-8"))
            return {name: list(entry["hints"]) for name, entry in table.items()}
    return {}


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def recorded_results(folder: str | Path | None = None) -> dict[str, dict]:
    """The verdicts recorded in ``.course/progress.json`` (updated by this kernel's)."""
    d = course_dir(folder)
    saved = _read_json(d / PROGRESS_FILE).get("exercises", {}) if d else {}
    return {**saved, **_results} if folder is None else saved


def hints_shown(name: str) -> int:
    """How many of exercise ``name``'s hints have been shown (in this kernel, or recorded before it)."""
    return max(_shown.get(name, 0), int(recorded_results().get(name, {}).get("hints", 0)))


def _record(name: str, passed: bool | None = None, solution_shown: bool = False, hints: int = 0) -> None:
    entry = {**recorded_results().get(name, {"checked": 0, "passed": False})}
    if passed is not None:
        entry["checked"] = int(entry.get("checked", 0)) + 1
        entry["passed"] = passed
    if solution_shown:
        entry["solution_shown"] = True
    if hints:
        entry["hints"] = hints
    _results[name] = entry
    d = course_dir()
    if d is not None:
        from helpers.atomic import write_text

        data = _read_json(d / PROGRESS_FILE)
        data.setdefault("exercises", {})[name] = entry
        try:
            write_text(d / PROGRESS_FILE, json.dumps(data, indent=1, sort_keys=True) + "\n")
        except OSError as exc:  # a read-only copy: the kernel still knows
            print(f"(progress not saved: {exc})")


def _entry(table: dict, name: str, what: str):
    """``table[name]``; else None, after saying that the copy has no ``what`` or no such exercise."""
    if not table:
        print(f"This copy of the course has no {what} (the learner's edition, `make lab`, has them).")
        return None
    if name not in table:
        close = difflib.get_close_matches(name, list(table), n=1)
        tip = f" Did you mean {close[0]!r}?" if close else ""
        print(f"No exercise is called {name!r}.{tip} The exercises: {', '.join(sorted(table))}.")
        return None
    return table[name]


def hint(name: str) -> None:
    """Print the next hint for exercise ``name``; once all are shown, print them all again."""
    items = _entry(load_hints(), name, "hints")
    if items is None:
        return
    k = hints_shown(name)
    if k >= len(items):
        for i, text in enumerate(items, 1):
            print(f"Hint {i} of {len(items)} for {name}: {text}")
        print(f'Those are all the hints. After running the check, solution("{name}") shows a model answer.')
        return
    _shown[name] = k + 1
    _record(name, hints=k + 1)
    print(f"Hint {k + 1} of {len(items)} for {name}: {items[k]}")
    if k + 1 < len(items):
        print(f'(Run hint("{name}") again for the next one.)')
    else:
        print(
            f'(That was the last one. Still stuck? After running the check, solution("{name}") '
            "shows a model answer.)"
        )


def solution(name: str) -> None:
    """Show exercise ``name``'s model answer, once its check cell has run at least once."""
    d = course_dir()
    answer = _entry(_read_json(d / SOLUTIONS_FILE) if d else {}, name, "model answers")
    if answer is None:
        return
    if not recorded_results().get(name, {}).get("checked"):
        print(
            f"Run the check cell of {name} first, at least once: write your attempt, run it and its "
            f'check. Then solution("{name}") shows the model answer (hint("{name}") gives hints first).'
        )
        return
    _record(name, solution_shown=True)
    print(f"A model answer for {name} (yours may differ and be right: the check decides):\n")
    try:
        from IPython.display import Code, display

        display(Code(answer, language="python"))
    except ImportError:
        print(answer)


def chapter_exercises(notebook: str | Path) -> list[str]:
    """The exercises of a notebook: the grade ids of its nbgrader solution cells, in order."""
    nb = _read_json(Path(notebook))
    out = []
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell.get("cell_type") == "code" and meta.get("grade_id"):
            out.append(meta["grade_id"])
    return out


def tally(passed: int, total: int) -> str:
    """The count in words: "3 of 4 exercises pass", "0 of 1 exercise passes"."""
    return f"{passed} of {total} " + ("exercise passes" if total == 1 else "exercises pass")


def status_lines(exercises: list[str], results: dict[str, dict]) -> tuple[int, list[str]]:
    """(number passed, one line per exercise: ✓ passed / ✗ not passed yet / · not checked yet)."""
    lines, passed = [], 0
    width = max((len(e) for e in exercises), default=0)
    for name in exercises:
        r = results.get(name, {})
        used = f"{r['hints']} hint{'s' if r['hints'] != 1 else ''}" if r.get("hints") else ""
        extra = ", ".join(x for x in (used, "model answer shown" if r.get("solution_shown") else "") if x)
        extra = f" ({extra})" if extra else ""
        if r.get("passed"):
            passed += 1
            lines.append(f"  ✓ {name:<{width}}  passed{extra}")
        elif r.get("checked"):
            times = "once" if r["checked"] == 1 else f"{r['checked']} times"
            lines.append(f"  ✗ {name:<{width}}  not passed yet (checked {times}){extra}")
        else:
            lines.append(f"  · {name:<{width}}  not checked yet")
    return passed, lines


def progress(chapter: str) -> None:
    """Print which exercises of ``chapter`` (a notebook's name, e.g. "02_relu_and_softmax") pass."""
    stem = chapter[: -len(".ipynb")] if chapter.endswith(".ipynb") else chapter
    exercises = chapter_exercises(Path.cwd() / f"{stem}.ipynb")
    results = recorded_results()
    if not exercises:  # a renamed copy: what this kernel has checked
        exercises = sorted(_results)
    passed, lines = status_lines(exercises, results)
    print(f"Chapter {stem}: {tally(passed, len(exercises))}")
    print("\n".join(lines))
    if passed < len(exercises):
        print("Run an exercise's cell and its check again after a fix; hint(name) helps when stuck.")


# -- the hooks: every check cell's verdict, and a pointer to the next hint ----------------------
def _on_check_failed(shell, etype, value, tb, tb_offset=None) -> None:
    """CheckFailed in a learner's session: the checks' own handling, then where the next hint is."""
    from helpers.checks.core import _show_and_continue

    _failed_now.add(value.name)
    _show_and_continue(shell, etype, value, tb, tb_offset)
    items = load_hints().get(value.name, [])
    k = hints_shown(value.name)
    if k < len(items):
        print(f'Stuck? hint("{value.name}") shows hint {k + 1} of {len(items)}.')
    elif items:
        print(f'All hints shown; solution("{value.name}") shows a model answer.')


def _pre_run_cell(info) -> None:  # IPython's pre_run_cell event passes the cell's info
    _failed_now.clear()


def _post_run_cell(result) -> None:
    """After a check cell: record whether its exercise passed."""
    raw = getattr(result.info, "raw_cell", "") or ""
    match = CHECK_CALL.search(raw.split("### BEGIN HIDDEN TESTS")[0])
    if match is None:
        return
    name = match.group(1)
    _record(name, passed=result.error_in_exec is None and name not in _failed_now)


def install() -> bool:
    """Register the hooks in the learner's interactive IPython session (once); False elsewhere."""
    from helpers.checks.core import CheckFailed, _interactive_shell

    shell = _interactive_shell()
    if shell is None:
        return False
    shell.set_custom_exc((CheckFailed,), _on_check_failed)
    events = shell.events
    if _post_run_cell not in events.callbacks["post_run_cell"]:
        events.register("pre_run_cell", _pre_run_cell)
        events.register("post_run_cell", _post_run_cell)
    return True


install()
