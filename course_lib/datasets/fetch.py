"""Downloading: `download(name)` fetches, checks and unpacks a real data set; `download_weights(arch)`.

The HTTP part is pooch's `HTTPDownloader` (requests with a timeout, a tqdm progress bar that obeys
TQDM_DISABLE); Kaggle's data comes through the kaggle package. Checking and unpacking are `archive`'s.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
from pathlib import Path

from ..archs import ARCHS, arch_name
from .archive import check_archive, record, reuse, unpack
from .find import complete, counts
from .howto import kaggle_steps
from .sources import SOURCES, URL_ENV, DownloadError, Source


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB" if n < 1e8 else f"{n / 1e9:.1f} GB"


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
        check_archive(part, check, f"The download of {url}")
        record(part, arc)  # written before the rename, so an archive under its final name always has a record
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


def _kaggle_fetch(name: str, root: Path, arc: Path) -> None:
    """Download a competition's archive with the kaggle package, imported only now (it signs in on import)."""
    src, steps = SOURCES[name], kaggle_steps(name, root)
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
        record(got, arc)
        os.replace(got, arc)
    except DownloadError:
        raise
    except Exception as e:  # the API's own error types differ between kaggle versions
        raise DownloadError(f"Kaggle's download of {src.kaggle!r} failed: {e}\n(403 Forbidden means the "
                            f"competition's rules are not accepted yet: step 3.)\n{steps}") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
    if complete(name, dest):
        print(f"{dest} is complete: nothing to download")
        return dest
    if dest.exists():
        missing = [k for k, n in counts(name, dest).items() if n <= 0]
        raise DownloadError(f"{dest} exists but is incomplete (missing or empty: {', '.join(missing)}), and it is "
                            f"not overwritten. Move it aside or delete it, then run again (the download unpacks "
                            f"into a fresh {dest}).")
    root.mkdir(parents=True, exist_ok=True)
    arc.with_name(arc.name + ".part").unlink(missing_ok=True)  # an earlier download that was killed: start over
    have = reuse(arc, check)
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
    out = unpack(name, arc, dest)
    print(f"Ready: {out}")
    return out


def download_weights(arch: str) -> Path | None:
    """Fetch an architecture's ImageNet weights into the cache that `ConvLearner.pretrained` reads."""
    from .. import models  # torch and torchvision: only for the weights

    name = arch_name(arch)
    spec = ARCHS[name]
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

