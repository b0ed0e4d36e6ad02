"""Checkpoints that never end up half-written and never run code when loaded."""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import time
from pathlib import Path

import torch

FORMAT = "course_lib.checkpoint"
VERSION = 1  # bumped when a newer layout could not be read by older code


class CheckpointError(RuntimeError):
    """A checkpoint could not be written or does not fit the model it is loaded into."""


STALE_TMP_S = 3600  # a temporary file this old belongs to no live writer (a save takes seconds, not an hour)


def _umask() -> int:
    um = os.umask(0)
    os.umask(um)
    return um


def _clean_stale_tmp(folder: Path) -> None:
    """Remove what killed saves left in `folder` (hidden `.<name>.<random>.tmp` files), once they are old enough."""
    now = time.time()
    for p in folder.glob(".*.tmp"):
        try:
            if now - p.stat().st_mtime > STALE_TMP_S:
                p.unlink()
        except OSError:
            pass  # another process removed it, or it is not ours to remove


def writable(folder: Path) -> bool:
    """True when files can be created in `folder` (made if missing) and its mode allows writing.

    Tried, not guessed: a read-only mount refuses the file. The mode is checked too, because root may write
    into a folder marked read-only (`chmod a-w`), and that mark says the owner wants it left alone.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.stat().st_mode & 0o222:
            return False
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def work_folder(data_path: str | os.PathLike) -> Path:
    """Where a learner writes models and caches for the data in `data_path`: that folder when it is writable,
    else one of its own under COURSE_LIB_WORK (default ~/.cache/course_lib), named after the data folder.

    A data folder on a read-only share or a DVD is common in classrooms; the lesson must still save and cache.
    """
    data_path = Path(data_path)
    if writable(data_path):
        return data_path
    root = Path(os.environ.get("COURSE_LIB_WORK") or Path.home() / ".cache" / "course_lib")
    digest = hashlib.sha1(str(data_path.resolve()).encode()).hexdigest()[:8]  # two folders named `photos` differ
    return root / f"{data_path.name}-{digest}"


def atomic_save(obj, fn: str | os.PathLike) -> Path:
    """torch.save to a temporary file in the same folder, then rename: a crash leaves the old file intact.

    The file gets the permissions the umask gives new files (mkstemp's 0600 would lock other users out of a
    shared models folder), and temporary files that killed saves left behind are cleaned up once stale.
    """
    fn = Path(fn)
    try:
        fn.parent.mkdir(parents=True, exist_ok=True)
        _clean_stale_tmp(fn.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{fn.name}.", suffix=".tmp", dir=fn.parent)
    except OSError as e:
        raise CheckpointError(f"Cannot write {fn}: {e.strerror or e}. Choose a writable folder "
                              f"(learn.models_path = ...) or free some space.") from e
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, fn)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise CheckpointError(f"Saving {fn} failed ({e.strerror or e}); the previous file with that name, "
                                  f"if any, is untouched. Free some disk space or choose another folder.") from e
        raise
    return fn


def read_checkpoint(fn: str | os.PathLike) -> dict:
    """Load with weights_only=True (refuses pickled code); clear errors for missing, truncated or foreign files."""
    fn = Path(fn)
    if not fn.is_file():
        near = sorted(p.stem for p in fn.parent.glob("*.pt")) if fn.parent.is_dir() else []
        raise FileNotFoundError(f"No checkpoint {fn}. Saved models in {fn.parent}: {near or 'none'}.")
    try:
        ck = torch.load(fn, map_location="cpu", weights_only=True)
    except PermissionError as e:
        raise CheckpointError(f"{fn} cannot be read: permission denied. Whoever saved it (or an administrator) "
                              f"can make it readable with: chmod a+r '{fn}'.") from e
    except pickle.UnpicklingError as e:
        raise CheckpointError(f"{fn} holds objects other than tensors and plain values, so it was not loaded "
                              f"(loading it could run code). Only load files you trust, with torch.load yourself.") from e
    except Exception as e:  # torch raises many types for damaged files (RuntimeError, EOFError, KeyError, ...)
        raise CheckpointError(f"{fn} is truncated or not a PyTorch file ({type(e).__name__}: {e}).") from e
    if not isinstance(ck, dict):
        raise CheckpointError(f"{fn} is not a course_lib checkpoint (found a {type(ck).__name__}).")
    return ck
