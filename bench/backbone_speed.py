"""Training throughput of resnet_mini against torchvision's resnet18, measured in one run.

One step = forward + backward + SGD step on a batch of 64 images at 64 px, on the CPU.
The two models alternate over several repeats, so load from other processes on the machine
hits both alike. The ratio uses each model's best repeat (as timeit does: slower repeats
measure interference, not the code); the medians are printed too.

    python bench/backbone_speed.py [--bs 64] [--sz 64] [--repeats 5] [--steps 5] [--threads 2]
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch
import torchvision
from torch import nn

from course_lib.synthetic.backbone import resnet_mini


def throughput(model: nn.Module, bs: int, sz: int, steps: int) -> float:
    """Images per second for `steps` training steps (after one warm-up step)."""
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xb, yb = torch.randn(bs, 3, sz, sz), torch.randint(0, 10, (bs,))
    model.train()

    def step():
        loss = nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()  # warm-up: allocator and kernel selection
    t = time.perf_counter()
    for _ in range(steps):
        step()
    return bs * steps / (time.perf_counter() - t)


def main() -> None:
    """Print images/s for both models and the speed ratio."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bs", type=int, default=64)
    p.add_argument("--sz", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    models = {"resnet_mini": resnet_mini(num_classes=10),
              "resnet18": torchvision.models.resnet18(num_classes=10)}
    res: dict[str, list[float]] = {k: [] for k in models}
    for _ in range(a.repeats):
        for k, m in models.items():  # alternate so drift in machine load affects both
            res[k].append(throughput(m, a.bs, a.sz, a.steps))
    nparam = {k: sum(p.numel() for p in m.parameters()) for k, m in models.items()}
    print(f"machine: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{a.threads} threads; bs={a.bs} sz={a.sz} steps={a.steps} repeats={a.repeats}")
    for k, v in res.items():
        print(f"{k:12s} {nparam[k] / 1e6:6.2f}M params  best {max(v):7.1f} img/s  median {statistics.median(v):7.1f}  "
              f"(runs: {', '.join(f'{x:.0f}' for x in v)})")
    best = max(res["resnet_mini"]) / max(res["resnet18"])
    med = statistics.median(res["resnet_mini"]) / statistics.median(res["resnet18"])
    print(f"speed ratio resnet_mini / resnet18: {best:.2f}x best-of-{a.repeats} "
          f"({med:.2f}x by medians; target >= 5.0x)")


if __name__ == "__main__":
    main()
