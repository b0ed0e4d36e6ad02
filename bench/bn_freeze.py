"""Why can fine-tuning hurt on a few hundred photos? The weights, or BatchNorm's statistics? One run, one data set.

A learner follows notebook 01 up to step 2 (the head on cached activations, `fit(0.01, 2)`; then augmentation and
SGDR, `fit(1e-2, 1, cycle_len=1)`) and is saved. From that model, each row unfreezes and fits the same epochs of
SGDR with the same seed, changing one thing: the rates (the lesson's `[1e-4, 1e-3, 1e-2]`, or 1e-9 everywhere, so
that the weights stay where they are) and whether BatchNorm trains (the lesson's default) or keeps its statistics
(`learn.bn_freeze(True)`). The reference, measured in the same run, is the saved model itself: each row prints its
change in accuracy against it, with the paired standard error.

    python bench/bn_freeze.py [--data FOLDER] [--arch efficientnet_lite0] [--sz 224] [--epochs 2] [--seed 42]

Without --data it runs on the generated dogs-vs-cats sample at 128 px.
"""
from __future__ import annotations

import _common  # noqa: F401  (puts the repository on sys.path)
import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np  # noqa: E402

from _common import machine  # noqa: E402
from course_lib import ConvLearner, ImageClassifierData, set_seed, tfms_from_model, transforms_side_on  # noqa: E402
from course_lib.metrics import accuracy_np, paired_change  # noqa: E402

ROWS = [("1e-9 everywhere, BatchNorm trains", 1e-9, False), ("1e-9 everywhere, bn_freeze(True)", 1e-9, True),
        ("lesson's [1e-4, 1e-3, 1e-2], BatchNorm trains", None, False),
        ("lesson's [1e-4, 1e-3, 1e-2], bn_freeze(True)", None, True)]
LESSON_LRS = np.array([1e-4, 1e-3, 1e-2])


def run(path: Path, arch: str, sz: int, epochs: int, seed: int, bs: int = 32, workers: int | None = None) -> list[dict]:
    """The rows above on the data at `path`: accuracy, change against the saved model (± paired s.e.), seconds."""
    set_seed(seed)
    tfms = tfms_from_model(arch, sz, aug_tfms=transforms_side_on, max_zoom=1.1)
    data = ImageClassifierData.from_paths(path, bs=bs, tfms=tfms, num_workers=workers)
    learn = ConvLearner.pretrained(arch, data, precompute=True)
    learn.quiet = True
    learn.fit(0.01, 2)
    learn.precompute = False
    learn.fit(1e-2, 1, cycle_len=1)
    learn.save("bench_bn_freeze")
    base = learn.sched.last_preds()
    out = [{"row": "the model before unfreeze() (reference)", "accuracy": accuracy_np(base, data.val_y),
            "change": 0.0, "se": 0.0, "s": 0.0}]
    for name, lr, frozen in ROWS:
        learn.load("bench_bn_freeze")
        learn.unfreeze()
        learn.bn_freeze(frozen)
        set_seed(seed + 1)
        t = time.perf_counter()
        learn.fit(LESSON_LRS if lr is None else np.full(3, lr), epochs, cycle_len=1)
        preds = learn.sched.last_preds()
        ch = paired_change(base, preds, data.val_y)
        out.append({"row": name, "accuracy": accuracy_np(preds, data.val_y), "change": ch.delta, "se": ch.se,
                    "s": time.perf_counter() - t})
    return out


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, help="a folder in the from_paths layout (default: the generated sample)")
    p.add_argument("--arch", default="efficientnet_lite0")
    p.add_argument("--sz", type=int, help="image size (default 224 for --data, 128 for the sample)")
    p.add_argument("--bs", type=int, default=32)
    p.add_argument("--workers", type=int)
    p.add_argument("--epochs", type=int, default=2, help="unfrozen epochs of each row")
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args(argv)
    if a.data is None:
        from course_lib.synthetic import ensure_sample
        path, sz = ensure_sample("dogscats"), a.sz or 128
    else:
        path, sz = a.data, a.sz or 224
    print(machine())
    print(f"{path.name}: {a.arch} at {sz} px, bs {a.bs}, {a.epochs} unfrozen epochs a row, seed {a.seed}")
    rows = run(path, a.arch, sz, a.epochs, a.seed, a.bs, a.workers)
    print(f"{'row':<48} {'accuracy':>8} {'change vs reference':>22} {'seconds':>8}")
    for r in rows:
        print(f"{r['row']:<48} {r['accuracy']:8.3f} {r['change']:+13.3f} ± {r['se']:.3f} {r['s']:8.0f}")
    return rows


if __name__ == "__main__":
    main()
