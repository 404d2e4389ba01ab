"""What the class gets wrong: per exercise, the pass rate, the median score and the commonest failures.

For the instructor only (the failing messages include hidden tests' ones). Messages that differ
only in their decimal numbers ("the loss is 21.96, expected 4.392" and "... 19.3, expected 3.86")
count as one, shown by its commonest wording; each student counts once per message.
"""

from __future__ import annotations

import io
import os
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from helpers.assignments.grade import SubmissionResult
from helpers.atomic import atomic_write

#: Decimal numbers (with a point or an exponent): what varies between two students' same mistake.
_DECIMAL = re.compile(r"-?\d+\.\d*(?:e[-+]?\d+)?|-?\d+e[-+]?\d+", re.I)
# Okabe-Ito blue, vermillion, grey: distinct with any colour vision; the bars are also hatched.
_COLOURS = {"passed": "#0072b2", "failed": "#d55e00", "other": "#999999"}
_HATCH = {"passed": "", "failed": "//", "other": ".."}


@dataclass
class ExerciseStats:
    """One exercise over the class: ``mistakes`` are ``(message, students)``, commonest first."""

    notebook: str
    grade_id: str
    max_points: float
    submissions: int = 0
    passed: int = 0
    failed: int = 0
    other: int = 0  # not run, manual, awaiting a grader
    scores: list[float] = field(default_factory=list)
    mistakes: list[tuple[str, int]] = field(default_factory=list)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.submissions if self.submissions else 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.scores) if self.scores else 0.0


def _key(message: str) -> str:
    return _DECIMAL.sub("…", " ".join(message.split()))


def exercise_stats(results: list[SubmissionResult], top: int = 3) -> list[ExerciseStats]:
    """One :class:`ExerciseStats` per (notebook, exercise), in notebook then cell order."""
    stats: dict[tuple[str, str], ExerciseStats] = {}
    wording: dict[tuple[str, str], dict[str, Counter]] = {}
    for r in results:
        if not r.notebook or not r.exercises:
            continue
        for e in r.exercises:
            k = (r.notebook, e.grade_id)
            s = stats.setdefault(k, ExerciseStats(r.notebook, e.grade_id, e.max_points))
            s.submissions += 1
            s.scores.append(e.points)
            kind = e.status if e.status in ("passed", "failed") else "other"
            setattr(s, kind, getattr(s, kind) + 1)
            if e.status == "failed" and e.message:
                wording.setdefault(k, {}).setdefault(_key(e.message), Counter())[e.message] += 1
    for k, s in stats.items():
        groups = wording.get(k, {})
        ranked = sorted(groups.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        s.mistakes = [(c.most_common(1)[0][0], sum(c.values())) for _, c in ranked[:top]]
    return sorted(stats.values(), key=lambda s: s.notebook)  # stable: cell order within a notebook


def _cell(text: str) -> str:
    from helpers.assignments.report import _cell

    return _cell(text)


def figure_alt(stats: list[ExerciseStats]) -> str:
    """The figure's text alternative: every bar as words."""
    parts = [f"{s.grade_id} {s.passed} of {s.submissions} passed" for s in stats]
    return "Pass rate per exercise: " + "; ".join(parts) + "."


def to_markdown(stats: list[ExerciseStats], figure: str | None = None) -> str:
    """The "What the class gets wrong" section of the class report."""
    if not stats:
        return ""
    lines = ["", "## What the class gets wrong", ""]
    if figure:
        lines += [f"![{_cell(figure_alt(stats))}]({figure})", ""]
    lines += ["| notebook | exercise | passed | pass rate | median | commonest failures (students) |"]
    lines += ["|---|---|---:|---:|---:|---|"]
    for s in stats:
        mistakes = "<br>".join(f"{_cell(m)}: {n}" for m, n in s.mistakes) or "-"
        lines.append(
            f"| {_cell(s.notebook)} | {_cell(s.grade_id)} | {s.passed} / {s.submissions} | "
            f"{s.pass_rate:.0%} | {s.median:g} / {s.max_points:g} | {mistakes} |"
        )
    return "\n".join(lines) + "\n"


def write_figure(stats: list[ExerciseStats], path: str | os.PathLike) -> Path | None:
    """A PNG of stacked bars (passed, failed, other) per exercise; None when there is nothing to draw."""
    if not stats:
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 0.45 * len(stats) + 1.4))
    ax = fig.add_subplot()
    labels = [
        s.grade_id if len({t.notebook for t in stats}) == 1 else f"{Path(s.notebook).stem}: {s.grade_id}"
        for s in stats
    ]
    left = [0.0] * len(stats)
    for kind, word in (("passed", "passed"), ("failed", "failed"), ("other", "not run / by hand")):
        share = [getattr(s, kind) / s.submissions * 100 if s.submissions else 0 for s in stats]
        ax.barh(
            labels, share, left=left, color=_COLOURS[kind], hatch=_HATCH[kind], edgecolor="white", label=word
        )
        left = [a + b for a, b in zip(left, share)]
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of submissions (%)")
    ax.set_title("What the class gets wrong: result per exercise")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Description": figure_alt(stats)})
    with atomic_write(path) as f:
        f.write(buf.getvalue())
    return Path(path)
