"""The folder layouts the lesson reads: checks that say what was expected, what was found and what to do."""
from __future__ import annotations

import filecmp
import warnings
from pathlib import Path, PurePosixPath

import numpy as np

from .images import is_image_file, list_dirs, list_images, unread_photos


class DataLayoutError(ValueError):
    """The folders or the CSV file do not have the layout the lesson expects."""


def need_dir(path: Path, name: str) -> Path:
    """The folder path/name, or an error naming the folders that are there."""
    if not path.is_dir():
        raise FileNotFoundError(f"Data folder {path} does not exist (cwd: {Path.cwd()}).")
    d = path / name
    if not d.is_dir():
        found = [p.name for p in list_dirs(path)]
        raise DataLayoutError(f"Expected a folder {d}; {path} holds the folders {found}.")
    return d


def class_folders(trn_dir: Path, val_dir: Path, trn_name: str, val_name: str) -> list[str]:
    """The class names: the training folder's sub-folders, which the validation folder must match."""
    classes = [d.name for d in list_dirs(trn_dir)]
    if not classes:
        n = len(list_images(trn_dir))
        hint = (f" It holds {n} images directly: for the Kaggle dogs-vs-cats zip use "
                f"course_lib.datasets.split_kaggle_dogscats, or ImageClassifierData.from_csv with a labels file."
                if n else "")
        raise DataLayoutError(f"{trn_dir} has no class folders; expected {trn_dir}/<class>/<image>.{hint}")
    val_classes = [d.name for d in list_dirs(val_dir)]
    if set(val_classes) != set(classes):
        only_t = sorted(set(classes) - set(val_classes))
        only_v = sorted(set(val_classes) - set(classes))
        raise DataLayoutError(
            f"Class folders differ between {trn_dir} and {val_dir}: only in {trn_name}: {only_t}, "
            f"only in {val_name}: {only_v}. Labels would not line up; make both hold the same class folders.")
    return classes


def folder_items(d: Path, classes: list[str], root: Path, allow_empty: bool = False
                 ) -> tuple[list[str], np.ndarray]:
    """(file names relative to root, class indices) of the images in d/<class>/ for each class."""
    fnames, y, empty, unread = [], [], [], []
    for k, c in enumerate(classes):
        cd = d / c
        sub = list_dirs(cd)
        if sub:
            raise DataLayoutError(
                f"{cd} holds sub-folders ({', '.join(s.name for s in sub[:3])}); expected images directly in "
                f"each class folder. Move the images up one level.")
        entries = sorted(cd.iterdir())  # one listing for the images, the broken links and the unreadable photos
        files = [p for p in entries if is_image_file(p)]
        broken = [p for p in entries if p.is_symlink() and not p.exists()]
        if broken:  # a link whose target is gone would otherwise vanish from the data set without a word
            warnings.warn(f"{cd}: {len(broken)} link(s) point to files that do not exist (first: {broken[0].name}); "
                          f"left out.", stacklevel=4)
        if why := unread_photos(entries):
            unread.append(f"{cd}: {why}")
        if not files:
            empty.append(str(cd))
        fnames += [str(PurePosixPath(f.relative_to(root).as_posix())) for f in files]
        y += [k] * len(files)
    if empty and not allow_empty:
        raise DataLayoutError(f"Empty class folder(s): {', '.join(empty)}. Each class needs at least one image."
                              + "".join(f" {u}." for u in unread))
    for u in unread:
        warnings.warn(u + ".", stacklevel=4)
    return fnames, np.array(y, dtype=np.int64)


def unlabelled_items(path: Path, test_name: str | None) -> list[str] | None:
    """File names (relative to path) of the flat test folder path/test_name; None without one."""
    if test_name is None:
        return None
    d = need_dir(path, test_name)
    files = list_images(d)
    why = unread_photos(sorted(d.iterdir()))
    if why and files:  # a submission would silently miss those test images
        warnings.warn(f"{d}: {why}.", stacklevel=4)
    if not files:
        if why:
            raise DataLayoutError(f"The test folder {d} holds no image this Python can read: {why}.")
        sub = [s.name for s in list_dirs(d)]
        hint = (f" It holds the folders {sub[:5]}: a test set is one flat folder of unlabelled images. To score "
                f"labelled images, use them as the validation set (val_name={test_name!r})." if sub else "")
        raise DataLayoutError(f"The test folder {d} holds no images (expected a flat folder of images).{hint}")
    return [f.relative_to(path).as_posix() for f in files]


def warn_shared_images(path: Path, trn: list[str], val: list[str], trn_dir: Path, val_dir: Path) -> None:
    """Warn when validation images are also training images: the validation figures would flatter the model."""
    if trn_dir.resolve() == val_dir.resolve():
        warnings.warn(f"{trn_dir.name} and {val_dir.name} are the same folder, so the model is validated on "
                      f"images it trains on and the accuracy says nothing about new images. Keep a separate "
                      f"validation folder.", stacklevel=3)
        return
    # a copied file keeps its name: only same-named pairs are compared (size first, then bytes), so a normal
    # data set costs a dictionary look-up per image, not a read
    seen: dict[str, list[str]] = {}
    for f in trn:
        seen.setdefault(Path(f).name, []).append(f)
    # each validation image counted once, however many training copies it has (any() stops at the first)
    shared = [v for v in val
              if any(filecmp.cmp(path / t, path / v, shallow=False) for t in seen.get(Path(v).name, ()))]
    if shared:
        warnings.warn(f"{len(shared)} of {len(val)} validation images also appear in {trn_dir.name}/ (same name "
                      f"and bytes; first: {shared[0]}), so the validation figures flatter the model. Move or delete "
                      f"one of each pair.", stacklevel=3)

