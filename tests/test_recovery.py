"""After every documented failure the same learner trains normally: no autocast left on, weights as restored.

These run with amp=True, so the autocast region is exercised on any CPU (bf16 autocast works everywhere,
it is only slower where the CPU emulates it).
"""
import contextlib
import os
import signal

import numpy as np
import pytest
import torch

from course_lib import Callback, CancelFitException, ConvLearner, ImageClassifierData, set_seed, tfms_from_model
from course_lib.learner import CancelBatchException, NoBatchError


def params(model):
    return [p.detach().clone() for p in model.state_dict().values()]


def same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


@pytest.fixture
def amp_learn(tiny_data):
    set_seed(0)
    learn = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, device="cpu", amp=True)
    assert learn.precision == "bf16 autocast"
    return learn


def trains_normally(learn):
    """A later fit at a sane lr runs to the end with finite figures, outside any autocast region."""
    assert not torch.is_autocast_enabled("cpu")
    res = learn.fit(1e-3, 1)
    assert len(res) == 2 and np.isfinite(res).all()
    assert not torch.is_autocast_enabled("cpu")
    assert not learn.cbs


@pytest.fixture(autouse=True)
def _ctrl_c_raises():
    """Python's own Ctrl-C handler for these tests: a shell that starts a job in the background (`cmd &`) hands it
    SIGINT ignored, and then the signal below would do nothing."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)


def sigint():
    """A real Ctrl-C: the signal handler raises KeyboardInterrupt at the next bytecode."""
    os.kill(os.getpid(), signal.SIGINT)


@contextlib.contextmanager
def sigint_in_forward(module, n):
    """A real Ctrl-C during the n-th forward pass through `module` (lr_find, TTA, precompute have no callbacks
    of ours to hook, so a forward hook stands in)."""
    calls = []

    def hook(mod, inp, out):
        calls.append(1)
        if len(calls) == n:
            sigint()

    h = module.register_forward_hook(hook)
    try:
        yield
    finally:
        h.remove()


class Snapshot(Callback):
    """Weights at the start of every epoch and after every step."""
    order = 2

    def before_epoch(self):
        self.epoch_start = params(self.learn.model)

    def after_step(self):
        self.last_step = [p.detach().clone() for p in self.learn.model.parameters()]


class NanAt(Callback):
    """Turns the loss of one training batch into nan (inside the autocast region)."""

    def __init__(self, epoch, batch):
        self.epoch, self.batch = epoch, batch

    def after_pred(self):
        learn = self.learn
        if learn.training and learn.epoch == self.epoch and learn.i_batch == self.batch:
            learn.pred = learn.pred * float("nan")


def test_nan_loss_then_fit_trains(amp_learn):
    amp_learn.unfreeze()
    snap = Snapshot()
    with pytest.raises(FloatingPointError, match="Training loss became nan at epoch 1, batch 1"):
        amp_learn.fit(1e-2, 3, cbs=[NanAt(1, 1), snap])
    assert same(snap.epoch_start, params(amp_learn.model))
    trains_normally(amp_learn)


def test_exploding_lr_is_stopped_and_the_learner_recovers(amp_learn):
    """The issue's case: fit(1e4) blows the weights up; the error comes, and fit(1e-3) then trains."""
    amp_learn.unfreeze()
    before = params(amp_learn.model)
    with pytest.raises(FloatingPointError, match="lower learning rate"):
        amp_learn.fit(1e4, 1)
    assert same(before, params(amp_learn.model))  # the start of epoch 0 is the start of the fit
    trains_normally(amp_learn)


class SigintInForward(Callback):
    def __init__(self, epoch, batch):
        self.epoch, self.batch = epoch, batch

    def after_pred(self):
        assert torch.is_autocast_enabled("cpu")  # the signal lands inside the autocast region
        if self.learn.training and self.learn.epoch == self.epoch and self.learn.i_batch == self.batch:
            sigint()


def test_ctrl_c_in_forward_pass_then_fit_trains(amp_learn):
    amp_learn.unfreeze()
    snap = Snapshot()
    with pytest.raises(KeyboardInterrupt):
        amp_learn.fit(1e-2, 2, cbs=[SigintInForward(1, 1), snap])
    # the weights after the last finished batch (BatchNorm's running statistics saw the interrupted forward pass)
    assert same(snap.last_step, list(amp_learn.model.parameters()))
    assert all(p.grad is None for p in amp_learn.model.parameters())
    assert len(amp_learn.history) == 1
    trains_normally(amp_learn)


def test_ctrl_c_in_lr_find_then_fit_trains(amp_learn, monkeypatch):
    amp_learn.unfreeze()
    before = params(amp_learn.model)
    with sigint_in_forward(amp_learn.model.body, 5), pytest.raises(KeyboardInterrupt):
        amp_learn.lr_find(num_it=30)
    assert same(before, params(amp_learn.model)) and amp_learn.opt is None
    trains_normally(amp_learn)


def test_ctrl_c_in_tta_then_fit_and_tta_work(amp_learn):
    amp_learn.fit(1e-2, 1)
    before = params(amp_learn.model)
    modes = [m.training for m in amp_learn.model.modules()]
    rng = torch.get_rng_state()
    with sigint_in_forward(amp_learn.model.body, 3), pytest.raises(KeyboardInterrupt):
        amp_learn.TTA(n_aug=2)
    assert same(before, params(amp_learn.model))
    assert modes == [m.training for m in amp_learn.model.modules()]
    assert torch.equal(rng, torch.get_rng_state())
    trains_normally(amp_learn)
    log_preds, y = amp_learn.TTA(n_aug=2)
    assert log_preds.shape == (3, len(y), 2) and np.isfinite(log_preds).all()


def test_ctrl_c_in_precompute_then_fit_trains(tiny_data):
    learn = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, precompute=True, device="cpu",
                                   amp=True)
    before = params(learn.model)
    with sigint_in_forward(learn.model.body, 2), pytest.raises(KeyboardInterrupt):
        learn.fit(1e-2, 1)
    assert same(before, params(learn.model)) and not learn.acts.mem
    trains_normally(learn)
    assert learn.acts.mem  # the cache was built this time


# ---------------------------------------------------------------- no batch to train on: an error, not a hang
def one_image_data(tmp_path, image_folder):
    """A labels CSV of three rows, two of them validation: one training image in all."""
    root = image_folder(tmp_path / "one", n_train=2, n_valid=1, n_test=1)
    (root / "labels.csv").write_text("id,label\ncat.0,cats\ncat.1,cats\ndog.0,dogs\n")
    (root / "train" / "dogs" / "dog.0.jpg").rename(root / "train" / "dog.0.jpg")
    for f in ("cat.0", "cat.1"):
        (root / "train" / "cats" / f"{f}.jpg").rename(root / "train" / f"{f}.jpg")
    return ImageClassifierData.from_csv(root, "train", root / "labels.csv", bs=4, val_idxs=[1, 2], suffix=".jpg",
                                        tfms=tfms_from_model("resnet_mini", 16), num_workers=0)


def run_with_alarm(f, seconds=60):
    """Fail instead of hanging forever (the bug was an endless loop)."""
    def boom(*_):
        raise TimeoutError("hung")
    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        return f()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_one_training_image_gives_a_clear_error_in_fit_and_lr_find(tmp_path, image_folder):
    learn = ConvLearner.pretrained("resnet_mini", one_image_data(tmp_path, image_folder), pretrained=False, device="cpu")
    for call in (lambda: learn.lr_find(), lambda: learn.fit(1e-2, 1)):
        with pytest.raises(NoBatchError, match=r"no full batch: 1 image with bs=4.*at least 2"):
            run_with_alarm(call)
    assert not learn.cbs and not learn.hist_rows


def test_every_image_unreadable_with_skip_gives_a_clear_error(tmp_path, image_folder):
    root = image_folder(tmp_path / "bad", n_train=3, n_valid=2)
    for f in (root / "train").rglob("*.jpg"):
        f.write_bytes(b"not a jpeg")
    data = ImageClassifierData.from_paths(root, bs=4, tfms=tfms_from_model("resnet_mini", 16), num_workers=0,
                                          skip_bad_images=True)
    learn = ConvLearner.pretrained("resnet_mini", data, pretrained=False, device="cpu")
    for call in (lambda: learn.lr_find(), lambda: learn.fit(1e-2, 1)):
        with pytest.warns(UserWarning, match="skipped"), pytest.raises(NoBatchError, match="verify_images"):
            run_with_alarm(call)
    assert not learn.cbs


# ---------------------------------------------------------------- events: cancel only on a cancel, cleanup always
class Events(Callback):
    """Counts the fit-level events; optionally raises `exc` at one training batch."""

    def __init__(self, exc=None, at=1):
        self.exc, self.at, self.seen = exc, at, []

    def before_batch(self):
        if self.exc is not None and self.learn.training and self.learn.iter == self.at:
            raise self.exc()

    def after_fit(self):
        self.seen.append("after_fit")

    def after_cancel_fit(self):
        self.seen.append("after_cancel_fit")

    def cleanup_fit(self):
        self.seen.append("cleanup_fit")


@pytest.mark.parametrize("exc,expected", [
    (None, ["after_fit", "cleanup_fit"]),
    (CancelFitException, ["after_cancel_fit", "cleanup_fit"]),
    (RuntimeError, ["cleanup_fit"]),
    (KeyboardInterrupt, ["cleanup_fit"]),
])
def test_after_cancel_fit_only_on_cancel_and_cleanup_always(tiny_learn, exc, expected):
    ev = Events(exc)
    if exc in (None, CancelFitException):
        tiny_learn.fit(1e-2, 1, cbs=[ev])
    else:
        with pytest.raises(exc):
            tiny_learn.fit(1e-2, 1, cbs=[ev])
    assert ev.seen == expected and not tiny_learn.cbs


class SkipOdd(Callback):
    """Cancels every other batch: the learner skips its rest and goes on."""

    def __init__(self):
        self.skipped = 0

    def before_batch(self):
        if self.learn.i_batch % 2:
            self.skipped += 1
            raise CancelBatchException()


def test_cancel_batch_in_lr_find_is_handled_as_in_fit(tiny_learn):
    skip = SkipOdd()
    finder = tiny_learn.lr_find(num_it=12, stop_div=False, cbs=[skip])  # a user callback, as fit(cbs=...) takes
    assert skip.skipped > 0 and len(finder.losses) == 12  # skipped batches do not count as sweep steps
    assert not tiny_learn.cbs


@pytest.mark.parametrize("kw,match", [
    (dict(n_cycle=0), "n_cycle must be a whole number"),
    (dict(n_cycle=3, cycle_len=0), "cycle_len must be a positive"),
    (dict(n_cycle=1, cycle_len=0.3), "add up to 0.3 epochs"),
    (dict(n_cycle=2.5), "n_cycle must be a whole number"),
    (dict(n_cycle=2, cycle_len=1, cycle_mult=0), "cycle_mult must be a number >= 1"),
])
def test_fit_refuses_cycles_that_run_nothing(tiny_learn, kw, match):
    tiny_learn.fit(1e-2, 1)
    with pytest.raises(ValueError, match=match):
        tiny_learn.fit(1e-2, **kw)
    assert len(tiny_learn.history) == 1


def test_fractional_cycles_that_add_up_to_whole_epochs_run(tiny_learn):
    res = tiny_learn.fit(1e-2, 2, cycle_len=0.5)
    assert len(res) == 2 and len(tiny_learn.history) == 1


def test_a_failed_fit_returns_no_old_figures(tiny_learn):
    first = tiny_learn.fit(1e-2, 1)
    with pytest.raises(RuntimeError):
        tiny_learn.fit(1e-2, 1, cbs=[Events(RuntimeError, at=0)])
    assert tiny_learn.last_val == [] and first


class EveryEvent(Callback):
    """Records every batch-level event with the batch number."""

    def __init__(self):
        self.log = []

    def before_batch(self):
        self.log.append(("before_batch", self.learn.i_batch))

    def after_batch(self):
        self.log.append(("after_batch", self.learn.i_batch))


def test_each_batch_event_fires_once(tiny_learn):
    ev = EveryEvent()
    tiny_learn.fit(1e-2, 1, cbs=[ev])
    n = len(tiny_learn.data.trn_dl) + len(tiny_learn.data.val_dl)
    assert [e for e, _ in ev.log].count("before_batch") == n == [e for e, _ in ev.log].count("after_batch")
    assert all(a[0] == "before_batch" and b[0] == "after_batch" and a[1] == b[1]
               for a, b in zip(ev.log[::2], ev.log[1::2]))  # strictly paired: before, after, before, after...
