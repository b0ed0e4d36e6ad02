"""TTA and single-image prediction: shapes, real augmentation (also with precompute), seeds, restored state."""
from __future__ import annotations

import multiprocessing
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from course_lib import ConvLearner, ImageClassifierData, tfms_from_model, transforms_side_on
from course_lib.inference import predict_image, tta

CLASSES = ("cats", "dogs")


def make_folder(root: Path, n_trn: int = 4, n_val: int = 5, n_test: int = 3) -> Path:
    """path/train/<class>, path/valid/<class>, path/test: small random JPEGs, dogs brighter on the left."""
    rng = np.random.default_rng(0)
    for split, n in (("train", n_trn), ("valid", n_val)):
        for c in CLASSES:
            d = root / split / c
            d.mkdir(parents=True)
            for i in range(n):
                a = rng.integers(0, 255, (40 + i, 52, 3), dtype=np.uint8)
                if c == "dogs":
                    a[:, :20] = 230
                Image.fromarray(a).save(d / f"{c}.{i}.jpg")
    (root / "test").mkdir()
    for i in range(n_test):
        Image.fromarray(rng.integers(0, 255, (44, 50, 3), dtype=np.uint8)).save(root / "test" / f"{i}.jpg")
    return root


def make_learn(root: Path, num_workers: int = 0, precompute: bool = False, seed: int = 0):
    torch.manual_seed(seed)
    tfms = tfms_from_model("resnet18", 32, aug_tfms=transforms_side_on, max_zoom=1.1)
    data = ImageClassifierData.from_paths(root, bs=4, tfms=tfms, test_name="test", num_workers=num_workers)
    return ConvLearner.pretrained("resnet18", data, pretrained=False, precompute=precompute, device="cpu")


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return make_folder(tmp_path_factory.mktemp("tta") / "imgs")


@pytest.fixture(scope="module")
def learn(root):
    return make_learn(root)


def test_shapes_and_lesson_recipe(learn):
    log_preds, y = learn.TTA(seed=0, progress=False)
    n, c = len(learn.data.val_ds), learn.data.c
    assert log_preds.shape == (5, n, c) and log_preds.dtype == np.float32
    np.testing.assert_array_equal(y, learn.data.val_y)
    probs = np.mean(np.exp(log_preds), 0)  # the lesson's line, verbatim
    assert probs.shape == (n, c)
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)
    # the first pass is the plain validation pass
    np.testing.assert_allclose(log_preds[0], learn.predict(), atol=1e-5)


def test_augmented_passes_differ_from_plain_pass(learn):
    log_preds, _ = tta(learn, n_aug=3, seed=1, progress=False)
    for k in range(1, 4):
        assert np.abs(log_preds[k] - log_preds[0]).max() > 1e-4, f"pass {k} is a copy of the plain pass"
    assert np.abs(log_preds[1] - log_preds[2]).max() > 1e-4


def test_average_is_in_probability_space(learn):
    log_preds, _ = tta(learn, seed=3, progress=False)
    probs, y = tta(learn, seed=3, average=True, progress=False)
    np.testing.assert_allclose(probs, np.exp(log_preds).mean(0), rtol=1e-5)
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)
    # the passes differ enough to tell the averages apart: the geometric mean (averaging log-probabilities) falls
    # short of a distribution here, so an average taken in log space would fail the sum just checked
    geo = np.exp(log_preds.mean(0))
    assert (1 - geo.sum(1)).max() > 1e-3
    np.testing.assert_array_equal(y, learn.data.val_y)


def test_test_set_has_no_labels(learn):
    log_preds, y = learn.TTA(n_aug=2, is_test=True, seed=0)  # with the progress bar
    assert y is None
    assert log_preds.shape == (3, len(learn.data.test_ds), learn.data.c)


def test_n_aug_zero_is_predict(learn):
    log_preds, _ = tta(learn, n_aug=0, progress=False)
    np.testing.assert_allclose(log_preds[0], learn.predict(), atol=1e-5)
    with pytest.raises(ValueError, match="n_aug"):
        tta(learn, n_aug=-1)


def test_seed_reproducible_and_global_rng_untouched(learn):
    py, tr = random.getstate(), torch.get_rng_state()
    a, _ = tta(learn, n_aug=2, seed=7, progress=False)
    assert random.getstate() == py and torch.equal(torch.get_rng_state(), tr)
    b, _ = tta(learn, n_aug=2, seed=7, progress=False)
    c, _ = tta(learn, n_aug=2, seed=8, progress=False)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a[1:] - c[1:]).max() > 1e-4


def test_unseeded_follows_global_seed(learn):
    random.seed(123)
    a, _ = tta(learn, n_aug=2, progress=False)
    b, _ = tta(learn, n_aug=2, progress=False)
    random.seed(123)
    c, _ = tta(learn, n_aug=2, progress=False)
    np.testing.assert_array_equal(a, c)  # set_seed at the top of a notebook makes TTA repeatable
    assert np.abs(a[1:] - b[1:]).max() > 1e-4  # and successive calls still draw new augmentations


def ctrl_c_during_tta(learn, at_batch: int = 4) -> None:
    """Run TTA(n_aug=3) and press Ctrl-C at the model's `at_batch`-th forward call; the interrupt must come through."""
    calls = []

    def interrupt(module, inp, out):
        calls.append(1)
        if len(calls) == at_batch:
            raise KeyboardInterrupt

    h = learn.model.register_forward_hook(interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            tta(learn, n_aug=3, seed=0, progress=False)
    finally:
        h.remove()


def test_seed_reproducible_with_workers(root):
    learn = make_learn(root, num_workers=1)
    a, _ = tta(learn, n_aug=2, seed=5, progress=False)
    b, _ = tta(learn, n_aug=2, seed=5, progress=False)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a[1] - a[0]).max() > 1e-4
    assert np.abs(a[2] - a[1]).max() > 1e-4
    # Ctrl-C during the augmented passes leaves no worker process behind
    before = set(multiprocessing.active_children())  # the data object's own persistent validation worker
    ctrl_c_during_tta(learn)
    assert set(multiprocessing.active_children()) == before
    np.testing.assert_array_equal(tta(learn, n_aug=2, seed=5, progress=False)[0], a)  # and still works


def test_precompute_still_augments(root):
    learn = make_learn(root, precompute=True)
    learn.fit(1e-2, 1)  # trains the head on cached activations
    assert learn.precompute
    log_preds, _ = learn.TTA(n_aug=2, seed=0, progress=False)
    assert learn.precompute  # left as it was
    np.testing.assert_allclose(log_preds[0], learn.predict(), atol=1e-5)
    assert np.abs(log_preds[1] - log_preds[0]).max() > 1e-4
    assert np.abs(log_preds[2] - log_preds[1]).max() > 1e-4


def _modes(model):
    return [m.training for m in model.modules()]


def test_restores_train_mode_including_frozen_batchnorm(learn):
    learn.set_train_mode()  # head trains, frozen body BatchNorm stays in eval: a mixed state
    before = _modes(learn.model)
    assert any(before) and not all(before)
    tta(learn, n_aug=1, seed=0, progress=False)
    assert _modes(learn.model) == before
    learn.model.eval()


def test_keyboard_interrupt_restores_state(learn):
    learn.model.train()
    before = _modes(learn.model)
    py, tr, threads = random.getstate(), torch.get_rng_state(), torch.get_num_threads()
    ctrl_c_during_tta(learn)
    assert _modes(learn.model) == before
    assert random.getstate() == py and torch.equal(torch.get_rng_state(), tr)
    assert torch.get_num_threads() == threads
    learn.model.eval()


def test_multi_label_returns_sigmoid_outputs(tmp_path):
    rng = np.random.default_rng(1)
    (tmp_path / "train").mkdir()
    rows = ["id,tags"]
    tags = ["clear road", "haze", "clear", "haze road", "road", "clear haze", "haze", "clear road"]
    for i, t in enumerate(tags):
        Image.fromarray(rng.integers(0, 255, (36, 36, 3), dtype=np.uint8)).save(tmp_path / "train" / f"i{i}.jpg")
        rows.append(f"i{i},{t}")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    tfms = tfms_from_model("resnet18", 32, aug_tfms=transforms_side_on)
    data = ImageClassifierData.from_csv(tmp_path, "train", tmp_path / "labels.csv", tfms=tfms, bs=4,
                                        val_idxs=[0, 1, 2, 3], suffix=".jpg", num_workers=0)
    torch.manual_seed(0)
    learn = ConvLearner.pretrained("resnet18", data, pretrained=False, device="cpu")
    preds, y = learn.TTA(n_aug=2, seed=0, progress=False)
    assert preds.shape == (3, 4, 3) and y.shape == (4, 3)
    assert preds.min() >= 0 and preds.max() <= 1  # probabilities, not logs
    probs, _ = learn.TTA(n_aug=2, seed=0, average=True, progress=False)
    np.testing.assert_allclose(probs, preds.mean(0), rtol=1e-6)
    name, p = predict_image(learn, tmp_path / "train" / "i0.jpg", thresh=0.0)
    assert name == "clear haze road" and p.shape == (3,)


def test_predict_image_matches_validation_pass(learn):
    data = learn.data
    fn = data.path / data.val_ds.fnames[2]
    name, probs = predict_image(learn, fn)
    expected = np.exp(learn.predict()[2])
    np.testing.assert_allclose(probs, expected, atol=1e-5)
    assert name == data.classes[int(expected.argmax())]
    assert probs.sum() == pytest.approx(1, abs=1e-5)
    learn.model.train()
    predict_image(learn, Image.open(fn))  # a PIL image works too, and the mode comes back
    assert learn.model.training
    learn.model.eval()


def test_pass_order_with_an_identity_augmentation(tmp_path):
    # square images of exactly sz and no augmentation: every augmented pass must equal the plain pass,
    # row for row, also when batches straddle the boundary between passes (10 images, bs 3)
    rng = np.random.default_rng(2)
    for c in CLASSES:
        for split in ("train", "valid"):
            (tmp_path / split / c).mkdir(parents=True)
        for i in range(5):
            for split in ("train", "valid"):
                Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(tmp_path / split / c / f"{i}.png")
    data = ImageClassifierData.from_paths(tmp_path, bs=3, tfms=tfms_from_model("resnet18", 32), num_workers=0)
    torch.manual_seed(0)
    learn = ConvLearner.pretrained("resnet18", data, pretrained=False, device="cpu")
    log_preds, _ = tta(learn, n_aug=3, seed=0, progress=False)
    for k in range(1, 4):
        np.testing.assert_allclose(log_preds[k], log_preds[0], atol=1e-5)
    assert np.abs(log_preds[0][:, 0] - log_preds[0][0, 0]).max() > 1e-4  # rows do differ, so order is tested
