"""Which part of the lesson's head slows learning from random weights? One course_lib run per head, same seed.

Every row trains resnet18 from random weights on the generated 10-class fractal task of `vs_fastai.py`
(`--fractals`), in fp32, with the same data, schedule (one-epoch SGDR cycles), lr and seed; only the head
differs. The reference row, measured in the same run, is torchvision's own classifier (average pool + one
`Linear` with PyTorch's default init), which is what the plain loop of `vs_fastai.py` trains.

    python bench/head_ablation.py [--fractals 10 200 50] [--epochs 6] [--seeds 42] [--sz 64] [--lr 0.01]
"""
from __future__ import annotations

import _common  # noqa: F401  (puts the repository on sys.path)
import argparse
import contextlib
import io
import os
import statistics
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torchvision.models as tvm  # noqa: E402

from _common import machine  # noqa: E402
from course_lib.conv_learner import ConvLearner  # noqa: E402
from course_lib.data import ImageClassifierData  # noqa: E402
from course_lib.models import AdaptiveConcatPool2d, make_head  # noqa: E402
from course_lib.transforms import tfms_from_model, transforms_side_on  # noqa: E402
from vs_fastai import ROOT, _seed, linear_head, make_fractal_folder  # noqa: E402

NF = 512  # resnet18's body width


def _kaiming(head: nn.Sequential) -> nn.Sequential:
    nn.init.kaiming_normal_(head[-1].weight, nonlinearity="relu")
    nn.init.zeros_(head[-1].bias)
    return head


def _output_init(init) -> callable:
    def build(c: int) -> nn.Sequential:
        head = make_head(NF, c)
        init(head[-1])
        return head
    return build


# name -> (kwargs for ConvLearner.pretrained, given the class count)
HEADS = {
    "linear (reference)": lambda c: dict(custom_head=linear_head(NF, c)),
    "lesson head (default)": lambda c: {},
    "lesson, ps=0": lambda c: dict(ps=0.0),
    "lesson, xtra_fc=[], ps=0": lambda c: dict(xtra_fc=[], ps=0.0),
    "concat pool + BN + Linear, default init": lambda c: dict(custom_head=nn.Sequential(
        AdaptiveConcatPool2d(), nn.Flatten(), nn.BatchNorm1d(2 * NF), nn.Linear(2 * NF, c))),
    "avg pool + Kaiming Linear": lambda c: dict(custom_head=_kaiming(linear_head(NF, c))),
    "lesson, output layer default init": lambda c: dict(custom_head=_output_init(nn.Linear.reset_parameters)(c)),
    "lesson, output layer zero init": lambda c: dict(custom_head=_output_init(lambda l: nn.init.zeros_(l.weight))(c)),
}


def run(folder: Path, name: str, seed: int, a) -> float:
    """Validation accuracy after `a.epochs` one-epoch SGDR cycles with head `name`."""
    _seed(seed)
    tfms = tfms_from_model(tvm.resnet18, a.sz, aug_tfms=transforms_side_on, max_zoom=1.1)
    data = ImageClassifierData.from_paths(folder, bs=a.bs, tfms=tfms, num_workers=0)
    learn = ConvLearner.pretrained(tvm.resnet18, data, pretrained=False, amp=False, **HEADS[name](data.c))
    learn.unfreeze()
    with contextlib.redirect_stdout(io.StringIO()):  # the epoch tables of 8 runs would bury the result
        res = learn.fit(a.lr, a.epochs, cycle_len=1)
    return float(res[-1])


def main() -> None:
    """Print validation accuracy per head and its difference from the reference head of the same run."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fractals", type=int, nargs=3, default=[10, 200, 50], metavar=("CLASSES", "N_TRAIN", "N_VALID"))
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--seeds", type=int, nargs="+", default=[42])
    p.add_argument("--sz", type=int, default=64)
    p.add_argument("--bs", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    c, nt, nv = a.fractals
    folder = make_fractal_folder(ROOT / "data" / f"fractals_bench_{c}_{nt}_{nv}", c, nt, nv)
    print(f"machine: {machine()}")
    print(f"{folder.name}: resnet18 from random weights, fp32, sz {a.sz}, bs {a.bs}, {a.epochs} one-epoch SGDR "
          f"cycles, lr {a.lr}, seeds {a.seeds}; chance {1 / c:.3f}\n")
    accs = {name: [] for name in HEADS}
    for seed in a.seeds:
        for name in HEADS:
            accs[name].append(run(folder, name, seed, a))
            print(f"  seed {seed}: {name:42s} {accs[name][-1]:.3f}", flush=True)
    ref = statistics.fmean(accs["linear (reference)"])
    print("\n| head | valid acc (mean over seeds) | minus reference |\n|---|---|---|")
    for name, v in accs.items():
        m = statistics.fmean(v)
        print(f"| {name} | {m:.3f} | {m - ref:+.3f} |")


if __name__ == "__main__":
    main()
