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
