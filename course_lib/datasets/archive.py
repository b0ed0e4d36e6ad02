"""Archives: check one (fast.ai's size + first-MiB md5, then a sha256 record for reuse) and unpack it safely.

pooch's `retrieve` + `Untar` miss what a classroom needs: their hashes are whole-file only (fast.ai publishes
size + md5 of the first MiB); before Python 3.12 `Untar` extracts `../` members outside the folder; and it
takes a folder whose names all exist as complete, even after an interrupted extraction. fastdownload
(fastai's) returns an existing folder even after an interrupted extraction. Hence this module.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from .find import find_layout
from .howto import EXPECTED
from .sources import DownloadError

MIB = 2 ** 20


def _sha256(fn: Path) -> str:
    import pooch  # imported when used: finding and describing data needs no download library
    return pooch.file_hash(str(fn), alg="sha256")


def sidecar(arc: Path) -> Path:
    """The file beside `arc` that records its sha256 (`<archive>.sha256`)."""
    return arc.with_name(arc.name + ".sha256")


def check_archive(fn: Path, check: tuple[int, str] | None, what: str) -> None:
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


def reuse(arc: Path, check: tuple[int, str] | None) -> bool:
    """True if a verified archive is already at `arc` (sha256 against the record of its download)."""
    rec = sidecar(arc)
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
        check_archive(arc, check, f"{arc} (found there, not downloaded by course_lib)")
    except DownloadError as e:
        raise DownloadError(f"{e}\nThe file is kept as it is; delete or move it, then run again to download "
                            f"the archive.") from None
    record(arc, arc)
    print(f"Using {arc}, found there" + (" (size and first-MiB md5 as published)" if check else ""))
    return True


def record(fn: Path, arc: Path) -> None:
    """Write `arc`.sha256 for the file `fn` (sha256sum's format: `sha256sum -c` checks it)."""
    sidecar(arc).write_text(f"{_sha256(fn)}  {arc.name}\n")



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


def unpack(name: str, arc: Path, dest: Path) -> Path:
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
                                f"(and {sidecar(arc).name} if present) and run again.") from None
        except OSError as e:
            raise DownloadError(f"Unpacking {arc} failed ({e}); nothing was kept from it. If the disk is full, "
                                f"free some space and run again.") from None
        found = find_layout(name, stage)
        if found is None:
            listing = ", ".join(sorted(p.relative_to(stage).as_posix() + ("/" if p.is_dir() else "")
                                       for p in list(stage.glob("*")) + list(stage.glob("*/*")))[:12])
            raise DownloadError(f"{arc} unpacked, but nothing in it has the layout {EXPECTED[name]} (looked "
                                f"up to two folders down). It holds: {listing or 'nothing'}. Nothing was kept "
                                f"from it; the archive stays at {arc}.")
        if found != stage and found.parent != stage:
            print(f"  (the archive nests the data in {found.relative_to(stage).as_posix()}/: moved up)")
        os.replace(found, dest)  # the commit: root/name appears only complete
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return dest

