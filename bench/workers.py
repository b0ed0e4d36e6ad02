"""Loader workers and model threads: course_lib's fit against a plain PyTorch loop with the same workers.

For each setting (a backbone at a size and batch size) and each worker count, one epoch (training, then
validation) of course_lib's `fit` and of a hand-written loop (torchvision ImageFolder + v2 transforms, the
same model and initial weights, SGD with momentum and a cosine schedule; `bench/lite0_speed.py`'s loop) with
the same `num_workers`. The plain loop runs on torch's default threads, as one writes it; course_lib gives the
model the threads of its plan (course_lib.threads). A course_lib row with no `num_workers` shows the default.

Each (side, workers) row keeps its learner or model, and its persistent workers, for the whole run. All the
workers start before anything trains: forked from a process that has trained (a few GB of heap) a worker
costs the trainer copy-on-write page faults afterwards (seconds, once per fork, as in a notebook's first fit
with workers), and keeps its own copy of every page the trainer writes (26 such workers ran the 24 GB machine
out of memory). Then each row's first fit is reported apart, in an order that alternates the sides (for
course_lib it includes timing the first batches at the cores the workers leave, see course_lib.threads),
and `--rounds` rounds of one epoch per row follow, in an order that rotates so that load on the
machine hits every row alike. The ratios use the medians of the rounds. Ratios: course_lib against the
best plain row of the setting, and each row against the best row of the setting (either side).

    python bench/workers.py [--data FOLDER] [--settings efficientnet_lite0@224:32 resnet18@64:64 ...]
                            [--workers 0 1 2 4] [--rounds 4] [--train-batches 4] [--valid-batches 1] [--threads N]

An epoch is `--train-batches` training and `--valid-batches` validation batches of each setting's batch size
(links to the first images of each class; 0: every image), so that one run stays within minutes.
"""
from __future__ import annotations

import _common  # noqa: F401  (puts the repository on sys.path)
import argparse
import contextlib
import copy
import gc
import io
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
# 4 workers on 2 cores is one of the settings measured, not a mistake to warn about
warnings.filterwarnings("ignore", message="This DataLoader will create")

import torch  # noqa: E402

from _common import machine  # noqa: E402
from lite0_speed import Plain  # noqa: E402
from course_lib import Callback, ConvLearner, ImageClassifierData, tfms_from_model, transforms_side_on  # noqa: E402
from course_lib.devices import amp_dtype, nhwc  # noqa: E402
from course_lib.images import list_dirs, list_images  # noqa: E402
from course_lib.synthetic import ensure_sample  # noqa: E402
from course_lib.threads import cpu_cores  # noqa: E402

LR = 1e-3


def parse_setting(s: str) -> tuple[str, int, int]:
    """'arch@sz:bs' -> (arch, sz, bs); bs defaults to 32 at 128 px and above, else 64."""
    arch, _, rest = s.partition("@")
    sz, _, bs = rest.partition(":")
    if not arch or not sz.isdigit() or (bs and not bs.isdigit()):
        raise SystemExit(f"a setting is arch@sz[:bs], e.g. efficientnet_lite0@224:32; got {s!r}")
    return arch, int(sz), int(bs) if bs else (32 if int(sz) >= 128 else 64)


def subset(folder: Path, n_train: int, n_valid: int, into: Path) -> Path:
    """A from_paths folder of links to about n_train training and n_valid validation images of `folder`,
    the first of each class (0: all of them)."""
    for split, n in (("train", n_train), ("valid", n_valid)):
        classes = list_dirs(folder / split)
        per = -(-n // len(classes)) if n else None  # per class, rounded up
        for c in classes:
            d = into / split / c.name
            d.mkdir(parents=True, exist_ok=True)
            for f in list_images(c)[:per]:
                (d / f.name).symlink_to(f.resolve())
    return into


def start_workers(*dls) -> None:
    """Start the persistent workers of these loaders now (they stay for every later epoch)."""
    for dl in dls:
        if dl.num_workers:
            next(iter(dl))


class Threads(Callback):
    """The model's threads in the last training batch (what the plan gave it)."""
    order = 90

    def after_step(self):
        self.n = torch.get_num_threads()


class CourseLib:
    """One learner with `workers` (None: course_lib's default), fitted one epoch at a time."""

    def __init__(self, folder: Path, arch: str, sz: int, bs: int, workers: int | None, start: dict):
        tfms = tfms_from_model(arch, sz, aug_tfms=transforms_side_on, max_zoom=1.1)
        self.data = ImageClassifierData.from_paths(folder, bs=bs, tfms=tfms, num_workers=workers)
        self.learn = ConvLearner.pretrained(arch, self.data, pretrained=False)
        self.learn.unfreeze()
        self.start = start
        self.threads = Threads()
        start_workers(self.data.trn_dl, self.data.val_dl)

    def epoch(self) -> float:
        self.learn.model.load_state_dict(self.start)
        self.learn.opt = None
        t = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # the epoch table is not what is measured
            self.learn.fit(LR, 1, cycle_len=1, cbs=[self.threads])
        return time.perf_counter() - t

    def describe(self) -> str:
        return f"{self.data.num_workers} workers, {self.threads.n} threads"


class PlainLoop:
    """bench/lite0_speed.py's hand-written loop on the same model, with `workers`, on torch's default threads."""

    def __init__(self, folder: Path, model: torch.nn.Module, sz: int, bs: int, workers: int, start: dict):
        dev = torch.device("cpu")
        self.loop = Plain(folder, model, [model], sz, bs, workers, amp_dtype(dev), nhwc(dev))
        self.model, self.start, self.workers = model, start, workers
        start_workers(self.loop.trn_dl, self.loop.val_dl)

    def epoch(self) -> float:
        self.model.load_state_dict(self.start)
        t = time.perf_counter()
        self.loop.epoch([LR])
        return time.perf_counter() - t

    def describe(self) -> str:
        return f"{self.workers} workers, {torch.get_num_threads()} threads"


def run_setting(folder: Path, arch: str, sz: int, bs: int, workers: list[int], rounds: int) -> None:
    """Every row of one setting: its first fit, then rounds of one epoch per row in rotating order; the table."""
    torch.manual_seed(0)
    keys = [("course_lib", str(w)) for w in workers] + [("course_lib", "default")]
    keys += [("plain", str(w)) for w in workers]
    rows: dict[tuple[str, str], CourseLib | PlainLoop] = {}
    start, model = None, None
    for side, w in keys:  # every row starts from the first learner's random weights
        nw = None if w == "default" else int(w)
        if side == "course_lib":
            rows[(side, w)] = CourseLib(folder, arch, sz, bs, nw, start)
            if start is None:
                model = rows[(side, w)].learn.model
                start = rows[(side, w)].start = copy.deepcopy(model.state_dict())
        else:
            rows[(side, w)] = PlainLoop(folder, copy.deepcopy(model), sz, bs, nw, start)
    # first fits interleaved (course_lib w, plain w, ...): the process's own first-use costs (allocator, kernel
    # set-up) fall on whichever row goes first, so neither side gets them all
    order = [k for pair in zip(keys[:len(workers)], keys[len(workers) + 1:]) for k in pair] + [keys[len(workers)]]
    first = {k: rows[k].epoch() for k in order}
    print("  first fit: " + ", ".join(f"{s} {w} {first[(s, w)]:.2f}" for s, w in keys), flush=True)
    times: dict = {k: [] for k in keys}
    for r in range(rounds):
        for key in keys[r % len(keys):] + keys[:r % len(keys)]:  # rotate who goes first
            times[key].append(rows[key].epoch())
        print(f"  round {r + 1} (load {os.getloadavg()[0]:.1f}): "
              + ", ".join(f"{s} {w} {times[(s, w)][-1]:.2f}" for s, w in keys), flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    best_plain = min(v for (s, _), v in med.items() if s == "plain")
    best = min(med.values())
    print("\n| side | workers | model threads | first fit (s) | its extra over the median (s) | epoch (s), median "
          "| plain best / this | best / this |")
    print("|---|---|---|---|---|---|---|---|")
    for key in keys:
        side, w = key
        print(f"| {side} | {w if w != 'default' else 'default: ' + rows[key].describe().split(' ')[0]} | "
              f"{rows[key].describe().split(', ')[1].split()[0]} | {first[key]:.2f} | {first[key] - med[key]:+.2f} | "
              f"{med[key]:.2f} | {best_plain / med[key]:.2f}x | {best / med[key]:.2f}x |")
    cl = [med[k] for k in keys if k[0] == "course_lib"]
    print(f"course_lib rows against the best plain row: {best_plain / max(cl):.2f}x (slowest) to "
          f"{best_plain / min(cl):.2f}x (fastest) its throughput (goal: every row >= 0.91x, i.e. within 10%)")
    if ("course_lib", "2") in med:
        print(f"course_lib num_workers=2 against the best row of this setting: {best / med[('course_lib', '2')]:.2f}x "
              f"its throughput (goal >= 0.91x)")
    rows.clear()
    gc.collect()  # the learners hold reference cycles: stop this setting's workers before the next one


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=None, help="a from_paths folder (default: the generated sample)")
    p.add_argument("--settings", nargs="+", default=["efficientnet_lite0@224:32", "resnet18@64:64"],
                   help="arch@sz[:bs] for each setting")
    p.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2, 4])
    p.add_argument("--rounds", type=int, default=4, help="timed epochs per row, one per round, in rotating order")
    p.add_argument("--train-batches", type=int, default=4, help="training batches per epoch (0: every image)")
    p.add_argument("--valid-batches", type=int, default=1, help="validation batches per epoch (0: every image)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch.set_num_threads first: the plain loop's threads and course_lib's cap (default: torch's)")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    source = Path(a.data or ensure_sample("dogscats"))
    print(f"machine: {machine()}; {cpu_cores()} cores for this process; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"data: {a.data or 'the generated sample'}; a first fit and {a.rounds} timed epochs per row (train + "
          f"validate), random weights, lr {LR}, precision {amp_dtype(torch.device('cpu')) or 'fp32'}")
    for s in a.settings:
        arch, sz, bs = parse_setting(s)
        with tempfile.TemporaryDirectory() as tmp:
            folder = subset(source, a.train_batches * bs, a.valid_batches * bs, Path(tmp))
            n_trn, n_val = (len(list((folder / d).rglob("*.*"))) for d in ("train", "valid"))
            print(f"\n### {arch}, {sz} px, bs {bs}: {n_trn} training / {n_val} validation images")
            run_setting(folder, arch, sz, bs, a.workers, a.rounds)
    print(f"\nload average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
