"""`python -m course_lib`: the lesson's dogs-vs-cats recipe, headless, step by step, with a summary table.

By default it runs on the generated offline sample with EfficientNet-Lite0 and its ImageNet weights (from an
installed package, no download) at 224 px on the CPU; `--full` uses the real data under data/dogscats
(`--full --download` fetches it first when it is missing), resnet34 with torchvision's ImageNet weights and the
lesson's sizes; `--arch resnet_mini` uses the small backbone pretrained on generated images (fastest, for smoke
runs).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import ConvLearner, ImageClassifierData, accuracy_np, set_seed, tfms_from_model, transforms_side_on
from . import datasets
from .datasets import find_real
from .synthetic import ensure_sample


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m course_lib", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, help="folder in the from_paths layout (default: the generated sample)")
    p.add_argument("--full", action="store_true", help="real Kaggle data in data/dogscats, resnet34, sz 224, bs 64")
    p.add_argument("--download", action="store_true",
                   help="with --full: download the real data first if it is missing (about 840 MB; 1.7 GB of disk)")
    p.add_argument("--arch", help="efficientnet_lite0 (the offline default), resnet_mini (bundled, fastest), "
                                  "resnet18, resnet34 (default with --full), resnet50, resnext50, densenet121")
    p.add_argument("--sz", type=int, help="image size (default 224, or 96 for resnet_mini)")
    p.add_argument("--bs", type=int, help="batch size (default 32, or 64 with --full)")
    p.add_argument("--lr", type=float, default=1e-2, help="head learning rate (the lesson's 1e-2)")
    p.add_argument("--workers", type=int, default=None, help="DataLoader workers (default: automatic)")
    p.add_argument("--no-pretrained", action="store_true", help="random initialisation instead of pretrained weights")
    p.add_argument("--quick", action="store_true", help="one epoch or cycle per step (a smoke run)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--plots", type=Path, help="folder for the lr_find and schedule plots (default <data>/plots)")
    a = p.parse_args(argv)
    for name, low in (("sz", 1), ("bs", 1), ("workers", 0)):
        v = getattr(a, name)
        if v is not None and v < low:
            p.error(f"--{name} must be at least {low}, got {v}")
    if a.lr <= 0:
        p.error(f"--lr must be above 0, got {a.lr}")
    if a.download and (not a.full or a.data is not None):
        p.error("--download goes with --full (it fetches data/dogscats); "
                "for other data sets: python -m course_lib.datasets --download NAME")
    return a


def full_data(download: bool, root: str = "data") -> Path:
    """root/dogscats; downloaded first when asked, else an exit that prints the one command to run (no prompt)."""
    try:
        return find_real("dogscats", root)
    except FileNotFoundError as e:
        if not download and Path(root, "dogscats").exists():
            sys.exit(str(e))  # a folder is there but incomplete: what is missing, and the routes
        if not download:
            sys.exit(f"The real dogscats data is not in {root}/dogscats yet. One command gets it (about 840 MB, "
                     f"1.7 GB of disk) and runs the lesson:\n"
                     f"    python -m course_lib --full --download\n"
                     f"or only the data: python -m course_lib.datasets --download dogscats\n"
                     f"(python -m course_lib.datasets --real says what is there, and the routes by hand)")
    try:
        return datasets.download("dogscats", root)
    except datasets.DownloadError as e:
        sys.exit(f"error: {e}")


def main(argv=None) -> pd.DataFrame:
    """Run the recipe and return the summary table (one row per lesson step)."""
    a = parse_args(argv)
    import matplotlib  # a headless run draws to files: pick the file backend before pyplot loads
    matplotlib.use("Agg")

    set_seed(a.seed)
    arch = a.arch or ("resnet34" if a.full else "efficientnet_lite0")
    # `is None`, not `or`: --sz 0 or --bs 0 must reach the library's clear error, not become the default
    sz = a.sz if a.sz is not None else (96 if arch == "resnet_mini" else 224)  # Lite0 learnt ImageNet at 224 px
    bs = a.bs if a.bs is not None else (64 if a.full else 32)
    if a.data is not None:
        path = a.data
    elif a.full:
        path = full_data(a.download)
    else:
        path = ensure_sample("dogscats")
    test_name = "test1" if (path / "test1").is_dir() else None
    plots = a.plots or path / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    n = 1 if a.quick else 3

    import matplotlib.pyplot as plt

    def save_plot(fig, name: str) -> None:
        fig.savefig(plots / name)
        plt.close(fig)

    def banner(text: str) -> None:
        print(f"\n== {text}", flush=True)

    tfms = tfms_from_model(arch, sz, aug_tfms=transforms_side_on, max_zoom=1.1)
    data = ImageClassifierData.from_paths(path, bs=bs, tfms=tfms, test_name=test_name, num_workers=a.workers)
    banner(f"data: {path}\n   {data.describe()}")
    learn = ConvLearner.pretrained(arch, data, precompute=True, pretrained=not a.no_pretrained)
    print(learn)

    rows = []

    def step(name: str, fn) -> None:
        banner(name)
        t = time.perf_counter()
        val_loss, acc = fn()
        rows.append({"step": name, "epochs": int(learn.history["fit"].eq(learn.n_fit).sum()),
                     "val_loss": val_loss, "accuracy": acc, "seconds": round(time.perf_counter() - t, 1)})

    banner("1. lr_find with precompute=True")
    learn.lr_find(num_it=60 if a.quick else 100)
    s = learn.sched.suggestion()
    print(f"   suggested lr {s.lr:.2g} (steepest descent at {s.steep:.2g}); the lesson uses {a.lr:g}")
    save_plot(learn.sched.plot(), "lr_find.png")
    lr = a.lr
    step(f"2. head only, precompute=True: fit({lr:g}, {n})", lambda: learn.fit(lr, n))

    def augmented():
        learn.precompute = False
        res = learn.fit(lr, n, cycle_len=1)
        save_plot(learn.sched.plot_lr(), "sgdr.png")
        return res
    step(f"3. augmentation, precompute=False, SGDR: fit({lr:g}, {n}, cycle_len=1)", augmented)

    lrs = np.array([lr / 100, lr / 10, lr])

    def fine_tune():
        learn.unfreeze()
        res = learn.fit(lrs, n, cycle_len=1, cycle_mult=2)
        save_plot(learn.sched.plot_lr(), "unfreeze_cycle_mult2.png")
        return res
    step(f"4. unfreeze, lr={lrs.tolist()}: fit(lr, {n}, cycle_len=1, cycle_mult=2)", fine_tune)

    banner("5. test-time augmentation")
    t = time.perf_counter()
    log_preds, y = learn.TTA()
    probs = np.mean(np.exp(log_preds), 0)
    plain = accuracy_np(np.exp(learn.predict()), data.val_y)
    tta_acc = accuracy_np(probs, y)
    print(f"   accuracy without TTA {plain:.4f}, with TTA {tta_acc:.4f}")
    rows.append({"step": "5. TTA (4 augmented + 1 plain pass)", "epochs": 0, "val_loss": float("nan"),
                 "accuracy": tta_acc, "seconds": round(time.perf_counter() - t, 1)})
    fn = learn.save(f"dogscats_{arch}_{sz}")
    summary = pd.DataFrame(rows)
    banner("summary")
    with pd.option_context("display.width", 140, "display.max_colwidth", 80):
        print(summary.to_string(index=False))
    print(f"\nmodel saved to {fn}; plots in {plots}")
    return summary


def cli() -> None:
    """Console entry point: run `main`, exit 130 on Ctrl-C."""
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    cli()
