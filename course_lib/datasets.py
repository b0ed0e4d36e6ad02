"""The real data sets: find them, split Kaggle's flat download, describe a folder; the command line.

    >>> from course_lib.datasets import find_real
    >>> path = find_real('dogscats')    # data/dogscats, or an error saying how to get it

The offline stand-ins (generated drawings) live in `course_lib.synthetic`; the command line makes them.

Command line: ``python -m course_lib.datasets [--root data] [--force] [--real]``, and
``--split-kaggle SRC [--test DIR]`` to put Kaggle's flat dogs-vs-cats download into class folders.
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from .synthetic.samples import SAMPLES, make_dogbreeds, make_dogscats, sample_path

if TYPE_CHECKING:  # pandas is imported only when describe() runs
    import pandas as pd

__all__ = ["find_real", "split_kaggle_dogscats", "describe"]

IMG_EXTS = frozenset({".jpg", ".jpeg", ".png"})

# ----------------------------------------------------------------------------- real data


_HOW_TO_GET = {
    "dogscats": """How to get it (either way):
  a) fast.ai's copy, already split into train/valid class folders (about 800 MB):
       wget http://files.fast.ai/data/dogscats.zip
       unzip -q dogscats.zip -d {root}/
  b) Kaggle (accept the rules of the competition on its web page first; needs `pip install kaggle`
     and an API token in ~/.kaggle/kaggle.json):
       kaggle competitions download -c dogs-vs-cats-redux-kernels-edition -p {root}/kaggle_dogscats
       unzip -q {root}/kaggle_dogscats/dogs-vs-cats-redux-kernels-edition.zip -d {root}/kaggle_dogscats
       unzip -q {root}/kaggle_dogscats/train.zip -d {root}/kaggle_dogscats
       unzip -q {root}/kaggle_dogscats/test.zip -d {root}/kaggle_dogscats
     Kaggle's train folder is flat (cat.0.jpg, dog.0.jpg, ...). Split it into {root}/dogscats/
     train/valid class folders (files are hard-linked or copied, never moved) with:
       python -m course_lib.datasets --root {root} --split-kaggle {root}/kaggle_dogscats/train \\
           --test {root}/kaggle_dogscats/test
     (in Python: split_kaggle_dogscats('{root}/kaggle_dogscats/train', '{root}/dogscats', ...))
Without a download: ensure_sample('dogscats') makes a small generated stand-in,
{root}/dogscats_sample.""",
    "dogbreeds": """How to get it:
  Kaggle (accept the rules of the competition on its web page first; needs `pip install kaggle`
  and an API token in ~/.kaggle/kaggle.json):
       kaggle competitions download -c dog-breed-identification -p {root}/dogbreeds
       unzip -q {root}/dogbreeds/dog-breed-identification.zip -d {root}/dogbreeds
  If that leaves train.zip, test.zip or labels.csv.zip, unzip each of them inside {root}/dogbreeds too,
  so that you have {root}/dogbreeds/train/<id>.jpg, test/<id>.jpg and labels.csv.
Without a download: ensure_sample('dogbreeds') makes a small generated stand-in,
{root}/dogbreeds_sample.""",
}


def _n_images(folder: Path) -> int:
    if not folder.is_dir():
        return -1
    return len(_images(folder))


def find_real(name: str, root: str | Path = "data") -> Path:
    """Path of the real Kaggle data set `name` under root; if incomplete, an error saying how to get it."""
    if name not in SAMPLES:
        raise ValueError(f"Unknown data set {name!r}; expected one of {', '.join(SAMPLES)}")
    root = Path(root)
    path = root / name
    if name == "dogscats":
        needed = ["train/cats", "train/dogs", "valid/cats", "valid/dogs", "test1"]
        counts = {k: _n_images(path / k) for k in needed}
    else:
        needed = ["train", "test", "labels.csv"]
        counts = {"train": _n_images(path / "train"), "test": _n_images(path / "test"),
                  "labels.csv": 1 if (path / "labels.csv").is_file() else -1}
    missing = [k for k, n in counts.items() if n <= 0]
    if not missing:
        return path
    found = "\n".join(
        f"  {path / k}: " + ("missing" if n < 0 else "no images" if k != "labels.csv" else "ok")
        if n <= 0 else f"  {path / k}: " + ("present" if k.endswith(".csv") else f"{n} images")
        for k, n in counts.items())
    if name == "dogscats" and not path.is_dir() and _n_images(root / "train") > 0:
        found += (f"\n  (a folder {root / 'train'} exists: if it is Kaggle's flat train folder, "
                  "split it as below)")
    expected = ("train/cats/*.jpg, train/dogs/*.jpg, valid/cats/*.jpg, valid/dogs/*.jpg, test1/*.jpg"
                if name == "dogscats" else "train/<id>.jpg, test/<id>.jpg, labels.csv (id,breed)")
    raise FileNotFoundError(
        f"The real {name!r} data set is not complete under {path}.\n"
        f"Expected: {path}/ with {expected}\n"
        f"Found:\n{found}\n" + _HOW_TO_GET[name].format(root=root.as_posix()))


def _link_or_copy(src: Path, dst: Path) -> None:
    if dst.exists():
        return  # a rerun after an interruption: keep what is already there
    try:
        os.link(src, dst)  # no extra disk space, and the original stays where it is
    except OSError:
        shutil.copy2(src, dst)


def split_kaggle_dogscats(src: str | Path, dst: str | Path = "data/dogscats", n_valid: int = 1000,
                          seed: int = 42, test: str | Path | None = None) -> Path:
    """Split Kaggle's flat train folder (cat.<n>.jpg, dog.<n>.jpg) into dst/{train,valid}/{cats,dogs}."""
    src, dst = Path(src), Path(dst)
    if not src.is_dir():
        raise FileNotFoundError(f"{src} is not a folder; expected Kaggle's unzipped train folder "
                                f"with cat.<n>.jpg and dog.<n>.jpg inside")
    if dst.resolve() == src.resolve() or src.resolve() in dst.resolve().parents:
        raise ValueError(f"dst {dst} must not be inside src {src}: pick a separate folder")
    files = {c: [f for f in _images(src) if f.name.lower().startswith(c[:-1] + ".")]
             for c in ("cats", "dogs")}
    for cls, fs in files.items():
        if len(fs) <= n_valid:
            raise ValueError(
                f"{src} has {len(fs)} {cls[:-1]}.<n> images, need more than n_valid={n_valid} of them "
                f"(n_valid is per class); lower n_valid or check that {src} is Kaggle's train folder")
    rng = np.random.default_rng(seed)
    for cls, fs in files.items():
        idx = set(rng.permutation(len(fs))[:n_valid].tolist())
        for split in ("train", "valid"):
            (dst / split / cls).mkdir(parents=True, exist_ok=True)
        for i, f in enumerate(fs):
            _link_or_copy(f, dst / ("valid" if i in idx else "train") / cls / f.name)
    if test is not None:
        test = Path(test)
        if not test.is_dir():
            raise FileNotFoundError(f"test folder {test} not found; expected Kaggle's unzipped "
                                    f"test folder (1.jpg, 2.jpg, ...)")
        (dst / "test1").mkdir(parents=True, exist_ok=True)
        for f in sorted(test.iterdir()):
            if f.suffix.lower() in IMG_EXTS:
                _link_or_copy(f, dst / "test1" / f.name)
    return dst


# ----------------------------------------------------------------------------- describing


def _images(folder: Path) -> list[Path]:
    return sorted(f for f in folder.iterdir()
                  if f.is_file() and f.suffix.lower() in IMG_EXTS and not f.name.startswith("."))


def describe(path: str | Path, max_sizes: int | None = 500) -> "pd.DataFrame":
    """Image counts per split and class, with size ranges (read from up to max_sizes files per row)."""
    import pandas as pd

    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is not a folder")
    labels: dict[str, str] = {}
    if (path / "labels.csv").is_file():
        with open(path / "labels.csv", newline="") as f:
            rd = csv.reader(f)
            next(rd, None)
            labels = {row[0]: row[1] for row in rd if len(row) >= 2}
    groups: dict[tuple[str, str], list[Path]] = {}
    for split in sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith(".")):
        subdirs = sorted(d for d in split.iterdir() if d.is_dir() and not d.name.startswith("."))
        for d in subdirs:
            if fs := _images(d):
                groups[(split.name, d.name)] = fs
        for f in _images(split):
            cls = labels.get(f.stem, "(unlabelled)") if labels else "(unlabelled)"
            groups.setdefault((split.name, cls), []).append(f)
    rows = []
    for (split, cls), fs in groups.items():
        step = max(1, len(fs) // max_sizes) if max_sizes else 1
        sizes = []
        for f in fs[::step]:
            try:
                with Image.open(f) as im:  # reads the header only
                    sizes.append(im.size)
            except OSError:
                pass
        ws, hs = [s[0] for s in sizes] or [0], [s[1] for s in sizes] or [0]
        asp = [w / h for w, h in sizes if h] or [0.0]
        rows.append({"split": split, "class": cls, "images": len(fs),
                     "width": f"{min(ws)}-{max(ws)}", "height": f"{min(hs)}-{max(hs)}",
                     "aspect": f"{min(asp):.2f}-{max(asp):.2f}"})
    return pd.DataFrame(rows, columns=["split", "class", "images", "width", "height", "aspect"])


def _summary(df: "pd.DataFrame") -> str:
    """A short text: one line per split, classes with counts (all rows when there are few)."""
    if len(df) <= 8:
        return df.to_string(index=False)
    lines = []
    for split, g in df.groupby("split", sort=False):
        if list(g["class"]) == ["(unlabelled)"]:
            lines.append(f"  {split}: {g['images'].sum()} unlabelled images")
            continue
        lines.append(f"  {split}: {g['images'].sum()} images in {len(g)} classes "
                     f"({g['images'].min()}-{g['images'].max()} per class)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: make both samples; --real reports the real data sets; --split-kaggle splits one."""
    ap = argparse.ArgumentParser(
        prog="python -m course_lib.datasets",
        description="Make the offline samples (generated drawings) or look for the real data.")
    ap.add_argument("--root", default="data", help="folder holding the data sets (default: data)")
    ap.add_argument("--force", action="store_true", help="remake the samples even if they are complete")
    ap.add_argument("--real", action="store_true", help="report which real Kaggle data sets are found")
    ap.add_argument("--split-kaggle", metavar="SRC",
                    help="split Kaggle's flat dogs-vs-cats train folder SRC into ROOT/dogscats")
    ap.add_argument("--test", metavar="DIR", help="with --split-kaggle: Kaggle's test folder, copied to test1/")
    ap.add_argument("--n-valid", type=int, default=1000, help="with --split-kaggle: validation images per class")
    args = ap.parse_args(argv)
    if args.split_kaggle:
        dst = split_kaggle_dogscats(args.split_kaggle, Path(args.root) / "dogscats", n_valid=args.n_valid,
                                    test=args.test)
        print(f"== dogscats: split into {dst}\n{_summary(describe(dst, max_sizes=50))}")
        return 0
    if args.real:
        for name in SAMPLES:
            try:
                path = find_real(name, args.root)
            except FileNotFoundError as e:
                print(f"== {name}: not found\n{e}\n")
            else:
                print(f"== {name}: found at {path}\n{_summary(describe(path, max_sizes=50))}\n")
        return 0
    for name, make in (("dogscats", make_dogscats), ("dogbreeds", make_dogbreeds)):
        t0 = time.perf_counter()
        path = make(sample_path(name, args.root), force=args.force)
        dt = time.perf_counter() - t0
        print(f"== {name}: {path} ({dt:.1f} s; generated drawings, not photos)")
        print(_summary(describe(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
