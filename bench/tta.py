"""Test-time augmentation against one plain prediction pass, measured in the same run.

TTA(n_aug=4) makes 1 plain + 4 augmented passes over the validation set, each through the whole
model on freshly decoded and transformed images, so about 5x one `learn.predict()` is the floor;
augmentation (random zoom, rotation, lighting, flip) and the seeded worker start-up add the rest.
The target is at most 5.5x. Both are timed alternately over several repeats and the medians
compared, so load from other processes hits both alike.

    python bench/tta.py [--n 200] [--sizes 64 128] [--arch resnet18] [--repeats 5] [--workers N]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from course_lib import ConvLearner, ImageClassifierData, tfms_from_model, transforms_side_on

TARGET = 5.5


def make_photos(root: Path, n_valid: int, seed: int = 0) -> Path:
    """path/{train,valid}/{cats,dogs}: smooth random 500x375 JPEGs (photo-like to decode, unlike pure noise)."""
    rng = np.random.default_rng(seed)
    for split, n in (("train", 4), ("valid", n_valid // 2)):
        for c in ("cats", "dogs"):
            d = root / split / c
            d.mkdir(parents=True)
            for i in range(n):
                small = rng.integers(0, 255, (12, 16, 3), dtype=np.uint8)
                img = Image.fromarray(small).resize((500, 375), Image.BICUBIC)
                noise = rng.normal(0, 8, (375, 500, 3))
                a = np.clip(np.asarray(img, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
                Image.fromarray(a).save(d / f"{c}.{i}.jpg", quality=90)
    return root


def timed(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="validation images")
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--arch", default="resnet18", help="resnet18 (random init) or resnet_mini")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--workers", type=int, default=None, help="DataLoader workers (default: the library's)")
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, python {platform.python_version()}")
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        root = make_photos(Path(tmp) / "photos", args.n)
        for sz in args.sizes:
            tfms = tfms_from_model(args.arch, sz, aug_tfms=transforms_side_on, max_zoom=1.1)
            data = ImageClassifierData.from_paths(root, bs=args.bs, tfms=tfms, num_workers=args.workers)
            torch.manual_seed(0)
            learn = ConvLearner.pretrained(args.arch, data, pretrained=False, device="cpu")
            learn.predict()  # warm-up: workers started, allocator and kernels ready
            plain, aug = [], []
            for r in range(args.repeats):
                plain.append(timed(learn.predict))
                aug.append(timed(lambda: learn.TTA(n_aug=4, seed=r, progress=False)))
            p, a = statistics.median(plain), statistics.median(aug)
            ratios.append(a / p)
            print(f"{args.arch} sz={sz:4d} {len(data.val_ds)} images bs={args.bs} workers={data.num_workers}: "
                  f"predict {p:6.2f} s  TTA(n_aug=4) {a:6.2f} s  ratio {a / p:4.2f}x  "
                  f"(target <= {TARGET}x; medians of {args.repeats}; best of each: {min(aug) / min(plain):4.2f}x)")
    print(f"worst ratio {max(ratios):.2f}x: {'within' if max(ratios) <= TARGET else 'OVER'} the {TARGET}x target")


if __name__ == "__main__":
    main()
