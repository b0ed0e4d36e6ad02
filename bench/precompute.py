"""precompute=True: a head-only epoch on cached activations against a full forward/backward epoch,
and building the cache against one plain inference pass over the same images. Same run, same data.

    python bench/precompute.py [--arch resnet_mini] [--sz 64] [--bs 32] [--reps 3] [--data FOLDER]
    # the setting where the fixed cost of a fit shows: resnet18 at 64 px on 300 + 100 real photos
    python bench/precompute.py --arch resnet18 --sz 64 --reps 5 --data ../shared/data/real-dogscats-dev
The head-only epoch is timed five times per round (it takes milliseconds), the full epoch once.
Targets: head-only epoch >= 30x faster; building the cache <= 1.1x one inference pass.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import tempfile
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")

from _common import machine, median_time


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="resnet_mini")
    p.add_argument("--sz", type=int, default=64)
    p.add_argument("--bs", type=int, default=32)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--data", type=Path, default=None, help="a from_paths folder (default: a generated sample, "
                   "400 training + 200 validation images)")
    a = p.parse_args()
    from course_lib import ConvLearner, ImageClassifierData, tfms_from_model, transforms_side_on
    from course_lib.synthetic import make_dogscats
    from course_lib.precompute import compute_features

    tmp = Path(tempfile.mkdtemp())
    try:
        path = make_dogscats(tmp / "dc", n_train=200, n_valid=100, n_test=10) if a.data is None else tmp / "view"
        if a.data is not None:  # links, so the cache goes to the temporary folder, not into the data
            path.mkdir()
            for sub in ("train", "valid"):
                (path / sub).symlink_to((a.data / sub).resolve(), target_is_directory=True)
        tfms = tfms_from_model(a.arch, a.sz, aug_tfms=transforms_side_on, max_zoom=1.1)
        data = ImageClassifierData.from_paths(path, bs=a.bs, tfms=tfms, num_workers=a.workers)
        learn = ConvLearner.pretrained(a.arch, data, pretrained=False, precompute=True, device="cpu")
        quiet = contextlib.redirect_stdout(io.StringIO())

        def inference_pass():  # the reference: one pass of the body over the same train + valid images
            compute_features(learn, data.fix_dl)  # the same inference path and precision the cache uses
            compute_features(learn, data.val_dl)

        def build_cache():
            learn.acts.mem.clear()
            shutil.rmtree(path / "tmp", ignore_errors=True)
            with contextlib.redirect_stdout(io.StringIO()):
                learn.acts.get(learn)

        def head_epoch():
            learn.precompute = True
            with contextlib.redirect_stdout(io.StringIO()):
                learn.fit(1e-2, 1)

        def full_epoch():
            learn.precompute = False
            with contextlib.redirect_stdout(io.StringIO()):
                learn.fit(1e-2, 1)

        with quiet:
            build_cache(), inference_pass(), head_epoch(), full_epoch()  # warm-up
        t_inf, t_build, t_head, t_full = [], [], [], []
        for _ in range(a.reps):
            t_inf.append(median_time(inference_pass, 1))
            t_build.append(median_time(build_cache, 1))
            t_head.append(median_time(head_epoch, 5))  # a head epoch takes milliseconds: five per round damp the jitter
            t_full.append(median_time(full_epoch, 1))
        m = {k: statistics.median(v) for k, v in
             dict(inf=t_inf, build=t_build, head=t_head, full=t_full).items()}
        print(f"machine: {machine()}")
        print(f"{a.arch} at {a.sz}px, bs {a.bs}, {len(data.trn_ds)} train + {len(data.val_ds)} valid images, "
              f"{a.workers} workers, median of {a.reps}")
        print(f"full epoch (images, frozen body)  : {m['full']:.3f} s")
        print(f"head-only epoch on cached acts    : {m['head']:.3f} s")
        print(f"speed-up head-only vs full        : {m['full'] / m['head']:.1f}x  (target >= 30x)")
        print(f"one inference pass (train+valid)  : {m['inf']:.3f} s")
        print(f"building the cache (incl. saving) : {m['build']:.3f} s")
        print(f"ratio build / inference pass      : {m['build'] / m['inf']:.3f}  (target <= 1.1)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
