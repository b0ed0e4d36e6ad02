"""The training loop: a Learner that calls ordered callbacks at each event (before_/after_ fit, epoch, batch)."""
from __future__ import annotations

import copy
import math
from typing import Callable, Iterable, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import distributed
from .callback import (Callback, CancelBatchException, CancelEpochException, CancelFitException,  # noqa: F401
                       frame)
from .callbacks import (DistributedCallback, LossGuard, LRFinder, ParamScheduler, ProgressCallback, Recorder,
                        SaveCallback)
from .devices import amp_dtype, default_device, nhwc, resolve_device, to_device
from .images import BadImageError
from .metrics import accuracy
from .precision import Precision
from .schedules import check_cycles, find_lrs
from .threads import CpuShare
from .lang import say


class OutOfMemory(RuntimeError):
    """The batch did not fit in memory; the message suggests a batch size that may."""


class NoBatchError(ValueError):
    """The training loader gives no batch to train on; the message has the counts and the fix."""


def _is_oom(e: BaseException) -> bool:
    msg = str(e)
    return isinstance(e, torch.OutOfMemoryError) or (
        isinstance(e, RuntimeError) and ("out of memory" in msg or "can't allocate memory" in msg))


def _no_batch_message(dl, bs: int | None) -> str:
    """Why a training loader has no batch, with the counts and the fix."""
    n = len(dl.dataset) if hasattr(dl, "dataset") else len(dl.x)  # a DataLoader, or precompute's TensorLoader
    if n == 0:
        return "The training set is empty: there is nothing to train on. Put images in the training folder."
    return (f"The training set gives no full batch: {n} image with bs={bs}, and a last batch of a single image "
            f"is dropped (BatchNorm cannot train on one image). Add training images (at least 2).")


def _lrs_per_group(lrs, groups: Sequence, what: str = "lr") -> np.ndarray:
    """Broadcast a scalar to every layer group, or check an array has one value per group."""
    a = np.atleast_1d(np.asarray(lrs, dtype=np.float64))
    if not np.isfinite(a).all() or (a < 0).any():
        # a negative lr climbs the loss instead of descending it, and a nan one fails only after a batch
        raise ValueError(f"{what} must be finite and at least 0; got {lrs!r}.")
    if a.size == 1:
        return np.repeat(a, len(groups))
    if a.size != len(groups):
        names = ", ".join(f"{k}: {getattr(g, 'group_name', k)}" for k, g in enumerate(groups))
        raise ValueError(f"{what} has {a.size} values but the model has {len(groups)} layer groups ({names}); "
                         f"give one {what} or one per group.")
    return a


class Learner:
    """Model + data + optimiser + callbacks; `fit` runs epochs of training and validation."""

    def __init__(self, model: nn.Module, data, loss_func: Callable | None = None, groups: list[nn.Module] | None = None,
                 metrics: Sequence[Callable] | None = None, cbs: Iterable[Callback] = (),
                 device: str | torch.device | None = None, momentum: float = 0.9, amp: bool | None = None):
        self.device = resolve_device(device) if device is not None else default_device()
        self.model, self.data = model.to(self.device), data
        if nhwc(self.device):
            self.model = self.model.to(memory_format=torch.channels_last)  # tensor cores and oneDNN prefer NHWC
        # mixed precision: None decides by the hardware (CUDA; CPUs with native bf16), see devices.amp_dtype
        self.amp = amp
        # None: gradients are scaled exactly when autocast is fp16 (see precision.Precision); True forces it
        self.scaler: bool | None = None
        self.mp = Precision(self.device, amp)  # made again at the start of every fit and lr_find
        self.loss_func = loss_func or F.cross_entropy
        self.groups = groups if groups is not None else [model]
        self.metrics = list(metrics) if metrics is not None else [accuracy]
        self.momentum = momentum
        self.cbs: list[Callback] = []
        self._sorted: list[Callback] = []
        self.opt: torch.optim.Optimizer | None = None
        self.hist_rows: list[dict] = []  # one dict per finished epoch, all fits; see `history`
        self.n_fit, self.training = 0, False
        self.frozen_to = 0
        self.bn_frozen = False  # bn_freeze(True): every BatchNorm keeps its running statistics while training
        self.wrapped: nn.Module | None = None  # the DDP wrapper of fit_model while a distributed fit trains
        self.quiet = False  # True: no epoch table, bars or notes (ranks > 0 of a distributed run; repeated runs)
        self.last_val: list[float] = []
        self.sched = None  # the Recorder of the last fit or lr_find: learn.sched.plot_lr() etc.
        self.cpu_costs: dict = {}  # the model's step time per state, measured by threads.Share on the CPU
        self.add_cbs(cbs)

    @property
    def history(self):
        """Every epoch of every fit as a DataFrame: the epoch table's columns, `fit` (which fit) and `trn_mean`
        (the mean of that epoch's training batch losses, beside the table's running average `trn_loss`)."""
        return frame(self.hist_rows)

    # ------------------------------------------------------------------ callbacks
    @property
    def precision(self) -> str:
        """What fit and predict compute in here: 'bf16 autocast', 'fp16 autocast' or 'fp32'."""
        names = {torch.bfloat16: "bf16 autocast", torch.float16: "fp16 autocast"}
        return names.get(self.amp_dtype, "fp32")

    @property
    def amp_dtype(self) -> torch.dtype | None:
        """The autocast dtype fit and predict use here (None: fp32), from `amp` and the hardware."""
        return amp_dtype(self.device, self.amp)

    def add_cbs(self, cbs: Iterable[Callback]) -> None:
        """Attach callbacks (each gets `.learn`)."""
        for cb in cbs:
            cb.learn = self
            self.cbs.append(cb)
        self._sorted = sorted(self.cbs, key=lambda c: c.order)

    def remove_cbs(self, cbs: Iterable[Callback]) -> None:
        """Detach callbacks."""
        for cb in cbs:
            if cb in self.cbs:
                self.cbs.remove(cb)
        self._sorted = sorted(self.cbs, key=lambda c: c.order)

    def __call__(self, event: str) -> None:
        for cb in self._sorted:
            f = getattr(cb, event, None)
            if f is not None:
                f()

    def cleanup(self, event: str) -> None:
        """Run every callback's `event` even if one raises (each must close what it opened); then re-raise."""
        err = None
        for cb in self._sorted:
            f = getattr(cb, event, None)
            if f is None:
                continue
            try:
                f()
            except BaseException as e:  # noqa: BLE001 - the others still clean up, then the first error surfaces
                err = err or e
        if err is not None:
            raise err

    def _cb_method(self, name: str):
        """The first callback's replacement for one of the learner's steps (`backward`, `step`)."""
        return next((getattr(cb, name) for cb in self._sorted if hasattr(cb, name)), None)

    def _with_events(self, f: Callable[[], None], name: str, cancel: type[Exception]) -> bool:
        """before_<name>, f(), after_<name>; after_cancel_<name> on a cancel; cleanup_<name> on every way out.

        Returns False when a callback cancelled it."""
        try:
            self(f"before_{name}")
            f()
            self(f"after_{name}")
            return True
        except cancel:
            self(f"after_cancel_{name}")
            return False
        finally:
            self.cleanup(f"cleanup_{name}")

    def default_cbs(self) -> list[Callback]:
        """The callbacks every `fit` runs with (override to change them); `fit(cbs=...)` adds to them."""
        cbs = [CpuShare(), LossGuard(), Recorder(), ParamScheduler(), ProgressCallback()]
        return [DistributedCallback()] + cbs if distributed.active() else cbs

    # ------------------------------------------------------------------ what fit trains on
    @property
    def fit_model(self) -> nn.Module:
        """The module a batch goes through (subclasses may train a part on cached inputs)."""
        return self.model

    def loaders(self):
        """(train, valid) loaders for this fit."""
        return self.data.trn_dl, self.data.val_dl

    # ------------------------------------------------------------------ optimiser and freezing
    def get_opt(self) -> torch.optim.Optimizer:
        """SGD with momentum, one parameter group per layer group (frozen ones simply get no gradient)."""
        if self.opt is None:
            pgs = [{"params": [p for p in g.parameters()], "lr": 0.0, "weight_decay": 0.0} for g in self.groups]
            self.opt = torch.optim.SGD(pgs, lr=0.0, momentum=self.momentum)
        return self.opt

    def set_lrs(self, lrs: np.ndarray) -> None:
        """Set every group's learning rate."""
        for pg, lr in zip(self.get_opt().param_groups, lrs):
            pg["lr"] = float(lr)

    def freeze_to(self, n: int) -> None:
        """Train groups n.. only; earlier groups take no gradient and keep BatchNorm statistics fixed."""
        k = len(self.groups)
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not -k <= n < k:
            raise ValueError(f"freeze_to({n!r}): this model has {k} layer groups, so give a group number from 0 "
                             f"(train everything) to {k - 1} (the head only), or -1 for the head only.")
        n = n % k if n < 0 else int(n)
        for k, g in enumerate(self.groups):
            for p in g.parameters():
                p.requires_grad_(k >= n)
        self.frozen_to = n

    def unfreeze_to(self, n: int) -> None:
        """The lesson text's name for `freeze_to(n)`: train layer groups n.. only (fastai 0.7 had freeze_to)."""
        self.freeze_to(n)

    def freeze(self) -> None:
        """Train the head only."""
        self.freeze_to(-1)

    def unfreeze(self) -> None:
        """Train every layer group."""
        self.freeze_to(0)

    def bn_freeze(self, do_freeze: bool = True) -> None:
        """fastai 0.7's bn_freeze: while training, every BatchNorm layer normalises with its running statistics and
        keeps them (eval mode), while its scale and shift still train: on a small data set the batches' statistics
        would otherwise replace the pretrained ones under a head that learnt on features normalised by those."""
        self.bn_frozen = bool(do_freeze)

    def set_train_mode(self) -> None:
        """model.train(), but BatchNorm layers of frozen groups (of every group after bn_freeze) stay in eval
        mode (running stats untouched)."""
        self.fit_model.train()
        for g in self.groups if self.bn_frozen else self.groups[:self.frozen_to]:
            for m in g.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()

    # ------------------------------------------------------------------ one batch, one epoch
    def backward(self) -> None:
        """loss.backward() through the precision owner (scaled, then unscaled), or a callback's replacement."""
        f = self._cb_method("backward")
        f() if f is not None else self.mp.backward(self.loss, self.opt)

    def step(self) -> None:
        """One optimiser step through the precision owner, or a callback's replacement (never while scaling)."""
        f = self._cb_method("step")
        f() if f is not None else self.mp.step(self.opt)

    def one_batch(self) -> None:
        """Forward, loss and (when training) backward and step for the batch in self.xb, self.yb (on the device;
        `before_batch` has run, from _with_events)."""
        # a `with`, not a pair of events: whatever raises inside (the loss guard, Ctrl-C), autocast is closed
        with self.mp.autocast(self.fit_model, self.xb):
            self.pred = (self.wrapped or self.fit_model)(self.xb)
            self("after_pred")
            self.loss = self.loss_func(self.pred, self.yb)
        self("after_loss")
        if not self.training:
            return
        self("before_backward")
        self.backward()
        self("after_backward")
        self.step()
        self("after_step")
        self.opt.zero_grad(set_to_none=True)

    def _run_batches(self, dl) -> int:
        """Every batch of `dl` through one_batch (training stops at n_iter); returns how many held no image."""
        self.n_batch, self.i_batch, empty = len(dl), -1, 0
        try:
            for self.i_batch, b in enumerate(dl):
                if self.training and self.iter >= self.n_iter:
                    break
                if b is None:  # every image of this batch was unreadable and skipped (skip_bad_images)
                    empty += 1
                    continue
                # on the device before `before_batch`, so callbacks see the batch the model will (once each)
                self.xb, self.yb = to_device(b[0], self.device), to_device(b[1], self.device)
                if self._with_events(self.one_batch, "batch", CancelBatchException):
                    self.iter += self.training  # a cancelled batch is no step of the schedule or the sweep
        except BadImageError as e:
            # raised while loading the next batch: nothing of it reached the model
            where = "training" if self.training else "validation"
            raise BadImageError(f"{e} [{where}, epoch {getattr(self, 'epoch', 0)}, batch {self.i_batch + 2} of "
                                f"{self.n_batch}; the weights are those after the previous batch]") from e
        return empty

    def _train(self) -> None:
        self.training = True
        self.set_train_mode()
        if self._run_batches(self.trn_dl) == self.n_batch:
            raise NoBatchError(f"Every batch of the training set was skipped in epoch {self.epoch}: none of its "
                               f"{self.n_batch} batches held a readable image (skip_bad_images=True). "
                               f"course_lib.verify_images(path) lists the unreadable files.")

    def _validate(self) -> None:
        self.training = False
        self.fit_model.eval()
        with torch.inference_mode():
            self._run_batches(self.val_dl)

    def _do_epoch(self) -> None:
        self._with_events(self._train, "train", CancelEpochException)
        if self.do_valid:
            self._with_events(self._validate, "validate", CancelEpochException)

    def _do_fit(self) -> None:
        for self.epoch in range(self.n_epoch):
            if self.iter >= self.n_iter:
                break
            self._with_events(self._do_epoch, "epoch", CancelEpochException)

    def _run(self, cbs: list[Callback], n_iter: int | None, n_epoch: int | None, valid: bool = True) -> None:
        """The one loop behind `fit` and `lr_find`: `n_iter` training batches (None: whole epochs) over at most
        `n_epoch` epochs, validating after each when `valid`; `cbs` are attached for this run only."""
        self.trn_dl, self.val_dl = self.loaders()
        n_batch = len(self.trn_dl)
        if n_batch == 0:
            raise NoBatchError(_no_batch_message(self.trn_dl, getattr(self.data, "bs", None)))
        self.n_iter = n_batch * n_epoch if n_iter is None else n_iter
        self.n_epoch = n_epoch if n_epoch is not None else math.ceil(self.n_iter / n_batch)
        if valid and len(self.val_dl) == 0 and not self.quiet:
            print(say("learner.no_validation"))
        self.iter, self.epoch, self.i_batch = 0, 0, -1
        self.do_valid = valid and len(self.val_dl) > 0
        self.n_fit += 1
        self.add_cbs(cbs)
        self.mp = Precision(self.device, self.amp, self.scaler, note=not self.quiet)
        try:
            self._check_replacements()
            self._with_events(self._do_fit, "fit", CancelFitException)
        except RuntimeError as e:
            if not _is_oom(e):
                raise
            raise OutOfMemory(self._oom_message()) from e
        except KeyboardInterrupt:
            print(f"Interrupted during epoch {self.epoch} (batch {self.i_batch}); "
                  f"weights are those after the last finished batch.")
            raise
        finally:
            # leave a usable learner: no half-accumulated gradients, no callbacks of this run left behind
            if self.opt is not None:
                self.opt.zero_grad(set_to_none=True)
            self.training = False
            self.mp.close()
            self.remove_cbs(cbs)

    def _check_replacements(self) -> None:
        """A callback's `backward` or `step` would bypass the scaler: while gradients are scaled, refuse it."""
        if not self.mp.scaling:
            return
        for name in ("backward", "step"):
            cb = next((cb for cb in self._sorted if hasattr(cb, name)), None)
            if cb is not None:
                raise ValueError(
                    f"{type(cb).__name__} defines {name}(), which would replace the learner's own while gradients "
                    f"are scaled (fp16 autocast with a GradScaler): the optimiser would step on scaled gradients. "
                    f"Change gradients in after_backward instead (they are unscaled there), or train in bf16/fp32.")

    def _oom_message(self) -> str:
        bs = getattr(self.data, "bs", None)
        if self.device.type == "cuda":
            torch.cuda.empty_cache()  # give back what the failed batch held before the user retries
        hint = (f"rebuild the data with a smaller batch size, e.g. bs={max(1, bs // 2)} (now {bs}), "
                f"or a smaller image size" if bs else "use a smaller batch or image size")
        return (f"Out of memory on {self.device} at epoch {self.epoch}, batch {self.i_batch}: {hint}. "
                f"The weights are those after the last finished batch.")

    # ------------------------------------------------------------------ fit
    def fit(self, lrs, n_cycle: int, wds=None, cycle_len: float | None = None, cycle_mult: float = 1,
            cycle_save_name: str | None = None, best_save_name: str | None = None,
            metrics: Sequence[Callable] | None = None, cbs: Iterable[Callback] = ()) -> list[float]:
        """Train for `n_cycle` epochs at constant lr, or `n_cycle` SGDR cycles when `cycle_len` is given.

        Returns [val_loss, *metrics] of the last epoch.
        """
        n_epoch = check_cycles(n_cycle, cycle_len, cycle_mult)
        self.lrs = _lrs_per_group(lrs, self.groups, "lr")
        self.wds = _lrs_per_group(0.0 if wds is None else wds, self.groups, "wds")
        if metrics is not None:
            self.metrics = list(metrics)
        self.sched_args = dict(n_cycle=n_cycle, cycle_len=cycle_len, cycle_mult=cycle_mult)
        self.last_val = []  # never hand back an earlier fit's figures
        for pg, wd in zip(self.get_opt().param_groups, self.wds):
            pg["weight_decay"] = float(wd)
        extra = self.default_cbs()
        if cycle_save_name or best_save_name:
            extra.append(SaveCallback(cycle_save_name, best_save_name))
        self._run(extra + list(cbs), None, n_epoch)
        return self.last_val

    # ------------------------------------------------------------------ lr_find
    def finder_cbs(self, finder: LRFinder) -> list[Callback]:
        """The callbacks every `lr_find` runs with, around its `finder` (override to change them, as `default_cbs`)."""
        cbs = [CpuShare(), finder, ProgressCallback(desc="lr_find")]
        return [DistributedCallback()] + cbs if distributed.active() else cbs

    def lr_find(self, start_lr: float = 1e-5, end_lr: float = 10, wds=None, linear: bool = False,
                num_it: int = 100, stop_div: bool = True, cbs: Iterable[Callback] = ()):
        """Train briefly with a growing lr and record the loss; everything is restored afterwards.

        The sweep runs `num_it` batches (cycling the training set if it is shorter), stopping early once
        the smoothed loss is NaN or above 4x its best. `learn.sched.plot()` shows it with the suggestion.
        `cbs` are added to `finder_cbs()` for this sweep, as `fit(cbs=...)` adds to `default_cbs()`.
        """
        start = _lrs_per_group(start_lr, self.groups, "lr_find's start_lr")
        end = _lrs_per_group(end_lr, self.groups, "lr_find's end_lr")
        wds = _lrs_per_group(0.0 if wds is None else wds, self.groups, "wds")
        finder = LRFinder(np.stack([find_lrs(s, e, num_it, linear) for s, e in zip(start, end)], 1), stop_div)
        cbs = self.finder_cbs(finder) + list(cbs)
        saved, opt_existed = self.state(), self.opt is not None
        modes = {m: m.training for m in self.model.modules()}
        try:
            for pg, wd in zip(self.get_opt().param_groups, wds):
                pg["weight_decay"] = float(wd)
            self.lrs = start
            # no validation; epochs repeat until num_it batches ran (each runs at least one or raises)
            self._run(cbs, num_it, num_it, valid=False)
        finally:
            # put back weights, BatchNorm statistics, optimiser state and train/eval flags exactly
            self.restore(saved)
            if not opt_existed:
                self.opt = None
            for m, mode in modes.items():
                m.training = mode
        self.sched = finder
        return finder

    # ------------------------------------------------------------------ state helpers
    def state(self) -> dict:
        """Deep copy of model and optimiser state (used to restore after lr_find and interruptions)."""
        return {"model": copy.deepcopy(self.model.state_dict()),
                "opt": copy.deepcopy(self.opt.state_dict()) if self.opt is not None else None}

    def restore(self, state: dict) -> None:
        """Put back what `state()` saved."""
        self.model.load_state_dict(state["model"])
        if state["opt"] is not None:
            self.get_opt().load_state_dict(state["opt"])
        elif self.opt is not None:
            self.opt = None
