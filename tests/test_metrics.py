"""Tests for helpers.metrics against hand-computed cases and independent loops."""

import numpy as np
import pytest

from helpers.metrics import confusion_matrix, most_confused_pairs, per_class_accuracy, top_mistakes


def test_confusion_matrix_small_case_by_hand():
    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0])
    expected = np.array([[1, 1, 0], [0, 2, 1], [1, 0, 0]])
    cm = confusion_matrix(y_true, y_pred, num_classes=3)
    np.testing.assert_array_equal(cm, expected)
    assert np.issubdtype(cm.dtype, np.integer)


def test_confusion_matrix_matches_a_loop_and_its_invariants():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 10, 500)
    y_pred = np.where(rng.random(500) < 0.7, y_true, rng.integers(0, 10, 500))
    cm = confusion_matrix(y_true, y_pred)
    loop = np.zeros((10, 10), dtype=int)
    for t, p in zip(y_true, y_pred):
        loop[t, p] += 1
    np.testing.assert_array_equal(cm, loop)
    assert cm.sum() == 500
    np.testing.assert_array_equal(cm.sum(axis=1), np.bincount(y_true, minlength=10))
    np.testing.assert_array_equal(cm.sum(axis=0), np.bincount(y_pred, minlength=10))
    assert np.trace(cm) == np.count_nonzero(y_true == y_pred)


def test_confusion_matrix_rejects_bad_input():
    with pytest.raises(ValueError, match="shape"):
        confusion_matrix(np.array([1, 2]), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="0..9"):
        confusion_matrix(np.array([1, 10]), np.array([1, 2]))
    with pytest.raises(ValueError, match=r"\(m,\)"):
        confusion_matrix(np.zeros((2, 2), int), np.zeros((2, 2), int))


def test_per_class_accuracy():
    cm = np.array([[3, 1, 0], [0, 0, 0], [2, 2, 4]])
    acc = per_class_accuracy(cm)
    assert acc[0] == pytest.approx(3 / 4)
    assert np.isnan(acc[1])  # no examples of class 1
    assert acc[2] == pytest.approx(4 / 8)


def test_most_confused_pairs_order_and_zeros():
    cm = np.array([[5, 2, 7], [0, 4, 0], [2, 1, 9]])
    assert most_confused_pairs(cm, n=10) == [(0, 2, 7), (0, 1, 2), (2, 0, 2), (2, 1, 1)]
    assert most_confused_pairs(cm, n=1) == [(0, 2, 7)]
    assert most_confused_pairs(np.eye(3, dtype=int) * 5) == []


def test_top_mistakes_sorted_by_confidence():
    # columns: probabilities of 3 classes for 5 examples
    A2 = np.array(
        [
            [0.8, 0.1, 0.2, 0.6, 0.1],
            [0.1, 0.7, 0.5, 0.3, 0.1],
            [0.1, 0.2, 0.3, 0.1, 0.8],
        ]
    )
    y = np.array([0, 2, 2, 1, 2])  # wrong: 1 (p=0.7), 2 (p=0.5), 3 (p=0.6)
    np.testing.assert_array_equal(top_mistakes(y, A2, 10), [1, 3, 2])
    np.testing.assert_array_equal(top_mistakes(y, A2, 2), [1, 3])
    assert top_mistakes(np.array([0, 1, 1, 0, 2]), A2, 5).size == 0


def test_top_mistakes_against_independent_computation():
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(10, 300))
    A2 = np.exp(Z) / np.exp(Z).sum(axis=0)
    y = rng.integers(0, 10, 300)
    idx = top_mistakes(y, A2, None)
    wrong = [i for i in range(300) if A2[:, i].argmax() != y[i]]
    assert sorted(idx.tolist()) == wrong
    conf = A2.max(axis=0)[idx]
    assert np.all(np.diff(conf) <= 0)
    with pytest.raises(ValueError, match="columns"):
        top_mistakes(y[:10], A2)
