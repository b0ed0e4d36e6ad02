"""The first fit against later ones: does course_lib add a cost of its own to a learner's first epoch?

Each new model's first epoch costs more than its later ones on either side (allocator and kernel set-up), so a
comparison must give both sides the same position. For each order (course_lib first, then the plain loop; and
the other way round) a fresh process builds both from the same weights (bench/workers.py's rows) and runs
`--epochs` epochs of each, alternating; it prints each side's first epoch and the median of its later ones.

    python bench/first_fit.py [--data FOLDER] [--setting efficientnet_lite0@224:32] [--workers 0 2] [--epochs 3]
"""
from __future__ import annotations

import _common  # noqa: F401  (puts the repository on sys.path)
import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")


def one_order(setting: str, workers: int, first: str, epochs: int, n_train: int, n_valid: int,
              data: str | None = None) -> dict:
    """In this process: both sides built, `epochs` epochs each, alternating, `first` going first."""
    import torch
    from workers import CourseLib, PlainLoop, parse_setting, subset
    from course_lib.synthetic import ensure_sample

    arch, sz, bs = parse_setting(setting)
    source = Path(data or ensure_sample("dogscats"))
    folder = subset(source, n_train or 4 * bs, n_valid or bs, Path(tempfile.mkdtemp()))
    torch.manual_seed(0)
    cl = CourseLib(folder, arch, sz, bs, workers, None)
    cl.start = copy.deepcopy(cl.learn.model.state_dict())
    rows = {"course_lib": cl, "plain": PlainLoop(folder, copy.deepcopy(cl.learn.model), sz, bs, workers, cl.start)}
    order = [first] + [k for k in rows if k != first]
    times: dict[str, list[float]] = {k: [] for k in rows}
    for _ in range(epochs):
        for k in order:
            times[k].append(rows[k].epoch())
    return times


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=None, help="a from_paths folder (default: the generated sample)")
    p.add_argument("--setting", default="efficientnet_lite0@224:32", help="arch@sz[:bs], as in bench/workers.py")
    p.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    p.add_argument("--epochs", type=int, default=3, help="epochs of each side per process (the first and later)")
    p.add_argument("--train", type=int, default=0, help="training images (default: 4 batches)")
    p.add_argument("--valid", type=int, default=0, help="validation images (default: 1 batch)")
    p.add_argument("--one", nargs=2, metavar=("WORKERS", "FIRST"), help=argparse.SUPPRESS)  # the child's part
    a = p.parse_args(argv)
    if a.one:
        print(json.dumps(one_order(a.setting, int(a.one[0]), a.one[1], a.epochs, a.train, a.valid, a.data)))
        return
    from _common import machine
    print(f"machine: {machine()}; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; {a.setting}, "
          f"{a.epochs} epochs a side in each process, alternating")
    print("\n| workers | goes first | course_lib first epoch (s) | its later, median | plain first epoch (s) "
          "| its later, median | course_lib first / plain first |")
    print("|---|---|---|---|---|---|---|")
    for w in a.workers:
        for first in ("course_lib", "plain"):
            out = subprocess.run([sys.executable, __file__, "--setting", a.setting, "--epochs", str(a.epochs),
                                  "--train", str(a.train), "--valid", str(a.valid), "--one", str(w), first]
                                 + (["--data", a.data] if a.data else []),
                                 capture_output=True, text=True, check=True)
            t = json.loads(out.stdout.strip().splitlines()[-1])
            cl, pl = t["course_lib"], t["plain"]
            later = lambda xs: statistics.median(xs[1:]) if len(xs) > 1 else float("nan")  # noqa: E731
            print(f"| {w} | {first} | {cl[0]:.2f} | {later(cl):.2f} | {pl[0]:.2f} | {later(pl):.2f} | "
                  f"{cl[0] / pl[0]:.2f}x |", flush=True)
    print(f"\nload average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
