"""A learner reused after each kind of failure, on every path, over many seeds (reliability round 4, beyond the
list): Ctrl-C late in a fit, a divergence followed by every other call, Ctrl-C inside TTA, an image spoiled
between fits, a checkpoint loaded into a learner in another state, images of other modes swapped in mid-job, and
bf16 against fp32 on where a fit diverges. resnet_mini, 8 + 4 images a class at 32 px, bs 4, seeds in one process.
"""
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from course_lib import Callback, ConvLearner, ImageClassifierData, set_seed, tfms_from_model, transforms_side_on
from course_lib.images import BadImageError

SEEDS = range(20)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from conftest import make_folder
    return make_folder(tmp_path_factory.mktemp("reuse"), n_train=8, n_valid=4, n_test=0)


def data_at(folder, sz=32):
    tfms = tfms_from_model("resnet_mini", sz, aug_tfms=transforms_side_on, max_zoom=1.1)
    return ImageClassifierData.from_paths(folder, bs=4, tfms=tfms, num_workers=0)


def fresh(data, **kw):
    learn = ConvLearner.pretrained("resnet_mini", data, device="cpu", **kw)
    learn.quiet = True
    return learn


def unfrozen(data, seed: int, **kw):
    """A fresh learner for `seed`, every layer group trainable."""
    set_seed(seed)
    learn = fresh(data, **kw)
    learn.unfreeze()
    return learn


def all_finite(learn) -> bool:
    """Every parameter, buffer and optimiser tensor of the learner is finite."""
    tensors = list(learn.model.state_dict().values())
    if learn.opt is not None:
        tensors += [v for st in learn.opt.state.values() for v in st.values() if torch.is_tensor(v)]
    return all(torch.isfinite(t).all() for t in tensors if t.is_floating_point())


def trains_on(learn, seed) -> None:
    """The same learner fits, predicts and TTAs normally afterwards."""
    res = learn.fit(1e-3, 1)
    assert np.isfinite(res).all(), f"seed {seed}: the next fit gave {res}"
    log_preds, y = learn.TTA(n_aug=1)
    assert np.isfinite(log_preds).all() and len(y) == 8, f"seed {seed}: TTA afterwards"


class CtrlC(Callback):
    """Ctrl-C after the loss of the `at`-th training batch of the fit."""

    def __init__(self, at: int):
        self.at, self.n = at, 0

    def after_loss(self):
        self.n += 1
        if self.n == self.at:
            raise KeyboardInterrupt


@pytest.mark.slow
def test_ctrl_c_late_in_a_fit_leaves_a_learner_that_trains_on(folder, capsys):
    data = data_at(folder)
    for s in SEEDS:
        learn = unfrozen(data, s)
        with pytest.raises(KeyboardInterrupt):
            learn.fit(1e-2, 3, cbs=[CtrlC(5 + s % 6)])  # in the second or third epoch (4 batches an epoch)
        assert all_finite(learn), f"seed {s}"
        assert "weights are those after the last finished batch" in capsys.readouterr().out
        trains_on(learn, s)


@pytest.mark.slow
def test_after_a_divergence_every_path_works(folder):
    data = data_at(folder)
    diverged = 0
    for s in range(10):
        learn = unfrozen(data, s)
        try:
            learn.fit(1e4, 1)
        except FloatingPointError:
            diverged += 1
        learn.lr_find(num_it=8)
        assert np.isfinite(learn.predict()).all(), f"seed {s}: predict after a divergence"
        trains_on(learn, s)
        learn.freeze()
        learn.precompute = True
        assert np.isfinite(learn.fit(1e-2, 1)).all(), f"seed {s}: a precompute fit after a divergence"
    assert diverged >= 8, f"only {diverged} of 10 fits at lr 1e4 diverged: the scenario no longer tests reuse"


def test_ctrl_c_inside_tta_puts_the_mode_back(folder):
    data = data_at(folder)
    for s in range(10):
        set_seed(s)
        learn = fresh(data)
        learn.model.train()
        calls = [0]

        def interrupt(module, inputs, output):
            calls[0] += 1
            if calls[0] == 1 + s % 3:  # in the plain pass or an augmented one
                raise KeyboardInterrupt

        hook = learn.model.register_forward_hook(interrupt)
        with pytest.raises(KeyboardInterrupt):
            learn.TTA(n_aug=2)
        hook.remove()
        assert learn.model.training, f"seed {s}: TTA left the model in eval mode"
        trains_on(learn, s)


@pytest.mark.slow
def test_an_image_spoiled_between_fits_is_named_and_the_learner_goes_on(folder, tmp_path):
    for s in range(10):
        copy = tmp_path / f"s{s}"
        shutil.copytree(folder, copy)
        data = data_at(copy)
        learn = unfrozen(data, s)
        learn.fit(1e-3, 1)
        victim = copy / data.trn_ds.fnames[s % len(data.trn_ds.fnames)]
        good = victim.read_bytes()
        victim.write_bytes(good[: len(good) // 3])  # a copy that was cut short while the job ran
        with pytest.raises(BadImageError, match=victim.name):
            learn.fit(1e-3, 1)
        assert all_finite(learn), f"seed {s}"
        victim.write_bytes(good)
        trains_on(learn, s)


def test_a_checkpoint_loads_into_a_learner_in_another_state(folder):
    """Saved unfrozen and trained, loaded into a fresh learner that is frozen with precompute on: the same model."""
    data = data_at(folder)
    for s in range(5):
        learn = unfrozen(data, s)
        learn.fit(1e-3, 1)
        learn.save(f"reuse_{s}")
        other = fresh(data)
        other.precompute = True
        other.load(f"reuse_{s}")
        other.precompute = False
        np.testing.assert_allclose(other.predict(), learn.predict(), atol=1e-4, err_msg=f"seed {s}")
        assert np.isfinite(other.fit(1e-3, 1)).all()


def test_images_of_other_modes_swapped_in_mid_job_are_read(folder, tmp_path):
    """CMYK, a 16-bit PNG and a palette PNG with transparency under .jpg names, 1x1 and 1x500 pictures, grey with
    alpha: written over training images after the data set was built, they load as RGB and the fit trains."""
    copy = tmp_path / "modes"
    shutil.copytree(folder, copy)
    data = data_at(copy)
    names = [copy / f for f in data.trn_ds.fnames]
    rgb = np.random.default_rng(0).integers(0, 255, (40, 30, 3), dtype=np.uint8)
    Image.fromarray(rgb).convert("CMYK").save(names[0], "JPEG")
    Image.fromarray(np.random.default_rng(1).integers(0, 65535, (40, 30)).astype(np.uint16)).save(names[1], "PNG")
    Image.fromarray(rgb).convert("P").save(names[2], "PNG", transparency=0)
    Image.fromarray(rgb[:1, :1]).save(names[3], "JPEG")
    Image.fromarray(rgb[:1, :1].repeat(500, 1)).save(names[4], "JPEG")
    Image.fromarray(rgb).convert("LA").save(names[5], "PNG")
    for s in range(3):
        set_seed(s)
        learn = fresh(data)
        res = learn.fit(1e-3, 1)
        assert np.isfinite(res).all(), f"seed {s}: {res}"
        assert all_finite(learn)


@pytest.mark.slow
def test_bf16_and_fp32_agree_on_what_diverges(folder):
    """Far from the edge the two precisions agree: at lr 1 no seed diverges in either, at lr 1e4 (the issue's
    rate) every seed diverged in both, on 1 and on 2 threads; 7 of 8 are asked for, not 8, because what diverges
    near the edge depends on the order of float sums, which the thread count changes (lr 100, seed 4: fp32
    diverged on 2 threads and not on 1).

    At the edge (lr 5 to 20) they agree on the rate, not the seeds (bench/divergence.py prints the counts), as one
    rounding difference sends a fit on another path."""
    data = data_at(folder)
    for lr, least, most in ((1.0, 0, 0), (1e4, 7, 8)):
        for amp in (False, True):
            diverged = 0
            for s in range(8):
                learn = unfrozen(data, s, amp=amp)
                try:
                    learn.fit(lr, 1)
                except FloatingPointError:
                    diverged += 1
                assert all_finite(learn), f"lr {lr}, seed {s}"
            assert least <= diverged <= most, f"lr {lr}, {'bf16' if amp else 'fp32'}: {diverged} of 8 diverged"


def test_arguments_tried_in_round_4_are_refused_with_what_is_allowed(folder):
    learn = fresh(data_at(folder))
    with pytest.raises(ValueError, match="no test set"):
        learn.predict(is_test=True)
    with pytest.raises(ValueError, match="no test set.*test_name"):
        learn.TTA(is_test=True)
    with pytest.raises(ValueError, match=r"freeze_to\(1.5\): this model has 3 layer groups"):
        learn.unfreeze_to(1.5)
    with pytest.raises(ValueError, match="lr has 2 values but the model has 3 layer groups"):
        learn.fit([1e-3, 1e-2], 1)
    for n in (0, 20.0):
        with pytest.raises(ValueError, match=f"lr_find needs num_it, .* whole number >= 2; got {n}"):
            learn.lr_find(num_it=n)
    with pytest.raises(ValueError, match="n_aug must be a whole number >= 0.*got 2.5"):
        learn.TTA(n_aug=2.5)  # used to run 2 augmented passes without a word
    assert np.isfinite(learn.fit(1e-3, 1)).all()  # and nothing of the above touched the learner


def test_a_device_this_machine_lacks_or_a_misspelt_one_is_named_up_front(folder, monkeypatch):
    from course_lib.devices import default_device
    data = data_at(folder)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    # a notebook written for a GPU, run on a laptop: not torch's "Found no NVIDIA driver" at the first tensor
    with pytest.raises(ValueError, match=r"device='cuda', but this machine has no CUDA device.*device='cpu'"):
        ConvLearner.pretrained("resnet_mini", data, device="cuda")
    with pytest.raises(ValueError, match=r"device='gpu' is not a device name; use 'cpu', 'cuda'"):
        ConvLearner.pretrained("resnet_mini", data, device="gpu")
    monkeypatch.setenv("COURSE_LIB_DEVICE", "cuda:0")
    with pytest.raises(ValueError, match=r"COURSE_LIB_DEVICE='cuda:0', but this machine has no CUDA"):
        default_device()
    monkeypatch.setenv("COURSE_LIB_DEVICE", "cpu")
    assert default_device().type == "cpu"


def test_a_misspelt_architecture_is_refused_when_the_transforms_are_made():
    # it used to get ImageNet's statistics here and fail only at ConvLearner.pretrained, after the data was built
    with pytest.raises(ValueError, match="Unknown architecture 'resnet43'; available: .*resnet34"):
        tfms_from_model("resnet43", 32)
    import torchvision
    assert tfms_from_model(torchvision.models.resnet34, 32)[1].stats == tfms_from_model("resnet34", 32)[1].stats
