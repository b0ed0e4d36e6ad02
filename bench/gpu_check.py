"""On a GPU: resnet34 at 224 px trained with course_lib's Learner against a plain PyTorch AMP loop.

Same model, same synthetic batches already on the GPU (so only the training step is compared),
bf16 autocast (fp16 + GradScaler where bf16 is missing), channels-last, SGD momentum 0.9.

    python bench/gpu_check.py [--steps 300] [--bs 128] [--arch resnet34] [--sz 224]
Target: throughput ratio course_lib / plain >= 0.95. Without a GPU it runs a tiny CPU smoke version.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import io
import os
import statistics
import time

os.environ.setdefault("TQDM_DISABLE", "1")

from _common import machine

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--bs", type=int, default=128)
    p.add_argument("--arch", default="resnet34")
    p.add_argument("--sz", type=int, default=224)
    p.add_argument("--reps", type=int, default=3)
    a = p.parse_args()
    from types import SimpleNamespace

    from course_lib.devices import amp_dtype
    from course_lib.learner import Learner
    from course_lib.models import build_backbone

    cuda = torch.cuda.is_available()
    dev = torch.device("cuda" if cuda else "cpu")
    if not cuda:  # keep the script honest but quick on a CPU: a smoke run only
        a.steps, a.bs, a.sz, a.arch, a.reps = 4, 8, 64, "resnet_mini", 1
    torch.backends.cudnn.benchmark = True
    n_distinct = 8  # distinct batches cycled through; data on the GPU so the loader is not measured
    x = torch.randn(n_distinct * a.bs, 3, a.sz, a.sz, device=dev).to(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (n_distinct * a.bs,), device=dev)
    ds = TensorDataset(x, y)
    n_rep = max(1, a.steps // n_distinct)
    dl = DataLoader(torch.utils.data.ConcatDataset([ds] * n_rep), batch_size=a.bs, shuffle=False)
    data = SimpleNamespace(trn_dl=dl, val_dl=DataLoader(TensorDataset(x[:a.bs], y[:a.bs]), batch_size=a.bs),
                           num_workers=0)
    base = build_backbone(a.arch, pretrained=False)
    base.fc = torch.nn.Linear(base.fc.in_features, 10)
    dtype = amp_dtype(dev)

    m = copy.deepcopy(base).to(dev).to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(m.parameters(), lr=1e-3, momentum=0.9)
    scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None

    def plain():
        m.train()
        for xb, yb in dl:
            with torch.autocast(dev.type, dtype=dtype, enabled=dtype is not None):
                loss = F.cross_entropy(m(xb), yb)
            if scaler:
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
            else:
                loss.backward()
                opt.step()
            opt.zero_grad(set_to_none=True)

    learn = Learner(copy.deepcopy(base), data, device=dev)

    def ours():
        with contextlib.redirect_stdout(io.StringIO()):
            learn.fit(1e-3, 1)

    def timed(fn):
        if cuda:
            torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        if cuda:
            torch.cuda.synchronize()
        return time.perf_counter() - t

    timed(plain), timed(ours)  # warm-up: cudnn autotuning, allocator
    tp, tl = [], []
    for _ in range(a.reps):
        tp.append(timed(plain))
        tl.append(timed(ours))
    n_img = len(dl.dataset)
    ip, il = n_img / statistics.median(tp), (n_img + a.bs) / statistics.median(tl)  # ours also validates
    print(f"machine: {machine()}")
    print(f"{a.arch} {a.sz}px bs {a.bs}, {len(dl)} steps, autocast {dtype}, channels_last, median of {a.reps}")
    print(f"plain AMP loop : {ip:8.1f} img/s")
    print(f"course_lib fit : {il:8.1f} img/s")
    print(f"ratio course_lib/plain = {il / ip:.3f}  (target >= 0.95)" + ("" if cuda else "  [CPU smoke run]"))


if __name__ == "__main__":
    main()
