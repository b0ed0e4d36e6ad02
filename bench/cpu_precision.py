"""Why course_lib trains in bf16 and channels-last on CPUs that do bf16 natively: the four variants, one run.

One step = forward + backward + SGD step on a batch at the given size, on the CPU. Variants:
fp32 NCHW (what a plain PyTorch loop does), bf16 autocast NCHW, fp32 channels-last, and bf16 autocast
with channels-last (course_lib's default where `devices.cpu_bf16()` is true). The variants alternate
over repeats so that machine load hits all alike; ratios use each variant's median, against fp32 NCHW.

    python bench/cpu_precision.py [--arch resnet18 resnet_mini efficientnet_lite0] [--sz 64 128] [--bs 64] [--repeats 3]
        [--inference]
"""
from __future__ import annotations

import _common  # noqa: F401  (puts the repository on sys.path)
import argparse
import contextlib
import statistics
import time

import torch
import torchvision
from torch import nn

from _common import machine
from course_lib.synthetic.backbone import resnet_mini
from course_lib.devices import cpu_bf16
from course_lib.models import ARCHS

VARIANTS = {"fp32": (False, False), "bf16": (True, False), "fp32 CL": (False, True), "bf16 CL": (True, True)}


def make(arch: str) -> nn.Module:
    """A fresh model by name, 10 classes."""
    if arch == "resnet_mini":
        return resnet_mini(num_classes=10)
    if arch in ARCHS and ARCHS[arch].kind == "efficientnet":
        return ARCHS[arch].build(num_classes=10)
    return getattr(torchvision.models, arch)(num_classes=10)


def step_ms(model: nn.Module, bs: int, sz: int, bf16: bool, cl: bool, steps: int, inference: bool = False) -> float:
    """Milliseconds per training step (or, with `inference`, per eval forward pass) after one warm-up."""
    fmt = torch.channels_last if cl else torch.contiguous_format
    if inference:
        model = model.to(memory_format=fmt).eval()
        xb = torch.randn(bs, 3, sz, sz).contiguous(memory_format=fmt)
        ctx = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16 else contextlib.nullcontext
        with torch.inference_mode(), ctx():
            model(xb)
            t = time.perf_counter()
            for _ in range(steps):
                model(xb)
        return (time.perf_counter() - t) / steps * 1000
    model = model.to(memory_format=fmt).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xb = torch.randn(bs, 3, sz, sz).contiguous(memory_format=fmt)
    yb = torch.randint(0, 10, (bs,))
    ctx = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16 else contextlib.nullcontext

    def step():
        with ctx():
            loss = nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t) / steps * 1000


def main() -> None:
    """Print ms/step per variant and each variant's speed-up over fp32 NCHW."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", nargs="+", default=["resnet_mini", "resnet18"])
    p.add_argument("--sz", type=int, nargs="+", default=[64, 128])
    p.add_argument("--bs", type=int, default=64)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--emulated", action="store_true",
                   help="time bf16 even where the CPU emulates it (10-20x slower: minutes for resnet18 at 128 px)")
    p.add_argument("--fp32-only", action="store_true", help="only the two fp32 layouts (NCHW vs channels-last)")
    p.add_argument("--inference", action="store_true", help="time eval forward passes (predict, TTA, precompute)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"machine: {machine()}; native bf16 on this CPU: {cpu_bf16()}")
    # emulated bf16 measured 0.06x fp32 (resnet_mini 64 px, AVX2 EPYC): skip it unless asked
    variants = {k: v for k, v in VARIANTS.items() if not v[0] or ((cpu_bf16() or a.emulated) and not a.fp32_only)}
    what = "inference passes" if a.inference else "training steps"
    print(f"bs {a.bs}, {a.steps} {what} per timing, {a.repeats} alternating repeats, medians in ms per batch\n")
    best = "bf16 CL" if "bf16 CL" in variants else "fp32 CL"
    print("| arch | sz | " + " | ".join(variants) + f" | {best} speed-up vs fp32 |")
    print("|---|---|" + "---|" * len(variants) + "---|")
    for arch in a.arch:
        for sz in a.sz:
            models = {k: make(arch) for k in variants}
            ms: dict[str, list[float]] = {k: [] for k in variants}
            for _ in range(a.repeats):
                for k, (bf16, cl) in variants.items():
                    ms[k].append(step_ms(models[k], a.bs, sz, bf16, cl, a.steps, a.inference))
            med = {k: statistics.median(v) for k, v in ms.items()}
            cells = " | ".join(f"{med[k]:.0f} ({med['fp32'] / med[k]:.2f}x)" for k in variants)
            print(f"| {arch} | {sz} | {cells} | **{med['fp32'] / med[best]:.2f}x** |", flush=True)
    if not cpu_bf16():
        print("\nthis CPU emulates bf16, so course_lib keeps fp32 here (amp=None decides by hardware)")


if __name__ == "__main__":
    main()
