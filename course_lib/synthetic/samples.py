"""The offline samples: small stand-ins for the lesson's two Kaggle data sets, made from generated drawings.

`make_dogscats` and `make_dogbreeds` save the drawings of `course_lib.synthetic.drawing` as JPEGs in
exactly the folder layouts of Kaggle's *Dogs vs. Cats* and *Dog Breed Identification*, so that the
whole lesson runs without a download. Results measured on them show how the method behaves; they say
nothing about what it scores on real photos.

Each image is drawn from its own random generator seeded by (seed, split, class, index): the same
seed and counts give byte-identical files, and changing one count leaves the other images unchanged.

    >>> from course_lib.synthetic import ensure_sample
    >>> path = ensure_sample('dogscats')     # data/dogscats_sample, made once, a few seconds

`python -m course_lib.datasets` makes both.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..csvfile import write_csv
from ..datasets.sources import NAMES
from .drawing import BREEDS, breed_look, cat_look, dog_look, render, rng_for, save_jpeg

__all__ = ["make_dogscats", "make_dogbreeds", "sample_path", "ensure_sample", "find_sample", "SAMPLES", "BREEDS"]

VERSION = 2  # bump whenever the drawings change, so that samples already on disk are remade
MARKER = ".sample.json"  # written last into a finished sample; its absence means "not ours"
SAMPLES = NAMES  # a generated stand-in for each real data set

# what training writes into a data folder (checkpoints, the precompute cache, submissions): a student's saved
# models are not part of the sample, and must not make it look changed (which would rebuild it and lose them)
WORK_DIRS = frozenset({"models", "tmp", "subm"})


def _count_files(path: Path) -> int:
    n = 0
    for root, dirs, fs in os.walk(path):
        if Path(root) == path:
            dirs[:] = [d for d in dirs if d not in WORK_DIRS]
        n += len([f for f in fs if f != MARKER])
    return n


def _is_ours_and_current(path: Path, params: dict) -> bool | None:
    """True: finished with these params; False: ours but stale; None: absent or an empty folder."""
    if not path.exists():
        return None
    if path.is_dir() and not any(path.iterdir()):
        return None
    marker = path / MARKER
    if not path.is_dir() or not marker.is_file():
        raise FileExistsError(
            f"{path} exists but was not made by course_lib (the offline samples) (no {MARKER} in it), so it will "
            f"not be overwritten. Move or rename it, or pass another path=..."
        )
    try:
        info = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return info.get("params") == params and info.get("files") == _count_files(path)


def _clean_leftovers(path: Path, max_age_s: float = 3600) -> None:
    # folders left by a run that was killed outright (power cut, kill -9); never the data set itself
    now = time.time()
    for p in path.parent.glob(f".{path.name}.partial-*"):
        try:
            if now - p.stat().st_mtime > max_age_s:
                shutil.rmtree(p, ignore_errors=True)
        except OSError:
            pass


def _build(path: Path | str, params: dict, fill: Callable[[Path], None], force: bool) -> Path:
    """Make a sample at `path` via fill(tmp) in a hidden sibling folder, then rename it into place."""
    path = Path(path)
    state = _is_ours_and_current(path, params)
    if state and not force:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(path)
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}-{secrets.token_hex(3)}")
    tmp.mkdir()
    try:
        fill(tmp)
        # the marker goes in last: a folder without it was never finished
        info = {"params": params, "files": _count_files(tmp),
                "note": "generated drawings, not photos; remade by python -m course_lib.datasets"}
        (tmp / MARKER).write_text(json.dumps(info, indent=1) + "\n")
        if path.exists():
            old = path.with_name(f".{path.name}.partial-old-{os.getpid()}-{secrets.token_hex(3)}")
            path.rename(old)
            try:
                tmp.rename(path)
            except BaseException:
                old.rename(path)  # put the previous sample back rather than leave nothing
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _check_counts(**counts: int) -> None:
    for k, v in counts.items():
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
            raise ValueError(f"{k} must be a non-negative integer, got {v!r}")


def make_dogscats(path: str | Path = "data/dogscats_sample", n_train: int = 200, n_valid: int = 100,
                  n_test: int = 100, seed: int = 0, force: bool = False) -> Path:
    """Make the dogs-vs-cats sample (n_train, n_valid per class; n_test mixed) unless already there."""
    _check_counts(n_train=n_train, n_valid=n_valid, n_test=n_test, seed=seed)
    params = {"name": "dogscats", "version": VERSION, "n_train": int(n_train),
              "n_valid": int(n_valid), "n_test": int(n_test), "seed": int(seed)}
    looks = {"cats": cat_look, "dogs": dog_look}

    def fill(root: Path) -> None:
        for split, n, start, code in (("train", n_train, 0, 0), ("valid", n_valid, n_train, 1)):
            for ci, (cls, look) in enumerate(looks.items()):
                folder = root / split / cls
                folder.mkdir(parents=True)
                for i in range(n):
                    rng = rng_for(seed, 1, code, ci, i)
                    img, q = render(rng, look(rng))
                    # Kaggle numbers cats and dogs separately: cat.0.jpg ... and dog.0.jpg ...
                    save_jpeg(img, folder / f"{cls[:-1]}.{start + i}.jpg", q)
        (root / "test1").mkdir()
        for i in range(n_test):
            rng = rng_for(seed, 1, 2, 0, i)
            look = cat_look if rng.random() < 0.5 else dog_look
            img, q = render(rng, look(rng))
            save_jpeg(img, root / "test1" / f"{i + 1}.jpg", q)

    return _build(path, params, fill, force)


def make_dogbreeds(path: str | Path = "data/dogbreeds_sample", n_breeds: int = 12, n_per_breed: int = 50,
                   n_test: int = 120, seed: int = 0, force: bool = False) -> Path:
    """Make the dog-breed sample (train/, labels.csv, test/, sample_submission.csv) unless there."""
    _check_counts(n_breeds=n_breeds, n_per_breed=n_per_breed, n_test=n_test, seed=seed)
    if not 2 <= n_breeds <= len(BREEDS):
        raise ValueError(f"n_breeds must be between 2 and {len(BREEDS)} (the breeds defined in "
                         f"course_lib.synthetic.BREEDS), got {n_breeds}")
    params = {"name": "dogbreeds", "version": VERSION, "n_breeds": int(n_breeds),
              "n_per_breed": int(n_per_breed), "n_test": int(n_test), "seed": int(seed)}
    all_names = list(BREEDS)
    chosen = all_names[:n_breeds]

    def new_id(rng: np.random.Generator, used: set[str]) -> str:
        while True:  # 128 random bits like Kaggle's ids; a repeat is astronomically unlikely
            i = rng.bytes(16).hex()
            if i not in used:
                used.add(i)
                return i

    def fill(root: Path) -> None:
        used: set[str] = set()
        rows = []
        (root / "train").mkdir()
        for name in chosen:
            bi = all_names.index(name)  # keyed by position in BREEDS, so n_breeds does not reshuffle
            for i in range(n_per_breed):
                rng = rng_for(seed, 2, 0, bi, i)
                fid = new_id(rng, used)
                img, q = render(rng, breed_look(rng, BREEDS[name]))
                save_jpeg(img, root / "train" / f"{fid}.jpg", q)
                rows.append((fid, name))
        write_csv(root / "labels.csv", ["id", "breed"], sorted(rows))  # Kaggle's file is sorted by id
        (root / "test").mkdir()
        test_ids = []
        for i in range(n_test):
            rng = rng_for(seed, 2, 1, 0, i)
            fid = new_id(rng, used)
            name = chosen[int(rng.integers(len(chosen)))]
            img, q = render(rng, breed_look(rng, BREEDS[name]))
            save_jpeg(img, root / "test" / f"{fid}.jpg", q)
            test_ids.append(fid)
        classes = sorted(chosen)
        p = repr(1 / len(classes))  # Kaggle's sample submission: the uniform guess
        write_csv(root / "sample_submission.csv", ["id", *classes],
                  ([fid, *[p] * len(classes)] for fid in sorted(test_ids)))

    return _build(path, params, fill, force)


def sample_path(name: str, root: str | Path = "data") -> Path:
    """Where the generated sample `name` ('dogscats' or 'dogbreeds') lives under root."""
    if name not in SAMPLES:
        raise ValueError(f"Unknown sample {name!r}; expected one of {', '.join(SAMPLES)}")
    return Path(root) / f"{name}_sample"


def ensure_sample(name: str, root: str | Path = "data") -> Path:
    """Make the default sample `name` under root if it is not already there, and return its path."""
    path = sample_path(name, root)
    return make_dogscats(path) if name == "dogscats" else make_dogbreeds(path)


def find_sample(name: str = "dogscats") -> Path:
    """The generated sample `name`: the nearest data/<name>_sample in this folder or one above, else made in the
    nearest data/ folder (the repository's, from notebooks/exercises/ and notebooks/exercises/zh/ alike)."""
    from ..lesson import data_root
    for d in [Path.cwd(), *Path.cwd().parents]:
        if sample_path(name, d / "data").is_dir():  # a notebook in notebooks/exercises finds the repository's data/
            return ensure_sample(name, root=d / "data")
    return ensure_sample(name, root=data_root())
