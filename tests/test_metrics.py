"""Metrics against values worked out by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_lib.metrics import accuracy, accuracy_np, accuracy_thresh, confusion_matrix, log_loss


def test_accuracy_np():
    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.7, 0.3], [0.2, 0.8]])
    assert accuracy_np(probs, np.array([0, 1, 1, 1])) == pytest.approx(0.75)
    assert accuracy_np(probs, [1, 0, 1, 0]) == 0.0
    # log-probabilities give the same arg-max, so the same accuracy
    assert accuracy_np(np.log(probs), np.array([0, 1, 1, 1])) == pytest.approx(0.75)


def test_accuracy_torch():
    preds = torch.tensor([[2.0, 1.0, 0.0], [0.0, 0.1, 3.0], [1.0, 5.0, 0.0]])
    assert accuracy(preds, torch.tensor([0, 2, 0])) == pytest.approx(2 / 3)
    # multi-label: logits thresholded at 0, element-wise against n-hot targets
    logits = torch.tensor([[1.0, -1.0], [-2.0, 0.5]])
    assert accuracy(logits, torch.tensor([[1.0, 0.0], [1.0, 1.0]])) == pytest.approx(3 / 4)
    acc = accuracy_thresh(0.5)
    assert acc(logits, torch.tensor([[1.0, 0.0], [1.0, 1.0]])) == pytest.approx(3 / 4)
    assert acc.__name__ == "acc_0.5"


def test_log_loss_by_hand():
    probs = np.array([[0.8, 0.2], [0.3, 0.7], [0.5, 0.5]])
    y = np.array([0, 1, 1])
    expected = -(math.log(0.8) + math.log(0.7) + math.log(0.5)) / 3
    assert log_loss(y, probs) == pytest.approx(expected, rel=1e-12)
    # one-hot targets give the same number
    assert log_loss(np.eye(2)[y], probs) == pytest.approx(expected, rel=1e-12)


def test_log_loss_clips_zero_and_one():
    # a confident mistake costs -log(eps), not infinity
    eps = 1e-15
    assert log_loss(np.array([0]), np.array([[0.0, 1.0]])) == pytest.approx(-math.log(eps), rel=1e-6)
    assert np.isfinite(log_loss(np.array([1, 0]), np.array([[1.0, 0.0], [0.0, 1.0]])))
    # a certain right answer costs ~0
    assert log_loss(np.array([1]), np.array([[0.0, 1.0]])) == pytest.approx(0, abs=1e-12)
    # a larger eps clips harder: Kaggle-style 1e-7 bounds the worst row at -log(1e-7) (after renormalising)
    worst = log_loss(np.array([0]), np.array([[0.0, 1.0]]), eps=1e-7)
    assert worst == pytest.approx(-math.log(1e-7 / (1e-7 + 1 - 1e-7)), rel=1e-9)


def test_log_loss_renormalises_rows():
    # rows not summing to 1 are rescaled first, as Kaggle's scorer does
    assert log_loss(np.array([0]), np.array([[2.0, 2.0]])) == pytest.approx(math.log(2))
    assert log_loss(np.array([0, 1]), np.array([[0.4, 0.4], [0.1, 0.3]])) == pytest.approx(
        -(math.log(0.5) + math.log(0.75)) / 2)


def test_confusion_matrix():
    y = np.array([0, 0, 1, 2, 2, 2])
    preds = np.array([0, 1, 1, 2, 0, 2])
    cm = confusion_matrix(y, preds)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])  # [actual, predicted]
    assert cm.sum() == len(y) and np.trace(cm) == 4
    # (N, C) scores are reduced to their arg-max
    scores = np.eye(3)[preds] * 0.8 + 0.1
    np.testing.assert_array_equal(confusion_matrix(y, scores), cm)
    # a class nobody predicted or has still gets its row and column
    cm4 = confusion_matrix(y, preds, n_classes=4)
    assert cm4.shape == (4, 4) and cm4[3].sum() == 0 and cm4[:, 3].sum() == 0


def test_accuracy_se_is_the_binomial_error():
    from course_lib.metrics import accuracy_se
    assert accuracy_se(0.85, 200) == pytest.approx((0.85 * 0.15 / 200) ** 0.5)
    assert accuracy_se(1.0, 50) == 0.0


def test_paired_change_counts_fixed_and_broken_images():
    from course_lib.metrics import paired_change
    y = np.array([0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
    before = np.array([0, 1, 0, 1, 0, 1, 1, 0, 1, 0])   # 6 right
    after = np.array([0, 1, 0, 1, 0, 0, 0, 1, 0, 0])    # fixes 6, 7, 8; breaks 5; 8 right
    c = paired_change(before, after, y)
    assert (c.fixed, c.broken) == (3, 1) and c.delta == pytest.approx(0.2)
    assert c.se == pytest.approx(np.sqrt(4 - 10 * 0.04) / 10)
    scores = np.eye(2)[after]  # (N, C) scores give the same answer
    assert paired_change(np.eye(2)[before], scores, y) == c
    same = paired_change(before, before, y)
    assert same.delta == 0 and same.se == 0
