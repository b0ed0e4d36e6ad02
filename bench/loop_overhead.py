"""fit() throughput against a minimal hand-written PyTorch loop: same model, same preloaded tensors, CPU,
same precision and memory layout (the plain loop uses the autocast dtype and channels-last that the
Learner picks on this CPU), so the ratio measures the loop and its callbacks, not a precision choice.

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
    from course_lib.devices import amp_dtype, nhwc
    from course_lib.learner import Learner

    torch.manual_seed(0)
    data = tensor_data(a.n, a.sz, bs=a.bs)
    base = resnet_mini(num_classes=2)

    cpu = torch.device("cpu")
    dtype = amp_dtype(cpu)  # what the Learner will use here: bf16 on CPUs that have it, else None (fp32)
    fmt = torch.channels_last if nhwc(cpu) else torch.contiguous_format
    m_plain = copy.deepcopy(base).to(memory_format=fmt)
    opt = torch.optim.SGD(m_plain.parameters(), lr=1e-3, momentum=0.9)

    def plain_epoch():
        m_plain.train()
        for xb, yb in data.trn_dl:
            with torch.autocast("cpu", dtype=dtype, enabled=dtype is not None):
                loss = F.cross_entropy(m_plain(xb.contiguous(memory_format=fmt)), yb)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        m_plain.eval()
        with torch.inference_mode(), torch.autocast("cpu", dtype=dtype, enabled=dtype is not None):
            for xb, yb in data.val_dl:
                F.cross_entropy(m_plain(xb.contiguous(memory_format=fmt)), yb)

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
    # the fixed cost of one fit: a one-batch fit (one training and one validation batch) against the same
    # two batches in the plain loop; the difference is what fit adds however short the run
    one = tensor_data(a.bs, a.sz, bs=a.bs)
    data.trn_dl, data.val_dl, keep = one.trn_dl, one.val_dl, (data.trn_dl, data.val_dl)  # learn.data is `data`
    plain_epoch(), learner_epoch()
    fp, fl = [], []
    for _ in range(5 * a.reps):
        fp.append(median_time(plain_epoch, 1))
        fl.append(median_time(learner_epoch, 1))
    data.trn_dl, data.val_dl = keep
    import statistics
    mp, ml = statistics.median(tp), statistics.median(tl)
    fixed = statistics.median(fl) - statistics.median(fp)
    n_img = len(data.trn_dl.dataset) + len(data.val_dl.dataset)
    print(f"machine: {machine()}")
    print(f"resnet_mini, {a.n} train images {a.sz}px, bs {a.bs}, median of {a.reps} alternating epochs, "
          f"both {dtype or 'fp32'}, {'channels-last' if fmt is torch.channels_last else 'NCHW'}")
    print(f"plain loop : {mp:.3f} s/epoch  ({n_img / mp:.0f} img/s)")
    print(f"Learner.fit: {ml:.3f} s/epoch  ({n_img / ml:.0f} img/s)")
    print(f"throughput ratio course_lib/plain = {mp / ml:.3f}  (target >= 0.97)")
    print(f"fixed cost of one fit (1+1 batches): {1e3 * fixed:.1f} ms over the plain loop's "
          f"{1e3 * statistics.median(fp):.1f} ms  (target < 20 ms)")


if __name__ == "__main__":
    main()
