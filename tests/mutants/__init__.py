"""Wrong solutions of the course's exercises, the mistakes students really make, for the
mutation suite ``tests/test_mutations.py``.

``EXERCISES`` maps an exercise's solution grade_id to its checker's name and its mutants; each
mutant's body replaces the ``### BEGIN SOLUTION`` .. ``### END SOLUTION`` block of the exercise's
cell in its notebook. ``CORRECT`` holds unusual right solutions, which both must accept.
"""

from __future__ import annotations

from mutants.correct import CORRECT
from mutants.edge_cases import EXTRA
from mutants.forward import EXERCISES as FORWARD
from mutants.model import Mutant
from mutants.new_exercises import EXERCISES as NEW
from mutants.speed import EXERCISES as SPEED
from mutants.training import EXERCISES as TRAINING

#: solution grade_id -> (checker name, mutants), chapter by chapter, then the edge cases.
EXERCISES: dict[str, tuple[str, list[Mutant]]] = {
    gid: (checker, [*mutants, *EXTRA.get(gid, [])])
    for gid, (checker, mutants) in {**FORWARD, **TRAINING, **NEW, **SPEED}.items()
}

__all__ = ["CORRECT", "EXERCISES", "Mutant"]
