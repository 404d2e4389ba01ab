"""The checkers of notebooks 04-06 pass the reference and report the unfinished stub."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import metrics, nn
from helpers.checks import CheckFailed
from helpers.checks.metrics import check_confusion_matrix, check_get_accuracy, check_get_predictions
from helpers.checks.training import check_training_loop, check_update_params


def verdict_of(check, func, capsys) -> str:
    """The failing verdict (the exception's text), after checking it was also printed."""
    with pytest.raises(CheckFailed) as info:
        check(func)
    out = capsys.readouterr().out
    text = str(info.value)
    assert text.startswith("✗")
    assert text in out
    assert "\n" not in text
    return text


def passes(check, func, capsys) -> None:
    check(func)
    out = capsys.readouterr().out.strip()
    assert out.startswith("✓") and "all checks passed" in out


def stub(*args):
    raise NotImplementedError()


# --------------------------------------------------------------------------------------------
# Each checker passes the reference and reports the stub; wrong answers are the mutation
# suite's (tests/mutants, test_mutations.py)
# --------------------------------------------------------------------------------------------
def _training_loop(X, Y, params, alpha, iterations):
    losses = []
    for _ in range(iterations):
        Z1, A1, Z2, A2 = nn.forward_prop(*params, X)
        losses.append(nn.cross_entropy(A2, Y))
        params = nn.update_params(
            *params, *nn.backward_prop(Z1, A1, Z2, A2, params[0], params[2], X, Y), alpha
        )
    return params, losses


REFERENCES = [
    (check_update_params, nn.update_params),
    (check_get_predictions, lambda A2: np.argmax(A2, 0)),
    (check_get_accuracy, lambda p, Y: np.sum(p == Y) / Y.size),
    (check_training_loop, _training_loop),
    (check_confusion_matrix, metrics.confusion_matrix),
]
IDS = [c.__name__ for c, _ in REFERENCES]


@pytest.mark.parametrize(("check", "reference"), REFERENCES, ids=IDS)
def test_the_reference_passes(check, reference, capsys):
    passes(check, reference, capsys)


@pytest.mark.parametrize("check", [c for c, _ in REFERENCES], ids=IDS)
def test_the_stub_is_reported(check, capsys):
    assert "not implemented yet" in verdict_of(check, stub, capsys)
