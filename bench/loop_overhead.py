"""fit() throughput against a minimal hand-written PyTorch loop: same model, same preloaded tensors, CPU.

    python bench/loop_overhead.py [--n 512] [--sz 64] [--bs 64] [--reps 5]
Target: ratio (course_lib / plain) >= 0.97.
"""
from __future__ import annotations

import argparse
import copy
import os

os.environ.setdefault("TQDM_DISABLE", "1")

from _common import machine, median_time, tensor_data

import torch
import torch.nn.functional as F


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=512)
    p.add_argument("--sz", type=int, default=64)
    p.add_argument("--bs", type=int, default=64)
    p.add_argument("--reps", type=int, default=5)
    a = p.parse_args()
    from course_lib.synthetic.backbone import resnet_mini
    from course_lib.learner import Learner

    torch.manual_seed(0)
    data = tensor_data(a.n, a.sz, bs=a.bs)
    base = resnet_mini(num_classes=2)

    m_plain = copy.deepcopy(base)
    opt = torch.optim.SGD(m_plain.parameters(), lr=1e-3, momentum=0.9)

    def plain_epoch():
        m_plain.train()
        for xb, yb in data.trn_dl:
            loss = F.cross_entropy(m_plain(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        m_plain.eval()
        with torch.inference_mode():
            for xb, yb in data.val_dl:
                F.cross_entropy(m_plain(xb), yb)

    learn = Learner(copy.deepcopy(base), data, device="cpu")
    import contextlib, io

    def learner_epoch():
        with contextlib.redirect_stdout(io.StringIO()):  # the epoch table is not what is measured
            learn.fit(1e-3, 1)

    plain_epoch(), learner_epoch()  # warm-up
    tp, tl = [], []
    for _ in range(a.reps):  # alternate so drifts in machine load hit both alike
        tp.append(median_time(plain_epoch, 1))
        tl.append(median_time(learner_epoch, 1))
    import statistics
    mp, ml = statistics.median(tp), statistics.median(tl)
    n_img = len(data.trn_dl.dataset) + len(data.val_dl.dataset)
    print(f"machine: {machine()}")
    print(f"resnet_mini, {a.n} train images {a.sz}px, bs {a.bs}, median of {a.reps} alternating epochs")
    print(f"plain loop : {mp:.3f} s/epoch  ({n_img / mp:.0f} img/s)")
    print(f"Learner.fit: {ml:.3f} s/epoch  ({n_img / ml:.0f} img/s)")
    print(f"throughput ratio course_lib/plain = {mp / ml:.3f}  (target >= 0.97)")


if __name__ == "__main__":
    main()
