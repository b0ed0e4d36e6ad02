"""The Learner and ConvLearner: fit and schedules, freezing, lr_find, precompute, save/load, interruptions."""
import copy
import os
import pickle
from pathlib import Path
import urllib.error

import numpy as np
import pytest
import torch
import torch.nn as nn

from course_lib import Callback, ConvLearner, ImageClassifierData, accuracy_np, tfms_from_model
from course_lib.checkpoint import CheckpointError
from course_lib.models import WeightsUnavailableError, build_backbone, weights_file
from course_lib.schedules import sgdr_schedule
from course_lib.precision import fp32_convs



def params(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def test_layer_groups_named_and_printed(tiny_learn):
    names = [g.group_name for g in tiny_learn.groups]
    assert names == ["body[0:6] conv1..layer2", "body[6:8] layer3..layer4", "head"]
    text = repr(tiny_learn)
    assert "frozen" in text and "trainable" in text and "head" in text


def test_fit_constant_lr_returns_loss_and_accuracy(tiny_learn):
    res = tiny_learn.fit(1e-2, 2)
    assert len(res) == 2 and res[0] > 0
    # the reported accuracy is the accuracy of the model's own predictions on the validation set
    assert res[1] == pytest.approx(accuracy_np(np.exp(tiny_learn.predict()), tiny_learn.data.val_y))
    lrs = np.array(tiny_learn.sched.lrs)
    assert np.allclose(lrs, 1e-2)
    h = tiny_learn.history
    assert list(h.columns[:4]) == ["epoch", "trn_loss", "val_loss", "accuracy"] and len(h) == 2


def test_fit_sgdr_follows_closed_form_per_group(tiny_learn):
    tiny_learn.unfreeze()
    base = np.array([1e-4, 1e-3, 1e-2])
    tiny_learn.fit(base, 3, cycle_len=1, cycle_mult=2)
    lrs = np.array(tiny_learn.sched.lrs)
    nb = len(tiny_learn.data.trn_dl)
    expected = sgdr_schedule(nb, 3, 1, 2)[:, None] * base[None]
    assert lrs.shape == (7 * nb, 3)
    assert np.allclose(lrs, expected)
    assert len(tiny_learn.history) == 7
    assert np.allclose(lrs[:, 1] / lrs[:, 0], 10) and np.allclose(lrs[:, 2] / lrs[:, 1], 10)


def test_wrong_lr_length_names_the_groups(tiny_learn):
    with pytest.raises(ValueError, match="3 layer groups.*head"):
        tiny_learn.fit([1e-3, 1e-2], 1)


def test_frozen_groups_do_not_change_and_keep_bn_stats(tiny_learn):
    body0 = params(tiny_learn.model.body)
    head0 = params(tiny_learn.model.head)
    tiny_learn.fit(1e-2, 1)
    assert same(body0, params(tiny_learn.model.body))  # weights and BatchNorm running stats untouched
    assert not same(head0, params(tiny_learn.model.head))


def test_freeze_to_one_trains_late_body_only(tiny_learn):
    tiny_learn.freeze_to(1)
    g0, g1 = params(tiny_learn.groups[0]), params(tiny_learn.groups[1])
    tiny_learn.fit(1e-2, 1)
    assert same(g0, params(tiny_learn.groups[0]))
    assert not same(g1, params(tiny_learn.groups[1]))


def test_unfreeze_to_is_the_lesson_texts_name_for_freeze_to(tiny_data):
    learn = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, precompute=True, device="cpu")
    learn.unfreeze_to(1)
    assert learn.frozen_to == 1 and learn.precompute is False  # the body's late group trains: no cached acts
    assert [any(p.requires_grad for p in g.parameters()) for g in learn.groups] == [False, True, True]
    learn.unfreeze_to(-1)
    assert learn.frozen_to == 2
    with pytest.raises(ValueError, match="3 layer groups"):
        learn.unfreeze_to(3)


def test_bn_freeze_keeps_every_batchnorms_statistics_while_its_weights_train(tiny_data):
    import torch.nn as nn
    learn = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, device="cpu")
    bns = [m for m in learn.model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    stats = lambda: {f"{k}.{n}": t.clone() for k, m in enumerate(bns)
                     for n, t in (("mean", m.running_mean), ("var", m.running_var))}
    affine = lambda: {f"{k}.{n}": t.detach().clone() for k, m in enumerate(bns)
                      for n, t in (("weight", m.weight), ("bias", m.bias))}
    learn.unfreeze()
    learn.bn_freeze(True)
    s0, a0 = stats(), affine()
    learn.fit(1e-2, 1)
    assert same(s0, stats())          # every layer normalised with the statistics it had
    assert not same(a0, affine())     # while BatchNorm's scale and shift trained
    learn.bn_freeze(False)
    learn.fit(1e-2, 1)
    assert not same(s0, stats())      # switched off: unfrozen BatchNorm layers update their statistics again


def test_unfreeze_trains_all_and_turns_precompute_off(tiny_data):
    learn = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, precompute=True, device="cpu")
    learn.unfreeze()
    assert learn.precompute is False
    g0 = params(learn.groups[0])
    learn.fit(1e-2, 1)
    assert not same(g0, params(learn.groups[0]))
    with pytest.raises(ValueError, match="freeze"):
        learn.precompute = True


def test_weight_decay_only_when_asked(tiny_learn):
    tiny_learn.fit(1e-2, 1)
    assert all(pg["weight_decay"] == 0 for pg in tiny_learn.opt.param_groups)
    tiny_learn.fit(1e-2, 1, wds=1e-4)
    assert all(pg["weight_decay"] == 1e-4 for pg in tiny_learn.opt.param_groups)
    assert all(pg["momentum"] == 0.9 for pg in tiny_learn.opt.param_groups)


# ---------------------------------------------------------------- lr_find
def test_lr_find_restores_everything_exactly(tiny_learn):
    tiny_learn.unfreeze()
    tiny_learn.fit(1e-3, 1)  # an optimiser with momentum state to restore
    before = params(tiny_learn.model)
    opt_before = copy.deepcopy(tiny_learn.opt.state_dict())
    modes = [m.training for m in tiny_learn.model.modules()]
    finder = tiny_learn.lr_find(num_it=30)  # more iterations than the 4 training batches: cycles the data
    assert same(before, params(tiny_learn.model))
    opt_after = tiny_learn.opt.state_dict()
    assert opt_after["param_groups"] == opt_before["param_groups"]
    assert opt_after["state"].keys() == opt_before["state"].keys()
    assert all(torch.equal(opt_after["state"][k]["momentum_buffer"], v["momentum_buffer"])
               for k, v in opt_before["state"].items())
    assert modes == [m.training for m in tiny_learn.model.modules()]
    assert 10 <= len(finder.losses) <= 30
    lrs = np.array(finder.lrs)
    assert np.all(np.diff(lrs[:, -1]) > 0)


def test_lr_find_suggestion_and_plots(tiny_learn):
    import matplotlib.figure
    tiny_learn.lr_find(num_it=40)
    s = tiny_learn.sched.suggestion()
    assert 1e-5 <= s.lr <= 10 and 1e-5 <= s.steep <= 10
    for fig in (tiny_learn.sched.plot(), tiny_learn.sched.plot_lr(), tiny_learn.sched.plot_loss()):
        assert isinstance(fig, matplotlib.figure.Figure)


def test_lr_find_stops_on_divergence(tiny_learn):
    tiny_learn.unfreeze()
    finder = tiny_learn.lr_find(start_lr=1e-2, end_lr=1e6, num_it=200)
    assert len(finder.losses) < 200
    # the sweep says where it went, and why its plot ends short of end_lr
    said = finder.describe()
    assert said.startswith(f"the sweep ran {len(finder.losses)} of 200 batches, the last group's rate going from 0.01")
    assert "stopped early" in said


def test_lr_find_describes_a_full_sweep(tiny_learn):
    finder = tiny_learn.lr_find(start_lr=1e-5, end_lr=1e-3, num_it=12)
    assert finder.describe() == "the sweep ran 12 of 12 batches, the last group's rate going from 1e-05 to 0.001"


def test_plot_loss_smooths_over_a_tenth_of_a_short_fit():
    from course_lib.plots import loss_beta
    from course_lib.schedules import smooth
    assert loss_beta(26) < 0.7 and loss_beta(5000) == 0.98 and loss_beta(3) == 0.5
    # a loss that fell and then stayed flat: the curve reaches the flat part before the end of the fit
    losses = np.r_[np.linspace(1.0, 0.4, 13), np.full(13, 0.4)]
    assert abs(smooth(losses, loss_beta(len(losses)))[-1] - 0.4) < 0.02
    assert smooth(losses)[-1] > 0.5   # beta 0.98 over 26 batches is close to the mean of all of them (0.55)


# ---------------------------------------------------------------- precompute
def test_precompute_caches_and_detects_changed_files(tiny_path, capsys):
    tfms = tfms_from_model("resnet_mini", 32)
    data = ImageClassifierData.from_paths(tiny_path, bs=8, tfms=tfms, num_workers=0)
    learn = ConvLearner.pretrained("resnet_mini", data, pretrained=False, precompute=True, device="cpu")
    learn.fit(1e-2, 1)
    out = capsys.readouterr().out
    assert "augmentation has no effect" in out and "computing activations" in out
    caches = sorted((tiny_path / "tmp").glob("act_*.pt"))
    assert len(caches) == 1
    acts = learn.acts.get(learn)
    assert acts["trn"].shape == (len(data.trn_ds), 2 * 256)
    # a second learner with the same weights reuses the disk cache
    learn2 = ConvLearner.pretrained("resnet_mini", data, pretrained=False, precompute=True, device="cpu")
    learn2.model.load_state_dict(learn.model.state_dict())
    learn2.fit(1e-2, 1)
    assert "computing activations" not in capsys.readouterr().out
    # same file name and size, new content and mtime: the cache must not be reused
    fn = tiny_path / data.trn_ds.fnames[0]
    st = fn.stat()
    os.utime(fn, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    learn2.fit(1e-2, 1)
    assert "computing activations" in capsys.readouterr().out
    assert len(list((tiny_path / "tmp").glob("act_*.pt"))) == 2


@pytest.mark.parametrize("amp", [False, True])
def test_precompute_matches_full_model_and_toggles(tiny_data, amp):
    learn = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, precompute=True, device="cpu", amp=amp)
    learn.fit(1e-2, 1)
    acts = learn.acts.get(learn)
    learn.model.eval()
    with torch.no_grad():
        # the reference runs in the precision the learner uses (bf16 autocast when amp=True; at sz 32 layer4's
        # one-pixel convolutions in fp32, see course_lib.precision)
        shape = next(iter(tiny_data.val_dl))[0].shape
        with torch.autocast("cpu", torch.bfloat16, enabled=amp), \
                fp32_convs(learn.model, shape, torch.bfloat16 if amp else None, learn.device):
            full = torch.cat([learn.model.features(xb).float() for xb, _ in tiny_data.val_dl])
        fp32 = torch.cat([learn.model.features(xb) for xb, _ in tiny_data.val_dl])
    assert torch.allclose(acts["val"], full, atol=1e-5)
    # bf16 keeps about 3 significant digits: close to the fp32 features, never equal to them by accident
    assert torch.allclose(acts["val"], fp32, rtol=5e-2, atol=5e-2)
    if amp:
        assert not torch.equal(acts["val"], fp32)  # the bf16 path really ran
    learn.precompute = False
    learn.fit(1e-2, 1)
    learn.precompute = True
    learn.fit(1e-2, 1)
    assert learn.predict().shape == (len(tiny_data.val_ds), 2)


def test_fine_tuned_body_gets_fresh_activations(tiny_data, capsys):
    learn = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, precompute=True, device="cpu")
    learn.fit(1e-2, 1)
    learn.unfreeze()
    learn.fit(1e-2, 1)
    learn.freeze()
    capsys.readouterr()
    learn.precompute = True
    learn.fit(1e-2, 1)
    assert "computing activations" in capsys.readouterr().out


# ---------------------------------------------------------------- set_data
def test_set_data_keeps_weights_and_freezes(tiny_learn):
    tiny_learn.unfreeze()
    w = params(tiny_learn.model)
    bigger = tiny_learn.data.resize_to(48)
    tiny_learn.set_data(bigger)
    assert tiny_learn.data.sz == 48 and tiny_learn.frozen_to == 2
    assert same(w, params(tiny_learn.model))
    xb, _ = next(iter(bigger.trn_dl))
    assert xb.shape[-1] == 48
    tiny_learn.fit(1e-2, 1)


# ---------------------------------------------------------------- save / load
def test_save_load_round_trip(tiny_learn):
    tiny_learn.fit(1e-2, 1)
    fn = tiny_learn.save("m1")
    assert fn.name == "m1.pt" and fn.parent.name == "models"
    p0 = tiny_learn.predict()
    tiny_learn.fit(1e-1, 1)
    assert not np.allclose(p0, tiny_learn.predict())
    tiny_learn.load("m1")
    assert np.allclose(p0, tiny_learn.predict(), atol=1e-6)
    ck = torch.load(fn, weights_only=True)
    assert ck["arch"] == "resnet_mini" and ck["classes"] == ["cats", "dogs"] and ck["sz"] == 32


def test_load_refuses_other_classes_and_arch(tiny_learn, tmp_path, image_folder):
    tiny_learn.save("m")
    other = image_folder(tmp_path / "other")
    (other / "train" / "dogs").rename(other / "train" / "wolves")
    (other / "valid" / "dogs").rename(other / "valid" / "wolves")
    data2 = ImageClassifierData.from_paths(other, bs=8, tfms=tfms_from_model("resnet_mini", 32), num_workers=0)
    learn2 = ConvLearner.pretrained("resnet_mini", data2, pretrained=False, device="cpu")
    learn2.models_path = tiny_learn.models_path
    with pytest.raises(CheckpointError, match="classes"):
        learn2.load("m")
    learn3 = ConvLearner.pretrained("resnet18", tiny_learn.data, pretrained=False, device="cpu")
    with pytest.raises(CheckpointError, match="resnet_mini"):
        learn3.load("m")


def test_load_bad_files(tiny_learn):
    d = tiny_learn.models_path
    d.mkdir(parents=True)
    tiny_learn.save("good")
    raw = (d / "good.pt").read_bytes()
    (d / "trunc.pt").write_bytes(raw[: len(raw) // 2])
    (d / "text.pt").write_text("hello")
    with open(d / "evil.pt", "wb") as f:
        pickle.dump({"x": Evil()}, f)
    torch.save({"a": 1}, d / "foreign.pt")
    for name, pattern in [("trunc", "truncated"), ("text", "truncated or not"), ("evil", "could run code|truncated"),
                          ("foreign", "not a course_lib checkpoint"), ("missing", "No checkpoint")]:
        with pytest.raises((CheckpointError, FileNotFoundError), match=pattern):
            tiny_learn.load(name)
    assert not (d / "pwned").exists()


class Evil:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_failed_save_keeps_previous_checkpoint(tiny_learn, monkeypatch):
    fn = tiny_learn.save("keep")
    before = fn.read_bytes()

    def boom(obj, f, *a, **k):
        f.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(CheckpointError, match="No space left"):
        tiny_learn.save("keep")
    assert fn.read_bytes() == before
    assert [p.name for p in fn.parent.iterdir()] == ["keep.pt"]  # no temporary file left behind


def test_read_only_folder_gives_clear_error(tiny_learn, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root ignores folder permissions")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    tiny_learn.models_path = ro
    with pytest.raises(CheckpointError, match="Cannot write|failed"):
        tiny_learn.save("x")


# ---------------------------------------------------------------- interruptions and bad losses
class InterruptAt(Callback):
    def __init__(self, epoch, batch, exc=KeyboardInterrupt):
        self.epoch, self.batch, self.exc = epoch, batch, exc

    def after_step(self):
        if self.learn.epoch == self.epoch and self.learn.i_batch == self.batch:
            raise self.exc()


def test_ctrl_c_leaves_learner_usable(tiny_learn):
    tiny_learn.unfreeze()
    with pytest.raises(KeyboardInterrupt):
        tiny_learn.fit(1e-2, 3, cbs=[InterruptAt(1, 1)])
    assert len(tiny_learn.history) == 1  # the finished epoch is kept
    assert all(p.grad is None for p in tiny_learn.model.parameters())
    assert all(torch.isfinite(p).all() for p in tiny_learn.model.parameters())
    assert not any(isinstance(c, InterruptAt) for c in tiny_learn.cbs)
    res = tiny_learn.fit(1e-2, 1)  # optimiser and model still work
    assert len(res) == 2 and len(tiny_learn.history) == 2


class NanLoss(Callback):
    def after_loss(self):
        if self.learn.training and self.learn.epoch == 1 and self.learn.i_batch == 2:
            self.learn.loss = self.learn.loss * float("nan")


def test_nan_loss_stops_and_restores(tiny_learn):
    tiny_learn.fit(1e-2, 1)
    w = params(tiny_learn.model)
    # NanLoss runs after the guard's epoch snapshot; record what the weights were at the start of epoch 1
    class Snap(Callback):
        order = 2

        def before_epoch(self):
            if self.learn.epoch == 1:
                self.w = params(self.learn.model)
    snap = Snap()
    with pytest.raises(FloatingPointError, match="epoch 1, batch 2.*lower learning rate"):
        tiny_learn.fit(1e-2, 3, cbs=[NanLoss(), snap])
    assert same(snap.w, params(tiny_learn.model))
    assert not same(w, params(tiny_learn.model))


# ---------------------------------------------------------------- weights, offline
def test_imagenet_weights_load_offline_from_torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    import torchvision.models as tvm
    fake = tvm.resnet18(weights=None).state_dict()
    fn = weights_file("resnet18")
    assert str(tmp_path) in str(fn)
    fn.parent.mkdir(parents=True)
    torch.save(fake, fn)

    def no_network(*a, **k):
        raise AssertionError("must not download")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    m = build_backbone("resnet18", pretrained=True)
    assert torch.equal(m.state_dict()["conv1.weight"], fake["conv1.weight"])


def test_missing_weights_offline_error_says_what_to_do(tmp_path, monkeypatch, tiny_data):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))

    def offline(url, dst, *a, **k):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    with pytest.raises(WeightsUnavailableError) as e:
        ConvLearner.pretrained("resnet34", tiny_data)
    msg = str(e.value)
    assert "resnet34-" in msg and str(tmp_path / "empty") in msg and "resnet_mini" in msg
    assert not [f for f in (tmp_path / "empty").rglob("*") if f.is_file()]  # no partial download left


def test_other_families_build_with_three_groups(tiny_data):
    for arch in ("densenet121", "resnext50"):
        learn = ConvLearner.pretrained(arch, tiny_data, pretrained=False, device="cpu")
        assert len(learn.groups) == 3
        assert learn.predict_array(torch.zeros(2, 3, 32, 32)).shape == (2, 2)


def test_unknown_arch_lists_choices(tiny_data):
    with pytest.raises(ValueError, match="resnet34"):
        ConvLearner.pretrained("vgg_banana", tiny_data)


def test_multilabel_uses_sigmoid_head(tmp_path, image_folder):
    root = image_folder(tmp_path / "ml")
    files = sorted((root / "train").rglob("*.jpg"))
    (root / "all").mkdir()
    rows = ["id,tags"]
    for i, f in enumerate(files):
        (root / "all" / f"img{i}.jpg").write_bytes(f.read_bytes())
        rows.append(f"img{i},{'a b' if i % 3 == 0 else ('b' if i % 3 == 1 else 'c')}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    data = ImageClassifierData.from_csv(root, "all", root / "labels.csv", bs=8, suffix=".jpg",
                                        tfms=tfms_from_model("resnet_mini", 32), num_workers=0)
    assert data.is_multi and data.classes == ["a", "b", "c"]
    learn = ConvLearner.pretrained("resnet_mini", data, pretrained=False, device="cpu")
    res = learn.fit(1e-2, 1)
    p = learn.predict()
    assert p.shape == (len(data.val_ds), 3) and (p >= 0).all() and (p <= 1).all()
    assert res[1] == pytest.approx(((p > 0.5) == data.val_y).mean())  # accuracy_thresh(0.5) of those outputs


def test_corrupt_image_mid_epoch_names_file_epoch_and_batch(tiny_path):
    tfms = tfms_from_model("resnet_mini", 32)
    data = ImageClassifierData.from_paths(tiny_path, bs=8, tfms=tfms, num_workers=0)
    learn = ConvLearner.pretrained("resnet_mini", data, pretrained=False, device="cpu")
    learn.fit(1e-2, 1)
    w = params(learn.model)
    bad = tiny_path / data.val_ds.fnames[-1]
    bad.write_bytes(bad.read_bytes()[:200])  # truncated JPEG
    from course_lib import BadImageError
    with pytest.raises(BadImageError) as e:
        learn.fit(1e-2, 1)
    msg = str(e.value)
    assert bad.name in msg and "validation, epoch 0, batch 2 of 2" in msg and "verify_images" in msg
    learn.predict_array(torch.zeros(1, 3, 32, 32))  # still usable
    assert not same(w, params(learn.model))  # the training epoch before the bad batch was kept


def test_corrupt_image_in_a_worker_keeps_its_type(tiny_path):
    tfms = tfms_from_model("resnet_mini", 32)
    data = ImageClassifierData.from_paths(tiny_path, bs=8, tfms=tfms, num_workers=1)
    bad = tiny_path / data.trn_ds.fnames[0]
    bad.write_bytes(b"not an image")
    learn = ConvLearner.pretrained("resnet_mini", data, pretrained=False, device="cpu")
    from course_lib import BadImageError
    with pytest.raises(BadImageError, match=r"training, epoch 0"):
        learn.fit(1e-2, 1)


def test_skip_bad_images_trains_on_and_warns(tiny_path):
    for i in range(3):
        (tiny_path / "train" / "cats" / f"cat.{i}.jpg").write_bytes(b"broken")
    tfms = tfms_from_model("resnet_mini", 32)
    data = ImageClassifierData.from_paths(tiny_path, bs=8, tfms=tfms, num_workers=0, skip_bad_images=True)
    learn = ConvLearner.pretrained("resnet_mini", data, pretrained=False, device="cpu")
    with pytest.warns(UserWarning, match="skipped .*cat.[012].jpg"):
        res = learn.fit(1e-2, 1)
    assert len(res) == 2
    # validation never skips: its predictions must line up with the labels. The precompute pass over the
    # training images skips in order and keeps each label with its image (collate_kept)
    from course_lib.data import collate_kept
    assert not data.val_ds.skip_bad and data.val_ds.no_skip
    assert data.fix_ds.skip_bad and data.fix_dl.collate_fn is collate_kept
    assert data.resize_to(48).skip_bad_images


class OOMAt(Callback):
    def after_pred(self):
        if self.learn.training and self.learn.i_batch == 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")


def test_out_of_memory_suggests_a_smaller_batch(tiny_learn):
    from course_lib.learner import OutOfMemory
    with pytest.raises(OutOfMemory, match=r"bs=4 \(now 8\)"):
        tiny_learn.fit(1e-2, 1, cbs=[OOMAt()])
    assert len(tiny_learn.fit(1e-2, 1)) == 2  # still usable


def test_ctrl_c_during_precompute_leaves_no_cache(tiny_data, monkeypatch):
    import course_lib.precompute as pc
    learn = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, precompute=True, device="cpu")
    real, calls = pc.compute_features, []

    def interrupted(*a, **k):
        calls.append(1)
        if len(calls) == 2:  # after the training activations, during the validation ones
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(pc, "compute_features", interrupted)
    learn.model.train()
    tmp = tiny_data.path / "tmp"
    with pytest.raises(KeyboardInterrupt):
        learn.fit(1e-2, 1)
    assert not list(tmp.glob("*act_*"))  # no cache file, finished or half-written (glob of a missing folder: [])
    assert learn.model.training and not learn.acts.mem and not learn.cbs
    monkeypatch.setattr(pc, "compute_features", real)
    assert len(learn.fit(1e-2, 1)) == 2
    assert len(list(tmp.glob("act_*.pt"))) == 1  # a finished build writes its cache where the check above looked


def test_unwritable_precompute_cache_keeps_training(tiny_data, monkeypatch, capsys):
    import course_lib.precompute as pc

    def full_disk(obj, fn):
        raise CheckpointError(f"Saving {fn} failed (No space left on device)")

    monkeypatch.setattr(pc, "atomic_save", full_disk)
    learn = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, precompute=True, device="cpu")
    assert len(learn.fit(1e-2, 1)) == 2
    assert "keeping it in memory only" in capsys.readouterr().out


def test_ctrl_c_during_lr_find_restores_state(tiny_learn, monkeypatch):
    tiny_learn.unfreeze()
    before = params(tiny_learn.model)
    from course_lib.callbacks import LRFinder
    real = LRFinder.after_batch

    def interrupt(self):
        real(self)
        if self.it == 5:
            raise KeyboardInterrupt

    monkeypatch.setattr(LRFinder, "after_batch", interrupt)
    with pytest.raises(KeyboardInterrupt):
        tiny_learn.lr_find(num_it=30)
    assert same(before, params(tiny_learn.model)) and tiny_learn.opt is None and not tiny_learn.cbs
    monkeypatch.setattr(LRFinder, "after_batch", real)
    assert len(tiny_learn.fit(1e-2, 1)) == 2


@pytest.mark.slow
def test_import_leaves_pandas_unloaded():
    """pandas (~30 MB, ~0.5 s) is imported only when a table is first built, not by `import course_lib`."""
    import subprocess
    import sys
    code = ("import sys, course_lib, course_lib.callbacks; "
            "print('pandas' in sys.modules, 'course_lib.synthetic.drawing' in sys.modules, 'timm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    # nor the drawing code behind the generated samples (not needed for photos), nor timm (EfficientNet only)
    assert out.split() == ["False", "False", "False"]


def test_real_data_package_leaves_drawing_unloaded():
    """The real-data package never reaches the synthetic wing: its drawing code loads only to make samples."""
    import subprocess
    import sys
    code = ("import sys, course_lib.datasets; from course_lib.datasets import find_real; "
            "print('course_lib.synthetic.drawing' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False"]


def test_custom_head_trains_and_precomputes(tiny_data):
    nf = 256  # resnet_mini's body width
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(nf, 2))
    learn = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, custom_head=head, device="cpu",
                                   precompute=True)
    assert learn.model.head is head
    learn.fit(1e-2, 1)
    assert learn.acts.get(learn)["val"].shape == (len(tiny_data.val_ds), nf)  # avg pool: nf, not 2 * nf
    learn.precompute = False
    learn.unfreeze()
    learn.fit(1e-2, 1)
    assert learn.predict().shape == (len(tiny_data.val_ds), 2)


def test_custom_head_errors_name_the_fix(tiny_data):
    def make(head, **kw):
        return ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, custom_head=head, device="cpu", **kw)

    with pytest.raises(ValueError, match="2 classes.*nn.Linear"):
        make(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, 5)))
    with pytest.raises(ValueError, match="256 channels"):
        make(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 2)))
    with pytest.raises(ValueError, match="ps and xtra_fc"):
        make(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, 2)), ps=0.1)
    with pytest.raises(TypeError, match="nn.Module"):
        make("linear")
    # a head without pool + flatten up front trains, but cannot be precomputed
    conv_head = nn.Sequential(nn.Conv2d(256, 2, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    learn = make(conv_head)
    with pytest.raises(ValueError, match="pooling layer and nn.Flatten"):
        learn.precompute = True
    learn.fit(1e-2, 1)
    assert not learn.precompute


def test_last_preds_are_the_last_validation_epoch_in_order(tiny_learn):
    tiny_learn.fit(1e-3, 1)
    out = tiny_learn.sched.last_preds()
    assert out.shape == (len(tiny_learn.data.val_ds), 2)
    acc = (out.argmax(1) == tiny_learn.data.val_y).mean()
    assert acc == pytest.approx(tiny_learn.history.accuracy.iloc[-1])


# ---------------------------------------------------------------- the head's dropout
def test_head_dropout_drops_p_and_keeps_the_expected_value():
    from course_lib.models import Dropout
    x = torch.ones(64, 4096)
    for p in (0.25, 0.5, 0.1):
        y = Dropout(p).train()(x)
        kept = (y != 0).float().mean().item()
        k = round(p * 65536)
        assert abs(kept - (1 - p)) < 4 * (p * (1 - p) / x.numel()) ** 0.5  # 4 standard errors
        assert torch.all((y == 0) | (y == 65536 / (65536 - k)))  # kept values scaled by exactly 1 / P(keep)
        assert abs(y.mean().item() - 1) < 0.02
    # bf16 input: scaled in fp32 and rounded once, as nn.Dropout does
    yb = Dropout(0.25).train()(torch.full((8, 8), 3.0, dtype=torch.bfloat16))
    assert yb.dtype == torch.bfloat16 and set(yb.unique().tolist()) <= {0.0, 4.0}


def test_head_dropout_follows_torch_seed_eval_mode_and_gradient():
    from course_lib.models import Dropout
    d = Dropout(0.5).train()
    x = torch.randn(3, 7, requires_grad=True)  # a size that is no multiple of four
    torch.manual_seed(0)
    a = d(x)
    torch.manual_seed(0)
    b = d(x)
    torch.manual_seed(1)
    c = d(x)
    assert torch.equal(a, b) and not torch.equal(a, c)
    a.sum().backward()
    assert torch.equal(x.grad, (a != 0).float() * 2)  # gradient flows through kept values only, scaled
    d.eval()
    assert d(x) is x
    assert isinstance(d, torch.nn.Dropout)  # code that looks for nn.Dropout (e.g. MC dropout) still finds it
    assert torch.equal(Dropout(1.0).train()(x), torch.zeros_like(x))  # p=1 drops everything, no division by 0
    assert torch.equal(Dropout(0.0).train()(x), x)


def test_precompute_head_slice_follows_a_replaced_layer(tiny_data):
    learn = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, precompute=True, device="cpu")
    first = learn.fit_model
    assert learn.fit_model is first  # the same slice while the head holds the same layers
    new = torch.nn.Linear(learn.model.head[-1].in_features, 2)
    learn.model.head[-1] = new
    assert learn.fit_model is not first and learn.fit_model[-1] is new


def test_precompute_message_shows_the_cache_folder_as_typed_from_here(tiny_path, tmp_path, capsys, monkeypatch):
    data = ImageClassifierData.from_paths(tiny_path, bs=8, tfms=tfms_from_model("resnet_mini", 32), num_workers=0)
    monkeypatch.chdir(tiny_path / "train")  # one level below the data: the notebook situation
    learn = ConvLearner.pretrained("resnet_mini", data, pretrained=False, precompute=True, device="cpu")
    learn.fit(1e-2, 1)
    assert "cached in ../tmp)" in capsys.readouterr().out
    far = tmp_path / "a" / "b" / "c"
    far.mkdir(parents=True)
    monkeypatch.chdir(far)  # far away: absolute, not a chain of ../
    from course_lib.precompute import shown_path
    assert shown_path(tiny_path / "tmp") == str((tiny_path / "tmp").resolve())
    monkeypatch.setenv("HOME", str(tmp_path))  # far away but under the home folder: ~/..., which names no user
    assert shown_path(tmp_path / "q") == str(Path("~") / "q")
    monkeypatch.setenv("HOME", str(tmp_path / "a"))  # one level up, but into the home folder from outside it
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert os.path.relpath(tmp_path / "a" / "cache") == os.path.join("..", "a", "cache")
    assert shown_path(tmp_path / "a" / "cache") == str(Path("~") / "cache")


@pytest.fixture
def read_only(tiny_data):
    """The tiny data folder marked read-only (chmod a-w), as a classroom share would be; restored afterwards."""
    mode = tiny_data.path.stat().st_mode
    os.chmod(tiny_data.path, mode & ~0o222)
    yield tiny_data
    os.chmod(tiny_data.path, mode)


def test_a_read_only_data_folder_saves_and_caches_elsewhere(read_only, tmp_path, monkeypatch, capsys):
    tiny_data = read_only
    monkeypatch.setenv("COURSE_LIB_WORK", str(tmp_path / "work"))
    learn = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, precompute=True, device="cpu")
    assert "is read-only: models and caches go to" in capsys.readouterr().out
    assert learn.work_path.parent == tmp_path / "work" and learn.work_path.name.startswith(tiny_data.path.name)
    learn.fit(1e-2, 1)
    fn = learn.save("ro")
    assert fn.parent == learn.work_path / "models" and fn.is_file()
    assert list((learn.work_path / "tmp").glob("act_*.pt")) and not (tiny_data.path / "tmp").exists()
    assert not (tiny_data.path / "models").exists()
    other = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, device="cpu").load("ro")
    assert same(params(other.model), params(learn.model))
    assert "read-only" not in capsys.readouterr().out  # said once per folder, not for every learner
    absolute = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, device="cpu",
                                      model_dir=tmp_path / "mine")
    assert absolute.save("x").parent == tmp_path / "mine"


def test_no_code_module_outside_synthetic_is_over_450_lines():
    """One idea a module (structure round 2): message catalogs are text tables and do not count."""
    root = Path(__file__).resolve().parents[1] / "course_lib"
    catalogs = {"messages.py", "messages_zh.py"}
    long = {str(p.relative_to(root)): n for p in root.rglob("*.py")
            if "synthetic" not in p.parts and p.parent.name != "text" and p.name not in catalogs
            and (n := len(p.read_text().splitlines())) > 450}
    assert not long, long
