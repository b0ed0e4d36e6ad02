"""Precision and memory layout per device: bf16 autocast on CPUs that do bf16 natively, NHWC images."""
import torch
from torch.utils.data import DataLoader, TensorDataset
from types import SimpleNamespace

from course_lib import Callback, ConvLearner, devices
from course_lib.devices import amp_dtype, to_device
from course_lib.learner import Learner

CPU = torch.device("cpu")


def test_amp_dtype_follows_the_hardware_unless_told(monkeypatch):
    monkeypatch.delenv("COURSE_LIB_AMP", raising=False)
    for native in (True, False):
        monkeypatch.setattr(devices, "cpu_bf16", lambda: native)
        assert amp_dtype(CPU) == (torch.bfloat16 if native else None)
        assert amp_dtype(CPU, amp=False) is None
        assert amp_dtype(CPU, amp=True) is torch.bfloat16  # asked for: autocast even where it is emulated
    assert amp_dtype(torch.device("meta")) is None


def test_env_switch_overrides_the_default_but_not_an_explicit_argument(monkeypatch):
    monkeypatch.setattr(devices, "cpu_bf16", lambda: True)
    for off in ("0", "off", "False"):
        monkeypatch.setenv("COURSE_LIB_AMP", off)
        assert amp_dtype(CPU) is None
        assert amp_dtype(CPU, amp=True) is torch.bfloat16
    monkeypatch.setattr(devices, "cpu_bf16", lambda: False)
    monkeypatch.setenv("COURSE_LIB_AMP", "1")
    assert amp_dtype(CPU) is torch.bfloat16
    monkeypatch.setenv("COURSE_LIB_AMP", "auto")
    assert amp_dtype(CPU) is None


def test_default_precision_follows_the_cpu_check(monkeypatch):
    monkeypatch.delenv("COURSE_LIB_AMP", raising=False)
    native = devices.cpu_bf16()
    assert isinstance(native, bool)
    assert (amp_dtype(CPU) is torch.bfloat16) == native  # amp=None: bf16 exactly where the CPU does it natively
    assert amp_dtype(CPU, amp=False) is None and amp_dtype(CPU, amp=True) is torch.bfloat16


def test_images_go_channels_last_on_the_cpu_other_tensors_unchanged():
    x = to_device(torch.randn(2, 3, 8, 8), CPU)
    assert x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
    y = to_device(torch.randn(2, 5), CPU)
    assert y.is_contiguous()


class PredDtype(Callback):
    def after_pred(self):
        self.dtypes = getattr(self, "dtypes", set()) | {self.learn.pred.dtype}


def _tiny_conv_learner(amp):
    x, y = torch.randn(16, 3, 8, 8), torch.randint(0, 2, (16,))
    data = SimpleNamespace(trn_dl=DataLoader(TensorDataset(x, y), batch_size=8),
                           val_dl=DataLoader(TensorDataset(x, y), batch_size=8), num_workers=0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                              torch.nn.Linear(4, 2))
    return Learner(net, data, device="cpu", amp=amp), net


def test_fit_autocasts_to_bf16_only_when_amp_is_on():
    for amp, want in ((True, torch.bfloat16), (False, torch.float32)):
        learn, net = _tiny_conv_learner(amp)
        cb = PredDtype()
        learn.fit(1e-2, 1, cbs=[cb])
        assert cb.dtypes == {want}
        assert all(p.dtype == torch.float32 for p in net.parameters())  # master weights stay fp32
        assert net[0].weight.is_contiguous(memory_format=torch.channels_last)


def test_switching_precision_recomputes_the_activation_cache(tiny_data, capsys):
    learn = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, precompute=True, device="cpu",
                                   amp=False)
    learn.fit(1e-2, 1)
    assert "computing activations" in capsys.readouterr().out
    learn.fit(1e-2, 1)
    assert "computing activations" not in capsys.readouterr().out
    learn.amp = True
    learn.fit(1e-2, 1)
    assert "computing activations" in capsys.readouterr().out  # bf16 activations are not the fp32 ones


def test_the_learner_says_which_precision_it_trains_in(tiny_data):
    learn = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, device="cpu", amp=False)
    assert learn.precision == "fp32" and "precision=fp32" in repr(learn)
    learn.amp = True
    assert learn.precision == "bf16 autocast" and "precision=bf16 autocast" in repr(learn)
