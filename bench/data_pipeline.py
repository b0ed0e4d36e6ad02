"""Images per second through the training loader: course_lib against torchvision, measured in one run.

Work per image = decode a photo-sized JPEG (about 500x375) + the lesson's training augmentation:
course_lib's `tfms_from_model(resnet34, sz, aug_tfms=transforms_side_on, max_zoom=1.1)` iterated
through `ImageClassifierData.from_paths(...).trn_dl`, against torchvision's `ImageFolder` with a
`transforms.v2` pipeline of the same kind (resize + random crop, flip, small rotation, colour
jitter, float conversion, normalisation), with the same batch size and worker count. The two
alternate over several rounds and the medians are compared, so load from other processes hits
both alike. course_lib with `cache=True` (decoded images kept in memory) is an extra row, timed
on steady-state epochs.

    python bench/data_pipeline.py [--n 300] [--workers 0 1] [--sizes 64 224] [--repeats 5] [--bs 64]
                                  [--tv-crop resize|rrc] [--threads N] [--noise 3]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.transforms import v2

from course_lib import ImageClassifierData, resnet34, tfms_from_model, transforms_side_on
from course_lib.transforms import imagenet_stats

TARGETS = {64: 2.0, 224: 1.0}  # course_lib / torchvision speed ratio to reach at each size
SHAPES = [(500, 375), (375, 500), (500, 333), (480, 360), (500, 400)]  # (w, h) of typical web photos


def photo(rng: np.random.Generator, w: int, h: int, noise: float = 3.0) -> Image.Image:
    """A photo-like image: smooth colour fields, a few blobs, fur-like texture and sensor noise."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = np.empty((h, w, 3), np.float32)
    for c in range(3):
        fx, fy, ph = rng.uniform(0.005, 0.05, 2).tolist() + [rng.uniform(0, 6.3)]
        a[..., c] = 128 + 80 * np.sin(xx * fx + ph) * np.cos(yy * fy)
    for _ in range(4):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(20, 120)
        a[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = rng.uniform(0, 255, 3)
    texture = np.kron(rng.normal(0, 1, (h // 3 + 1, w // 3 + 1)), np.ones((3, 3)))[:h, :w]  # 3-pixel grain
    a += 2 * noise * texture[..., None].astype(np.float32)
    a += rng.normal(0, noise, a.shape).astype(np.float32)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def make_photos(root: Path, n: int, noise: float = 3.0, seed: int = 0) -> Path:
    """n JPEGs under root/train/<2 classes>/ plus a small root/valid/ (from_paths needs one)."""
    rng = np.random.default_rng(seed)
    for split, count in (("train", n), ("valid", 4)):
        for k in range(count):
            cls = "a" if k % 2 else "b"
            d = root / split / cls
            d.mkdir(parents=True, exist_ok=True)
            w, h = SHAPES[k % len(SHAPES)]
            photo(rng, w, h, noise).save(d / f"{k:05d}.jpg", quality=90)
    return root


def torchvision_loader(root: Path, sz: int, bs: int, workers: int, crop: str) -> DataLoader:
    """ImageFolder + a transforms.v2 pipeline comparable to transforms_side_on with max_zoom=1.1."""
    if crop == "rrc":
        first = [v2.RandomResizedCrop(sz, antialias=True)]
    else:
        first = [v2.Resize(sz, antialias=True), v2.RandomCrop(sz)]
    tfm = v2.Compose(first + [
        v2.RandomHorizontalFlip(),
        v2.RandomRotation(10),
        v2.ColorJitter(brightness=0.05, contrast=0.05),
        v2.ToImage(),
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(*imagenet_stats),
    ])
    ds = datasets.ImageFolder(str(root / "train"), transform=tfm)
    ctx = mp.get_context("fork") if workers > 0 and sys.platform.startswith("linux") else None
    return DataLoader(ds, batch_size=bs, shuffle=True, num_workers=workers, persistent_workers=workers > 0,
                      multiprocessing_context=ctx)


def epoch_rate(dl: DataLoader) -> float:
    """Images per second for one pass over the loader."""
    n = 0
    t = time.perf_counter()
    for xb, _ in dl:
        n += len(xb)
    return n / (time.perf_counter() - t)


def main() -> None:
    """Print images/s per pipeline and size, and the course_lib / torchvision ratio."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=300, help="training images to generate")
    p.add_argument("--workers", type=int, nargs="+", default=[0, 1], help="DataLoader worker counts to run")
    p.add_argument("--sizes", type=int, nargs="+", default=[64, 224])
    p.add_argument("--repeats", type=int, default=5, help="timed epochs per pipeline (alternating)")
    p.add_argument("--bs", type=int, default=64)
    p.add_argument("--tv-crop", choices=["resize", "rrc"], default="resize",
                   help="torchvision's crop: Resize+RandomCrop (what course_lib does) or RandomResizedCrop")
    p.add_argument("--threads", type=int, default=None, help="torch threads in the main process (default: torch's)")
    p.add_argument("--noise", type=float, default=3.0,
                   help="grain of the generated photos (3: about 50 KB per 500x375 JPEG at quality 90)")
    p.add_argument("--data", type=Path, default=None, help="reuse (or create) the generated photos here")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)

    with tempfile.TemporaryDirectory() as tmp:
        root = a.data or Path(tmp) / "photos"
        if not (root / "train").is_dir():
            t = time.perf_counter()
            make_photos(root, a.n, a.noise)
            print(f"generated {a.n} JPEGs in {time.perf_counter() - t:.1f}s under {root}")
        jpgs = list((root / "train").rglob("*.jpg"))
        kb = np.mean([f.stat().st_size for f in jpgs]) / 1024
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
              f"torch {torch.__version__} ({torch.get_num_threads()} threads), Pillow {Image.__version__}")
        print(f"data: {len(jpgs)} JPEGs of {kb:.0f} KB on average; bs={a.bs}, repeats={a.repeats}, "
              f"torchvision crop={a.tv_crop}")
        print(f"{'sz':>4} {'workers':>7}  {'pipeline':<22} {'median img/s':>12}   runs")
        ratios = {}
        for sz in a.sizes:
            for nw in a.workers:
                tfms = tfms_from_model(resnet34, sz, aug_tfms=transforms_side_on, max_zoom=1.1)
                loaders = {
                    "course_lib": ImageClassifierData.from_paths(root, bs=a.bs, tfms=tfms, num_workers=nw).trn_dl,
                    "torchvision": torchvision_loader(root, sz, a.bs, nw, a.tv_crop),
                }
                t = time.perf_counter()
                cached = ImageClassifierData.from_paths(root, bs=a.bs, tfms=tfms, num_workers=nw, cache=True)
                fill_s = time.perf_counter() - t
                loaders["course_lib cache=True"] = cached.trn_dl
                rates: dict[str, list[float]] = {k: [] for k in loaders}
                for dl in loaders.values():
                    epoch_rate(dl)  # warm-up: worker start-up, allocator, file cache
                for _ in range(a.repeats):
                    for k, dl in loaders.items():  # alternate so drift in machine load affects all alike
                        rates[k].append(epoch_rate(dl))
                for k, v in rates.items():
                    extra = f"  (cache filled in {fill_s:.1f}s)" if "cache" in k else ""
                    print(f"{sz:>4} {nw:>7}  {k:<22} {statistics.median(v):>12.0f}   "
                          f"{', '.join(f'{x:.0f}' for x in v)}{extra}")
                per_round = [c / t for c, t in zip(rates["course_lib"], rates["torchvision"])]
                ratios[sz, nw] = (statistics.median(rates["course_lib"]) / statistics.median(rates["torchvision"]),
                                  statistics.median(per_round))
                del loaders, cached
        print()
        for (sz, nw), (r, r_round) in ratios.items():
            target = TARGETS.get(sz)
            verdict = "" if target is None else f"  (target >= {target:.1f}x: {'met' if r >= target else 'MISSED'})"
            print(f"sz {sz:>3}, workers {nw}: course_lib / torchvision = {r:.2f}x{verdict}; "
                  f"median of per-round ratios {r_round:.2f}x")


if __name__ == "__main__":
    main()
