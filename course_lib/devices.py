"""Where tensors go: CUDA (mixed precision, channels-last), Apple MPS, or the CPU; and a seed helper."""
from __future__ import annotations

import contextlib
import functools
import os
import random

import numpy as np
import torch
import torch.nn as nn


def resolve_device(device: str | torch.device, source: str = "device") -> torch.device:
    """`device` as a torch.device that this machine has, or an error saying which devices it has.

    Notebooks written for a GPU say device='cuda'; on a laptop that used to fail deep inside torch ("Found no
    NVIDIA driver") at the first tensor moved, after the data was built.
    """
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ValueError(f"{source}={device!r} is not a device name; use 'cpu', 'cuda' (or 'cuda:1'), or 'mps', "
                         f"or leave it out to use the best one here ({_best()}).") from e
    have = {"cpu": True, "cuda": torch.cuda.is_available(),
            "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()}
    if dev.type in have and not have[dev.type]:
        raise ValueError(f"{source}={device!r}, but this machine has no {dev.type.upper()} device (PyTorch "
                         f"{torch.__version__} sees none). Leave it out to use the best one here ({_best()}), "
                         f"or pass device='cpu'.")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(f"{source}={device!r}, but this machine has {torch.cuda.device_count()} CUDA device(s), "
                         f"numbered from 0.")
    return dev


def _best() -> str:
    """The device default_device would choose without COURSE_LIB_DEVICE, as a name."""
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def default_device() -> torch.device:
    """CUDA when present, then Apple MPS, else CPU; COURSE_LIB_DEVICE overrides (e.g. 'cpu')."""
    env = os.environ.get("COURSE_LIB_DEVICE")
    if env:
        return resolve_device(env, "COURSE_LIB_DEVICE")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def nhwc(device: torch.device) -> bool:
    """Whether images and conv weights go channels-last on `device`: CUDA's tensor cores and the CPU's
    oneDNN kernels both run NHWC convolutions faster (bench/cpu_precision.py measures it on the CPU)."""
    return device.type in ("cuda", "cpu")


def to_device(x, device: torch.device):
    """Move a tensor (or a list/tuple of them) to `device`; 4-d images go NHWC where that is faster."""
    if isinstance(x, (list, tuple)):
        return type(x)(to_device(o, device) for o in x)
    if not isinstance(x, torch.Tensor):
        return x
    non_blocking = device.type == "cuda"
    if x.dim() == 4 and nhwc(device):
        return x.to(device, non_blocking=non_blocking, memory_format=torch.channels_last)
    return x.to(device, non_blocking=non_blocking)


@functools.cache
def cpu_bf16() -> bool:
    """True when this CPU multiplies bf16 natively (AVX512-BF16 or AMX), so bf16 autocast is faster there.

    Elsewhere bf16 is emulated and slower than fp32, so autocast stays off on such CPUs.
    """
    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a build without oneDNN, or an older torch
        return False


def amp_dtype(device: torch.device, amp: bool | None = None) -> torch.dtype | None:
    """The autocast dtype for `device`, or None for full precision.

    CUDA: bf16 where supported, else fp16. CPU: bf16 when the CPU does it natively (`cpu_bf16`).
    `amp=False` (or COURSE_LIB_AMP=0) always means full precision; `amp=True` asks for autocast even where
    it is not expected to be faster; None (the default) decides by the hardware.
    """
    if amp is None:
        env = os.environ.get("COURSE_LIB_AMP", "").strip().lower()
        amp = None if env in ("", "auto") else env not in ("0", "false", "off", "no")
    if amp is False:
        return None
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "cpu" and (amp or cpu_bf16()):
        return torch.bfloat16
    return None


def set_seed(seed: int = 42, deterministic: bool = False) -> None:
    """Seed Python, numpy and torch (CPU and CUDA); `deterministic` also asks for deterministic kernels.

    On the CPU in fp32 a seeded run repeats exactly. bf16 autocast on a CPU with native bf16 was seen to
    differ from run to run with the same seed (round 4: divergences that moved between seeds). That came
    from convolutions with a one-pixel output, which now run in fp32 (course_lib.precision); whether every
    other oneDNN bf16 kernel repeats bit for bit is oneDNN's business, so for runs that must repeat exactly,
    pass amp=False to the learner or set COURSE_LIB_AMP=0.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False


class cpu_threads:
    """Context manager: run torch's CPU ops on `n` threads, then put the old count back (None: unchanged).

    Oversubscribed cores make PyTorch's worker threads spin-wait: with a loader process busy on one of
    two cores, two compute threads run small layers many times slower than one. How many threads the model
    gets next to loader workers is course_lib.threads' plan.
    """

    def __init__(self, n: int | None):
        self.n, self.old = n, None

    def __enter__(self):
        if self.n is not None and self.n != torch.get_num_threads():
            self.old = torch.get_num_threads()
            torch.set_num_threads(max(1, self.n))
        return self

    def __exit__(self, *exc):
        if self.old is not None:
            torch.set_num_threads(self.old)
        return False


@contextlib.contextmanager
def eval_mode(model: nn.Module):
    """model.eval() for the block, then every module's own flag back (frozen BatchNorm may be in eval
    inside a model in train mode, so one model.train(was) would not do)."""
    modes = [(m, m.training) for m in model.modules()]
    try:
        model.eval()
        yield model
    finally:
        for m, training in modes:
            m.training = training
