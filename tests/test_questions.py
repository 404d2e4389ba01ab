"""The concept-check questions: every answer judged as intended, by text and in the form."""

import json
import re
from pathlib import Path

import pytest

from helpers import questions
from helpers.questions import LETTERS, QUESTIONS, answer, ask, get

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("0*.ipynb"))


@pytest.mark.parametrize("key", sorted(QUESTIONS))
def test_the_right_answer_is_right_and_every_other_choice_is_wrong_with_its_own_reply(key):
    q = QUESTIONS[key]
    assert q.text and q.why
    if q.choices:
        assert 0 <= q.answer < len(q.choices)
        for i, (_, reply) in enumerate(q.choices):
            right, text = q.check(LETTERS[i])
            assert right == (i == q.answer)
            assert text.startswith("✓" if right else "✗")
            if not right:
                assert reply and reply in text  # each wrong choice says why it is tempting
        replies = [reply for i, (_, reply) in enumerate(q.choices) if i != q.answer]
        assert len(set(replies)) == len(replies)
    else:
        assert q.check(q.answer)[0] and q.check(str(q.answer))[0]
        assert not q.check(q.answer * 1.5 + 1)[0]


@pytest.mark.parametrize("key", sorted(QUESTIONS))
def test_ask_prints_the_question_and_choices_but_not_the_answer(key, capsys):
    q = QUESTIONS[key]
    form = ask(key)
    text = capsys.readouterr().out
    assert q.text in text and key in text and text.strip() == q.as_text()
    assert q.why not in text
    for choice, reply in q.choices:
        assert choice in text
        assert not reply or reply not in text
    bundle = form._repr_mimebundle_()
    assert bundle["text/plain"] == "" and repr(form) == ""  # the text is printed once, not repeated
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_answer_prints_the_reply_and_returns_whether_it_was_right(capsys):
    assert answer("db2-shape", "a") is True
    assert capsys.readouterr().out.startswith("✓ Right.")
    assert answer("db2-shape", "B") is False  # letters in either case
    assert "keepdims" in capsys.readouterr().out
    assert answer("uniform-loss", 2.30) is True  # within the stated tolerance of ln 10
    assert answer("uniform-loss", 2.0) is False


@pytest.mark.parametrize("given", ["e", "ab", "", None, 1.5, True, -1])
def test_a_choice_that_is_not_one_is_a_one_line_error(given):
    with pytest.raises(ValueError, match="answer with one of the letters a, b, c, d"):
        get("db2-shape").check(given)


def test_a_number_question_refuses_text_and_an_unknown_key_names_the_known_ones():
    with pytest.raises(ValueError, match="wants a number"):
        get("one-step").check("two point seven")
    with pytest.raises(KeyError, match="db2-shape"):
        get("no-such-question")


def test_the_form_judges_a_choice_and_a_number_as_the_text_does():
    form = questions._form(get("db2-shape"))
    field, button, reply = form.children
    button.click()
    assert "Pick an answer first" in reply.value
    field.value = 1
    button.click()
    assert "✗" in reply.value and "keepdims" in reply.value
    field.value = 0
    button.click()
    assert "✓" in reply.value

    box, button, reply = questions._form(get("one-step")).children
    box.value = "abc"
    button.click()
    assert "Type a number" in reply.value
    box.value = "2.7"
    button.click()
    assert "✓" in reply.value


def _asked(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return [key for source in code for key in re.findall(r'ask\("([\w-]+)"\)', source)]


def test_every_chapter_asks_two_questions_and_every_question_is_asked_once():
    asked = {path.name: _asked(path) for path in NOTEBOOKS}
    assert len(asked) == 9
    assert all(len(keys) >= 2 for keys in asked.values()), asked
    everywhere = [k for keys in asked.values() for k in keys]
    assert sorted(everywhere) == sorted(QUESTIONS)  # none unknown, none unused, none twice
