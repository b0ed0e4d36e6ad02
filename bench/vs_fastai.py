"""course_lib vs fastai 2.8 vs a plain torchvision + PyTorch loop, side by side on the same JPEG folders.

    python bench/vs_fastai.py                          # generated dogscats sample, resnet18, sz 64
    python bench/vs_fastai.py --data /path/to/folder   # also any from_paths layout (train/ valid/ <class>/)
    python bench/vs_fastai.py --arch resnet34 --sz 128 --epochs 3 --repeats 3
    python bench/vs_fastai.py --sample-size 1000 500 --epochs 8 --repeats 3   # accuracy: 2000 / 1000 images
    python bench/vs_fastai.py --no-sample --fractals 10 200 50 --epochs 6 --repeats 3   # a task all can learn
    python bench/vs_fastai.py --no-sample --fractals 10 200 50 --epochs 6 --repeats 3 --head linear   # same head
    python bench/vs_fastai.py --no-sample --fractals 10 200 50 --epochs 6 --head linear --no-mini \
        --frameworks course_lib course_lib_fp32 --seed 45 --repeats 6     # bf16 vs fp32, more seeds

Every framework trains the same torchvision architecture from random weights (fair: nobody gets
pretrained features) with the same size, batch size, epochs, SGDR schedule (one cosine cycle per
epoch), SGD with momentum 0.9, no weight decay, loader workers and seeds. Each (framework, repeat)
runs in its own subprocess, in an order that rotates between repeats, so that the peak resident
memory (ru_maxrss of the child's main process at the end) belongs to one framework only.
course_lib also trains `resnet_mini` as an extra row (no counterpart elsewhere).

From random weights at 64 px, neither dogs-vs-cats (generated or real) rises much above chance in a few
epochs, for any framework, so those runs compare speed and memory but not accuracy. `--fractals C N V`
adds a task every framework learns from scratch in a few epochs (C classes of IFS fractals from
`course_lib.synthetic.fractals`, N training and V validation JPEGs per class, class definitions from seed 7, not the
pretraining seed 0), written to data/ once, so that accuracy differences between frameworks are measurable.
From scratch the lesson's head (course_lib's and fastai's default) learns more slowly than torchvision's single
`fc` (the plain loop's); `--head linear` gives all three that `fc`, so accuracy compares the frameworks alone.

fastai is optional (`pip install -e .[bench]`); without it the fastai rows are skipped.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "@@RESULT@@ "
IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])


# ---------------------------------------------------------------- helpers shared by the children
def _seed(seed: int) -> None:
    import numpy as np
    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _peak_rss_mb() -> tuple[float, float]:
    """Peak RSS (MiB) of this process, and of its largest finished child (loader workers)."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def _sgdr_mult(it: int, n_batch: int) -> float:
    """lr multiplier: one cosine cycle per epoch, the first 1/20 of the first cycle at 1/100 (warm-up)."""
    import math
    if it < max(1, n_batch // 20) and it < n_batch:
        return 0.01
    pos = (it % n_batch) / n_batch
    return 0.5 * (1 + math.cos(math.pi * pos))


def make_fractal_folder(root: Path, classes: int, n_train: int, n_valid: int, sz: int = 80,
                        seed: int = 7) -> Path:
    """Write a from_paths folder of IFS-fractal classes as JPEGs (kept if already complete)."""
    from PIL import Image
    from course_lib.synthetic.fractals import render_split
    done = root / ".complete"
    if done.exists():
        return root
    for split, (name, n) in enumerate((("train", n_train), ("valid", n_valid))):
        x, y = render_split(classes, n, sz, seed=seed, split=split, mix="ifs")
        for i, (img, c) in enumerate(zip(x.permute(0, 2, 3, 1).numpy(), y.tolist())):
            d = root / name / f"c{c:03d}"
            d.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(d / f"{i:05d}.jpg", quality=90)
    done.touch()
    return root


# ---------------------------------------------------------------- the three contenders

class Timing:
    """Epoch timing shared by both frameworks' callbacks (mixed into each one's Callback class)."""
    order = 100

    def __init__(self):
        self.times = []

    def before_epoch(self):
        self.t0 = time.perf_counter()

    def after_epoch(self):
        self.times.append(time.perf_counter() - self.t0)

def linear_head(nf: int, c: int):
    """--head linear: average pool + one Linear with PyTorch's default init (torchvision's own classifier)."""
    import torch.nn as nn
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(nf, c))


def run_course_lib(a, amp: bool | None = None) -> dict:
    """course_lib as a user gets it; amp=None lets it pick the precision (bf16 on CPUs that do it natively)."""
    import numpy as np
    from course_lib.conv_learner import ConvLearner
    from course_lib.data import ImageClassifierData
    from course_lib.learner import Callback
    from course_lib.transforms import tfms_from_model, transforms_side_on

    arch = a.arch
    if arch != "resnet_mini":
        import torchvision.models as tvm
        arch = getattr(tvm, a.arch)
    tfms = tfms_from_model(arch, a.sz, aug_tfms=transforms_side_on, max_zoom=1.1)
    data = ImageClassifierData.from_paths(a.data, bs=a.bs, tfms=tfms, num_workers=a.workers)
    head = None
    if a.head == "linear":
        from course_lib.models import build_backbone
        head = linear_head(build_backbone(arch, pretrained=False).fc.in_features, data.c)
    learn = ConvLearner.pretrained(arch, data, pretrained=False, amp=amp, custom_head=head)
    learn.unfreeze()

    class EpochTimer(Timing, Callback):
        order = 100

    timer = EpochTimer()
    res = learn.fit(a.lr, a.epochs, cycle_len=1, cbs=[timer])
    log_preds, y = learn.TTA(progress=False)
    tta_acc = float((np.exp(log_preds).mean(0).argmax(1) == y).mean())
    return dict(epoch_times=timer.times, acc=float(res[-1]), tta_acc=tta_acc)


def run_fastai(a) -> dict:
    from functools import partial
    import warnings
    warnings.filterwarnings("ignore")
    import torchvision.models as tvm
    from fastai.callback.core import Callback
    from fastai.optimizer import SGD
    from fastai.vision.all import (ImageDataLoaders, Normalize, Resize, accuracy, aug_transforms,
                                   vision_learner)

    item = Resize(a.sz)  # shorter side to sz, random crop (train) / centre crop (valid)
    batch = [*aug_transforms(do_flip=True, max_rotate=10.0, max_zoom=1.1, max_lighting=0.05, max_warp=0.0,
                             p_affine=0.75, p_lighting=0.75), Normalize.from_stats(*IMAGENET)]
    dls = ImageDataLoaders.from_folder(a.data, train="train", valid="valid", item_tfms=item, batch_tfms=batch,
                                       bs=a.bs, num_workers=a.workers, seed=a.seed)
    head = {}
    if a.head == "linear":  # init=None: fastai would otherwise re-initialise the head with Kaiming normal
        head = dict(custom_head=linear_head(getattr(tvm, a.arch)().fc.in_features, dls.c), init=None)
    learn = vision_learner(dls, getattr(tvm, a.arch), pretrained=False, metrics=accuracy,
                           opt_func=partial(SGD, mom=0.9), wd=0.0, **head)
    learn.unfreeze()

    class EpochTimer(Timing, Callback):
        order = 100

    timer = EpochTimer()
    with learn.no_bar(), learn.no_logging():
        # fit_sgdr(n, 1, cycle_mult=1) divides by zero in fastai 2.8 (its epoch count assumes cycle_mult != 1);
        # n fits of one one-epoch cycle each are the same schedule (same optimiser state throughout)
        for _ in range(a.epochs):
            learn.fit_sgdr(1, 1, lr_max=a.lr, cbs=[timer])
        _, acc = learn.validate()
        preds, y = learn.tta()
    tta_acc = float((preds.argmax(1) == y).float().mean())
    return dict(epoch_times=timer.times, acc=float(acc), tta_acc=tta_acc)


def run_plain(a) -> dict:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torchvision.models as tvm
    from torchvision import datasets
    from torchvision.transforms import v2

    norm = [v2.ToDtype(torch.float32, scale=True), v2.Normalize(*IMAGENET)]
    trn_tfm = v2.Compose([v2.PILToTensor(), v2.RandomResize(a.sz, round(a.sz * 1.1) + 1), v2.RandomCrop(a.sz),
                          v2.RandomApply([v2.RandomRotation(10)], p=0.75), v2.RandomHorizontalFlip(),
                          v2.ColorJitter(brightness=0.05, contrast=0.05), *norm])
    val_tfm = v2.Compose([v2.PILToTensor(), v2.Resize(a.sz), v2.CenterCrop(a.sz), *norm])
    trn_ds = datasets.ImageFolder(Path(a.data) / "train", trn_tfm)
    val_ds = datasets.ImageFolder(Path(a.data) / "valid", val_tfm)
    kw = dict(batch_size=a.bs, num_workers=a.workers, persistent_workers=a.workers > 0)
    trn_dl = torch.utils.data.DataLoader(trn_ds, shuffle=True, drop_last=len(trn_ds) % a.bs == 1, **kw)
    val_dl = torch.utils.data.DataLoader(val_ds, **kw)
    model = getattr(tvm, a.arch)(weights=None)
    model.fc = nn.Linear(model.fc.in_features, len(trn_ds.classes))
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9)
    n_batch = len(trn_dl)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda it: _sgdr_mult(it, n_batch))

    def evaluate(flip_tta: bool = False) -> float:
        model.eval()
        correct = n = 0
        with torch.inference_mode():
            for x, y in val_dl:
                p = model(x).softmax(1)
                if flip_tta:
                    p = (p + model(x.flip(-1)).softmax(1)) / 2
                correct += int((p.argmax(1) == y).sum())
                n += len(y)
        return correct / n

    times = []
    for _ in range(a.epochs):
        t0 = time.perf_counter()
        model.train()
        for x, y in trn_dl:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        acc = evaluate()
        times.append(time.perf_counter() - t0)
    return dict(epoch_times=times, acc=acc, tta_acc=evaluate(flip_tta=True))


def run_course_lib_fp32(a) -> dict:
    """course_lib held to full precision: the like-for-like row next to fastai's and the plain loop's fp32."""
    return run_course_lib(a, amp=False)


RUNNERS = {"course_lib": run_course_lib, "course_lib_fp32": run_course_lib_fp32, "fastai": run_fastai,
           "plain": run_plain}


def child(a) -> None:
    os.environ["TQDM_DISABLE"] = "1"
    sys.path.insert(0, str(ROOT))
    import torch
    torch.set_num_threads(a.threads)
    _seed(a.seed)
    t0 = time.perf_counter()
    res = RUNNERS[a.child](a)
    res["total_s"] = time.perf_counter() - t0
    res["rss_mb"], res["worker_rss_mb"] = _peak_rss_mb()
    print(MARK + json.dumps(res), flush=True)


# ---------------------------------------------------------------- the parent: alternate, collect, report
def machine() -> str:
    sys.path.insert(0, str(ROOT / "bench"))
    from _common import machine as m
    import torch
    torch.set_num_threads(2)
    try:
        import fastai
        fa = f"fastai {fastai.__version__}"
    except ImportError:
        fa = "fastai not installed"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{m()}, {fa}, load average {load}"


def run_child(a, fw: str, arch: str, data: str, seed: int) -> dict | None:
    cmd = [sys.executable, __file__, "--child", fw, "--arch", arch, "--data", data, "--sz", str(a.sz),
           "--bs", str(a.bs), "--epochs", str(a.epochs), "--lr", str(a.lr), "--workers", str(a.workers),
           "--seed", str(seed), "--threads", str(a.threads), "--head", a.head]
    env = dict(os.environ, TQDM_DISABLE="1", PYTHONWARNINGS="ignore")
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    for line in p.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    print(f"  {fw}/{arch} failed (rc {p.returncode}):\n{(p.stdout + p.stderr)[-2000:]}", file=sys.stderr)
    return None


def summarise(runs: list[dict]) -> dict:
    """Medians over repeats; per-epoch time of a run is the median of its epochs after the first."""
    ep = [statistics.median(r["epoch_times"][1:] or r["epoch_times"]) for r in runs]
    med = lambda k: statistics.median(r[k] for r in runs)
    mean = lambda k: statistics.fmean(r[k] for r in runs)
    sd = lambda k: statistics.stdev(r[k] for r in runs) if len(runs) > 1 else 0.0
    # accuracy varies with the seed (a different one per repeat): mean +- std, not a median
    return dict(epoch=statistics.median(ep), first=med("total_s"), acc=mean("acc"), acc_sd=sd("acc"),
                tta=mean("tta_acc"), tta_sd=sd("tta_acc"), rss=med("rss_mb"), wrss=med("worker_rss_mb"), n=len(runs))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", action="append", default=[], help="extra from_paths folder (repeatable)")
    p.add_argument("--no-sample", action="store_true", help="skip the generated dogscats sample")
    p.add_argument("--sample-size", type=int, nargs=2, metavar=("N_TRAIN", "N_VALID"), default=None,
                   help="generate a dogscats sample of this many images per class (default: the 200 / 100 one); "
                        "accuracy needs more validation images than the default's 200 to separate frameworks")
    p.add_argument("--fractals", type=int, nargs=3, metavar=("CLASSES", "N_TRAIN", "N_VALID"), default=None,
                   help="also a generated IFS-fractal task (learnable from scratch: accuracy separates frameworks)")
    p.add_argument("--arch", default="resnet18", choices=["resnet18", "resnet34", "resnet_mini"])
    p.add_argument("--sz", type=int, default=64)
    p.add_argument("--bs", type=int, default=64)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--workers", type=int, default=None,
                   help="loader workers for every framework (default: course_lib's own default for this machine)")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--seed", type=int, default=42, help="seed of repeat 1; repeat r uses seed + r - 1")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads in every child")
    p.add_argument("--head", choices=["own", "linear"], default="own",
                   help="own: each framework's default head (course_lib and fastai: the lesson's concat-pool, "
                        "BatchNorm, dropout, 2-layer head; plain: torchvision's avgpool + fc); linear: avgpool + fc "
                        "in all three, so that the comparison is of the frameworks, not of the heads")
    p.add_argument("--no-mini", action="store_true", help="skip the extra course_lib resnet_mini row")
    p.add_argument("--no-fp32", action="store_true", help="skip the course_lib row held to full precision")
    p.add_argument("--frameworks", nargs="+", choices=list(RUNNERS), default=None,
                   help="run only these rows, e.g. course_lib course_lib_fp32 (default: all that apply)")
    p.add_argument("--child", choices=list(RUNNERS), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        a.data = a.data[0]
        return child(a)
    if a.workers is None:
        sys.path.insert(0, str(ROOT))
        from course_lib.data import default_workers
        a.workers = default_workers()

    sys.path.insert(0, str(ROOT))
    folders = []
    if not a.no_sample:
        from course_lib.synthetic import ensure_sample, make_dogscats
        if a.sample_size:
            nt, nv = a.sample_size
            folders.append(str(make_dogscats(ROOT / "data" / f"dogscats_bench_{nt}_{nv}", n_train=nt, n_valid=nv,
                                             n_test=10)))
        else:
            folders.append(str(ensure_sample("dogscats", root=str(ROOT / "data"))))
    if a.fractals:
        c, nt, nv = a.fractals
        folders.append(str(make_fractal_folder(ROOT / "data" / f"fractals_bench_{c}_{nt}_{nv}", c, nt, nv)))
    folders += a.data
    try:
        import fastai  # noqa: F401
        fws = ["course_lib", "fastai", "plain"]
    except ImportError:
        print("fastai is not installed (pip install -e .[bench]): fastai rows skipped")
        fws = ["course_lib", "plain"]
    jobs = [(fw, a.arch) for fw in fws]
    sys.path.insert(0, str(ROOT))
    from course_lib.devices import amp_dtype
    import torch
    cl_dtype = amp_dtype(torch.device("cuda" if torch.cuda.is_available() else "cpu"))
    if not a.no_fp32 and cl_dtype is not None:  # only where course_lib's default is not already fp32
        jobs.insert(1, ("course_lib_fp32", a.arch))
    if not a.no_mini and a.arch != "resnet_mini":
        jobs.append(("course_lib", "resnet_mini"))
    if a.frameworks:
        jobs = [(fw, arch) for fw, arch in jobs if fw in a.frameworks]

    print(f"machine: {machine()}")
    print(f"course_lib precision by default: {f'{cl_dtype} autocast' if cl_dtype else 'fp32'}; fastai and the plain loop: fp32")
    print(f"settings: arch {a.arch}, sz {a.sz}, bs {a.bs}, {a.epochs} epochs (SGDR, cycle_len=1), lr {a.lr}, "
          f"SGD momentum 0.9, head {a.head}, {a.workers} loader worker(s), {a.threads} torch threads, {a.repeats} repeats, seeds {a.seed}..{a.seed + a.repeats - 1}")
    for folder in folders:
        print(f"\n### {folder}")
        runs: dict[tuple, list] = {j: [] for j in jobs}
        for rep in range(a.repeats):
            order = jobs[rep % len(jobs):] + jobs[:rep % len(jobs)]  # rotate who goes first
            for fw, arch in order:
                t = time.perf_counter()
                r = run_child(a, fw, arch, folder, a.seed + rep)
                if r is not None:
                    runs[(fw, arch)].append(r)
                    print(f"  repeat {rep + 1}: {fw:10s} {arch:11s} epochs "
                          f"{' '.join(f'{x:.2f}' for x in r['epoch_times'])} s, acc {r['acc']:.3f}, "
                          f"TTA {r['tta_acc']:.3f}, peak RSS {r['rss_mb']:.0f} MiB "
                          f"({time.perf_counter() - t:.0f} s with start-up)", flush=True)
        s = {j: summarise(v) for j, v in runs.items() if v}
        print("\n| framework | arch | epoch time (s) | run time (s) | valid acc | TTA acc | peak RSS main (MiB) "
              "| peak RSS worker (MiB) |")
        print("|---|---|---|---|---|---|---|---|")
        for (fw, arch), m in s.items():
            tta = "flip" if fw == "plain" else "4 aug"
            wrss = f"{m['wrss']:.0f}" if a.workers > 0 else "-"  # no workers: RUSAGE_CHILDREN is not a loader
            print(f"| {fw} | {arch} | {m['epoch']:.2f} | {m['first']:.1f} | {m['acc']:.3f} ± {m['acc_sd']:.3f} "
                  f"| {m['tta']:.3f} ± {m['tta_sd']:.3f} ({tta}) | {m['rss']:.0f} | {wrss} |")
        cl = s.get(("course_lib", a.arch))
        if cl and ("course_lib_fp32", a.arch) in s:
            f = s[("course_lib_fp32", a.arch)]
            print(f"course_lib default/fp32: epoch time {cl['epoch'] / f['epoch']:.2f}x, acc {cl['acc'] - f['acc']:+.3f}")
        for other, target in (("fastai", 0.70), ("plain", 1.0)):
            o = s.get((other, a.arch))
            if cl and o:
                print(f"course_lib/{other}: epoch time {cl['epoch'] / o['epoch']:.2f}x (target <= {target:.2f}x), "
                      f"peak RSS {cl['rss'] / o['rss']:.2f}x, acc {cl['acc'] - o['acc']:+.3f}, "
                      f"TTA acc {cl['tta'] - o['tta']:+.3f}")
        if cl:
            others = [(o, s[(o, a.arch)]) for o in ("fastai", "plain") if (o, a.arch) in s]
            if others:
                name, best = max(others, key=lambda t: t[1]["acc"])
                # a gap smaller than the seed spread is no evidence either way: say so
                noise = max(cl["acc_sd"], best["acc_sd"]) / max(1, cl["n"]) ** 0.5
                verdict = ("OK" if cl["acc"] >= best["acc"] - 0.01 else
                           "below, within seed noise" if best["acc"] - cl["acc"] <= 2 * noise else "below")
                print(f"accuracy: course_lib {cl['acc']:.3f} vs best other ({name}) {best['acc']:.3f}: {verdict} "
                      f"(target: within one point; std error of the means about {noise:.3f})")


if __name__ == "__main__":
    main()
