"""Reading images robustly: one `open_image` for every odd file a classroom produces."""
from __future__ import annotations

import functools
import math
import os
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .progress import progress_bar

IMG_EXTS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".jfif"})
# photo formats that need a codec this Python may lack: read when it is there, otherwise announced, never
# silently left out (a folder of iPhone photos is all .heic)
PLUGIN_EXTS = {".heic": "HEIC", ".heif": "HEIC", ".avif": "AVIF"}
RAW_EXTS = frozenset({".dng", ".cr2", ".cr3", ".nef", ".arw", ".orf", ".rw2", ".raf"})  # camera raw: never read
SKIP_NAMES = frozenset({".ipynb_checkpoints", "__MACOSX", "__pycache__"})


class BadImageError(OSError):
    """An image file that cannot be decoded; the message names the file and how to find all such files."""

    def __init__(self, fn: str | os.PathLike, reason: str | None = None):
        if reason is None:  # rebuilt from a message alone (a DataLoader worker re-raising it in the main process)
            msg = str(fn)
            # torch's worker message starts "Caught BadImageError in DataLoader worker process 0." and ends with
            # the original line: put that line first, so every path gives the same clear first line
            orig = re.search(r"BadImageError: (Cannot read image .*)$", msg, re.M)
            if orig:
                worker = re.match(r"Caught BadImageError in (DataLoader worker process \d+)", msg)
                msg = orig.group(1).strip() + (f" (read in {worker.group(1)})" if worker else "")
            self.fn, self.reason = None, msg
            super().__init__(msg)
            return
        self.fn, self.reason = Path(fn), reason
        folder = self.fn.parent.parent if self.fn.parent.parent != Path("") else self.fn.parent
        super().__init__(
            f"Cannot read image {self.fn}: {reason}. "
            f"To list every unreadable image (and optionally move them aside) run "
            f"course_lib.verify_images('{folder}', quarantine='{folder}_bad')."
        )


@functools.cache
def codec(fmt: str) -> bool:
    """Whether this Python reads `fmt` ("HEIC" through pillow-heif, registered on first use; "AVIF" in Pillow)."""
    if fmt == "HEIC":
        try:
            import pillow_heif  # a dependency, but an install by hand may lack it: then announced
        except ImportError:
            return False
        pillow_heif.register_heif_opener()
        return True
    from PIL import features
    return bool(features.check("avif")) if "avif" in features.get_supported_modules() else False


def readable_exts() -> frozenset[str]:
    """The image extensions this Python can decode: IMG_EXTS plus .heic/.heif/.avif where their codec is there."""
    return IMG_EXTS | {e for e, fmt in PLUGIN_EXTS.items() if codec(fmt)}


def unread_why(ext: str) -> str | None:
    """Why photos with extension `ext` are not read here, with the fix; None when they are read or not photos."""
    ext = ext.lower()
    if ext in PLUGIN_EXTS and not codec(PLUGIN_EXTS[ext]):
        if PLUGIN_EXTS[ext] == "HEIC":
            return ("this Python cannot read HEIC photos (the iPhone's format): pip install pillow-heif, then build "
                    "the data again, or convert them to JPEG")
        return "this Pillow cannot read AVIF: pip install -U pillow (11.3 or later), or convert them to JPEG"
    if ext in RAW_EXTS:
        return "camera raw files are not read: export them as JPEG"
    return None


def is_image_file(p: Path) -> bool:
    """True for a visible file with an image extension (hidden files and notebook checkpoints skipped)."""
    return p.suffix.lower() in readable_exts() and not p.name.startswith(".") and p.is_file()


def unread_photos(files: list[Path]) -> str | None:
    """A sentence on the photos among `files` that this Python cannot read (count, extensions, fix), or None."""
    by_why: dict[str, list[Path]] = {}
    for f in files:
        why = None if f.name.startswith(".") else unread_why(f.suffix)
        if why:
            by_why.setdefault(why, []).append(f)
    if not by_why:
        return None
    return "; ".join(f"{len(fs)} {'/'.join(sorted({f.suffix for f in fs}))} file(s) left out (first: {fs[0].name}): "
                     f"{why}" for why, fs in by_why.items())


def list_images(folder: str | os.PathLike) -> list[Path]:
    """Image files directly inside `folder`, sorted by name; hidden and non-image files are skipped."""
    return sorted(p for p in Path(folder).iterdir() if is_image_file(p))


def list_dirs(folder: str | os.PathLike) -> list[Path]:
    """Visible sub-folders of `folder`, sorted by name (hidden ones and `.ipynb_checkpoints` skipped)."""
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_dir() and not p.name.startswith(".") and p.name not in SKIP_NAMES)


def to_rgb(img: Image.Image, fn: str | os.PathLike | None = None) -> Image.Image:
    """Convert any PIL mode to 8-bit RGB; transparency is composited on white so it does not turn black."""
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(img, dtype=np.float32)
        bad = ~np.isfinite(a)
        if bad.all():
            raise ValueError("every pixel is NaN or infinite")
        if bad.any():
            # one NaN used to make the whole range NaN, and the image black: scale by the finite pixels
            warnings.warn(f"{fn or 'image'}: {int(bad.sum())} of {a.size} pixels are NaN or infinite; they are "
                          f"drawn black and the others scaled by their own range.", stacklevel=3)
            a = np.where(bad, np.nanmin(np.where(bad, np.nan, a)), a)
        # 16-bit and float images use their own range; stretch it to 8 bits instead of clipping to white
        hi = 65535.0 if img.mode.startswith("I;16") or a.max() > 255 else 255.0
        if img.mode == "F":
            lo, hi = float(a.min()), float(a.max())
            a = (a - lo) / max(hi - lo, 1e-12) * 255.0
        else:
            a = a * (255.0 / hi)
        img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa"):
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(bg, rgba).convert("RGB")
    return img.convert("RGB")


def open_image(fn: str | os.PathLike, min_side: int | None = None) -> Image.Image:
    """Open any image as upright 8-bit RGB; with `min_side`, large images come back reduced.

    JPEGs decode at 1/2, 1/4 or 1/8 size (draft mode); anything still at least twice `min_side` is
    reduced by a whole factor (block averages). The shorter side always stays >= min_side.
    """
    fn = Path(fn)
    if why := unread_why(fn.suffix):  # codec() also registers pillow-heif, in a loader worker too
        raise BadImageError(fn, why)
    try:
        with Image.open(fn) as img:
            if min_side and img.format == "JPEG":
                # draft keeps both sides >= the request, so the shorter side stays >= min_side
                img.draft("RGB", (min_side, min_side))
            img.load()  # decode now: a truncated file must fail here, not mid-transform
            img = to_rgb(ImageOps.exif_transpose(img) or img, fn)
            k = min(img.size) // min_side if min_side else 1
            return img.reduce(k) if k >= 2 else img
    except FileNotFoundError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise BadImageError(fn, f"{type(e).__name__}: {e}") from e


def image_size(fn: str | os.PathLike) -> tuple[int, int]:
    """(width, height) as displayed (EXIF rotation applied), read from the header only."""
    with Image.open(fn) as img:
        w, h = img.size
        orient = img.getexif().get(0x0112, 1)
    return (h, w) if orient in (5, 6, 7, 8) else (w, h)


def verify_images(path: str | os.PathLike, quarantine: str | os.PathLike | None = None,
                  min_side: int | None = 64) -> list[tuple[Path, str]]:
    """Find every unreadable image under `path`; with `quarantine`, move them there (never delete).

    A symbolic link with an image name whose target is missing (or a loop of links) is reported too, with
    where it points. Quarantined, the link itself is moved, re-made with its target as an absolute path so
    that it still names the missing file from its new folder; the missing file is not looked for.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"verify_images: {path} does not exist")
    if quarantine is not None:
        q, root = Path(quarantine).resolve(), path.resolve()
        if q == root or q in root.parents:
            # every file would count as already quarantined, and the scan would find nothing
            raise ValueError(f"verify_images: the quarantine folder {quarantine} is the scanned folder {path} or "
                             f"holds it. Choose a folder of its own, e.g. "
                             f"quarantine='{path.parent / (path.name + '_bad')}'.")
    bad: list[tuple[Path, str]] = []
    to_decode: list[Path] = []
    walked: list[Path] = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_NAMES)
        for name in sorted(files):
            fn = Path(root) / name
            link = _broken_link(fn)
            # a photo of a format this Python cannot decode is reported, with the fix, not passed over
            if not (is_image_file(fn) or link or (unread_why(fn.suffix) and not name.startswith("."))):
                continue
            # a broken link resolves to its missing target: where the link itself lies tells if it is quarantined
            where = fn.parent.resolve() / fn.name if link else fn.resolve()
            if quarantine is not None and q in where.parents:
                continue  # quarantined by an earlier run
            walked.append(fn)
            if link:
                bad.append((fn, link))
            else:
                to_decode.append(fn)
    # listing is quick, decoding 25,000 photos takes minutes: a bar for that part, in the order listed
    for fn in progress_bar(to_decode, desc="verify_images", unit="img", leave=False):
        try:
            open_image(fn, min_side=min_side)
        except BadImageError as e:
            bad.append((fn, e.reason))
    order = {fn: k for k, fn in enumerate(walked)}
    bad.sort(key=lambda b: order[b[0]])  # links and unreadable files in the order of the walk, as before
    if quarantine is not None:
        q = Path(quarantine)
        for fn, _ in bad:
            dest = q / fn.relative_to(path)
            dest.parent.mkdir(parents=True, exist_ok=True)
            k = 1
            # lexists: a broken link quarantined earlier "does not exist", and a move would replace it
            while os.path.lexists(dest):  # an earlier run quarantined a file of that name: keep both
                dest = dest.with_name(f"{fn.stem}.{k}{fn.suffix}")
                k += 1
            if fn.is_symlink() and not fn.exists():
                # a relative target read from the quarantine would name another file: keep the one it named
                os.symlink(_link_target(fn), dest)
                fn.unlink()  # after the copy is made: a crash in between leaves two links, never none
            else:
                shutil.move(str(fn), str(dest))
    return bad


def _broken_link(fn: Path) -> str | None:
    """Why `fn` is a symbolic link that cannot be followed, for an image name (hidden ones skipped); else None."""
    if fn.suffix.lower() not in readable_exts() or fn.name.startswith(".") or not fn.is_symlink():
        return None
    try:
        fn.stat()
        return None
    except FileNotFoundError:
        target = Path(os.readlink(fn))
        full = "" if target.is_absolute() else f" ({_link_target(fn)})"
        return f"broken symbolic link: it points to {target}{full}, which does not exist"
    except OSError as e:  # ELOOP: a link to itself, or a ring of links
        return f"broken symbolic link: it points to {os.readlink(fn)}, which cannot be followed ({e.strerror}: " \
               f"a loop of links)"


def _link_target(fn: Path) -> str:
    """The absolute path a symbolic link names (resolved from the link's real folder, not followed)."""
    return os.path.normpath(os.path.join(fn.parent.resolve(), os.readlink(fn)))


def draft_side(sz: int, max_zoom: float | None = None) -> int:
    """Shorter side an image needs before augmentation, so decoding can stop there."""
    return int(math.ceil(sz * max(1.0, max_zoom or 1.0)))
