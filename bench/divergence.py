"""Where a fit diverges, in fp32 and in bf16 autocast: for each lr, how many seeds' `fit(lr, 1)` raise.

resnet_mini with its bundled weights, unfrozen, `from_paths` on generated images (8 training and 4 validation a
class, two classes, 32 px, bs 4, 0 workers), `set_seed(s)` for each seed in one process, as in reliability
round 4. bf16 is emulated on a CPU without native bf16 (slow, but small here). Prints one row per lr:

    lr | fp32 diverged | bf16 diverged | seeds where they differ

    python bench/divergence.py [--lrs 1 3 5 10 20 1000] [--seeds 20] [--threads N]
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
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    warnings.simplefilter("ignore")  # the emulated-bf16 note, once per learner
    with tempfile.TemporaryDirectory() as tmp:
        tfms = tfms_from_model("resnet_mini", 32, aug_tfms=transforms_side_on, max_zoom=1.1)
        data = ImageClassifierData.from_paths(make_images(Path(tmp)), bs=4, tfms=tfms, num_workers=0)
        print(f"{a.seeds} seeds, {torch.get_num_threads()} threads\n")
        print("| lr | fp32 diverged | bf16 diverged | seeds where they differ |\n|---|---|---|---|")
        for lr in a.lrs:
            d32 = [diverged(data, lr, s, amp=False) for s in range(a.seeds)]
            d16 = [diverged(data, lr, s, amp=True) for s in range(a.seeds)]
            differ = [s for s in range(a.seeds) if d32[s] != d16[s]]
            print(f"| {lr:g} | {sum(d32)} of {a.seeds} | {sum(d16)} of {a.seeds} | {differ or '-'} |", flush=True)


if __name__ == "__main__":
    main()
