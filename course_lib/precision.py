"""Mixed precision that cannot make a stable fit diverge: convolutions with a one-pixel output stay in fp32.

On CPUs that compute bf16 natively, oneDNN's bf16 convolution kernels are reported to give wrong results
when the output map is one pixel wide or high (pytorch/pytorch#163347 for a 2x2 map, #169688 for a strided
one; the fix proposed upstream sends that shape class to a reference kernel). On such a CPU, round 4 saw 14
of 100 bf16 fits of resnet_mini diverge at sz 16, where the maps are one pixel from layer3 on, and none of 60
in fp32; which seeds failed changed from run to run. Those convolutions cost next to nothing (one pixel per
image), so they run in fp32 under autocast, and every other layer keeps bf16's speed.
"""
from __future__ import annotations

import contextlib
import weakref

import torch
import torch.nn as nn

from .devices import amp_dtype, eval_mode

_PROBED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> {(input shape, convs): names}


def _convs(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(n, m) for n, m in model.named_modules() if isinstance(m, nn.modules.conv._ConvNd)]


def one_pixel_convs(model: nn.Module, shape: tuple[int, ...], note: bool = False) -> list[str]:
    """Names of the convolutions of `model` whose output is one pixel wide or high for inputs of `shape`.

    Found once per model, input size and set of layers, by one fp32 forward pass of a single blank image in
    eval mode (BatchNorm statistics untouched); afterwards a lookup. `note` says so when they are first found.
    """
    convs = _convs(model)
    if not convs or len(shape) != 4:
        return []  # a head on cached activations, or a model without convolutions
    key = (tuple(shape[1:]), tuple(id(m) for _, m in convs))
    seen = _PROBED.setdefault(model, {})
    if key not in seen:
        out: dict[nn.Module, tuple[int, ...]] = {}
        hooks = [m.register_forward_hook(lambda m, i, o: out.__setitem__(m, tuple(o.shape))) for _, m in convs]
        p = next(model.parameters())
        try:
            with torch.inference_mode(), torch.autocast(p.device.type, enabled=False), eval_mode(model):
                model(torch.zeros((1, *shape[1:]), device=p.device, dtype=p.dtype))
        finally:
            for h in hooks:
                h.remove()
        seen[key] = names = [n for n, m in convs if m in out and min(out[m][2:]) == 1]
        if note and names:
            print(f"bf16 autocast: {len(names)} convolution(s) with a one-pixel output at this image size run in "
                  f"fp32 ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''}): oneDNN's bf16 kernels are "
                  f"wrong for that shape. The rest of the network computes in bf16.")
    return seen[key]


@contextlib.contextmanager
def fp32_convs(model: nn.Module, shape: tuple[int, ...], dtype: torch.dtype | None, device: torch.device,
               note: bool = False):
    """Within the block, the one-pixel-output convolutions of `model` run in fp32 under bf16 autocast on a CPU.

    Elsewhere (fp32, fp16 or a GPU) it changes nothing. `note`: say which layers, the first time.
    """
    if dtype != torch.bfloat16 or device.type != "cpu":
        yield []
        return
    names = one_pixel_convs(model, shape, note)
    mods = dict(model.named_modules())
    patched = [mods[n] for n in names]
    for m in patched:
        m.forward = _in_fp32(m)  # an instance attribute: nn.Module.__call__ looks it up before the class's
    try:
        yield names
    finally:
        for m in patched:
            m.__dict__.pop("forward", None)


def _in_fp32(m: nn.Module):
    """`m`'s own forward, with autocast off and the input in fp32 (its weights are fp32 already)."""
    fwd = type(m).forward

    def forward(x, *args, **kw):
        with torch.autocast(x.device.type, enabled=False):
            return fwd(m, x.float(), *args, **kw)
    return forward


class Precision:
    """The one owner of mixed precision for a fit or lr_find: autocast, gradient scaling and the optimiser step.

    The learner calls `autocast(model, xb)` around the forward pass and the loss, `backward(loss, opt)` and
    `step(opt)`. fp16 needs its gradients scaled (its range is small); bf16 has fp32's range and needs none.
    The scaler is always there, `enabled` or not (no None checks), and `backward` unscales right away, so
    callbacks see true gradients from `after_backward` on (clipping there clips the right numbers).
    `scaler=True` forces scaling (tests on the CPU; fp16 on hardware without bf16); `note` prints which layers
    stay in fp32, once.
    """

    def __init__(self, device: torch.device, amp: bool | None = None, scaler: bool | None = None,
                 note: bool = True):
        self.device, self.dtype, self.note = device, amp_dtype(device, amp), note
        on = self.dtype == torch.float16 if scaler is None else bool(scaler)
        self.scaler = torch.amp.GradScaler(device.type, enabled=on)
        self._guard: contextlib.ExitStack | None = None

    @property
    def scaling(self) -> bool:
        """True when losses are scaled before backward (and gradients unscaled after)."""
        return self.scaler.is_enabled()

    def autocast(self, model: nn.Module, xb: torch.Tensor):
        """The autocast region for one forward pass; the first call also keeps one-pixel convolutions in fp32
        for the rest of the run (`fp32_convs`), until `close`."""
        if self._guard is None:
            self._guard = contextlib.ExitStack()
            self._guard.enter_context(fp32_convs(model, tuple(xb.shape), self.dtype, self.device, self.note))
        return torch.autocast(self.device.type, dtype=self.dtype or torch.float32, enabled=self.dtype is not None)

    def backward(self, loss: torch.Tensor, opt: torch.optim.Optimizer) -> None:
        """loss.backward() on the scaled loss, then the gradients unscaled in place."""
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(opt)

    def step(self, opt: torch.optim.Optimizer) -> None:
        """The optimiser step (skipped by the scaler when a gradient is inf or nan), then the scale's update."""
        self.scaler.step(opt)
        self.scaler.update()

    def close(self) -> None:
        """Put back what `autocast` patched (every way out of a run calls this)."""
        if self._guard is not None:
            self._guard.close()
            self._guard = None
