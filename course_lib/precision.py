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

from .devices import eval_mode

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
