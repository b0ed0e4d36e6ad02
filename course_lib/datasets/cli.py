"""Describing a data folder, and the command line `python -m course_lib.datasets`."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from ..csvfile import read_csv
from ..images import list_dirs, list_images
from .fetch import download, download_weights
from .find import find_real
from .sources import NAMES, SOURCES, URL_ENV, DownloadError
from .split import split_kaggle_dogscats

if TYPE_CHECKING:  # pandas is imported only when describe() runs
    import pandas as pd


def _labels(fn: Path) -> dict[str, str]:
    """id -> label from the first two columns of a labels CSV (rows without a label are left out)."""
    if not fn.is_file():
        return {}
    df = read_csv(fn)  # any encoding or delimiter, as from_csv reads it
    if df.shape[1] < 2:
        return {}
    return {i.strip(): lab.strip() for i, lab in zip(df.iloc[:, 0], df.iloc[:, 1]) if lab.strip()}


def describe(path: str | Path, max_sizes: int | None = 500) -> "pd.DataFrame":
    """Image counts per split and class, with size ranges (read from up to max_sizes files per row)."""
    import pandas as pd

    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is not a folder")
    labels = _labels(path / "labels.csv")
    groups: dict[tuple[str, str], list[Path]] = {}
    for split in list_dirs(path):
        for d in list_dirs(split):
            if fs := list_images(d):
                groups[(split.name, d.name)] = fs
        for f in list_images(split):
            groups.setdefault((split.name, labels.get(f.stem, "(unlabelled)")), []).append(f)
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
    ap.add_argument("--download", metavar="NAME", choices=list(SOURCES),
                    help="download, check and unpack a real data set into ROOT/NAME: dogscats (fast.ai's "
                         "archive, about 840 MB) or dogbreeds (Kaggle's API)")
    ap.add_argument("--url", help=f"with --download: the archive's URL (a mirror); default: ${URL_ENV}/<archive> "
                                  f"when that is set, else the official one")
    ap.add_argument("--download-weights", metavar="ARCH", nargs="+",
                    help="fetch ImageNet weights (e.g. resnet34) into torchvision's cache, as pretrained() would")
    args = ap.parse_args(argv)
    if args.url and not args.download:
        ap.error("--url goes with --download NAME")
    if args.download or args.download_weights:
        try:
            if args.download:
                path = download(args.download, args.root, url=args.url)
                print(_summary(describe(path, max_sizes=50)))
            for arch in args.download_weights or []:
                download_weights(arch)
        except (DownloadError, ValueError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        return 0
    if args.split_kaggle:
        dst = split_kaggle_dogscats(args.split_kaggle, Path(args.root) / "dogscats", n_valid=args.n_valid,
                                    test=args.test)
        print(f"== dogscats: split into {dst}\n{_summary(describe(dst, max_sizes=50))}")
        return 0
    if args.real:
        for name in NAMES:
            try:
                path = find_real(name, args.root)
            except FileNotFoundError as e:
                print(f"== {name}: not found\n{e}\n")
            else:
                print(f"== {name}: found at {path}\n{_summary(describe(path, max_sizes=50))}\n")
        return 0
    # the synthetic wing (700 lines of drawing code) loads only here: the real-data commands never need it
    from ..synthetic.samples import make_dogbreeds, make_dogscats, sample_path

    for name, make in (("dogscats", make_dogscats), ("dogbreeds", make_dogbreeds)):
        t0 = time.perf_counter()
        path = make(sample_path(name, args.root), force=args.force)
        dt = time.perf_counter() - t0
        print(f"== {name}: {path} ({dt:.1f} s; generated drawings, not photos)")
        print(_summary(describe(path)))
    return 0
