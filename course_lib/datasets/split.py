"""Kaggle's flat dogs-vs-cats download (cat.<n>.jpg, dog.<n>.jpg) split into the lesson's class folders."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from ..images import list_images


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
    files = {c: [f for f in list_images(src) if f.name.lower().startswith(c[:-1] + ".")]
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
        for f in list_images(test):
            _link_or_copy(f, dst / "test1" / f.name)
    return dst

