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
    # real photos: every seed within an image of all right; the lowest by one image (1/100) is no luck
    near = rank_sentence(0.99, np.array([1.0, 1.0, 1.0, 0.99, 0.99]), "seed 42", step=1 / 100)
    assert "above 0 and below 3" in near and "typical" in near and "luck" not in near
    assert "luck" in rank_sentence(0.97, np.array([1.0, 1.0, 1.0, 0.99, 0.99]), "seed 42", step=1 / 100)
    same = rank_sentence(1.0, np.array([1.0] * 5, dtype=np.float32), "seed 42", step=1 / 100)
    assert "equal to all 5 other seeds (range 1.000-1.000); a typical start" in same and "below 0" not in same


def test_loss_above_chance_names_the_confident_mistakes():
    y = np.array([0, 1] * 50)
    onehot = np.eye(2)[y]
    p = onehot * (1 - 2e-4) + 1e-4               # 90 right and sure...
    p[:10] = 1 - p[:10]                          # ...10 wrong and sure: -ln(1e-4) = 9.2 each, 0.92 on average
    s = Steps(y)
    s.add("sure", p, probs=True)
    assert s.accuracy(0) == 0.9 and s.log_loss(0) > np.log(2)
    line = s.loss_above_chance(0)
    assert "log loss 0.921 is worse than chance (ln 2 = 0.693" in line
    assert "The 10 confident mistakes" in line and "10% of the images) carry 100% of the log loss" in line
    s.add("unsure", onehot * 0.2 + 0.4, probs=True)   # all right at p = 0.6: log loss 0.51 < ln 2
    assert s.loss_above_chance(1) is None
    s.add("coin", np.full((100, 2), 0.5), probs=True)  # at chance in both: nothing to explain
    assert s.loss_above_chance(2) is None
    level = onehot * 0.5 + 0.25                  # 88 right at p = 0.75 (0.29 each), 12 wrong and sure enough
    p_true = np.exp(-(100 * np.log(2) - 88 * np.log(4 / 3)) / 12)  # that the mean is ln 2 exactly
    level[:12] = np.where(onehot[:12] == 1, p_true, 1 - p_true)
    s.add("level", level, probs=True)
    assert abs(s.log_loss(3) - np.log(2)) <= 0.01
    assert "is no better than chance" in s.loss_above_chance(3)


def _fit(val, trn, acc):
    import pandas as pd
    return pd.DataFrame({"val_loss": val, "trn_loss": trn, "accuracy": acc})


@pytest.mark.parametrize("val, trn, acc, words", [
    ([0.9, 0.7, 0.6], [1.0, 0.9, 0.8], [0.6, 0.7, 0.8], "training loss above it: not overfitting"),
    ([0.9, 0.7, 0.6], [0.5, 0.4, 0.3], [0.6, 0.7, 0.8], "still near its lowest: not yet overfitting"),
    ([0.6, 0.5, 0.8], [0.5, 0.4, 0.3], [0.8, 0.8, 0.7], "with training loss below it and accuracy down: overfitting"),
    ([0.6, 0.5, 0.8], [1.0, 0.9, 0.9], [0.8, 0.8, 0.7], "only because dropout and augmentation"),
    ([0.67, 0.81], [1.03, 0.66], [0.735, 0.75], "grew surer of its answers"),   # notebook 01's step 1
])
def test_fit_losses_reads_the_validation_loss_against_its_lowest(val, trn, acc, words):
    from course_lib.steps import fit_losses
    line = fit_losses(_fit(val, trn, acc))
    assert f"over its {len(val)} epochs validation loss went {val[0]:.3f} -> {val[-1]:.3f}" in line
    assert words in line


def test_fit_losses_compares_each_epochs_mean_not_the_running_average():
    # notebook 01's step 1 on 13 batches an epoch: the running average (trn_loss) still carried the first epoch's
    # high losses, 0.658 against a validation loss of 0.64, while the second epoch's batches averaged 0.40
    import pandas as pd
    from course_lib.steps import fit_losses
    fit = pd.DataFrame({"val_loss": [0.66, 0.64], "trn_loss": [1.03, 0.66], "trn_mean": [0.80, 0.40],
                        "accuracy": [0.74, 0.75]})
    line = fit_losses(fit)
    assert "training loss, the mean of each epoch's batches, 0.800 -> 0.400" in line
    assert "training loss below validation loss" in line  # read from trn_mean; trn_loss (0.66) would say above
    assert "training loss 1.030" in fit_losses(fit.drop(columns="trn_mean"))  # older histories: the table's


def test_the_history_holds_each_epochs_mean_training_loss(tmp_path, image_folder):
    from course_lib import ConvLearner, ImageClassifierData, tfms_from_model
    root = image_folder(tmp_path / "d", n_train=6, n_valid=2)
    data = ImageClassifierData.from_paths(root, bs=4, tfms=tfms_from_model("resnet_mini", 16), num_workers=0)
    learn = ConvLearner.pretrained("resnet_mini", data, pretrained=False, device="cpu")
    learn.quiet = True
    learn.fit(1e-3, 2)
    per_epoch = len(learn.sched.losses) // 2
    h = learn.history
    assert per_epoch == len(data.trn_dl) and list(h.epoch) == [0, 1]
    for e in range(2):
        assert h.trn_mean[e] == pytest.approx(np.mean(learn.sched.losses[e * per_epoch:(e + 1) * per_epoch]))
    # the table's column stays the lesson's running average over the whole fit
    assert h.trn_loss[1] != pytest.approx(h.trn_mean[1])


def test_loss_trend_compares_the_end_with_its_noise():
    from course_lib.steps import loss_trend
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.05, 60)
    assert "still falling" in loss_trend(np.linspace(1, 0.2, 60) + noise)
    assert "not clearly lower at the end (less than two standard errors)" in loss_trend(0.5 + noise)
    assert "rising at the end" in loss_trend(np.linspace(0.2, 1, 60) + noise)
    assert "too few" in loss_trend([0.5, 0.4, 0.3])
