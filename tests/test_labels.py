"""helpers.labels.as_labels: the one label check, and every place labels enter uses it.

One-hot means exactly one 1 per column of a (k, m) array, k >= 2; anything else 2-D is refused.
"""

import numpy as np
import pytest

from helpers import data, metrics, nn
from helpers.labels import as_labels


def test_labels_and_one_hot_give_the_same_integers():
    y = np.array([3, 0, 9, 9])
    np.testing.assert_array_equal(as_labels(y, 4, k=10), y)
    np.testing.assert_array_equal(as_labels(np.eye(10)[y].T, 4, k=10), y)  # one-hot (10, 4)
    np.testing.assert_array_equal(as_labels(np.array([1.0, 2.0])), [1, 2])
    assert as_labels(y).dtype == np.intp


@pytest.mark.parametrize(
    ("y", "kwargs", "words"),
    [
        (np.array([0, 10]), {"k": 10}, r"labels 0\.\.10, expected 0\.\.9"),
        (np.array([-1, 2]), {"k": 10}, r"labels -1\.\.2, expected 0\.\.9"),
        (np.array([0.5, 1.0]), {}, "non-integer labels, e.g. 0.5"),
        (np.array([np.nan, 1.0]), {}, "non-integer labels"),
        (np.array(["a", "b"]), {}, "integer labels, got dtype"),
        (np.zeros((2, 2, 2)), {}, "shape"),
        (np.array([1, 2, 3]), {"m": 4}, "has 3 examples, expected 4"),
        (np.eye(3), {"k": 10}, "one-hot with 3 rows, expected 10"),
        (np.eye(3), {"one_hot": False}, r"labels of shape \(m,\), got shape \(3, 3\)"),
        (np.array([[3, 0, 9, 9]]), {}, r"shape \(1, 4\): labels must be 1-D"),  # labels as a row
        (np.ones((1, 4)), {}, r"shape \(1, 4\): labels must be 1-D"),  # even when all ones
        (np.full((10, 4), 0.1), {}, "is not one-hot: every column must hold exactly one 1"),  # probabilities
        (np.eye(10)[[3, 0, 9, 9]].T * 2, {}, "is not one-hot"),  # twos
        (np.eye(10)[[3, 0, 9, 9]].T + np.eye(10)[[1, 1, 1, 1]].T, {}, "is not one-hot"),  # two 1s a column
        (np.zeros((10, 4)), {}, "is not one-hot"),  # a column without its 1
        (np.eye(10, dtype=complex), {}, "is not one-hot"),
    ],
)
def test_bad_labels_are_named(y, kwargs, words):
    with pytest.raises(ValueError, match=words):
        as_labels(y, name="y_test", **kwargs)


def test_every_entry_point_uses_the_one_validator():
    A2 = np.full((10, 2), 0.1)
    for refuse in (
        lambda y: nn.cross_entropy(A2, y),
        lambda y: nn.backward_prop(A2, A2, A2, A2, A2, A2, A2, y),
    ):
        with pytest.raises(ValueError, match=r"labels 0\.\.10, expected 0\.\.9"):
            refuse(np.array([0, 10]))
        with pytest.raises(ValueError, match="is not one-hot"):
            refuse(A2)
    with pytest.raises(ValueError, match=r"labels 0\.\.10, expected 0\.\.9"):
        data.one_hot(np.array([0, 10]))
    with pytest.raises(ValueError, match=r"y_pred holds labels 0\.\.10, expected 0\.\.9"):
        metrics.confusion_matrix(np.array([0, 1]), np.array([0, 10]))
