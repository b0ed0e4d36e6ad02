"""`python -m course_lib`: the lesson's dogs-vs-cats recipe, headless, step by step, with a summary table.

The recipe is notebook 01's: lr_find; the head on cached activations (lesson 1's fit(0.01, 2)); augmentation
with SGDR; unfreeze, lr_find again, differential learning rates with cycle_mult=2; TTA. Each training step is
judged by its validation numbers: a step whose model is not better than the one before it is undone (that
model is loaded again), and the summary says which step's model was kept and saved.

By default it runs on the generated offline sample with EfficientNet-Lite0 and its ImageNet weights (from an
installed package, no download) at 128 px on the CPU. `--data folder` runs it on photos in the from_paths
layout at the lesson's 224 px; `--full` uses the real data under data/dogscats (`--full --download` fetches
it first) with resnet34 on a GPU, or EfficientNet-Lite0 without one (resnet34 at 224 px on the full Kaggle
set takes hours on a CPU). `--budget MINUTES` skips a step that would not finish in time, saying so.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from . import ConvLearner, ImageClassifierData, accuracy_np, set_seed, tfms_from_model, transforms_side_on
from . import datasets
from .archs import arch_name
from .checkpoint import CheckpointError
from .datasets import find_real
from .devices import default_device
from .lang import say, speaking
from .lesson import SIZES, SMALL_ARCH_SIZES, Setup, default_arch, differences, lesson_table
from .precompute import shown_path
from .steps import Steps
from .synthetic import ensure_sample

LESSON_LRS = np.array([1e-4, 1e-3, 1e-2])  # the lesson's rates after unfreeze()


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m course_lib", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path,
                   help="folder of photos in the from_paths layout (default: the generated sample)")
    p.add_argument("--full", action="store_true", help="real Kaggle data in data/dogscats at the lesson's sizes")
    p.add_argument("--download", action="store_true",
                   help="with --full: download the real data first if it is missing (about 840 MB; 1.7 GB of disk)")
    p.add_argument("--arch", help="efficientnet_lite0 (the default without a GPU), resnet_mini (bundled, fastest), "
                                  "resnet18, resnet34 (the default for photos on a GPU), resnet50, resnext50, "
                                  "densenet121")
    p.add_argument("--sz", type=int, help="image size (default 128 on the sample, 224 on photos, 64 for resnet_mini)")
    p.add_argument("--bs", type=int, help="batch size (default 32, or 64 for photos on a GPU)")
    p.add_argument("--lr", type=float, default=1e-2, help="head learning rate (the lesson's 1e-2)")
    p.add_argument("--lrs", choices=("lesson", "finder"), default="lesson",
                   help="rates after unfreeze: the lesson's [1e-4, 1e-3, 1e-2] (default), or the head's rate read "
                        "off lr_find after unfreeze, with 1/10 and 1/100 for the earlier groups")
    p.add_argument("--bn-freeze", action="store_true",
                   help="after unfreeze, keep BatchNorm's statistics (fastai 0.7's learn.bn_freeze(True)); on a few "
                        "hundred images updating them cost accuracy in every run of notebook 01's control "
                        "(BENCHMARKS.md)")
    p.add_argument("--budget", type=float, metavar="MINUTES",
                   help="skip a step whose estimated time would overrun this many minutes (the model before it "
                        "stands); estimates come from the steps already run")
    p.add_argument("--workers", type=int, default=None, help="DataLoader workers (default: automatic)")
    p.add_argument("--no-pretrained", action="store_true", help="random initialisation instead of pretrained weights")
    p.add_argument("--quick", action="store_true", help="one epoch or cycle per step (a smoke run)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--plots", type=Path, help="folder for the lr_find and schedule plots (default <work folder>/plots)")
    p.add_argument("--lang", choices=("en", "zh"),
                   help="language of what the run prints: en or zh (default: COURSE_LIB_LANG, else en); the figures "
                        "are the same")
    a = p.parse_args(argv)
    for name, low in (("sz", 1), ("bs", 1), ("workers", 0)):
        v = getattr(a, name)
        if v is not None and v < low:
            p.error(f"--{name} must be at least {low}, got {v}")
    if a.lr <= 0:
        p.error(f"--lr must be above 0, got {a.lr}")
    if a.budget is not None and not a.budget > 0:
        p.error(f"--budget is in minutes and must be above 0, got {a.budget}")
    if a.arch is not None:
        try:
            arch_name(a.arch)
        except ValueError as e:
            p.error(str(e))
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


class Budget:
    """The time left of --budget, and whether a step estimated to take `s` seconds fits in it."""

    def __init__(self, minutes: float | None, clock: Callable[[], float]):
        self.limit = None if minutes is None else 60 * minutes
        self.clock, self.t0 = clock, clock()

    def left(self) -> float:
        """Seconds left (infinite without a budget)."""
        return math.inf if self.limit is None else self.limit - (self.clock() - self.t0)

    def estimate(self, s: float) -> float:
        """Print the estimate for the next step, and the budget left; return the seconds left."""
        left = self.left()
        tail = "" if self.limit is None else say("cli.estimate.left", left=_minutes(left), limit=_minutes(self.limit))
        print(say("cli.estimate", t=_minutes(s)) + tail, flush=True)
        return left

    def allows(self, what: str, s: float) -> bool:
        """Print the estimate for the next step; False (and why) when it would overrun the budget."""
        left = self.estimate(s)
        if s <= left:
            return True
        print(say("cli.skipped", what=what, t=_minutes(s), left=_minutes(max(left, 0))), flush=True)
        return False


def _minutes(s: float) -> str:
    return say("cli.seconds", s=s) if s < 90 else say("cli.minutes", m=s / 60)


def settings(a: argparse.Namespace) -> Setup:
    """The run's data, backbone and sizes from the arguments: photos get the lesson's sizes, the sample 128 px."""
    notes = []
    if a.data is not None:
        path, mode = a.data, "real"
    elif a.full:
        path, mode = full_data(a.download), "real"
    else:
        path, mode = ensure_sample("dogscats"), "sample"
    arch = a.arch
    if not arch:
        arch, why = default_arch(mode == "real")
        if why:
            notes.append(why)
    sz, _, bs = SIZES[("dogscats", mode)]
    if arch == "resnet_mini":
        sz = SMALL_ARCH_SIZES["dogscats"][0]
    if default_device().type != "cuda":
        bs = 32  # the lesson's 64 was sized for a GPU's memory
    test_name = "test1" if (path / "test1").is_dir() else None
    # `is None`, not `or`: --sz 0 or --bs 0 must reach the library's clear error, not become the default
    return Setup("dogscats", path, mode, arch, a.sz if a.sz is not None else sz, None,
                 a.bs if a.bs is not None else bs, a.seed, test_name, tuple(notes))


def main(argv=None, clock: Callable[[], float] = time.perf_counter) -> pd.DataFrame:
    """Run the recipe and return the summary table (one row per step); `clock` measures the time (tests)."""
    a = parse_args(argv)
    with speaking(a.lang):  # --lang holds for this run only, also when main is called from Python
        return run(a, clock)


def run(a: argparse.Namespace, clock: Callable[[], float]) -> pd.DataFrame:
    """The recipe for parsed arguments: each step judged, the better model kept and saved; the summary table."""
    import matplotlib  # a headless run draws to files: pick the file backend before pyplot loads
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    set_seed(a.seed)
    S = settings(a)
    path, arch, sz, bs = S.path, S.arch, S.sz, S.bs
    budget = Budget(a.budget, clock)
    n = 1 if a.quick else None  # --quick: one epoch or cycle per step

    def banner(text: str) -> None:
        print(f"\n== {text}", flush=True)

    tfms = tfms_from_model(arch, sz, aug_tfms=transforms_side_on, max_zoom=1.1)
    data = ImageClassifierData.from_paths(path, bs=bs, tfms=tfms, test_name=S.test_name, num_workers=a.workers)
    banner(say("cli.data", path=shown_path(path)) + f"\n   {data.describe()}"
           + "".join("\n   " + say("cli.note", note=x) for x in S.notes))
    learn = ConvLearner.pretrained(arch, data, precompute=True, pretrained=not a.no_pretrained)
    print(learn)
    plots = a.plots or learn.work_path / "plots"
    plots.mkdir(parents=True, exist_ok=True)

    def save_plot(fig, name: str) -> None:
        fig.savefig(plots / name)
        plt.close(fig)

    steps = Steps(data.val_y)
    rows: list[dict] = []

    def record(name: str, t0: float, epochs: int, line: str | None = None) -> None:
        k = len(steps.names) - 1
        ch = steps.change(steps.base(k), k) if k else None
        rows.append({"step": name, "epochs": epochs, "accuracy": steps.accuracy(k), "log loss": steps.log_loss(k),
                     "change": ch.delta if ch else float("nan"), "change ±": ch.se if ch else float("nan"),
                     "kept": "yes" if steps.kept[k] else "no, reverted", "seconds": round(clock() - t0, 1)})
        if line:
            print(f"   {line}", flush=True)

    def skipped(name: str) -> None:
        rows.append({"step": name, "epochs": 0, "accuracy": float("nan"), "log loss": float("nan"),
                     "change": float("nan"), "change ±": float("nan"), "kept": "skipped (--budget)", "seconds": 0.0})

    def epochs_of_last_fit() -> int:
        return int(learn.history["fit"].eq(learn.n_fit).sum())

    banner(say("cli.step1"))
    t0 = clock()
    learn.acts.get(learn)  # the cache build (one body pass per image), here so it is timed apart from the sweep
    n_img = len(data.trn_ds) + len(data.val_ds) + (len(data.test_ds) if data.test_ds else 0)
    if not learn.acts.built:  # read from an earlier run's cache: time the body on one validation batch instead
        xb = next(iter(data.val_dl))[0]
        t0 = clock()
        learn.predict_array(xb)
        n_img = len(xb)
    body_per_image = (clock() - t0) / max(1, n_img)
    t0 = clock()
    learn.lr_find(num_it=60 if a.quick else 100)
    head_per_batch = (clock() - t0) / max(1, len(learn.sched.losses))  # a batch of the head on cached activations
    s = learn.sched.suggestion()
    print(say("cli.suggested", lr=s.lr, steep=s.steep, lesson=a.lr))
    save_plot(learn.sched.plot(), "lr_find.png")
    lr = a.lr

    name = say("cli.step2", lr=lr, n=n or 2)
    banner(name)
    n_head = n or 2
    # printed, never skipped: this is the model that stands when a later step is skipped
    budget.estimate(n_head * (len(data.trn_dl) + len(data.val_dl)) * head_per_batch)
    t0 = clock()
    learn.fit(lr, n_head)
    steps.add(name, learn.sched.last_preds())
    record(name, t0, epochs_of_last_fit())
    learn.save("step2")

    name = say("cli.step3", lr=lr, n=n or 3)
    banner(name)
    n_frozen = n or 3
    frozen_epoch = body_per_image * (len(data.trn_ds) + len(data.val_ds))
    if budget.allows(say("cli.what.aug"), n_frozen * frozen_epoch):
        t0 = clock()
        learn.precompute = False
        learn.fit(lr, n_frozen, cycle_len=1)
        save_plot(learn.sched.plot_lr(), "sgdr.png")
        line = steps.attempt(name, learn.sched.last_preds(), revert=lambda: learn.load("step2"))
        record(name, t0, epochs_of_last_fit(), line)
    else:
        skipped(name)
    learn.save("step3")

    name = say("cli.step4", n=n or 3)
    banner(name)
    n_it, n_unfrozen = (12, 1) if a.quick else (24, 7)
    val_time = body_per_image * len(data.val_ds)
    # before anything unfrozen has run: a training batch costs about three forward passes (forward + backward)
    guess = 3 * body_per_image * bs
    if budget.allows(say("cli.what.unfreeze"),
                     (n_it + n_unfrozen * len(data.trn_dl)) * guess + n_unfrozen * val_time):
        t0 = clock()
        learn.unfreeze()
        learn.bn_freeze(a.bn_freeze)
        learn.lr_find(start_lr=LESSON_LRS / 1e3, end_lr=LESSON_LRS * 1e3, num_it=n_it)
        per_batch = (clock() - t0) / max(1, len(learn.sched.losses))  # now measured
        s2 = learn.sched.suggestion()
        finder_lrs = np.array([s2.lr / 100, s2.lr / 10, s2.lr])
        print("   " + say("cli.finder_after_unfreeze", finder=_rates(finder_lrs), head=s2.lr, lesson=_rates(LESSON_LRS),
                  using=say(f"cli.using.{a.lrs}")))
        save_plot(learn.sched.plot(), "lr_find_unfrozen.png")
        lrs = finder_lrs if a.lrs == "finder" else LESSON_LRS
        if budget.allows(say("cli.what.finetune"), n_unfrozen * (per_batch * len(data.trn_dl) + val_time)):
            t0 = clock()
            learn.fit(lrs, n or 3, cycle_len=1, cycle_mult=2)
            save_plot(learn.sched.plot_lr(), "unfreeze_cycle_mult2.png")
            line = steps.attempt(name, learn.sched.last_preds(), revert=lambda: learn.load("step3"))
            record(name, t0, epochs_of_last_fit(), line)
        else:
            skipped(name)
            learn.load("step3")  # the model as it was before unfreeze() (load puts back its frozen groups)
    else:
        skipped(name)
    kept = steps.current

    banner(say("cli.step5"))
    name = say("cli.step5.name")
    if budget.allows(say("cli.what.tta"), 5 * val_time):
        t0 = clock()
        log_preds, y = learn.TTA()
        probs = np.mean(np.exp(log_preds), 0)
        plain = accuracy_np(learn.predict(), data.val_y)
        print(say("cli.tta", plain=plain, tta=accuracy_np(probs, y)))
        steps.add(name, probs, probs=True)
        record(name, t0, 0)
    else:
        skipped(name)

    stem = f"dogscats_{arch}_{sz}"
    fn = learn.save(stem)
    side = {"step": steps.names[kept], "accuracy": steps.accuracy(kept), "log_loss": steps.log_loss(kept),
            "arch": arch, "sz": sz, "seed": a.seed, "lrs_after_unfreeze": a.lrs, "bn_freeze": a.bn_freeze}
    fn.with_suffix(".json").write_text(json.dumps(side, indent=2) + "\n")

    summary = pd.DataFrame(rows)
    banner(say("cli.summary"))
    with pd.option_context("display.width", 160, "display.max_colwidth", 70, "display.float_format", "{:.4f}".format):
        print(shown(summary).to_string(index=False))
    print()
    print("\n".join(steps.verdicts()))
    reverted = [nm for nm, k in zip(steps.names, steps.kept) if not k]
    print(say("cli.kept_model", name=steps.names[kept], acc=steps.accuracy(kept))
          + (say("cli.kept_model.reverted", names=say("cli.and").join(say("cli.quoted", name=r) for r in reverted))
             if reverted else ""))
    if any(nm.startswith("4.") for nm in reverted) and not a.bn_freeze:
        print("   " + say("cli.bn_hint"))
    print(say("cli.saved", fn=shown_path(fn), name=steps.names[kept], side=fn.with_suffix(".json").name,
              plots=shown_path(plots)))
    banner(say("cli.beside"))
    print(differences("dogscats", S, len(data.trn_ds), len(data.val_ds)))
    # the lesson's rows: lesson 1's head, augmentation, SGDR (both this run's step 3), fine-tuning
    at = {nm[:2]: k for k, nm in enumerate(steps.names)}
    match = {row: at[prefix] for row, prefix in ((0, "2."), (1, "3."), (2, "3."), (3, "4.")) if prefix in at}
    with pd.option_context("display.width", 160, "display.max_colwidth", 60):
        print(lesson_table("dogscats", steps, match).to_string(index=False))
    return summary


def shown(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary as printed: headers and the 'kept' column in the chosen language (the returned table keeps
    English keys, for code that reads it)."""
    out = summary.assign(kept=[say(f"cli.kept.{k}") for k in summary.kept])
    return out.rename(columns={c: say(f"cli.col.{c}") for c in out.columns})


def _rates(lrs: np.ndarray) -> str:
    return "[" + ", ".join(f"{x:.2g}" for x in lrs) + "]"


def cli() -> None:
    """Console entry point: run `main`; exit 130 on Ctrl-C, and 1 with the message alone for a problem with the
    data, the files or the settings (each names the file, the count or the fix; COURSE_LIB_DEBUG=1 shows the
    traceback too)."""
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
    except (ValueError, OSError, CheckpointError, FloatingPointError) as e:
        if os.environ.get("COURSE_LIB_DEBUG"):
            raise
        print(f"course_lib: error: {e}\n(COURSE_LIB_DEBUG=1 shows where it happened)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    cli()
