"""The lesson's data object: `ImageClassifierData.from_paths` / `from_csv`, its data sets and loaders."""
from __future__ import annotations

import multiprocessing as mp
import os
import sys
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, default_collate

from .devices import default_device
from .images import BadImageError, open_image
# MISSING_WORDS and read_labels_csv are re-exported: they were course_lib.data's before labels.py
from .labels import MISSING_WORDS, encode, image_names, multi_label_choice, read_labels_csv  # noqa: F401
from .layout import (DataLayoutError, class_folders, folder_items, need_dir, unlabelled_items,
                     warn_shared_images)
from .progress import progress_bar
from .transforms import Tfms
from .lang import say


def get_cv_idxs(n: int, cv_idx: int = 0, val_pct: float = 0.2, seed: int = 42) -> np.ndarray:
    """Indices of the `cv_idx`-th validation fold: the same every time, numpy's global state untouched."""
    n_val = int(val_pct * n)
    # RandomState(seed) draws the same permutation as the original np.random.seed(seed) did
    idxs = np.random.RandomState(seed).permutation(n)
    return idxs[cv_idx * n_val:(cv_idx + 1) * n_val]


def default_workers() -> int:
    """Worker processes to start with when `num_workers` is not given: none on the CPU, where the first fit
    measures what loading and the model cost and picks the count (course_lib.threads); a few elsewhere."""
    # spawn (macOS, Windows) re-runs a user's unguarded script in every worker, so 0 is the safe default there
    if not sys.platform.startswith("linux"):
        return 0
    if default_device().type == "cpu":
        return 0
    # a GPU computes the model quickly, so loading is the work to spread (the thread plan is CPU-only)
    return min(4, max(0, (os.cpu_count() or 1) - 1))


class ImageCache:
    """Decoded images kept in memory at a reduced size, so small-image epochs skip JPEG decoding."""

    def __init__(self, side: int):
        self.side, self.imgs = side, {}

    def get(self, fn: Path):
        img = self.imgs.get(fn)
        if img is None:
            # exactly what the pipelines decode from a file (shorter side between side and 2 * side),
            # so cache=True changes the speed, never the tensors
            img = open_image(fn, min_side=self.side)
            self.imgs[fn] = img
        return img


# a file listed when the data was built but missing when read: a plain FileNotFoundError mid-epoch would not
# say why, and skip_bad_images should be able to skip it like any unreadable image
GONE = "the file is gone (moved or deleted after the data set was built); put it back or build the data again"


class FilesDataset(Dataset):
    """Images listed by file name (relative to `path`) with labels `y` (None for an unlabelled test set)."""

    def __init__(self, fnames: Sequence[str], y: np.ndarray | None, tfm: Tfms, path: Path,
                 classes: list[str], cache: ImageCache | None = None, skip_bad: bool = False):
        self.fnames, self.y, self.tfm, self.path = np.array(fnames, dtype=object), y, tfm, Path(path)
        self.classes, self.cache, self.skip_bad = classes, cache, skip_bad
        self.no_skip = False  # skip_bad_images was asked for, but this set (validation, test) cannot skip

    def __len__(self) -> int:
        return len(self.fnames)

    def get_x(self, i: int):
        """The decoded (or cached) image for item i, before the transforms."""
        fn = self.path / self.fnames[i]
        if self.cache is None:
            return fn
        try:
            return self.cache.get(fn)
        except FileNotFoundError as e:
            raise BadImageError(fn, GONE) from e

    def __getitem__(self, i: int):
        try:
            try:
                x = self.tfm(self.get_x(i))
            except FileNotFoundError as e:
                raise BadImageError(self.path / self.fnames[i], GONE) from e
        except BadImageError as e:
            if not self.skip_bad:
                raise self.unskipped(e) from e
            warnings.warn(f"skip_bad_images: skipped {e.fn} ({e.reason})", stacklevel=2)
            return None  # dropped by the loader's collate: the batch is one image smaller
        y = -1 if self.y is None else self.y[i]  # a placeholder the loaders never expose as a label
        return x, y

    def unskipped(self, e: BadImageError) -> BadImageError:
        """The error for a bad image this set cannot skip; says why when skip_bad_images was asked for."""
        if not self.no_skip or e.fn is None:
            return e
        return BadImageError(e.fn, f"{e.reason}. skip_bad_images skips training images only: every validation "
                                   f"and test image needs its prediction (a submission needs a row for each), so "
                                   f"move it aside and build the data again")

    def with_tfm(self, tfm: Tfms, skip_bad: bool = False) -> "FilesDataset":
        """The same files with another pipeline (e.g. validation images with training augmentation).

        Skipping is for training images only (the shuffled set, and `skip_bad` for its precompute pass, whose
        loader hands back the labels of the images kept): elsewhere predictions must line up with labels.
        """
        ds = FilesDataset(self.fnames, self.y, tfm, self.path, self.classes, self.cache, skip_bad=skip_bad)
        ds.no_skip = self.no_skip or (self.skip_bad and not skip_bad)
        return ds

    def __repr__(self) -> str:
        return f"FilesDataset({len(self)} images from {self.path}, {self.tfm})"


class ImageClassifierData:
    """Train/valid/test data sets and their loaders, at one image size."""

    def __init__(self, path: str | os.PathLike, classes: list[str], trn: tuple, val: tuple,
                 test: Sequence[str] | None, tfms: tuple[Tfms, Tfms], bs: int = 64,
                 num_workers: int | None = None, is_multi: bool = False, cache: bool = False,
                 skip_bad_images: bool = False):
        check_bs(bs)
        if num_workers is not None and (isinstance(num_workers, bool) or int(num_workers) != num_workers
                                        or num_workers < 0):
            raise ValueError(f"num_workers must be a whole number >= 0 (0 loads images in this process), "
                             f"got {num_workers!r}.")
        if len(classes) < 2 and not is_multi:
            raise DataLayoutError(f"{path} has only {len(classes)} class ({', '.join(map(str, classes)) or 'none'}): "
                                  f"a classifier needs at least two (with one, every prediction is right). Add "
                                  f"a folder (or labels) for each other class.")
        self.path, self.classes, self.bs, self.is_multi = Path(path), list(classes), int(bs), is_multi
        self.tfms = tfms
        self.num_workers = default_workers() if num_workers is None else int(num_workers)
        # not given, on Linux: the first fit on the CPU measures the costs and may change the count (set_workers)
        self.auto_workers = num_workers is None and sys.platform.startswith("linux")
        self.load_s: float | None = None  # seconds one core takes to load a batch, once measured (threads.Share)
        self._split = (trn, val, test)  # kept to rebuild the object at another size
        self.cached, self.skip_bad_images = cache, skip_bad_images
        c = ImageCache(tfms[0].need_side) if cache else None
        trn_tfm, val_tfm = tfms
        self.trn_ds = FilesDataset(trn[0], trn[1], trn_tfm, self.path, self.classes, c, skip_bad=skip_bad_images)
        self.val_ds = FilesDataset(val[0], val[1], val_tfm, self.path, self.classes, c)
        self.test_ds = FilesDataset(test, None, val_tfm, self.path, self.classes, c) if test is not None else None
        for ds in (self.val_ds, self.test_ds):
            if ds is not None:
                ds.no_skip = skip_bad_images
        self.fix_ds = self.trn_ds.with_tfm(val_tfm, skip_bad=skip_bad_images)
        self.aug_ds = self.val_ds.with_tfm(trn_tfm)
        self.test_aug_ds = self.test_ds.with_tfm(trn_tfm) if self.test_ds is not None else None
        self._dls: dict[str, DataLoader] = {}
        if cache:
            self.fill_cache()

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_paths(cls, path: str | os.PathLike, bs: int = 64, tfms: tuple | None = None,
                   trn_name: str = "train", val_name: str = "valid", test_name: str | None = None,
                   num_workers: int | None = None, cache: bool = False, skip_bad_images: bool = False
                   ) -> "ImageClassifierData":
        """Images in `path/train/<class>/`, `path/valid/<class>/`, optional flat `path/<test_name>/`."""
        path = Path(path)
        trn_dir, val_dir = need_dir(path, trn_name), need_dir(path, val_name)
        classes = class_folders(trn_dir, val_dir, trn_name, val_name)
        trn = folder_items(trn_dir, classes, path)
        val = folder_items(val_dir, classes, path, allow_empty=True)
        warn_shared_images(path, trn[0], val[0], trn_dir, val_dir)
        test = unlabelled_items(path, test_name)
        tfms = _check_tfms(tfms)
        return cls(path, classes, trn, val, test, tfms, bs, num_workers, cache=cache, skip_bad_images=skip_bad_images)

    @classmethod
    def from_csv(cls, path: str | os.PathLike, folder: str, csv_fname: str | os.PathLike, bs: int = 64,
                 tfms: tuple | None = None, val_idxs: Sequence[int] | None = None, suffix: str = "",
                 test_name: str | None = None, skip_header: bool = True, num_workers: int | None = None,
                 cat_separator: str = " ", drop_missing: bool = False, cache: bool = False,
                 skip_bad_images: bool = False, multi_label: bool | None = None) -> "ImageClassifierData":
        """Images in `path/folder/<id><suffix>` labelled by a CSV (id, label[s]).

        `multi_label=True`: labels are lists split on `cat_separator` (n-hot targets, sigmoid head); False: each
        label is one class, spaces and all. None (the default) decides by the file and says so when any label
        holds the separator. `val_idxs`: row numbers, or a boolean mask with one entry per row.
        """
        path = Path(path)
        csv_fname = Path(csv_fname)
        if not csv_fname.is_absolute() and not csv_fname.exists():
            csv_fname = path / csv_fname
        img_dir = need_dir(path, folder)
        ids, labels = read_labels_csv(csv_fname, skip_header, img_dir, suffix)
        fnames = image_names(ids, folder, img_dir, suffix, csv_fname.name)
        missing = [k for k, f in enumerate(fnames) if not (path / f).is_file()]
        if missing:
            first = ", ".join(fnames[k] for k in missing[:5])
            if not drop_missing:
                doubled = suffix and all(ids[k].lower().endswith(suffix.lower()) for k in missing[:20])
                raise DataLayoutError(
                    f"{len(missing)} of {len(ids)} ids in {csv_fname.name} have no file in {img_dir} "
                    f"(first: {first}). "
                    + (f"The ids already end in {suffix!r}: pass suffix=''." if doubled else
                       f"Check `suffix` (now {suffix!r}) and `folder`, or pass drop_missing=True to leave those "
                       f"rows out."))
            warnings.warn(f"Dropped {len(missing)} of {len(ids)} rows of {csv_fname.name} with no image "
                          f"(first: {first}).", stacklevel=2)
            keep = np.setdiff1d(np.arange(len(ids)), missing)
            fnames, labels = [fnames[k] for k in keep], [labels[k] for k in keep]
        is_multi = multi_label_choice(labels, cat_separator, multi_label, csv_fname.name)
        classes, y = encode(labels, cat_separator, is_multi)
        n = len(fnames)
        val_idxs = get_cv_idxs(n) if val_idxs is None else as_indices(val_idxs, n)
        if len(val_idxs) and (val_idxs.min() < 0 or val_idxs.max() >= n):
            raise DataLayoutError(f"val_idxs must lie in [0, {n}); got {val_idxs.min()}..{val_idxs.max()}")
        is_val = np.zeros(n, dtype=bool)
        is_val[val_idxs] = True
        fn_arr = np.array(fnames, dtype=object)
        trn = (list(fn_arr[~is_val]), y[~is_val])
        unseen = [c for k, c in enumerate(classes) if not (trn[1][:, k].any() if is_multi else (trn[1] == k).any())]
        if unseen:
            warnings.warn(f"{csv_fname.name}: {len(unseen)} class(es) have no training image, only validation ones "
                          f"(first: {unseen[:5]}); the model cannot learn them. Add images or choose other "
                          f"val_idxs.", stacklevel=2)
        val = (list(fn_arr[is_val]), y[is_val])
        test = unlabelled_items(path, test_name)
        return cls(path, classes, trn, val, test, _check_tfms(tfms), bs, num_workers, is_multi, cache=cache,
                   skip_bad_images=skip_bad_images)

    # ------------------------------------------------------------------ properties
    @property
    def c(self) -> int:
        """Number of classes (the width of the model's output)."""
        return len(self.classes)

    @property
    def sz(self) -> int:
        """Image size the loaders produce."""
        return self.tfms[1].sz

    @property
    def val_y(self) -> np.ndarray:
        """Validation labels, in loader order."""
        return self.val_ds.y

    @property
    def trn_y(self) -> np.ndarray:
        """Training labels."""
        return self.trn_ds.y

    def loader(self, ds: FilesDataset | None, shuffle: bool = False) -> DataLoader | None:
        """A DataLoader over `ds` with this object's batch size and workers."""
        if ds is None:
            return None
        nw = self.num_workers
        # a lone last training batch of one image would break BatchNorm, so only that one is dropped
        drop_last = shuffle and len(ds) % self.bs == 1
        # fork explicitly: newer Pythons default to forkserver, which re-imports the user's script
        ctx = mp.get_context("fork") if nw > 0 and sys.platform.startswith("linux") else None
        skipping = getattr(ds, "skip_bad", False)
        collate = (collate_skipping if shuffle else collate_kept) if skipping else None
        return DataLoader(ds, batch_size=self.bs, shuffle=shuffle, num_workers=nw, drop_last=drop_last,
                          persistent_workers=nw > 0, pin_memory=torch.cuda.is_available(),
                          multiprocessing_context=ctx, collate_fn=collate)

    def set_workers(self, n: int, auto: bool = False) -> None:
        """Load with `n` worker processes from now on (the next loaders asked for); `auto`: still course_lib's choice."""
        self.num_workers, self.auto_workers = int(n), auto and self.auto_workers
        self._dls = {}  # loaders already handed out keep their workers until they are dropped

    def _dl(self, name: str, ds, shuffle: bool = False):
        if name not in self._dls:
            self._dls[name] = self.loader(ds, shuffle)
        return self._dls[name]

    trn_dl = property(lambda self: self._dl("trn", self.trn_ds, shuffle=True), doc="Training loader (shuffled, augmented).")
    val_dl = property(lambda self: self._dl("val", self.val_ds), doc="Validation loader.")
    fix_dl = property(lambda self: self._dl("fix", self.fix_ds), doc="Training images, validation transforms, in order.")
    aug_dl = property(lambda self: self._dl("aug", self.aug_ds), doc="Validation images with training augmentation.")
    test_dl = property(lambda self: self._dl("test", self.test_ds), doc="Test loader (None without a test set).")
    test_aug_dl = property(lambda self: self._dl("test_aug", self.test_aug_ds), doc="Test images, augmented.")

    # ------------------------------------------------------------------ resizing
    def resize_to(self, sz: int, bs: int | None = None) -> "ImageClassifierData":
        """The same split at another image size (progressive resizing: `learn.set_data(data.resize_to(128))`)."""
        tfms = (self.tfms[0].with_size(sz), self.tfms[1].with_size(sz))
        trn, val, test = self._split
        # an automatic worker count is measured again: another size changes what loading and the model cost
        nw = None if self.auto_workers else self.num_workers
        return type(self)(self.path, self.classes, trn, val, test, tfms, bs or self.bs, nw,
                          self.is_multi, cache=self.cached, skip_bad_images=self.skip_bad_images)

    def fill_cache(self) -> None:
        """Decode every image once into memory at the reduced size the transforms need."""
        dss = [d for d in (self.trn_ds, self.val_ds, self.test_ds) if d is not None]
        total = sum(len(d) for d in dss)
        with progress_bar(total=total, desc=f"caching images at {self.trn_ds.cache.side}px", leave=False) as pbar:
            for ds in dss:
                for i in range(len(ds)):
                    try:
                        ds.get_x(i)
                    except BadImageError as e:
                        if not ds.skip_bad:  # only the training set skips; elsewhere it stays an error
                            raise ds.unskipped(e) from e
                        # left out of the cache: the loader meets it again, warns and skips it as without cache
                    pbar.update()

    def describe(self) -> str:
        """A short human description: sizes, classes, batch size."""
        n_test = len(self.test_ds) if self.test_ds is not None else 0
        cls = ", ".join(self.classes[:8]) + (", ..." if self.c > 8 else "")
        return say("data.describe", kind=say("data.multi_label" if self.is_multi else "data.single_label"),
                   c=self.c, classes=cls, n_trn=len(self.trn_ds), n_val=len(self.val_ds), n_test=n_test, sz=self.sz,
                   bs=self.bs, workers=self.num_workers, auto=say("data.automatic") if self.auto_workers else "")

    def __repr__(self) -> str:
        return f"ImageClassifierData({self.path}: {self.describe()})"


# ---------------------------------------------------------------------- helpers
def check_bs(bs) -> None:
    """A clear error for a batch size that is not a whole number >= 1."""
    if isinstance(bs, bool) or not isinstance(bs, (int, np.integer)) or bs < 1:
        raise ValueError(f"bs (the batch size) must be a whole number >= 1, got {bs!r}.")


def as_indices(val_idxs, n: int) -> np.ndarray:
    """Validation rows as indices: row numbers as given, or the True entries of a boolean mask of n rows."""
    a = np.asarray(val_idxs)
    if a.dtype == bool:
        if a.shape != (n,):
            raise DataLayoutError(f"val_idxs is a boolean mask of shape {a.shape}, but the file has {n} rows: "
                                  f"give one True/False per row, or the row numbers themselves.")
        return np.flatnonzero(a)
    if a.size and not np.issubdtype(a.dtype, np.integer):
        raise DataLayoutError(f"val_idxs must be row numbers or a boolean mask, got values of type {a.dtype}.")
    return a.astype(np.int64).reshape(-1)


def collate_skipping(batch: list):
    """default_collate without the items a skipping training set returned as None.

    None when fewer than two are left: BatchNorm cannot train on one image (the loaders drop a lone last
    image for the same reason), and the learner skips such a batch as it skips an empty one.
    """
    batch = [b for b in batch if b is not None]
    return default_collate(batch) if len(batch) >= 2 else None


def collate_kept(batch: list):
    """default_collate of the items an in-order pass kept (None when it kept none); each keeps its own label."""
    batch = [b for b in batch if b is not None]
    return default_collate(batch) if batch else None


def _check_tfms(tfms) -> tuple[Tfms, Tfms]:
    if tfms is None or len(tfms) != 2 or not all(isinstance(t, Tfms) for t in tfms):
        raise TypeError("tfms must be the (train, valid) pair from tfms_from_model(arch, sz, ...)")
    return tuple(tfms)
