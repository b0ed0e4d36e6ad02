"""Interpretation: the right images are picked, and every plot returns a Figure with the expected axes."""
from __future__ import annotations


import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from PIL import Image

from course_lib import ConvLearner, ImageClassifierData, tfms_from_model, transforms_side_on
from course_lib.interpret import ClassificationInterpretation, plot_confusion_matrix

CLASSES = ("ants", "bees", "wasps")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("interp")
    rng = np.random.default_rng(0)
    for split, n in (("train", 2), ("valid", 4)):
        for c in CLASSES:
            d = root / split / c
            d.mkdir(parents=True)
            for i in range(n):
                # a large photo: the plots must show the 32 px centre crop, not this
                Image.fromarray(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)).save(d / f"{c}{i}.jpg")
    tfms = tfms_from_model("resnet18", 32, aug_tfms=transforms_side_on)
    return ImageClassifierData.from_paths(root, bs=4, tfms=tfms, num_workers=0)


@pytest.fixture(scope="module")
def interp(data):
    # 12 validation images, labels 0,0,0,0,1,1,1,1,2,2,2,2 (sorted folders)
    y = data.val_y
    assert list(y) == [0] * 4 + [1] * 4 + [2] * 4
    p = np.full((12, 3), 0.1)
    top = [0, 0, 1, 0, 1, 1, 2, 1, 2, 2, 0, 2]  # wrong: rows 2 (ants->bees), 6 (bees->wasps), 10 (wasps->ants)
    conf = [0.8, 0.6, 0.7, 0.5, 0.8, 0.75, 0.9, 0.4, 0.8, 0.7, 0.6, 0.5]
    for i, (k, c) in enumerate(zip(top, conf)):
        p[i] = (1 - c) / 2
        p[i, k] = c
    return ClassificationInterpretation(data, p, y)


def test_most_confused_keeps_ties_with_the_last_one_shown(data, interp):
    # one mistake in each of three pairs: asking for two must not rank equal counts, so all three come back
    assert sorted(interp.most_confused(2)) == [("ants", "bees", 1), ("bees", "wasps", 1), ("wasps", "ants", 1)]
    y = data.val_y
    p = np.eye(3)[y] * 0.7 + 0.1
    p[[0, 1, 4]] = np.eye(3)[[1, 1, 2]] * 0.7 + 0.1   # ants->bees twice, bees->wasps once
    two = ClassificationInterpretation(data, p, y)
    assert two.most_confused(1) == [("ants", "bees", 2)]
    assert two.most_confused(3) == [("ants", "bees", 2), ("bees", "wasps", 1)]
    assert two.most_confused(3, min_val=2) == [("ants", "bees", 2)]


def test_selection(interp):
    assert set(np.flatnonzero(~interp.correct)) == {2, 6, 10}
    assert set(interp.rand_by_correct(False, n=4, seed=0)) == {2, 6, 10}
    assert len(interp.rand_by_correct(True, n=4, seed=0)) == 4
    assert list(interp.most_by_correct("ants", True)) == [0, 1, 3]  # p(ants) 0.8, 0.6, 0.5
    assert list(interp.most_by_correct("bees", False)) == [6]
    assert list(interp.most_uncertain(2)) == [7, 3]  # top probabilities 0.4, 0.5 nearest 1/3
    assert list(interp.most_uncertain(2, "wasps")) == [11, 10]  # actual wasps only: top 0.5, then 0.6
    assert list(interp.most_uncertain(2, 0)) == [3, 1]
    losses, idxs = interp.top_losses(3)
    assert list(idxs) == [6, 2, 10]  # p(actual) 0.05, 0.15, 0.2
    np.testing.assert_allclose(losses, -np.log(interp.probs[idxs, interp.y[idxs]]))
    assert (np.diff(losses) <= 0).all()
    cm = interp.confusion_matrix()
    assert cm.sum() == 12 and np.trace(cm) == 9 and cm[0, 1] == 1 and cm[1, 2] == 1 and cm[2, 0] == 1


def _titles(fig):
    return [ax.get_title() for ax in fig.axes]


def test_plots_return_figures(interp, data):
    n_figs = len(plt.get_fignums())
    fig = interp.plot_random(correct=True, n=4, seed=0)
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    assert all(t.split("\n")[1].endswith(".jpg") for t in _titles(fig))
    fig = interp.plot_random(correct=False)
    assert len(fig.axes) == 3  # only three mistakes exist
    fig = interp.plot_most_correct("wasps")
    assert len(fig.axes) == 3 and _titles(fig)[0].startswith("0.800 wasps\nwasps0.jpg")
    fig = interp.plot_most_incorrect("bees")
    assert len(fig.axes) == 1 and _titles(fig)[0] == "0.900 wasps\nbees2.jpg"
    fig = interp.plot_most_uncertain(4)
    assert len(fig.axes) == 4 and _titles(fig)[0].startswith("0.400 bees")
    fig = interp.plot_top_losses(6)
    assert len(fig.axes) == 6
    assert _titles(fig)[0] == "wasps/bees\nloss 3.00, p(actual) 0.050\nbees2.jpg"
    # displayed images are the centre crop at the model's size, not the 400x300 file
    assert fig.axes[0].get_images()[0].get_array().shape == (32, 32, 3)
    # registered with pyplot, so a notebook's plt.show() displays them like every other course_lib plot
    assert len(plt.get_fignums()) == n_figs + 6
    plt.close("all")


def test_no_mistakes_gives_an_empty_figure(data):
    p = np.eye(3)[data.val_y] * 0.9 + 0.1 / 3
    fig = ClassificationInterpretation(data, p, data.val_y).plot_random(correct=False)
    assert isinstance(fig, Figure) and len(fig.axes) == 0


def test_confusion_matrix_figure(interp):
    fig = interp.plot_confusion_matrix()
    ax = fig.axes[0]
    assert isinstance(fig, Figure) and len(fig.axes) == 2  # matrix + colour bar
    assert [t.get_text() for t in ax.get_xticklabels()] == list(CLASSES)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(CLASSES)
    assert sorted(t.get_text() for t in ax.texts) == sorted(["3", "1", "0", "0", "3", "1", "1", "0", "3"])
    fig = plot_confusion_matrix(np.array([[3, 1], [0, 4]]), ["a", "b"], normalize=True)
    assert "0.75\n(3)" in [t.get_text() for t in fig.axes[0].texts]
    with pytest.raises(ValueError, match="class names"):
        plot_confusion_matrix(np.zeros((3, 3)), ["a", "b"])


def test_bad_inputs_say_what_to_do(data):
    with pytest.raises(ValueError, match="expected \\(12, 3\\)"):
        ClassificationInterpretation(data, np.full((5, 3), 1 / 3), data.val_y[:5])
    with pytest.raises(ValueError, match="log-probabilities"):
        ClassificationInterpretation(data, np.log(np.full((12, 3), 1 / 3)), data.val_y)
    with pytest.raises(ValueError, match="Unknown class"):
        ClassificationInterpretation(data, np.full((12, 3), 1 / 3), data.val_y).plot_most_correct("cats")


def test_from_learner(data):
    torch.manual_seed(0)
    learn = ConvLearner.pretrained("resnet18", data, pretrained=False, device="cpu")
    interp = ClassificationInterpretation.from_learner(learn, tta=True, n_aug=1, seed=0)
    assert interp.probs.shape == (12, 3)
    np.testing.assert_array_equal(interp.y, data.val_y)
    plain = ClassificationInterpretation.from_learner(learn, tta=False)
    np.testing.assert_allclose(plain.probs, np.exp(learn.predict()), rtol=1e-5)
    assert isinstance(interp.plot_top_losses(4), Figure)
