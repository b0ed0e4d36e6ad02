"""ConvLearner: a pretrained backbone + the lesson's head, with precompute, freezing, save/load, set_data."""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import distributed
from .inference import predict_image, run_batches, tta
from .checkpoint import FORMAT, VERSION, CheckpointError, atomic_save, read_checkpoint, work_folder
from .learner import Learner
from .metrics import accuracy, accuracy_thresh
from .models import (N_POOL, ConvNet, arch_name, arch_stats, build_backbone, cacheable, check_head, cut_body, head_widths,
                     layer_groups, make_head)
from .precompute import ActivationCache, act_loaders, shown_path
from .lang import say


_ANNOUNCED: set[Path] = set()  # read-only data folders whose replacement was already named


def warn_stats(arch: str, data) -> None:
    """Warn when the data is normalised with other statistics than the ones the backbone was trained with."""
    want, got = arch_stats(arch), data.tfms[1].stats
    if not np.allclose(np.asarray(want, dtype=float), np.asarray(got, dtype=float), atol=1e-3):
        # e.g. tfms_from_model('resnet34', ...) with an efficientnet_lite0 learner: every input is shifted
        warnings.warn(f"The data is normalised with mean/std {np.round(got, 3).tolist()}, but {arch} expects "
                      f"{np.round(want, 3).tolist()}; the pretrained features will be off. Build the transforms "
                      f"with tfms_from_model({arch!r}, sz).", stacklevel=3)


class ConvLearner(Learner):
    """A Learner for image classification with a pretrained convolutional body and a new head."""

    def __init__(self, data, arch: str, model: ConvNet, precompute: bool = False,
                 model_dir: str | os.PathLike = "models", **kw):
        self.arch = arch
        self.model_dir = Path(model_dir)
        loss = F.binary_cross_entropy_with_logits if data.is_multi else F.cross_entropy
        kw.setdefault("metrics", [accuracy_thresh(0.5)] if data.is_multi else [accuracy])
        groups = layer_groups(arch, model.body, model.head)
        warn_stats(arch, data)
        super().__init__(model, data, loss, groups, **kw)
        self.acts = ActivationCache()
        self._set_paths(data)
        self._precompute = False
        self.freeze()
        self.precompute = precompute

    @classmethod
    def pretrained(cls, arch, data, ps=None, xtra_fc=None, precompute: bool = False, pretrained: bool = True,
                   custom_head: nn.Module | None = None, **kw) -> "ConvLearner":
        """The lesson's learner: `arch` (e.g. resnet34 or 'resnet_mini') cut before pooling, new head, head-only training.

        `custom_head` replaces the lesson's head (concat pool, BatchNorm, dropout, two linear layers) with any
        module that maps the body's (N, channels, H, W) output to (N, classes). `model_dir` is where `save`
        writes, relative to the data folder (default `models`) or absolute, as fastai's.
        """
        name = arch_name(arch)
        full = build_backbone(name, pretrained=pretrained)
        body, nf = cut_body(name, full)
        if custom_head is not None:
            if ps is not None or xtra_fc is not None:
                raise ValueError("ps and xtra_fc shape the lesson's head; with custom_head, put the dropout and "
                                 "layers in your own module instead.")
            head = check_head(custom_head, nf, data.c)
        else:
            head = make_head(nf, data.c, ps, xtra_fc)
        return cls(data, name, ConvNet(body, head), precompute=precompute, **kw)

    # ------------------------------------------------------------------ precompute
    @property
    def precompute(self) -> bool:
        """True: train the head on cached body activations (fast; augmentation has no effect)."""
        return self._precompute

    @precompute.setter
    def precompute(self, on: bool) -> None:
        on = bool(on)
        if on and self.frozen_to < len(self.groups) - 1:
            raise ValueError("precompute=True needs a frozen body (cached activations of a body that is "
                             "still training would go stale); call learn.freeze() first.")
        if on and not cacheable(self.model.head):
            raise ValueError("precompute=True caches the head's pooled input, so the head must start with a "
                             "pooling layer and nn.Flatten() (e.g. nn.AdaptiveAvgPool2d(1), nn.Flatten(), ...); "
                             "this custom head does not. Train it with precompute=False.")
        self._precompute = on

    @property
    def fit_model(self) -> nn.Module:
        if not self._precompute:
            return self.model
        # slicing builds a new Sequential (about 40 us), and every batch asks: keep the slice while the head
        # holds the same layers (it holds them, so their ids cannot be reused by other layers meanwhile)
        key = tuple(map(id, self.model.head))
        if getattr(self, "_tail_key", None) != key:
            self._tail, self._tail_key = self.model.head[N_POOL:], key
        return self._tail

    def loaders(self):
        if not self._precompute:
            return self.data.trn_dl, self.data.val_dl
        if not self.quiet:
            print(say("learner.precompute_note"))
        return act_loaders(self.acts.get(self), self.data)

    def unfreeze(self) -> None:
        """Train every layer group; precompute is switched off (the body's activations will change)."""
        self._precompute = False
        super().unfreeze()

    def freeze_to(self, n: int) -> None:
        """Train groups n.. only (earlier groups take no gradient and keep BatchNorm statistics)."""
        super().freeze_to(n)
        if self.frozen_to < len(self.groups) - 1:
            self._precompute = False

    def set_data(self, data) -> None:
        """Swap in new data (e.g. a larger size), keep the weights, freeze the body again."""
        if list(data.classes) != list(self.data.classes):
            raise ValueError(f"set_data: the new data has other classes ({data.classes[:5]}...) than the model "
                             f"({self.data.classes[:5]}...).")
        warn_stats(self.arch, data)
        self.data = data
        self._set_paths(data)
        self.freeze()

    def _set_paths(self, data) -> None:
        """models_path (checkpoints) and work_path (the precompute cache): beside the data, unless that is
        read-only (see checkpoint.work_folder); an absolute model_dir is used as it is."""
        self.work_path = work_folder(data.path)
        if self.work_path != Path(data.path) and self.work_path not in _ANNOUNCED:
            _ANNOUNCED.add(self.work_path)  # once a session: a notebook builds several learners on one folder
            print(say("learner.read_only", data=shown_path(data.path), work=shown_path(self.work_path)))
        self.models_path = self.work_path / self.model_dir  # an absolute model_dir replaces the left side

    # ------------------------------------------------------------------ save / load
    def _ck_path(self, name: str | os.PathLike) -> Path:
        name = str(name)
        if not name.strip():
            raise ValueError("A checkpoint needs a name, e.g. learn.save('224_all').")
        return self.models_path / (name if name.endswith(".pt") else f"{name}.pt")

    def _find_checkpoint(self, name: str | os.PathLike) -> Path:
        """`name` in the models folder, else a path as given (absolute, or relative to the working folder)."""
        fn = self._ck_path(name)
        given = Path(name)
        if not fn.is_file() and (given.is_absolute() or given.is_file()):
            return given
        if not fn.is_file() and given.parts[:1] == (self.models_path.name,):  # load('models/x'): the folder twice
            fn = self._ck_path(self.models_path.parent / name)
        if not fn.is_file() and (self.models_path / name).is_file():  # a file saved elsewhere: 'x.pth'
            fn = self.models_path / name
        if not fn.is_file():
            folder = self.models_path
            near = sorted(p.stem for p in folder.glob("*.pt")) if folder.is_dir() else []
            others = sorted(p.name for p in folder.iterdir() if p.is_file() and p.suffix in FOREIGN) \
                if folder.is_dir() else []
            # fastai 0.7 saved models/<name>.h5: a state dict of its own model, whose names match nothing here
            note = (f" The folder also holds {others[:5]}, saved by another program: pass the full file name to "
                    f"load a PyTorch state dict of this model." + (" The .h5 files are fastai 0.7 checkpoints, "
                    "made for fastai's own model, which this one cannot load: train again with the lesson's "
                    "steps." if any(o.endswith(".h5") for o in others) else "")) if others else ""
            raise FileNotFoundError(f"No checkpoint {name!r}: looked for {fn}. Saved models in {folder}: "
                                    f"{near or 'none'}.{note}")
        return fn

    def save(self, name: str) -> Path:
        """Write weights + arch, classes, size and frozen state to `<data path>/models/<name>.pt`, atomically."""
        fn = self._ck_path(name)
        if not distributed.is_main():  # in a distributed run rank 0 writes; the others have the same weights
            return fn
        ck = {"format": FORMAT, "version": VERSION, "arch": self.arch, "classes": list(self.data.classes),
              "sz": int(self.data.sz), "frozen_to": int(self.frozen_to), "is_multi": bool(self.data.is_multi),
              "head": head_widths(self.model.head),
              "model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()}}
        return atomic_save(ck, fn)

    def load(self, name: str) -> "ConvLearner":
        """Load a checkpoint saved by `save`; refuses one made for another arch, other classes or another head."""
        fn = self._find_checkpoint(name)
        ck = read_checkpoint(fn)
        if ck.get("format") != FORMAT:
            # a training script's {'model': state_dict, 'epoch': ...} (or 'state_dict'): the weights are inside
            inner = next((ck[k] for k in ("model", "state_dict", "model_state_dict") if is_state(ck.get(k))), None)
            ck = inner if inner is not None else ck
            if is_state(ck):
                # torch.save(learn.model.state_dict()): loadable when it fits, but nothing says what it was for
                self._load_state(ck, fn, {})
                warnings.warn(f"{fn} is a plain state dict, not a course_lib checkpoint: it fits this model and "
                              f"was loaded, but its classes could not be checked (learn.save records them).",
                              stacklevel=2)
                self.opt = None
                return self
            raise CheckpointError(f"{fn} is not a course_lib checkpoint (keys: {sorted(ck)[:6]}).")
        if ck.get("version", 1) > VERSION:
            raise CheckpointError(f"{fn} was written by a newer course_lib (checkpoint version {ck['version']}; "
                                  f"this one reads up to {VERSION}). Upgrade course_lib to load it.")
        if ck["arch"] != self.arch:
            raise CheckpointError(f"{fn} was saved from a {ck['arch']} model; this learner is a {self.arch}. "
                                  f"Create the learner with ConvLearner.pretrained({ck['arch']!r}, data).")
        if list(ck["classes"]) != list(self.data.classes):
            a, b = list(ck["classes"]), list(self.data.classes)
            raise CheckpointError(f"{fn} was trained on {len(a)} classes {a[:5]}...; this data has {len(b)} "
                                  f"classes {b[:5]}.... Load it with data that has the same classes.")
        self._load_state(ck["model"], fn, ck)
        self.freeze_to(ck.get("frozen_to", len(self.groups) - 1))
        self.opt = None  # momentum from another run does not belong to these weights
        return self

    def _load_state(self, state: dict, fn: Path, ck: dict) -> None:
        """load_state_dict with an error that lists what differs, instead of torch's page of key names."""
        own = self.model.state_dict()
        state = unwrapped(state, own)
        only_file = [k for k in state if k not in own]
        only_model = [k for k in own if k not in state]
        shapes = [f"{k}: {tuple(state[k].shape)} in the file, {tuple(own[k].shape)} here" for k in own
                  if k in state and state[k].shape != own[k].shape]
        if only_file or only_model or shapes:
            parts = [f"{len(only_file)} tensor(s) only in the file (first: {only_file[0]})" if only_file else "",
                     f"{len(only_model)} only in this model (first: {only_model[0]})" if only_model else "",
                     f"{len(shapes)} of another shape (first: {shapes[0]})" if shapes else ""]
            saved = ck.get("head")
            hint = (f" It was saved with a head whose hidden layers are {saved} (xtra_fc={saved}); this learner's "
                    f"are {head_widths(self.model.head)}. Build the learner with the same ps/xtra_fc/custom_head."
                    if saved is not None else " Build the learner with the head the file was saved with.")
            raise CheckpointError(f"{fn} does not fit this model: " + "; ".join(p for p in parts if p) + "." + hint)
        self.model.load_state_dict(state)

    # ------------------------------------------------------------------ predictions
    def predict_dl(self, dl) -> tuple[np.ndarray, np.ndarray | None]:
        """(log-probabilities or sigmoid outputs, labels) over a loader, through the whole model."""
        out, y = run_batches(self, dl)
        return out.numpy(), (y.numpy() if y is not None else None)

    def predict(self, is_test: bool = False) -> np.ndarray:
        """Log-probabilities (N, C) for the validation set (or the test set), with validation transforms."""
        dl = self.data.test_dl if is_test else self.data.val_dl
        if dl is None:
            raise ValueError("This data has no test set: pass test_name=... when building it.")
        return self.predict_dl(dl)[0]

    def predict_array(self, x) -> np.ndarray:
        """Log-probabilities for a batch of already-transformed images (N, 3, sz, sz)."""
        return run_batches(self, [(torch.as_tensor(x), None)], num_workers=0)[0].numpy()

    def predict_image(self, fn, thresh: float = 0.5):
        """(class name, probabilities) for one image file or PIL image, with the validation transforms."""
        return predict_image(self, fn, thresh)

    def TTA(self, n_aug: int = 4, is_test: bool = False, **kw):
        """Test-time augmentation: (log_preds (1+n_aug, N, C), y) as in the lesson; see course_lib.inference."""
        return tta(self, n_aug=n_aug, is_test=is_test, **kw)

    def __repr__(self) -> str:
        lines = [f"ConvLearner({self.arch}, {self.data.c} classes, sz={self.data.sz}, precompute={self.precompute}, "
                 f"device={self.device}, precision={self.precision})", say("learner.groups")]
        for k, g in enumerate(self.groups):
            n = sum(p.numel() for p in g.parameters())
            state = say("learner.frozen" if k < self.frozen_to else "learner.trainable")
            lines.append(f"  {k}: {g.group_name:<32} {n:>10,} {say('learner.params')}  {state}")
        return "\n".join(lines)


FOREIGN = frozenset({".h5", ".pth", ".pkl", ".bin", ".ckpt", ".tar"})  # model files other programs write


def is_state(obj) -> bool:
    """Whether `obj` is a non-empty dict of tensors (a state dict)."""
    return isinstance(obj, dict) and bool(obj) and all(isinstance(v, torch.Tensor) for v in obj.values())


def unwrapped(state: dict, own: dict) -> dict:
    """`state` without the key prefix of a wrapper, when every key has it and the rest fits `own`.

    DistributedDataParallel and DataParallel save `module.<name>`, torch.compile saves `_orig_mod.<name>`.
    """
    for prefix in ("module.", "_orig_mod."):
        if all(k.startswith(prefix) for k in state) and not any(k.startswith(prefix) for k in own):
            return unwrapped({k[len(prefix):]: v for k, v in state.items()}, own)  # compiled inside DDP: both
    return state
