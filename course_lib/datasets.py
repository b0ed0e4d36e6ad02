"""The real data sets: find them, split Kaggle's flat download, describe a folder; the command line.

    >>> from course_lib.datasets import find_real
    >>> path = find_real('dogscats')    # data/dogscats, or an error saying how to get it

The offline stand-ins (generated drawings) live in `course_lib.synthetic`; the command line makes them.

The real data in one command: ``download('dogscats')`` (or ``python -m course_lib.datasets --download
dogscats``) fetches fast.ai's archive, checks it, unpacks it safely and reuses it afterwards without the network.

Command line: ``python -m course_lib.datasets [--root data] [--force] [--real]``,
``--download NAME [--url URL]``, ``--download-weights ARCH ...``, and
``--split-kaggle SRC [--test DIR]`` to put Kaggle's flat dogs-vs-cats download into class folders.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import importlib
import importlib.util
import os
import shutil
import sys
import tarfile
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from .synthetic.samples import SAMPLES, make_dogbreeds, make_dogscats, sample_path

if TYPE_CHECKING:  # pandas is imported only when describe() runs
    import pandas as pd

__all__ = ["find_real", "download", "download_weights", "DownloadError", "split_kaggle_dogscats", "describe"]

IMG_EXTS = frozenset({".jpg", ".jpeg", ".png"})

# ----------------------------------------------------------------------------- real data


_HOW_TO_GET = {
    "dogscats": """How to get it:
  one command (fast.ai's dogscats.tgz, about 840 MB: downloaded, checked, unpacked here, reused afterwards):
       python -m course_lib.datasets --download dogscats --root {root}
  by hand, when this machine cannot download it: fetch
       https://s3.amazonaws.com/fast-ai-sample/dogscats.tgz
     on any machine, put it at {root}/dogscats.tgz and run the command above (it checks and unpacks it
     without the network). The 2018 course's dogscats.zip holds the same folders: unzip -q dogscats.zip -d {root}/
  Kaggle (accept the rules of the competition on its web page first; needs `pip install kaggle`
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
  one command (Kaggle's API: needs `pip install kaggle`, an API token in ~/.kaggle/kaggle.json, and the
  competition's rules accepted on its web page):
       python -m course_lib.datasets --download dogbreeds --root {root}
  or download dog-breed-identification.zip from the competition's Data page, put it at
  {root}/dog-breed-identification.zip and run the same command (no Kaggle account needed on this machine).
  With the Kaggle command line instead:
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


def _counts(name: str, path: Path) -> dict[str, int]:
    """Images found in each folder the layout needs (1 for a present labels.csv; -1 when missing)."""
    if name == "dogscats":
        return {k: _n_images(path / k) for k in ("train/cats", "train/dogs", "valid/cats", "valid/dogs", "test1")}
    return {"train": _n_images(path / "train"), "test": _n_images(path / "test"),
            "labels.csv": 1 if (path / "labels.csv").is_file() else -1}


def _complete(name: str, path: Path) -> bool:
    return all(n > 0 for n in _counts(name, path).values())


def find_real(name: str, root: str | Path = "data") -> Path:
    """Path of the real Kaggle data set `name` under root; if incomplete, an error saying how to get it."""
    if name not in SAMPLES:
        raise ValueError(f"Unknown data set {name!r}; expected one of {', '.join(SAMPLES)}")
    root = Path(root)
    path = root / name
    counts = _counts(name, path)
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
    raise FileNotFoundError(
        f"The real {name!r} data set is not complete under {path}.\n"
        f"Expected: {path}/ with {_EXPECTED[name]}\n"
        f"Found:\n{found}\n" + _HOW_TO_GET[name].format(root=root.as_posix()))


_EXPECTED = {"dogscats": "train/cats/*.jpg, train/dogs/*.jpg, valid/cats/*.jpg, valid/dogs/*.jpg, test1/*.jpg",
             "dogbreeds": "train/<id>.jpg, test/<id>.jpg, labels.csv (id,breed)"}


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


# ----------------------------------------------------------------------------- downloading
#
# The HTTP part is pooch's `HTTPDownloader` (requests with a timeout, a tqdm progress bar that obeys
# TQDM_DISABLE) and its `file_hash`. The rest is here, because pooch's `retrieve` + `Untar` miss what a
# classroom needs: their hashes are whole-file only (fast.ai publishes size + md5 of the first MiB); before
# Python 3.12 `Untar` extracts `../` members outside the folder; and it takes a folder whose names all exist
# as complete, even after an interrupted extraction. fastdownload (fastai's) draws with fastprogress and
# returns an existing folder even after an interrupted extraction.


class DownloadError(RuntimeError):
    """A download, its check or its unpacking failed; the message says what was kept and what to do."""


@dataclass(frozen=True)
class Source:
    """Where a real data set's archive comes from and how it is checked."""
    file: str                               # the archive's name, kept under root for reuse
    size: int                               # about this many bytes: for the disk-space check
    url: str | None = None                  # None: only through Kaggle's API (or a mirror)
    check: tuple[int, str] | None = None    # (bytes, md5 of the first MiB): fastai's published check
    kaggle: str | None = None               # the Kaggle competition


SOURCES = {
    # fastai's URLs.DOGS (fastai/data/external.py: URLs.URL + 'dogscats.tgz'), checked as in
    # fastai/data/download_checks.py; no whole-file hash is published
    "dogscats": Source("dogscats.tgz", 839_285_364, url="https://s3.amazonaws.com/fast-ai-sample/dogscats.tgz",
                       check=(839_285_364, "3e483c8d6ef2175e9d395a6027eb92b7")),
    "dogbreeds": Source("dog-breed-identification.zip", 725_000_000, kaggle="dog-breed-identification"),
}
URL_ENV = "COURSE_LIB_DATA_URL"  # a folder URL (a classroom mirror) that holds the archives under their names
MIB = 2 ** 20


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB" if n < 1e8 else f"{n / 1e9:.1f} GB"


def _sha256(fn: Path) -> str:
    import pooch  # imported when used: finding and describing data needs no download library
    return pooch.file_hash(str(fn), alg="sha256")


def _sidecar(arc: Path) -> Path:
    return arc.with_name(arc.name + ".sha256")


def _check_archive(fn: Path, check: tuple[int, str] | None, what: str) -> None:
    """fastai's check: the size in bytes and the md5 of the first MiB; a clear error on a mismatch."""
    if check is None:
        return
    size, md5 = check
    n = fn.stat().st_size
    if n != size:
        raise DownloadError(f"{what} has {n:,} bytes; the published archive has {size:,}. "
                            + ("It is incomplete." if n < size else "It is another file."))
    with open(fn, "rb") as f:
        got = hashlib.md5(f.read(MIB)).hexdigest()
    if got != md5:
        raise DownloadError(f"{what} has the right size but not the published content: md5 of its first MiB is "
                            f"{got}, expected {md5}.")


def _reuse(arc: Path, check: tuple[int, str] | None) -> bool:
    """True if a verified archive is already at `arc` (sha256 against the record of its download)."""
    rec = _sidecar(arc)
    if not arc.is_file():
        rec.unlink(missing_ok=True)  # a record of nothing: it must not judge a file put there later
        return False
    if rec.is_file():
        want, got = rec.read_text().split()[0], _sha256(arc)
        if got != want:
            raise DownloadError(
                f"{arc} does not match the sha256 recorded when it was downloaded ({rec}): it was damaged or "
                f"replaced since. Nothing was unpacked. Delete both files and run again to download it afresh.")
        print(f"Reusing {arc} (sha256 as recorded at its download)")
        return True
    # put there by hand: check it as a download, then record it
    try:
        _check_archive(arc, check, f"{arc} (found there, not downloaded by course_lib)")
    except DownloadError as e:
        raise DownloadError(f"{e}\nThe file is kept as it is; delete or move it, then run again to download "
                            f"the archive.") from None
    _record(arc, arc)
    print(f"Using {arc}, found there" + (" (size and first-MiB md5 as published)" if check else ""))
    return True


def _record(fn: Path, arc: Path) -> None:
    """Write `arc`.sha256 for the file `fn` (sha256sum's format: `sha256sum -c` checks it)."""
    _sidecar(arc).write_text(f"{_sha256(fn)}  {arc.name}\n")


def _fetch(url: str, arc: Path, check: tuple[int, str] | None) -> None:
    """Download `url` to `arc` through a `.part` file that gets the final name only once checked."""
    import pooch
    import requests

    part = arc.with_name(arc.name + ".part")
    by_hand = (f"If this machine is offline, download {url} on another machine and put it at {arc} "
               f"(or point {URL_ENV} at a mirror that has it), then run the same command again: it is checked "
               f"and unpacked without the network.")
    print(f"Downloading {url}\n  to {arc}")
    try:
        pooch.HTTPDownloader(progressbar=True, timeout=60)(url, str(part), None)
        _check_archive(part, check, f"The download of {url}")
        _record(part, arc)  # written before the rename, so an archive under its final name always has a record
        os.replace(part, arc)
    except requests.HTTPError as e:
        raise DownloadError(f"The server answered {e.response.status_code} for {url}. Nothing was kept.\n"
                            f"{by_hand}") from None
    except requests.ConnectionError as e:  # refused, no route, no DNS: before any byte came
        raise DownloadError(f"Could not reach {url} ({type(e).__name__}). Nothing was downloaded.\n"
                            f"{by_hand}") from None
    except requests.RequestException as e:  # the connection dropped or stalled mid-file
        got = part.stat().st_size if part.exists() else 0
        raise DownloadError(f"The download of {url} stopped after {got:,} bytes ({type(e).__name__}); the "
                            f"partial file was removed. Run the same command again to start over.\n"
                            f"{by_hand}") from None
    except DownloadError as e:
        raise DownloadError(f"{e}\nNothing was kept and nothing unpacked. Run again to download it afresh; if it "
                            f"happens again the server's copy differs from the published one.") from None
    finally:
        part.unlink(missing_ok=True)  # on any way out, Ctrl-C included: nothing half-downloaded stays


def _kaggle_steps(name: str, root: Path) -> str:
    src = SOURCES[name]
    arc = (root / src.file).as_posix()
    return (f"To download it with Kaggle's API:\n"
            f"  1. pip install kaggle\n"
            f"  2. kaggle.com > Settings > API > Create New Token; save kaggle.json as ~/.kaggle/kaggle.json "
            f"(chmod 600 ~/.kaggle/kaggle.json)\n"
            f"  3. accept the competition's rules: https://www.kaggle.com/competitions/{src.kaggle}/rules\n"
            f"  4. python -m course_lib.datasets --download {name} --root {root.as_posix()}\n"
            f"Or by hand: download {src.file} from https://www.kaggle.com/competitions/{src.kaggle}/data, put it at "
            f"{arc} and run the command of step 4 (no Kaggle account needed on this machine).")


def _kaggle_fetch(name: str, root: Path, arc: Path) -> None:
    """Download a competition's archive with the kaggle package, imported only now (it signs in on import)."""
    src, steps = SOURCES[name], _kaggle_steps(name, root)
    if importlib.util.find_spec("kaggle") is None:
        raise DownloadError(f"The {name!r} data comes from Kaggle, and the kaggle package is not "
                            f"installed.\n{steps}")
    try:
        kaggle = importlib.import_module("kaggle")
    except (Exception, SystemExit) as e:  # without a token it raises (or exits) at import
        raise DownloadError(f"The kaggle package is installed but could not sign in ({e}).\n{steps}") from None
    tmp = root / f".{src.kaggle}.download"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        print(f"Downloading {src.file} from Kaggle's competition {src.kaggle!r}\n  to {arc}")
        kaggle.api.competition_download_files(src.kaggle, path=str(tmp), quiet=False)
        got = tmp / src.file
        if not got.is_file():
            found = sorted(p.name for p in tmp.iterdir()) if tmp.is_dir() else []
            raise DownloadError(f"Kaggle's download left {found or 'nothing'} in {tmp}, not {src.file}.\n{steps}")
        _record(got, arc)
        os.replace(got, arc)
    except DownloadError:
        raise
    except Exception as e:  # the API's own error types differ between kaggle versions
        raise DownloadError(f"Kaggle's download of {src.kaggle!r} failed: {e}\n(403 Forbidden means the "
                            f"competition's rules are not accepted yet: step 3.)\n{steps}") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _unsafe(name: str) -> str | None:
    """Why an archive member's name could land outside the folder it unpacks into (None if it cannot)."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if ".." in parts:
        return "it climbs out with '..'"
    return None


def _refuse(arc: Path, member: str, why: str) -> DownloadError:
    return DownloadError(f"{arc} holds a member that would be written outside the folder it unpacks into: "
                         f"{member!r} ({why}). Refused: nothing from it is left unpacked, and the archive is kept "
                         f"for inspection. The published archive has no such member, so this file is not it.")


def _extract(arc: Path, dest: Path) -> None:
    """Unpack a zip, or a tar of any compression, into `dest`, refusing members that would leave it."""
    dest.mkdir(parents=True)
    if arc.suffix == ".zip":  # by name: sniffing could take some compressed tar for a zip
        with zipfile.ZipFile(arc) as z:
            for info in z.infolist():
                if why := _unsafe(info.filename):
                    raise _refuse(arc, info.filename, why)
                z.extract(info, dest)  # zipfile writes links as plain files: they cannot point anywhere
        return
    safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # the standard library's guard too
    with tarfile.open(arc) as tar:
        for m in tar:  # one pass: each member is checked, then written
            why = _unsafe(m.name)
            if why is None and (m.issym() or m.islnk()):
                # a symlink is relative to its own folder, a hard link to the archive's top
                base = PurePosixPath(m.name).parent if m.issym() else PurePosixPath()
                target = os.path.normpath((base / m.linkname.replace("\\", "/")).as_posix())
                if m.linkname.startswith(("/", "\\")) or target == ".." or target.startswith("../"):
                    why = f"a link to {m.linkname!r}"
            if why is None and not (m.isfile() or m.isdir() or m.issym() or m.islnk()):
                why = "a device or pipe, not a file"
            if why:
                raise _refuse(arc, m.name, why)
            try:
                tar.extract(m, dest, **safe)
            except tarfile.FilterError as e:  # what the standard library's guard caught beyond the checks above
                raise _refuse(arc, m.name, str(e)) from None


def _expand_inner(folder: Path) -> None:
    """Unpack zips inside an unpacked archive (Kaggle's older zips hold train.zip, labels.csv.zip, ...)."""
    for inner in sorted(folder.glob("*.zip")) + sorted(folder.glob("*/*.zip")):
        tmp = inner.with_name(f".{inner.name}.unpacking")
        _extract(inner, tmp)
        for p in tmp.iterdir():
            if not (inner.parent / p.name).exists():
                os.replace(p, inner.parent / p.name)
        shutil.rmtree(tmp)
        inner.unlink()


def _find_layout(name: str, top: Path, depth: int = 2) -> Path | None:
    """The folder under `top` (itself, or up to `depth` levels down) that holds the complete layout."""
    level = [top]
    for _ in range(depth + 1):
        for d in sorted(level, key=lambda p: p.name != name):  # a folder named like the data set first
            if _complete(name, d):
                return d
        level = [s for d in level for s in d.iterdir()
                 if s.is_dir() and not s.name.startswith((".", "__MACOSX"))]
    return None


def _unpack(name: str, arc: Path, dest: Path) -> Path:
    """Unpack `arc` beside `dest` and move the folder with the expected layout to `dest` in one rename."""
    stage = dest.with_name(f".{dest.name}.unpacking")  # hidden, so never taken for the data set
    shutil.rmtree(stage, ignore_errors=True)  # what an interrupted run left
    print(f"Unpacking {arc} ...")
    try:
        try:
            _extract(arc, stage)
            _expand_inner(stage)
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error) as e:
            raise DownloadError(f"{arc} is damaged ({type(e).__name__}: {e}); nothing was kept from it. Delete it "
                                f"(and {_sidecar(arc).name} if present) and run again.") from None
        except OSError as e:
            raise DownloadError(f"Unpacking {arc} failed ({e}); nothing was kept from it. If the disk is full, "
                                f"free some space and run again.") from None
        found = _find_layout(name, stage)
        if found is None:
            listing = ", ".join(sorted(p.relative_to(stage).as_posix() + ("/" if p.is_dir() else "")
                                       for p in list(stage.glob("*")) + list(stage.glob("*/*")))[:12])
            raise DownloadError(f"{arc} unpacked, but nothing in it has the layout {_EXPECTED[name]} (looked "
                                f"up to two folders down). It holds: {listing or 'nothing'}. Nothing was kept "
                                f"from it; the archive stays at {arc}.")
        if found != stage and found.parent != stage:
            print(f"  (the archive nests the data in {found.relative_to(stage).as_posix()}/: moved up)")
        os.replace(found, dest)  # the commit: root/name appears only complete
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return dest


def _url(src: Source, url: str | None) -> str | None:
    if url:
        return url
    if base := os.environ.get(URL_ENV):
        return base.rstrip("/") + "/" + src.file
    return src.url


def download(name: str, root: str | Path = "data", url: str | None = None,
             check: tuple[int, str] | None = None) -> Path:
    """Download, check and unpack the real data set `name` into root/name; a complete copy is reused offline.

    `url` (or the environment variable COURSE_LIB_DATA_URL, a folder URL holding the archive) replaces the
    official address, e.g. a classroom mirror; `check` replaces the published (bytes, first-MiB md5).
    The archive stays at root/<archive> with a sha256 record, so unpacking again needs no network.
    """
    if name not in SOURCES:
        raise ValueError(f"Unknown data set {name!r}; expected one of {', '.join(SOURCES)}")
    src, root = SOURCES[name], Path(root)
    dest, arc = root / name, root / src.file
    check = src.check if check is None else check
    if _complete(name, dest):
        print(f"{dest} is complete: nothing to download")
        return dest
    if dest.exists():
        missing = [k for k, n in _counts(name, dest).items() if n <= 0]
        raise DownloadError(f"{dest} exists but is incomplete (missing or empty: {', '.join(missing)}), and it is "
                            f"not overwritten. Move it aside or delete it, then run again (the download unpacks "
                            f"into a fresh {dest}).")
    root.mkdir(parents=True, exist_ok=True)
    arc.with_name(arc.name + ".part").unlink(missing_ok=True)  # an earlier download that was killed: start over
    have = _reuse(arc, check)
    # unpacked JPEGs take about the archive's size (they do not compress)
    need = src.size + (0 if have else src.size)
    free = shutil.disk_usage(root).free
    if free < need:
        raise DownloadError(f"{name} needs about {_gb(need)} free under {root} ("
                            + ("" if have else f"{_gb(src.size)} archive + ") + f"{_gb(src.size)} unpacked); "
                            f"{_gb(free)} is free. Free some space, or use a bigger disk: "
                            f"python -m course_lib.datasets --download {name} --root /path/on/bigger/disk")
    if not have:
        where = _url(src, url)
        if where is None:
            _kaggle_fetch(name, root, arc)
        else:
            _fetch(where, arc, check)
    out = _unpack(name, arc, dest)
    print(f"Ready: {out}")
    return out


def download_weights(arch: str) -> Path | None:
    """Fetch an architecture's ImageNet weights into the cache that `ConvLearner.pretrained` reads."""
    from . import models  # torch and torchvision: only for the weights

    name = models.arch_name(arch)
    spec = models.ARCHS[name]
    if spec.weights == "bundled":
        print(f"{name}: its weights are bundled with course_lib; nothing to download")
        return None
    if spec.weights == "package":
        try:
            fn = models.package_weights_file(spec)
        except models.WeightsUnavailableError as e:
            raise DownloadError(str(e)) from e
        print(f"{name}: its ImageNet weights come from the installed package {spec.package[0]} ({fn}); "
              f"nothing to download")
        return fn
    fn = models.weights_file(name)
    had = fn.is_file()
    try:
        models.load_imagenet_state(name)  # pretrained()'s loader: torchvision's URL and hash, then read back
    except models.WeightsUnavailableError as e:
        raise DownloadError(str(e)) from e
    print(f"{name}: {'already in' if had else 'downloaded to'} {fn} ({fn.stat().st_size / 1e6:.0f} MB)")
    return fn


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
