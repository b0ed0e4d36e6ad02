"""Which input statistics suit EfficientNet-Lite's ImageNet weights? Zero-shot cats vs dogs, no training.

The full 1000-class network (course_lib's EfficientNet-Lite with the package's weights) looks at every photo
of a `from_paths` folder through course_lib's validation pipeline (shorter side to sz, centre crop) with
each normalisation, and calls it a dog when the probability summed over ImageNet's dog classes (151-268)
beats the sum over its cat classes (281-285). Nothing is fitted, so the better statistics are simply the
ones the weights were trained with.

    python bench/zero_shot.py --photos ../shared/data/real-dogscats-dev [--sz 224] [--arch efficientnet_lite0]
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from course_lib import ImageClassifierData, tfms_from_stats  # noqa: E402
from course_lib.models import HALF_STATS, IMAGENET_STATS, build_backbone  # noqa: E402

DOGS, CATS = slice(151, 269), slice(281, 286)  # ImageNet-1k class indices


def dog_scores(model, data) -> tuple[np.ndarray, np.ndarray]:
    """(P(dog classes) - P(cat classes), label) for every training and validation photo."""
    scores, ys = [], []
    with torch.inference_mode():
        for dl in (data.fix_dl, data.val_dl):
            for xb, yb in dl:
                p = torch.softmax(model(xb).float(), 1)
                scores.append((p[:, DOGS].sum(1) - p[:, CATS].sum(1)).numpy())
                ys.append(yb.numpy())
    return np.concatenate(scores), np.concatenate(ys)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--photos", type=Path, required=True, help="a from_paths folder with cats/ and dogs/ classes")
    p.add_argument("--sz", type=int, default=224)
    p.add_argument("--arch", default="efficientnet_lite0")
    a = p.parse_args()
    model = build_backbone(a.arch, pretrained=True).eval()
    res = {}
    for name, stats in (("0.5/0.5", HALF_STATS), ("ImageNet mean/std", IMAGENET_STATS)):
        data = ImageClassifierData.from_paths(a.photos, bs=50, tfms=tfms_from_stats(stats, a.sz), num_workers=0)
        assert data.classes == ["cats", "dogs"], data.classes
        s, y = dog_scores(model, data)
        acc = float(((s > 0) == (y == 1)).mean())
        margin = float(np.where(y == 1, s, -s).mean())  # mean probability mass on the right group minus the wrong
        res[name] = acc
        print(f"{a.arch} sz {a.sz}, {name:<18} zero-shot accuracy {acc:.4f} on {len(y)} photos "
              f"(s.e. {np.sqrt(acc * (1 - acc) / len(y)):.4f}), mean margin {margin:+.3f}")
    ref = res["ImageNet mean/std"]
    print(f"errors with 0.5/0.5 / errors with ImageNet stats: "
          f"{(1 - res['0.5/0.5']) / max(1e-9, 1 - ref):.2f}x")


if __name__ == "__main__":
    main()
