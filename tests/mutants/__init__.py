"""Wrong solutions of the course's exercises, the mistakes students really make, for the
mutation suite ``tests/test_mutations.py``.

``EXERCISES`` maps an exercise's solution grade_id to its checker's name and its mutants; each
mutant's body replaces the ``### BEGIN SOLUTION`` .. ``### END SOLUTION`` block of the exercise's
cell. ``NEW_EXERCISES`` holds the cells of the exercises no notebook has yet and
``HIDDEN_TESTS`` the hidden tests of their check cells.
"""

from __future__ import annotations

from mutants.forward import EXERCISES as FORWARD
from mutants.model import Mutant
from mutants.new_exercises import EXERCISES as NEW
from mutants.new_exercises import HIDDEN_TESTS, NEW_EXERCISES
from mutants.speed import EXERCISES as SPEED
from mutants.training import EXERCISES as TRAINING

#: solution grade_id -> (checker name, mutants), chapter by chapter.
EXERCISES: dict[str, tuple[str, list[Mutant]]] = {**FORWARD, **TRAINING, **NEW, **SPEED}

__all__ = ["EXERCISES", "HIDDEN_TESTS", "NEW_EXERCISES", "Mutant"]
