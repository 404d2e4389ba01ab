"""Late work: a deadline and a penalty, applied to the totals from each submission's time.

- the deadline is an ISO 8601 time with its time zone (``2026-12-01T23:59+01:00``, ``...Z``);
- the penalty is ``P%`` (once, however late), ``P%/day`` or ``P%/hour`` (per started day or
  hour), at most 100%;
- a submission's time comes from a CSV (what an LMS export provides: a ``student`` column, an
  optional ``notebook`` column and a time column named ``submitted``, ``submitted at``,
  ``submission time`` or ``timestamp``), else from the submitted file's modification time.

The penalty scales the total (``score * (1 - penalty)``); each submission's time, how late it was
and the penalty are written into its notes, so every report and feedback page shows them. The
result files are not touched: re-merging with another deadline starts from the same marks.
"""

from __future__ import annotations

import copy
import csv
import io
import math
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from helpers.assignments.grade import SubmissionResult

_PENALTY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*(?:/\s*(day|hour))?\s*$", re.I)
_TIME_COLUMNS = ("submitted", "submitted at", "submission time", "timestamp", "submitted_at")


@dataclass(frozen=True)
class LatePolicy:
    """``fraction`` of the total lost per ``unit`` (None: once) after ``deadline``."""

    deadline: datetime
    fraction: float
    unit: timedelta | None

    def penalty(self, when: datetime) -> float:
        """The share of the total lost by a submission made at ``when`` (0 when on time)."""
        late = when - self.deadline
        if late <= timedelta(0):
            return 0.0
        steps = 1 if self.unit is None else math.ceil(late / self.unit)
        return min(1.0, self.fraction * steps)


def parse_time(text: str, what: str = "time") -> datetime:
    """An ISO 8601 time with a time zone; ValueError saying what is wrong."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" UTC", "+00:00"))
    except ValueError:
        raise ValueError(f"{what} {text!r} is not an ISO 8601 time such as 2026-12-01T23:59+01:00") from None
    if when.tzinfo is None:
        raise ValueError(
            f"{what} {text!r} has no time zone: write it as {text.strip()}+00:00 (UTC) or with yours"
        )
    return when


def parse_policy(deadline: str, penalty: str) -> LatePolicy:
    """The policy of ``--deadline`` and ``--late-penalty``; ValueError for either one malformed."""
    when = parse_time(deadline, "--deadline")
    m = _PENALTY.match(penalty)
    if not m or float(m.group(1)) > 100:
        raise ValueError(f"--late-penalty {penalty!r}: expected P% , P%/day or P%/hour with P from 0 to 100")
    unit = {"day": timedelta(days=1), "hour": timedelta(hours=1)}.get((m.group(2) or "").lower())
    return LatePolicy(when, float(m.group(1)) / 100, unit)


def read_times(path: str | os.PathLike) -> dict[tuple[str, str], datetime]:
    """``{(student, notebook or ""): time}`` from a submission-times CSV; ValueError naming the row."""
    from helpers.assignments.roster import norm

    path = Path(path)
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path}: cannot read the submission times ({type(exc).__name__}: {exc})") from None
    header = {k.strip().casefold(): k for k in (rows[0] if rows else {})}
    time_col = next((header[c] for c in _TIME_COLUMNS if c in header), None)
    if "student" not in header or time_col is None:
        raise ValueError(
            f"{path}: expected a 'student' column and a time column ({', '.join(_TIME_COLUMNS)})"
        )
    nb_col = header.get("notebook")
    out = {}
    for i, row in enumerate(rows, start=2):
        key = (norm(row[header["student"]]), Path(row[nb_col]).stem if nb_col and row[nb_col] else "")
        out[key] = parse_time(row[time_col], f"{path}, row {i}:")
    return out


def _duration(d: timedelta) -> str:
    minutes = int(d.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    return (f"{days} d " if days else "") + f"{rest // 60} h {rest % 60} min"


def apply(
    results: list[SubmissionResult], policy: LatePolicy, times: dict[tuple[str, str], datetime] | None = None
) -> list[SubmissionResult]:
    """Copies of ``results`` with the penalty applied to late ones and each one's time noted."""
    from helpers.assignments.roster import norm

    out = []
    for r in results:
        r = copy.deepcopy(r)
        stem = Path(r.notebook or r.file).stem
        when, source = None, "submission times"
        if times is not None:
            when = times.get((norm(r.student), stem)) or times.get((norm(r.student), ""))
        else:
            source = "file time"
            try:
                when = datetime.fromtimestamp(os.stat(r.file).st_mtime, UTC)
            except OSError:  # the file is not on this machine
                pass
        if when is None:
            r.problems = [*r.problems, f"no submission time found ({source}): no late penalty applied"]
        else:
            share = policy.penalty(when)
            stamp = f"submitted {when.isoformat(timespec='minutes')} ({source})"
            if share:
                new = round(r.score * (1 - share), 4)
                late = _duration(when - policy.deadline)
                r.problems = [*r.problems, f"{stamp}, {late} late: -{share:.0%} ({r.score:g} -> {new:g})"]
                r.score = new
            else:
                r.problems = [*r.problems, f"{stamp}: on time"]
        out.append(r)
    return out
