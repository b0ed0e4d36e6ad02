"""precompute=True: body activations computed once, cached in memory and on disk, never reused when stale."""
from __future__ import annotations

import array
import hashlib
import os
import weakref
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from .checkpoint import atomic_save
from .inference import run_batches
from .progress import progress_bar
from .lang import say


def files_fingerprint(ds) -> str:
    """Hash of the data set's file names, sizes and modification times: any change gives a new key.

    Checked on every precompute fit, so kept lean: one stat per file relative to an open folder, the
    numbers packed into one array (formatting a string per file cost as much as the stat itself).
    """
    h = hashlib.sha1("\0".join(ds.fnames).encode())
    nums = array.array("q")
    fd = os.open(ds.path, os.O_RDONLY) if os.stat in os.supports_dir_fd else None  # Windows: plain paths
    try:
        for f in ds.fnames:
            st = os.stat(f, dir_fd=fd) if fd is not None else os.stat(os.path.join(ds.path, f))
            nums.extend((st.st_size, st.st_mtime_ns))
    finally:
        if fd is not None:
            os.close(fd)
    h.update(nums.tobytes())
    return h.hexdigest()


_WEIGHTS_SEEN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # module -> (versions, digest)


def weights_fingerprint(module: torch.nn.Module) -> str:
    """Hash of a module's weights and BatchNorm statistics, so fine-tuned weights never reuse old activations.

    Hashing resnet18's body takes about 60 ms, so the digest is remembered with every tensor's storage and
    version counter: any in-place change (an optimiser step, BatchNorm statistics, load_state_dict) bumps a
    counter, and a swapped tensor has another storage, so a remembered digest is never stale.
    """
    sd = module.state_dict()
    versions = tuple((k, v.data_ptr(), v._version) for k, v in sd.items())
    seen = _WEIGHTS_SEEN.get(module)
    if seen is not None and seen[0] == versions:
        return seen[1]
    h = hashlib.sha1()
    for k, v in sd.items():
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy())  # the buffer, not a copy
    _WEIGHTS_SEEN[module] = (versions, h.hexdigest())
    return h.hexdigest()


def cache_key(arch: str, data, body: torch.nn.Module, dtype: torch.dtype | None = None) -> str:
    """Key of an activation cache: arch, size, transforms and their normalisation, files (names, sizes, mtimes),
    body weights and the autocast dtype (bf16 activations differ from fp32 ones in the third digit)."""
    h = hashlib.sha1()
    h.update(f"{arch}|{data.sz}|{data.tfms[1]!r}|{data.tfms[1].stats}|{dtype}".encode())
    for ds in (data.trn_ds, data.val_ds, data.test_ds):
        h.update((files_fingerprint(ds) if ds is not None else "-").encode())
    h.update(weights_fingerprint(body).encode())
    return h.hexdigest()[:16]


def compute_features(learn, dl: DataLoader, desc: str = "precompute") -> tuple[torch.Tensor, torch.Tensor | None]:
    """(the frozen body's pooled output, labels) over a loader (in order, validation transforms), on the CPU."""
    return run_batches(learn, progress_bar(dl, desc=desc, leave=False, unit="batch"), fn=learn.model.features,
                       act=False)


class ActivationCache:
    """Activations for train (validation transforms), valid and test, looked up by `cache_key`."""

    def __init__(self):
        self.mem: dict[str, dict] = {}
        self.built = False  # whether the last get() ran the body (False: from memory or from disk)

    def path_for(self, learn, key: str) -> Path:
        return learn.work_path / "tmp" / f"act_{learn.arch}_{learn.data.sz}_{key}.pt"

    def get(self, learn) -> dict:
        """The activations for the learner's current data and body, computed only when no valid copy exists."""
        data, model = learn.data, learn.model
        dtype = learn.amp_dtype
        key = cache_key(learn.arch, data, model.body, dtype)
        self.built = False
        if key in self.mem:
            return self.mem[key]
        fn = self.path_for(learn, key)
        acts = None
        if fn.is_file():
            try:
                acts = torch.load(fn, map_location="cpu", weights_only=True)
            except Exception:
                acts = None  # unreadable cache: simply compute again
        if acts is None:
            print(say("precompute.computing", n_trn=len(data.trn_ds), n_val=len(data.val_ds),
                      where=shown_path(fn.parent)))
            sets = (("trn", "train", data.fix_dl), ("val", "valid", data.val_dl), ("test", "test", data.test_dl))
            acts = {}
            for k, label, dl in sets:
                if dl is not None:
                    acts[k], y = compute_features(learn, dl, f"precompute {label}")
                    if k == "trn" and len(acts[k]) < len(data.trn_ds):
                        # skip_bad_images left unreadable training images out: keep the labels of those kept
                        acts["trn_y"] = y
            self.built = True
            try:
                atomic_save(acts, fn)
            except Exception as e:  # a read-only data folder must not stop training: keep it in memory
                print(say("precompute.not_written", error=e))
        self.mem = {key: acts}  # one data set at a time: old sizes are not kept in RAM
        return acts


def shown_path(path: Path) -> str:
    """A path as the user would type it from here: relative to the working folder when it is at most two levels
    up within one project (a notebook's ../data), `~/...` under the home folder (it names no user), else absolute.
    """
    try:
        rel = os.path.relpath(path)
    except ValueError:  # Windows: another drive has no relative path
        return str(path)
    full, home = Path(path).resolve(), Path.home().resolve()
    shared = Path(os.path.commonpath([full, Path.cwd().resolve()]))
    # ../../root/.cache from a project outside home reads as a puzzle: a cache under home is ~/.cache
    if Path(rel).parts[:3].count("..") < 3 and not (full.is_relative_to(home) and not shared.is_relative_to(home)
                                                     and ".." in Path(rel).parts):
        return rel
    if full.is_relative_to(home):
        return str(Path("~") / full.relative_to(home))
    return str(full)


class TensorLoader:
    """Batches straight from in-memory tensors: slicing whole batches, not stacking items one by one."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, bs: int, shuffle: bool = False):
        self.x, self.y, self.bs, self.shuffle = x, y, bs, shuffle
        # as the image loaders do: only a lone last training item (which BatchNorm cannot use) is dropped
        self.n = len(x) - 1 if shuffle and len(x) % bs == 1 else len(x)

    def __len__(self) -> int:
        return -(-self.n // self.bs)

    def __iter__(self):
        idx = torch.randperm(len(self.x))[:self.n] if self.shuffle else torch.arange(self.n)
        for i in range(0, self.n, self.bs):
            b = idx[i:i + self.bs]
            yield self.x[b], self.y[b]


def act_loaders(acts: dict, data) -> tuple[TensorLoader, TensorLoader]:
    """(train, valid) loaders over cached activations with the data's labels and batch size."""
    y = acts.get("trn_y")  # present when unreadable training images were skipped
    y = torch.as_tensor(data.trn_ds.y) if y is None else y
    return (TensorLoader(acts["trn"], y, data.bs, shuffle=True),
            TensorLoader(acts["val"], torch.as_tensor(data.val_ds.y), data.bs))
