"""Concept checks: a short question asked before the cell that answers it, with instant feedback.

``ask("db2-shape")`` shows the question. In a running notebook it is a small form (choices or a
number box, and a Check button, all usable by keyboard); everywhere else (a static page, a
terminal) it is plain text, and ``answer("db2-shape", "b")`` checks a choice by its letter
(``answer("ln10-loss", 2.3)`` a number). Each wrong choice gets its own reply, saying why it is
tempting and where it goes wrong; the right one gets the reason. The questions live in
:mod:`helpers.question_bank`.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpers.question_bank import BANK

LETTERS = "abcdefgh"


@dataclass(frozen=True)
class Question:
    """One question: its text, lettered choices with a reply each (or a number), and the answer."""

    key: str
    text: str
    choices: tuple[tuple[str, str], ...] = ()  # (choice, reply when picked); empty: a number
    answer: int | float = 0  # index of the right choice, or the number
    why: str = ""  # said when the answer is right
    tolerance: float = 0.0  # relative, for a number

    def check(self, given: str | int | float) -> tuple[bool, str]:
        """(right?, the reply) for a letter ("b"), a choice's index (1) or a number (2.3)."""
        if self.choices:
            index = _choice_index(given, len(self.choices))
            if index == self.answer:
                return True, f"✓ Right. {self.why}"
            return False, f"✗ Not quite. {self.choices[index][1]}"
        try:
            value = float(given)
        except (TypeError, ValueError):
            raise ValueError(f"{self.key!r} wants a number, got {given!r}") from None
        if abs(value - self.answer) <= self.tolerance * abs(self.answer) + 1e-12:
            return True, f"✓ Right. {self.why}"
        return False, f"✗ Not quite: {value:g} is not it. Try again, or read on: the next cells show it."

    def as_text(self) -> str:
        """The question as plain text, with lettered choices and how to answer."""
        lines = [f"Question: {self.text}"]
        lines += [f"  ({LETTERS[i]}) {choice}" for i, (choice, _) in enumerate(self.choices)]
        how = f'answer("{self.key}", "<letter>")' if self.choices else f'answer("{self.key}", <a number>)'
        lines.append(f"Answer with {how}, or in the form below when the notebook is running.")
        return "\n".join(lines)


def _choice_index(given: str | int | float, n: int) -> int:
    """The index of a choice given as a letter or an index; a clear error otherwise."""
    if isinstance(given, str) and len(given.strip()) == 1 and given.strip().lower() in LETTERS[:n]:
        return LETTERS.index(given.strip().lower())
    if isinstance(given, int) and not isinstance(given, bool) and 0 <= given < n:
        return given
    raise ValueError(f"answer with one of the letters {', '.join(LETTERS[:n])}, got {given!r}")


QUESTIONS: dict[str, Question] = {key: Question(key=key, **spec) for key, spec in BANK.items()}


def get(key: str) -> Question:
    """The question named ``key``; a one-line error naming the known keys otherwise."""
    if key not in QUESTIONS:
        raise KeyError(f"no question {key!r}; the questions are: {', '.join(sorted(QUESTIONS))}")
    return QUESTIONS[key]


def answer(key: str, given: str | int | float) -> bool:
    """Check an answer to question ``key``, print the reply, and return whether it was right."""
    right, reply = get(key).check(given)
    print(reply)
    return right


class Form:
    """The answer form of a question: shown by a running notebook, nothing anywhere else."""

    def __init__(self, question: Question) -> None:
        self.question = question

    def __repr__(self) -> str:
        return ""

    def _repr_mimebundle_(self, **kwargs):
        try:
            widget = _form(self.question)
        except ImportError:  # no ipywidgets: the printed text is all there is
            return {"text/plain": ""}
        bundle = widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        return {**(data or {}), "text/plain": ""}


def ask(key: str) -> Form:
    """Print question ``key`` (so that every page shows it) and return its answer form.

    As a cell's last line the form appears below the text in a running notebook; a saved or static
    notebook keeps the printed question only.
    """
    question = get(key)
    print(question.as_text())
    return Form(question)


def _form(q: Question):
    """An ipywidgets form for ``q``: choices or a number box, a Check button and the reply."""
    import ipywidgets as w

    if q.choices:
        field = w.RadioButtons(
            options=[(f"({LETTERS[i]}) {c}", i) for i, (c, _) in enumerate(q.choices)],
            value=None,
            layout=w.Layout(width="auto"),
        )
    else:
        field = w.Text(
            value="",
            placeholder="a number",
            description="your answer",
            style={"description_width": "initial"},
        )
    button = w.Button(description="Check", tooltip="check the answer")
    reply = w.HTML(value="")

    def on_click(_):
        if field.value is None or field.value == "":
            reply.value = "Pick an answer first."
            return
        try:
            _, text = q.check(field.value)
        except ValueError:
            text = "Type a number, for example 2.3."
        reply.value = f"<span role='status'>{_escape(text)}</span>"

    button.on_click(on_click)
    return w.VBox([field, button, reply], layout=w.Layout(margin="0 0 0 1em"))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
