"""One owner of mixed precision: autocast, the gradient scaler and the optimiser step (precision.Precision)."""
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset
from types import SimpleNamespace

from course_lib import Callback, Learner, set_seed
from course_lib.precision import Precision


def toy(scaler=None):
    """A small linear learner on fixed data (CPU, fp32), with or without a forced GradScaler."""
    set_seed(0)
    x, y = torch.randn(64, 6), torch.randint(0, 3, (64,))
    data = SimpleNamespace(trn_dl=DataLoader(TensorDataset(x, y), batch_size=16),
                           val_dl=DataLoader(TensorDataset(x[:16], y[:16]), batch_size=16))
    net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    learn = Learner(net, data, device="cpu", amp=False)
    learn.scaler = scaler
    learn.quiet = True
    return learn


class Clip(Callback):
    """Clips gradients to norm 0.1 in after_backward, and records the norm it saw before clipping."""

    def __init__(self):
        self.norms = []

    def after_backward(self):
        params = [p for p in self.learn.model.parameters() if p.grad is not None]
        self.norms.append(float(torch.nn.utils.clip_grad_norm_(params, 0.1)))


def test_clipping_in_after_backward_sees_unscaled_gradients():
    plain, scaled = toy(scaler=False), toy(scaler=True)
    assert not plain.mp.scaling
    a, b = Clip(), Clip()
    plain.fit(0.1, 1, cbs=[a])
    scaled.fit(0.1, 1, cbs=[b])
    assert scaled.mp.scaling and scaled.mp.scaler.get_scale() > 1  # the loss really was scaled (65536 at first)
    np.testing.assert_allclose(b.norms, a.norms, rtol=1e-4)  # the callback saw the true gradients
    for p, q in zip(plain.model.parameters(), scaled.model.parameters()):
        torch.testing.assert_close(p, q)  # and the step used the clipped, unscaled ones


class OwnStep(Callback):
    def step(self):
        self.learn.opt.step()


def test_a_callback_cannot_replace_the_scaled_step_by_accident():
    learn = toy(scaler=True)
    with pytest.raises(ValueError, match="OwnStep defines step\\(\\).*after_backward"):
        learn.fit(0.1, 1, cbs=[OwnStep()])
    assert not learn.cbs and len(learn.fit(0.1, 1)) == 2  # nothing left attached; the learner trains on
    plain = toy(scaler=False)
    plain.fit(0.1, 1, cbs=[OwnStep()])  # without scaling a replacement step is allowed (e.g. SAM)


class Count(Callback):
    def __init__(self):
        self.batches = 0

    def after_batch(self):
        self.batches += 1


def test_lr_find_takes_user_callbacks_and_the_precision_owner():
    learn = toy(scaler=True)
    c = Count()
    finder = learn.lr_find(num_it=8, stop_div=False, cbs=[c])
    assert c.batches == 8 == len(finder.losses) and not learn.cbs
    assert [type(cb).__name__ for cb in learn.finder_cbs(finder)][-2:] == ["LRFinder", "ProgressCallback"]


def test_precision_chooses_dtype_and_scaler():
    cpu = torch.device("cpu")
    assert Precision(cpu, amp=False).dtype is None and not Precision(cpu, amp=False).scaling
    p = Precision(cpu, amp=True)
    assert p.dtype is torch.bfloat16 and not p.scaling  # bf16 has fp32's range: no scaler
    x = torch.zeros(1, 3, 8, 8)
    with p.autocast(torch.nn.Conv2d(3, 2, 3), x):
        assert torch.is_autocast_enabled("cpu")
    p.close()
    assert not torch.is_autocast_enabled("cpu")
