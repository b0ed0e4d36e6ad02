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
