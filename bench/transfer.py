"""Does pretraining help the lesson, and which backbone? The lesson's recipe for several backbones, step by step.

For every data set, candidate and seed this runs the lesson-2 recipe with `ConvLearner.pretrained(arch, ...)`:

    1. precompute=True,  fit(lr, 2)                                   head on cached body activations
    2. precompute=False, fit(lr, 2, cycle_len=1)                      head, with augmentation
    3. unfreeze(),       fit([lr/100, lr/10, lr], 2, cycle_len=1, cycle_mult=2)   all layers, 3 epochs
    4. TTA (4 augmented passes + the plain one, probabilities averaged)

Candidates (`--candidates`, each `arch:init[@sz]`): `efficientnet_lite0:imagenet` (weights from the installed
package), `resnet_mini:bundled` (pretrained on generated images), and either with `:random`. A random-init
learner gets exactly the same stages (its head is trained on its random body first).

Reported per candidate: validation accuracy after each step, mean +- std over the seeds, per-seed values,
the CPU time of the whole recipe and of building the precompute cache, and verdicts that compare each
margin with the spread of the seeds.

Data sets: (a) the generated dogs-vs-cats sample (`from_paths`), (b) the generated 12-breed sample
(`from_csv` with `get_cv_idxs`), (c) every `--photos PATH` (a `from_paths` folder: PATH/train/<class>/,
PATH/valid/<class>/).

    python bench/transfer.py [--candidates efficientnet_lite0:imagenet@224 resnet_mini:bundled@64 ...]
        [--bs 32] [--seeds 0 1 2] [--lr 0.01] [--weights FILE] [--photos PATH ...] [--only dogscats ...]

`--weights FILE` evaluates a candidate resnet_mini weights file (e.g. `data/pretrain/<run>/resnet_mini.pt`) in
place of the shipped one: while the learner is built, `resnet_mini(pretrained=True)` reads that file instead.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # before anything imports tqdm

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course_lib.synthetic import backbone as backbones  # noqa: E402
from course_lib import ConvLearner, ImageClassifierData, get_cv_idxs, set_seed, tfms_from_model  # noqa: E402
from course_lib import transforms_side_on  # noqa: E402
from course_lib.synthetic import ensure_sample  # noqa: E402
from course_lib.metrics import accuracy_np  # noqa: E402

from _common import machine  # noqa: E402

STEPS = ("head", "+aug", "unfreeze", "TTA")
DEFAULT = ["efficientnet_lite0:imagenet@224", "resnet_mini:bundled@64", "efficientnet_lite0:random@224"]


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


def make_data(name: str, path: Path, arch: str, sz: int, bs: int, workers: int) -> ImageClassifierData:
    """The lesson's data objects: side-on augmentation, zoom up to 1.1."""
    tfms = tfms_from_model(arch, sz, aug_tfms=transforms_side_on, max_zoom=1.1)
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


def run_one(data: ImageClassifierData, arch: str, pretrained: bool, weights: Path | None, seed: int, lr: float,
            verbose: bool) -> dict:
    """The four-step recipe for one candidate and seed: validation accuracy after each step, and CPU times."""
    set_seed(seed)
    sink = contextlib.nullcontext() if verbose else contextlib.redirect_stdout(io.StringIO())
    acc = {}
    c0 = time.process_time()
    with sink:
        with weights_from(weights if pretrained and arch == "resnet_mini" else None):
            learn = ConvLearner.pretrained(arch, data, precompute=True, pretrained=pretrained)
        for f in (data.path / "tmp").glob("act_*.pt"):  # time a real build, not a reuse of an earlier seed's
            f.unlink()
        c1 = time.process_time()
        learn.acts.get(learn)  # the cache build, timed apart (fit would build it the same way)
        c_cache = time.process_time() - c1
        acc["head"] = learn.fit(lr, 2)[1]
        learn.precompute = False
        acc["+aug"] = learn.fit(lr, 2, cycle_len=1)[1]
        learn.unfreeze()
        acc["unfreeze"] = learn.fit([lr / 100, lr / 10, lr], 2, cycle_len=1, cycle_mult=2)[1]
        log_preds, y = learn.TTA(seed=seed, progress=False)
        acc["TTA"] = float(accuracy_np(np.mean(np.exp(log_preds), 0), y))
    return {"acc": acc, "cpu": time.process_time() - c0, "cache_cpu": c_cache}


def ms(v: list[float]) -> tuple[float, float]:
    """Mean and sample std (0 for a single value)."""
    return statistics.mean(v), (statistics.stdev(v) if len(v) > 1 else 0.0)


def verdict(a: list[float], b: list[float], names: tuple[str, str]) -> str:
    """Margin of the means (a - b) against the seeds' spread (the larger of the two stds)."""
    (ma, sa), (mb, sb) = ms(a), ms(b)
    margin, spread = ma - mb, max(sa, sb)
    if spread == 0:
        return f"margin {margin:+.3f} (no spread to compare with)"
    k = margin / spread
    if k >= 2:
        word = f"{names[0]} clearly better"
    elif k >= 1:
        word = f"{names[0]} better, margin between 1 and 2 spreads"
    elif k > -1:
        word = "no clear difference (margin within the spread)"
    else:
        word = f"{names[1]} better"
    return f"margin {margin:+.3f} = {k:+.2f} x spread {spread:.3f}: {word}"


def parse_candidate(c: str) -> tuple[str, str, int]:
    """'efficientnet_lite0:imagenet@224' -> (arch, init, sz)."""
    spec, _, sz = c.partition("@")
    arch, _, init = spec.partition(":")
    if init not in ("imagenet", "bundled", "random"):
        raise SystemExit(f"candidate {c!r}: the init must be imagenet, bundled or random")
    return arch, init, int(sz or 64)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--candidates", nargs="+", default=DEFAULT, help="arch:init@sz, init = imagenet|bundled|random")
    p.add_argument("--bs", type=int, default=32)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--weights", type=Path, default=None, help="candidate resnet_mini weights instead of the shipped")
    p.add_argument("--photos", type=Path, nargs="*", default=[], help="extra from_paths folders")
    p.add_argument("--only", nargs="*", default=None, choices=["dogscats", "dogbreeds", "photos"],
                   help="run only these data sets (default: all)")
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--verbose", action="store_true", help="show the epoch tables")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.weights is not None:
        backbones.load_weights(a.weights)  # fail early, with the usual message, on a bad file
    cands = [parse_candidate(c) for c in a.candidates]
    sets: list[tuple[str, str, Path]] = []
    only = set(a.only or ["dogscats", "dogbreeds", "photos"])
    if "dogscats" in only:
        sets.append(("dogscats", "dogscats (generated)", Path(ensure_sample("dogscats"))))
    if "dogbreeds" in only:
        sets.append(("dogbreeds", "dogbreeds (generated)", Path(ensure_sample("dogbreeds"))))
    if "photos" in only:
        sets += [("photos", f"{ph.resolve().name} (photos)", ph) for ph in a.photos]
    print(f"machine: {machine()}; CPU: {cpu_name()}")
    print(f"bs {a.bs}, lr {a.lr}, seeds {a.seeds}; resnet_mini weights: {a.weights or 'shipped'}")
    print("recipe: precompute fit(lr,2) -> fit(lr,2,cycle_len=1) -> unfreeze, fit([lr/100,lr/10,lr],2,"
          "cycle_len=1,cycle_mult=2) -> TTA; 7 epochs\n")
    hdr = (f"{'data set':<28} {'candidate':<32} " + " ".join(f"{s:>14}" for s in STEPS)
           + f" {'CPU s':>7} {'cache s':>7}  TTA per seed")
    print(hdr)
    print("-" * len(hdr), flush=True)
    verdicts = []
    for kind, label, path in sets:
        res = {}
        for arch, init, sz in cands:
            data = make_data(kind, path, arch, sz, a.bs, a.workers)
            rs = [run_one(data, arch, init != "random", a.weights, s, a.lr, a.verbose) for s in a.seeds]
            name = f"{arch}:{init}@{sz}"
            res[name] = {k: [r["acc"][k] for r in rs] for k in STEPS}
            cells = " ".join(f"{ms(res[name][k])[0]:.3f}+-{ms(res[name][k])[1]:.3f}" for k in STEPS)
            per = " ".join(f"{x:.3f}" for x in res[name]["TTA"])
            print(f"{label[:28]:<28} {name:<32} {cells} {ms([r['cpu'] for r in rs])[0]:>7.0f} "
                  f"{ms([r['cache_cpu'] for r in rs])[0]:>7.1f}  {per}", flush=True)
        names = list(res)
        for other in names[1:]:
            verdicts.append(f"{label}, TTA accuracy, {names[0]} vs {other}: "
                            f"{verdict(res[names[0]]['TTA'], res[other]['TTA'], (names[0], other))}")
    if verdicts:
        print("\nverdicts (margin = first candidate's mean - the other's; spread = larger std over seeds):")
        for v in verdicts:
            print("  " + v)


def cpu_name() -> str:
    """The CPU's model name, as the kernel reports it."""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
