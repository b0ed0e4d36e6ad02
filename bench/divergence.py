"""Where a fit diverges, in fp32 and in bf16 autocast: for each lr, how many seeds' `fit(lr, 1)` raise.

resnet_mini with its bundled weights, unfrozen, `from_paths` on generated images (8 training and 4 validation a
class, two classes, 32 px, bs 4, 0 workers), `set_seed(s)` for each seed in one process, as in reliability
round 4. bf16 is emulated on a CPU without native bf16 (slow, but small here). Prints one row per lr:

    lr | fp32 diverged | bf16 diverged | seeds where they differ

    python bench/divergence.py [--lrs 1 3 5 10 20 1000] [--seeds 20] [--threads N]

Round 4's second case, a stable rate at 16 px where the last feature maps are one pixel, each seed three
times, with and without course_lib's fp32 fallback for one-pixel convolutions (`--no-fallback`):

    python bench/divergence.py --sz 16 --lrs 1e-3 --repeat 3 [--no-fallback]

On a CPU without native bf16 (emulated kernels) both give 0; the failures were reported on a CPU with it.
"""
from __future__ import annotations

import _common  # noqa: F401  (puts the repository on sys.path)
import argparse
import os
import tempfile
import warnings
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from course_lib import ConvLearner, ImageClassifierData, set_seed, tfms_from_model, transforms_side_on  # noqa: E402


def make_images(root: Path, n_train: int = 8, n_valid: int = 4) -> Path:
    """Two classes of striped pictures (vertical or horizontal), enough to train on, in the from_paths layout."""
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("valid", n_valid)):
        for c in ("cats", "dogs"):
            d = root / split / c
            d.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                a = rng.integers(0, 60, (48, 48, 3)).astype(np.uint8)
                stripes = (np.arange(48) // 6 % 2 == 0)
                a[(stripes[:, None] if c == "dogs" else stripes[None, :]).repeat(48, 1 if c == "dogs" else 0)] += 150
                Image.fromarray(a).save(d / f"{i}.jpg", quality=90)
    return root


def no_fallback() -> None:
    """Switch off the fp32 fallback for one-pixel convolutions, to measure what it prevents."""
    import course_lib.precision as precision
    precision.one_pixel_convs = lambda *a, **k: []


def diverged(data, lr: float, seed: int, amp: bool) -> bool:
    """Whether a fresh, unfrozen learner's fit(lr, 1) raises the divergence error."""
    set_seed(seed)
    learn = ConvLearner.pretrained("resnet_mini", data, device="cpu", amp=amp)
    learn.quiet = True
    learn.unfreeze()
    try:
        learn.fit(lr, 1)
    except FloatingPointError:
        return True
    return False


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lrs", type=float, nargs="+", default=[1, 3, 5, 10, 20, 1000])
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads first")
    p.add_argument("--sz", type=int, default=32, help="image size (16: the last maps are one pixel)")
    p.add_argument("--repeat", type=int, default=1, help="run every seed this many times (counts add up)")
    p.add_argument("--no-fallback", action="store_true",
                   help="bf16 also in one-pixel convolutions (what course_lib keeps in fp32)")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    if a.no_fallback:
        no_fallback()
    warnings.simplefilter("ignore")  # the emulated-bf16 note, once per learner
    with tempfile.TemporaryDirectory() as tmp:
        tfms = tfms_from_model("resnet_mini", a.sz, aug_tfms=transforms_side_on, max_zoom=1.1)
        data = ImageClassifierData.from_paths(make_images(Path(tmp)), bs=4, tfms=tfms, num_workers=0)
        n = a.seeds * a.repeat
        print(f"{a.seeds} seeds x {a.repeat}, {a.sz} px, {torch.get_num_threads()} threads, "
              f"fp32 fallback for one-pixel convolutions {'off' if a.no_fallback else 'on'}\n")
        print("| lr | fp32 diverged | bf16 diverged | seeds where they differ |\n|---|---|---|---|")
        for lr in a.lrs:
            runs = [s for _ in range(a.repeat) for s in range(a.seeds)]
            d32 = [diverged(data, lr, s, amp=False) for s in runs]
            d16 = [diverged(data, lr, s, amp=True) for s in runs]
            differ = sorted({s for s, x, y in zip(runs, d32, d16) if x != y})
            print(f"| {lr:g} | {sum(d32)} of {n} | {sum(d16)} of {n} | {differ or '-'} |", flush=True)


if __name__ == "__main__":
    main()
