"""course_lib vs a hand-written PyTorch loop with EfficientNet-Lite0: a fine-tuning epoch and prediction speed.

Same model (course_lib's body + the lesson's head, ImageNet weights from the package), same JPEG folder,
size, batch size, loader workers, SGD with momentum 0.9, differential learning rates over the same three
layer groups and the same cosine schedule. The plain loop gets the precision and memory layout course_lib
picks on this machine (bf16 autocast where the CPU does bf16 natively, channels-last), so the comparison
is of the loops and data pipelines, not of the arithmetic. The plain loop reads images with torchvision's
ImageFolder and v2 transforms (decode, random resized crop-ish zoom, rotation, flip, lighting), as one
would write it by hand.

Epoch = one pass of training over the training set plus validation. Prediction = the validation set through
the whole model in eval mode (course_lib: `learn.predict()`). Both sides alternate over the repeats, so load
on the machine hits them alike; the ratios use the medians.

    python bench/lite0_speed.py [--sz 224] [--bs 32] [--repeats 3] [--data FOLDER]
"""
from __future__ import annotations

import _common  # noqa: F401  (puts the repository on sys.path)
import argparse
import contextlib
import copy
import io
import math
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torchvision import datasets  # noqa: E402
from torchvision.transforms import v2  # noqa: E402

from _common import machine  # noqa: E402
from course_lib import ConvLearner, ImageClassifierData, tfms_from_model, transforms_side_on  # noqa: E402
from course_lib.data import default_workers  # noqa: E402
from course_lib.synthetic import ensure_sample  # noqa: E402
from course_lib.devices import amp_dtype, nhwc  # noqa: E402
from course_lib.models import HALF_STATS  # noqa: E402

ARCH = "efficientnet_lite0"


class Plain:
    """The hand-written loop: ImageFolder + v2 transforms, the same model and optimiser settings."""

    def __init__(self, folder: Path, model: torch.nn.Module, groups: list, sz: int, bs: int, workers: int,
                 dtype: torch.dtype | None, channels_last: bool):
        norm = [v2.ToDtype(torch.float32, scale=True), v2.Normalize(*HALF_STATS)]
        trn = v2.Compose([v2.PILToTensor(), v2.RandomResize(sz, round(sz * 1.1) + 1), v2.RandomCrop(sz),
                          v2.RandomApply([v2.RandomRotation(10)], p=0.75), v2.RandomHorizontalFlip(),
                          v2.ColorJitter(brightness=0.05, contrast=0.05), *norm])
        val = v2.Compose([v2.PILToTensor(), v2.Resize(sz), v2.CenterCrop(sz), *norm])
        kw = dict(batch_size=bs, num_workers=workers, persistent_workers=workers > 0)
        trn_ds = datasets.ImageFolder(folder / "train", trn)
        self.trn_dl = torch.utils.data.DataLoader(trn_ds, shuffle=True, drop_last=len(trn_ds) % bs == 1, **kw)
        self.val_dl = torch.utils.data.DataLoader(datasets.ImageFolder(folder / "valid", val), **kw)
        self.model, self.groups, self.dtype = model, groups, dtype
        self.fmt = torch.channels_last if channels_last else torch.contiguous_format
        self.model.to(memory_format=self.fmt)

    def autocast(self):
        return torch.autocast("cpu", dtype=self.dtype) if self.dtype is not None else contextlib.nullcontext()

    def epoch(self, lrs: list[float]) -> float:
        """One training epoch (cosine from lrs down) and a validation pass; returns validation accuracy."""
        params = [{"params": [p for p in g.parameters()], "lr": lr} for g, lr in zip(self.groups, lrs)]
        opt = torch.optim.SGD(params, lr=lrs[-1], momentum=0.9)
        n = len(self.trn_dl)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda it: (math.cos(math.pi * it / n) + 1) / 2)
        self.model.train()
        for x, y in self.trn_dl:
            with self.autocast():
                loss = F.cross_entropy(self.model(x.contiguous(memory_format=self.fmt)), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        preds, ys = self.predict()
        return float((preds.argmax(1) == ys).float().mean())

    def predict(self) -> tuple[torch.Tensor, torch.Tensor]:
        self.model.eval()
        outs, ys = [], []
        with torch.inference_mode():
            for x, y in self.val_dl:
                with self.autocast():
                    outs.append(F.log_softmax(self.model(x.contiguous(memory_format=self.fmt)).float(), 1))
                ys.append(y)
        return torch.cat(outs), torch.cat(ys)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=None, help="a from_paths folder (default: the generated sample)")
    p.add_argument("--sz", type=int, default=224)
    p.add_argument("--bs", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--workers", type=int, default=None, help="loader workers (default: course_lib's choice)")
    p.add_argument("--lr", type=float, default=1e-2)
    a = p.parse_args()
    folder = Path(a.data or ensure_sample("dogscats"))
    workers = default_workers() if a.workers is None else a.workers
    tfms = tfms_from_model(ARCH, a.sz, aug_tfms=transforms_side_on, max_zoom=1.1)
    data = ImageClassifierData.from_paths(folder, bs=a.bs, tfms=tfms, num_workers=workers)
    learn = ConvLearner.pretrained(ARCH, data)
    learn.unfreeze()
    start = copy.deepcopy(learn.model.state_dict())
    dtype, cl = amp_dtype(learn.device), nhwc(learn.device)
    twin = copy.deepcopy(learn.model)
    groups = [twin.body[:5], twin.body[5:], twin.head]  # the learner's three layer groups, in the twin
    plain = Plain(folder, twin, groups, a.sz, a.bs, workers, dtype, cl)
    lrs = [a.lr / 100, a.lr / 10, a.lr]
    print(f"machine: {machine()}")
    print(f"{ARCH}, sz {a.sz}, bs {a.bs}, workers {workers}, {len(data.trn_ds)} training / {len(data.val_ds)} "
          f"validation images from {folder}; both in {learn.precision}, channels-last {cl}\n")
    t_cl, t_pl, p_cl, p_pl, acc_cl, acc_pl = [], [], [], [], [], []
    for r in range(a.repeats):
        for side in ("course_lib", "plain") if r % 2 == 0 else ("plain", "course_lib"):
            if side == "course_lib":
                learn.model.load_state_dict(start)
                learn.opt = None
                t = time.perf_counter()
                with contextlib.redirect_stdout(io.StringIO()):
                    acc_cl.append(learn.fit(np.array(lrs), 1, cycle_len=1)[1])
                t_cl.append(time.perf_counter() - t)
                t = time.perf_counter()
                learn.predict()
                p_cl.append(time.perf_counter() - t)
            else:
                twin.load_state_dict(start)
                t = time.perf_counter()
                acc_pl.append(plain.epoch(lrs))
                t_pl.append(time.perf_counter() - t)
                t = time.perf_counter()
                plain.predict()
                p_pl.append(time.perf_counter() - t)
        print(f"repeat {r}: epoch course_lib {t_cl[-1]:.1f} s, plain {t_pl[-1]:.1f} s; predict course_lib "
              f"{p_cl[-1]:.2f} s, plain {p_pl[-1]:.2f} s", flush=True)
    n_val = len(data.val_ds)
    mc, mp = statistics.median(t_cl), statistics.median(t_pl)
    qc, qp = statistics.median(p_cl), statistics.median(p_pl)
    print(f"\nfine-tuning epoch (train + validate), median: course_lib {mc:.1f} s, plain {mp:.1f} s -> "
          f"course_lib throughput {mp / mc:.2f}x the plain loop's")
    print(f"prediction, median: course_lib {n_val / qc:.0f} images/s, plain {n_val / qp:.0f} images/s -> "
          f"{qp / qc:.2f}x")
    print(f"validation accuracy after the epoch: course_lib {statistics.mean(acc_cl):.3f}, plain "
          f"{statistics.mean(acc_pl):.3f} (one epoch from the same weights; augmentation draws differ)")


if __name__ == "__main__":
    main()
