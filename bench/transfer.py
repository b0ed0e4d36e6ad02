"""Does pretraining help the lesson? Bundled-pretrained vs random-init resnet_mini, same recipe, same epochs.

For every data set, init and seed this runs the lesson-2 recipe with `ConvLearner.pretrained('resnet_mini', ...)`:

    1. precompute=True,  fit(lr, 2)                                   head on cached body activations
    2. precompute=False, fit(lr, 2, cycle_len=1)                      head, with augmentation
    3. unfreeze(),       fit([lr/100, lr/10, lr], 2, cycle_len=1, cycle_mult=2)   all layers, 3 epochs

The random-init learner gets exactly the same stages (its head is trained on its random body first).
Reported: validation accuracy after stage 3 and with TTA, mean +- std over the seeds, per-seed values,
and a verdict that compares the margin (pretrained - random) with the spread of the seeds.

Data sets: (a) the generated dogs-vs-cats sample (`from_paths`), (b) the generated 12-breed sample
(`from_csv` with `get_cv_idxs`), (c) every `--photos PATH` (a `from_paths` folder: PATH/train/<class>/,
PATH/valid/<class>/).

    python bench/transfer.py [--sz 64] [--bs 32] [--seeds 0 1 2] [--lr 0.01] [--weights FILE]
        [--photos PATH ...] [--only dogscats dogbreeds photos]

`--weights FILE` evaluates a candidate weights file (e.g. `data/pretrain/<run>/resnet_mini.pt`) in place of
the shipped one: while the learner is built, `resnet_mini(pretrained=True)` reads that file instead.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # before anything imports tqdm

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course_lib import backbones  # noqa: E402
from course_lib import ConvLearner, ImageClassifierData, get_cv_idxs, set_seed, tfms_from_model  # noqa: E402
from course_lib import transforms_side_on  # noqa: E402
from course_lib.datasets import ensure_sample  # noqa: E402
from course_lib.metrics import accuracy_np  # noqa: E402

ARCH = "resnet_mini"

@contextlib.contextmanager
def weights_from(path: Path | None):
    """Make `resnet_mini(pretrained=True)` read `path` instead of the shipped weights, for this block only."""
    if path is None:
        yield
        return
    orig = backbones.weights_path
    backbones.weights_path = lambda: Path(path)
    try:
        yield
    finally:
        backbones.weights_path = orig


def make_data(name: str, path: Path, sz: int, bs: int, workers: int) -> ImageClassifierData:
    """The lesson's data objects: side-on augmentation, zoom up to 1.1."""
    tfms = tfms_from_model(ARCH, sz, aug_tfms=transforms_side_on, max_zoom=1.1)
    if name == "dogbreeds":
        csv = path / "labels.csv"
        n = sum(1 for _ in open(csv)) - 1
        return ImageClassifierData.from_csv(path, "train", csv, bs=bs, tfms=tfms, val_idxs=get_cv_idxs(n),
                                            suffix=".jpg", num_workers=workers, cache=True)
    if name == "photos":
        path = scratch_view(path)
    return ImageClassifierData.from_paths(path, bs=bs, tfms=tfms, num_workers=workers, cache=True)


def scratch_view(path: Path) -> Path:
    """A folder of links to `path`'s train/ and valid/, so the learner's tmp/ and models/ go elsewhere.

    Photo folders may be read-only or shared; the activation cache must not be written into them.
    """
    view = Path(tempfile.gettempdir()) / "course_lib_transfer" / (path.resolve().name or "photos")
    view.mkdir(parents=True, exist_ok=True)
    for sub in ("train", "valid"):
        link = view / sub
        if link.is_symlink() and link.resolve() != (path / sub).resolve():
            link.unlink()
        if not link.exists():
            link.symlink_to((path / sub).resolve(), target_is_directory=True)
    return view


def run_one(data: ImageClassifierData, pretrained: bool, weights: Path | None, seed: int, lr: float,
            verbose: bool) -> tuple[float, float]:
    """The three-stage recipe for one init and seed; returns (accuracy, TTA accuracy) on the validation set."""
    set_seed(seed)
    sink = contextlib.nullcontext() if verbose else contextlib.redirect_stdout(io.StringIO())
    with sink:
        with weights_from(weights if pretrained else None):
            learn = ConvLearner.pretrained(ARCH, data, precompute=True, pretrained=pretrained)
        learn.fit(lr, 2)
        learn.precompute = False
        learn.fit(lr, 2, cycle_len=1)
        learn.unfreeze()
        learn.fit([lr / 100, lr / 10, lr], 2, cycle_len=1, cycle_mult=2)
        acc = accuracy_np(np.exp(learn.predict()), data.val_y)
        log_preds, y = learn.TTA(seed=seed, progress=False)
        tta = accuracy_np(np.mean(np.exp(log_preds), 0), y)
    return float(acc), float(tta)


def ms(v: list[float]) -> tuple[float, float]:
    """Mean and sample std (0 for a single value)."""
    return statistics.mean(v), (statistics.stdev(v) if len(v) > 1 else 0.0)


def verdict(pre: list[float], rnd: list[float]) -> str:
    """Margin of the means against the seeds' spread (the larger of the two stds)."""
    (mp, sp), (mr, sr) = ms(pre), ms(rnd)
    margin, spread = mp - mr, max(sp, sr)
    if spread == 0:
        return f"margin {margin:+.3f} (one seed: no spread to compare with)"
    k = margin / spread
    if k >= 2:
        word = "pretrained clearly better"
    elif k >= 1:
        word = "pretrained better, margin between 1 and 2 spreads"
    elif k > -1:
        word = "no clear difference (margin within the spread)"
    else:
        word = "random init better"
    return f"margin {margin:+.3f} = {k:+.2f} x spread {spread:.3f}: {word}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sz", type=int, default=64)
    p.add_argument("--bs", type=int, default=32)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--weights", type=Path, default=None, help="candidate weights file instead of the shipped one")
    p.add_argument("--photos", type=Path, nargs="*", default=[], help="extra from_paths folders")
    p.add_argument("--only", nargs="*", default=None, choices=["dogscats", "dogbreeds", "photos"],
                   help="run only these data sets (default: all)")
    p.add_argument("--no-random", action="store_true", help="skip random init (e.g. when comparing candidates)")
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--verbose", action="store_true", help="show the epoch tables")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.weights is not None:
        backbones.load_weights(a.weights)  # fail early, with the usual message, on a bad file
    sets: list[tuple[str, str, Path]] = []
    only = set(a.only or ["dogscats", "dogbreeds", "photos"])
    if "dogscats" in only:
        sets.append(("dogscats", "dogscats (generated)", Path(ensure_sample("dogscats"))))
    if "dogbreeds" in only:
        sets.append(("dogbreeds", "dogbreeds (generated)", Path(ensure_sample("dogbreeds"))))
    if "photos" in only:
        sets += [("photos", f"{ph.resolve().name} (photos)", ph) for ph in a.photos]
    wname = str(a.weights) if a.weights else "shipped " + str(backbones.weights_path().relative_to(Path.cwd())
                                                              if backbones.weights_path().is_relative_to(Path.cwd())
                                                              else backbones.weights_path())
    print(f"resnet_mini, sz {a.sz}, bs {a.bs}, lr {a.lr}, seeds {a.seeds}, pretrained weights: {wname}")
    print("recipe: precompute fit(lr,2) -> fit(lr,2,cycle_len=1) -> unfreeze, fit([lr/100,lr/10,lr],2,"
          "cycle_len=1,cycle_mult=2); 7 epochs each init\n")
    inits = [("pretrained", True)] + ([] if a.no_random else [("random", False)])
    hdr = f"{'data set':<34} {'init':<11} {'accuracy':>15} {'TTA':>15}  per seed (acc / TTA)"
    print(hdr)
    print("-" * len(hdr), flush=True)
    verdicts = []
    for kind, label, path in sets:
        data = make_data(kind, path, a.sz, a.bs, a.workers)
        res = {}
        for iname, pre in inits:
            t = time.perf_counter()
            rs = [run_one(data, pre, a.weights, s, a.lr, a.verbose) for s in a.seeds]
            acc, tta = [r[0] for r in rs], [r[1] for r in rs]
            res[iname] = (acc, tta)
            (ma, sa), (mt, st) = ms(acc), ms(tta)
            per = " ".join(f"{x:.3f}/{y:.3f}" for x, y in zip(acc, tta))
            print(f"{label[:34]:<34} {iname:<11} {ma:.3f} +- {sa:.3f} {mt:.3f} +- {st:.3f}  {per}  "
                  f"[{time.perf_counter() - t:.0f}s]", flush=True)
        if "random" in res:
            verdicts.append(f"{label}: accuracy {verdict(res['pretrained'][0], res['random'][0])}; "
                            f"TTA {verdict(res['pretrained'][1], res['random'][1])}")
    if verdicts:
        print("\nverdict (margin = pretrained mean - random mean; spread = larger std over seeds):")
        for v in verdicts:
            print("  " + v)


if __name__ == "__main__":
    main()
