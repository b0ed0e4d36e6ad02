"""The step table the notebooks print: accuracy, paired changes, verdicts."""
import numpy as np
import pytest

from course_lib.metrics import Change
from course_lib.steps import Steps, as_probs, verdict


def test_table_and_verdicts_follow_the_predictions():
    y = np.array([0, 1] * 50)
    right = np.eye(2)[y] * 4.0                   # logits: all right
    half = right.copy()
    half[:50] = right[:50][:, ::-1]              # first half wrong
    s = Steps(y)
    s.add("a", half)
    s.add("b", right)
    s.add("c", np.eye(2)[y] * 0.9 + 0.05, probs=True)
    t = s.table()
    assert list(t.index) == ["a", "b", "c"]
    assert t.accuracy.tolist() == [0.5, 1.0, 1.0]
    assert t.loc["b", "fixed"] == 50 and t.loc["b", "broke"] == 0 and t.loc["b", "change"] == 0.5
    assert t.loc["a", "±"] == pytest.approx(0.05)
    v = s.verdicts()
    assert v[0].startswith("b: ") and "no image changed" not in v[0]  # 50 fixed, none broken: se 0
    assert v[1] == "c: no image changed its verdict"
    assert v[2].startswith("the whole chain, a -> c")
    shown = s.shown()
    assert shown.loc["a", "change"] == "" and shown.loc["b", "fixed"] == "50" and shown.loc["a", "accuracy"] == "0.500"
    with pytest.raises(ValueError, match="3 predictions for 100"):
        s.add("d", right[:3])


@pytest.mark.parametrize("change,words", [(Change(0.1, 0.03, 20, 10), "helped"), (Change(-0.1, 0.03, 10, 20), "hurt"),
                                          (Change(0.02, 0.03, 12, 10), "within the noise")])
def test_verdict_compares_with_twice_the_standard_error(change, words):
    assert words in verdict(change)


def test_as_probs_softmax_and_renormalise():
    np.testing.assert_allclose(as_probs(np.array([[0.0, 0.0]])), [[0.5, 0.5]])
    np.testing.assert_allclose(as_probs(np.array([[2.0, 2.0]]), probs=True), [[0.5, 0.5]])


def test_close_to_two_standard_errors_is_said():
    assert "close to 2 s.e. (1.9 s.e.)" in verdict(Change(0.057, 0.03, 14, 5))
    assert "close" not in verdict(Change(0.03, 0.03, 12, 9))


def test_a_step_that_is_not_better_is_reverted_and_stays_in_the_table():
    y = np.array([0, 1] * 50)
    good = np.eye(2)[y] * 4.0
    worse = good.copy()
    worse[:10] = good[:10][:, ::-1]              # 10 images broken
    s = Steps(y)
    s.add("1. head", good)
    reverted = []
    line = s.attempt("2. unfreeze", worse, revert=lambda: reverted.append(1))
    assert reverted == [1] and s.kept == [True, False] and s.current == 0
    assert "hurt" in line and "'1. head'" in line and "loaded again" in line
    line = s.attempt("3. TTA", good, revert=lambda: reverted.append(2))   # as good as step 1: not better
    assert reverted == [1, 2]
    s.add("4. better", good * 2)                 # same answers, surer: lower log loss
    t = s.table()
    assert t.loc["2. unfreeze", "kept"] == "no, reverted" and t.loc["2. unfreeze", "change"] == -0.1
    assert t.loc["4. better", "change"] == 0 and t.loc["4. better", "kept"] == "yes"  # measured against step 1
    v = s.verdicts()
    assert "reverted to '1. head'" in v[0] and v[-1].startswith("the whole chain, 1. head -> 4. better")
    assert s.better(good * 3) and not s.better(worse)


def test_loss_against_accuracy_explains_confident_mistakes():
    y = np.array([0, 1] * 50)
    onehot = np.eye(2)[y]
    a = onehot * 0.2 + 0.4                       # every answer right at p = 0.6...
    a[:10] = 1 - a[:10]                          # ...but 10 wrong, unsure (p = 0.6 on the wrong class)
    b = onehot * (1 - 2e-6) + 1e-6               # 95 right and sure...
    b[:5] = 1 - b[:5]                            # ...5 wrong and sure: p(true class) = 1e-6
    s = Steps(y)
    s.add("a", a, probs=True)
    s.add("b", b, probs=True)
    assert (s.accuracy(0), s.accuracy(1)) == (0.9, 0.95)
    assert s.log_loss(1) > s.log_loss(0)         # 0.05 * 13.8 = 0.69 against 0.51 + 0.09
    line = s.loss_against_accuracy(0, 1)
    assert "accuracy rose by 0.050 while log loss rose" in line
    assert "(wrong with p >= 0.9): 0 -> 5" in line and "costliest single image: 0.9 -> 13.8" in line
    c = a.copy()
    c[10:12] = 1 - c[10:12]                      # two more unsure mistakes: both measures worse
    s.add("c", c, probs=True)
    assert s.loss_against_accuracy(0, 2) is None  # they agree: nothing to explain


def test_rank_sentence_places_the_followed_seed():
    from course_lib.steps import rank_sentence
    low = rank_sentence(0.80, np.array([0.82, 0.85, 0.84, 0.83, 0.86]), "seed 42")
    assert "below all 5 other seeds" in low and "this seed's luck" in low and "0.820-0.860" in low
    mid = rank_sentence(0.84, np.array([0.82, 0.85, 0.84, 0.83, 0.86]), "seed 42")
    assert "above 2 and below 2 of the 5 other seeds (equal to 1)" in mid and "typical" in mid
