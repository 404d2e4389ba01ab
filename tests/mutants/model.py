"""What a mutant is."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    """A wrong solution: ``body`` replaces the solution block; the verdict must contain every
    one of ``words`` (case-insensitive) and none of ``not_words``."""

    id: str
    body: str
    words: tuple[str, ...]
    not_words: tuple[str, ...] = ()
