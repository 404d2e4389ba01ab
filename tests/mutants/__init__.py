"""Wrong solutions of the course's exercises, the mistakes students really make, for the
mutation suite ``tests/test_mutations.py``.

``EXERCISES`` maps an exercise's solution grade_id to its checker's name and its mutants; each
mutant's body replaces the ``### BEGIN SOLUTION`` .. ``### END SOLUTION`` block of the exercise's
cell in its notebook.
"""

from __future__ import annotations

from mutants.forward import EXERCISES as FORWARD
from mutants.model import Mutant
from mutants.new_exercises import EXERCISES as NEW
from mutants.speed import EXERCISES as SPEED
from mutants.training import EXERCISES as TRAINING

#: solution grade_id -> (checker name, mutants), chapter by chapter.
EXERCISES: dict[str, tuple[str, list[Mutant]]] = {**FORWARD, **TRAINING, **NEW, **SPEED}

__all__ = ["EXERCISES", "Mutant"]
