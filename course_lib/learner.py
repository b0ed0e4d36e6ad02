"""The training loop: a Learner that calls ordered callbacks at each event (before_/after_ fit, epoch, batch)."""
from __future__ import annotations

import copy
from typing import Callable, Iterable, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .images import BadImageError
from .devices import amp_dtype, compute_threads, cpu_threads, default_device, nhwc, to_device
from .metrics import accuracy


class CancelFitException(Exception):
    """Raised by a callback to end `fit` early; the Learner stays usable."""


class CancelEpochException(Exception):
    """Raised by a callback to skip the rest of an epoch."""


class CancelBatchException(Exception):
    """Raised by a callback to skip the rest of a batch."""


class OutOfMemory(RuntimeError):
    """The batch did not fit in memory; the message suggests a batch size that may."""


def _is_oom(e: BaseException) -> bool:
    msg = str(e)
    return isinstance(e, torch.OutOfMemoryError) or (
        isinstance(e, RuntimeError) and ("out of memory" in msg or "can't allocate memory" in msg))


class Callback:
    """Base class: override any event method; `order` sorts callbacks (lower runs first)."""
    order = 0
    learn: "Learner"

    def __repr__(self) -> str:
        return type(self).__name__


def _lrs_per_group(lrs, groups: Sequence, what: str = "lr") -> np.ndarray:
    """Broadcast a scalar to every layer group, or check an array has one value per group."""
    a = np.atleast_1d(np.asarray(lrs, dtype=np.float64))
    if a.size == 1:
        return np.repeat(a, len(groups))
    if a.size != len(groups):
        names = ", ".join(f"{k}: {getattr(g, 'group_name', k)}" for k, g in enumerate(groups))
        raise ValueError(f"{what} has {a.size} values but the model has {len(groups)} layer groups ({names}); "
                         f"give one {what} or one per group.")
    return a


def frame(rows: list[dict]):
    """rows -> pandas DataFrame; pandas is imported here, on first use, not when course_lib is imported."""
    import pandas as pd  # ~30 MB and ~0.5 s that a run which never looks at a table need not pay
    return pd.DataFrame(rows)


class Learner:
    """Model + data + optimiser + callbacks; `fit` runs epochs of training and validation."""

    def __init__(self, model: nn.Module, data, loss_func: Callable | None = None, groups: list[nn.Module] | None = None,
                 metrics: Sequence[Callable] | None = None, cbs: Iterable[Callback] = (),
                 device: str | torch.device | None = None, momentum: float = 0.9, amp: bool | None = None):
        self.device = torch.device(device) if device is not None else default_device()
        self.model, self.data = model.to(self.device), data
        if nhwc(self.device):
            self.model = self.model.to(memory_format=torch.channels_last)  # tensor cores and oneDNN prefer NHWC
        # mixed precision: None decides by the hardware (CUDA; CPUs with native bf16), see devices.amp_dtype
        self.amp = amp
        self.loss_func = loss_func or F.cross_entropy
        self.groups = groups if groups is not None else [model]
        self.metrics = list(metrics) if metrics is not None else [accuracy]
        self.momentum = momentum
        self.cbs: list[Callback] = []
        self.opt: torch.optim.Optimizer | None = None
        self.hist_rows: list[dict] = []  # one dict per finished epoch, all fits; see `history`
        self.n_fit, self.training = 0, False
        self.frozen_to = 0
        self.wrapped: nn.Module | None = None  # the DDP wrapper of fit_model while a distributed fit runs
        self.quiet = False  # ranks > 0 of a distributed run print nothing
        self.last_val: list[float] = []
        self.sched = None  # the Recorder of the last fit or lr_find: learn.sched.plot_lr() etc.
        self.add_cbs(cbs)

    @property
    def history(self):
        """Every epoch of every fit as a DataFrame (a `fit` column numbers the fits)."""
        return frame(self.hist_rows)

    # ------------------------------------------------------------------ callbacks
    @property
    def precision(self) -> str:
        """What fit and predict compute in here: 'bf16 autocast', 'fp16 autocast' or 'fp32'."""
        names = {torch.bfloat16: "bf16 autocast", torch.float16: "fp16 autocast"}
        return names.get(amp_dtype(self.device, self.amp), "fp32")

    def add_cbs(self, cbs: Iterable[Callback]) -> None:
        """Attach callbacks (each gets `.learn`)."""
        for cb in cbs:
            cb.learn = self
            self.cbs.append(cb)

    def remove_cbs(self, cbs: Iterable[Callback]) -> None:
        """Detach callbacks."""
        for cb in cbs:
            if cb in self.cbs:
                self.cbs.remove(cb)

    def __call__(self, event: str) -> None:
        for cb in sorted(self.cbs, key=lambda c: c.order):
            f = getattr(cb, event, None)
            if f is not None:
                f()

    # ------------------------------------------------------------------ what fit trains on
    @property
    def fit_model(self) -> nn.Module:
        """The module a batch goes through (subclasses may train a part on cached inputs)."""
        return self.model

    def loaders(self):
        """(train, valid) loaders for this fit."""
        return self.data.trn_dl, self.data.val_dl

    def threads(self) -> int | None:
        """CPU threads for this fit (see devices.compute_threads); None leaves PyTorch's setting alone."""
        return compute_threads(self.device, getattr(self.data, "num_workers", 0))

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
        n = n % len(self.groups) if n < 0 else n
        for k, g in enumerate(self.groups):
            for p in g.parameters():
                p.requires_grad_(k >= n)
        self.frozen_to = n

    def freeze(self) -> None:
        """Train the head only."""
        self.freeze_to(-1)

    def unfreeze(self) -> None:
        """Train every layer group."""
        self.freeze_to(0)

    def set_train_mode(self) -> None:
        """model.train(), but BatchNorm layers of frozen groups stay in eval mode (running stats untouched)."""
        self.fit_model.train()
        for g in self.groups[:self.frozen_to]:
            for m in g.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()

    # ------------------------------------------------------------------ one batch, one epoch
    def backward(self) -> None:
        """loss.backward(); mixed precision swaps in a scaled version."""
        self.loss.backward()

    def step(self) -> None:
        """One optimiser step."""
        self.opt.step()

    def one_batch(self) -> None:
        self.xb, self.yb = to_device(self.xb, self.device), to_device(self.yb, self.device)
        self("before_batch")
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

    def _run_batches(self, dl) -> None:
        self.n_batch = len(dl)
        self.i_batch = -1
        try:
            for self.i_batch, b in enumerate(dl):
                if b is None:  # every image of this batch was unreadable and skipped (skip_bad_images)
                    continue
                self.xb, self.yb = b
                try:
                    self.one_batch()
                except CancelBatchException:
                    pass
                self("after_batch")
        except BadImageError as e:
            # raised while loading the next batch: nothing of it reached the model
            where = "training" if self.training else "validation"
            raise BadImageError(f"{e} [{where}, epoch {getattr(self, 'epoch', 0)}, batch {self.i_batch + 2} of "
                                f"{self.n_batch}; the weights are those after the previous batch]") from e

    def one_epoch(self, train: bool) -> None:
        self.training = train
        dl = self.trn_dl if train else self.val_dl
        if train:
            self.set_train_mode()
            self("before_train")
            self._run_batches(dl)
            self("after_train")
        else:
            self.fit_model.eval()
            self("before_validate")
            with torch.inference_mode():
                self._run_batches(dl)
            self("after_validate")

    # ------------------------------------------------------------------ fit
    def fit(self, lrs, n_cycle: int, wds=None, cycle_len: float | None = None, cycle_mult: float = 1,
            cycle_save_name: str | None = None, best_save_name: str | None = None,
            metrics: Sequence[Callable] | None = None, cbs: Iterable[Callback] = ()) -> list[float]:
        """Train for `n_cycle` epochs at constant lr, or `n_cycle` SGDR cycles when `cycle_len` is given.

        Returns [val_loss, *metrics] of the last epoch.
        """
        from . import distributed
        from .callbacks import LossGuard, MixedPrecision, ParamScheduler, ProgressCallback, Recorder, SaveCallback
        from .schedules import n_epochs as count_epochs

        self.lrs = _lrs_per_group(lrs, self.groups, "lr")
        self.wds = _lrs_per_group(0.0 if wds is None else wds, self.groups, "wds")
        if metrics is not None:
            self.metrics = list(metrics)
        self.n_epoch = count_epochs(n_cycle, cycle_len, cycle_mult)
        self.sched_args = dict(n_cycle=n_cycle, cycle_len=cycle_len, cycle_mult=cycle_mult)
        opt = self.get_opt()
        for pg, wd in zip(opt.param_groups, self.wds):
            pg["weight_decay"] = float(wd)
        extra = [LossGuard(), MixedPrecision(), Recorder(), ParamScheduler(), ProgressCallback()]
        if cycle_save_name or best_save_name:
            extra.append(SaveCallback(cycle_save_name, best_save_name))
        extra += list(cbs)
        if distributed.active():
            extra.insert(0, distributed.DistributedCallback())
        self.trn_dl, self.val_dl = self.loaders()
        self.add_cbs(extra)
        with cpu_threads(self.threads()):
            self._fit(extra)
        return self.last_val

    def _fit(self, extra: list[Callback]) -> None:
        try:
            self.n_fit += 1
            self("before_fit")
            for self.epoch in range(self.n_epoch):
                try:
                    self("before_epoch")
                    self.one_epoch(True)
                    self.one_epoch(False)
                    self("after_epoch")
                except CancelEpochException:
                    pass
            self("after_fit")
        except CancelFitException:
            self("after_cancel_fit")
        except RuntimeError as e:
            if not _is_oom(e):
                raise
            self("after_cancel_fit")
            bs = getattr(self.data, "bs", None)
            if self.device.type == "cuda":
                torch.cuda.empty_cache()  # give back what the failed batch held before the user retries
            hint = (f"rebuild the data with a smaller batch size, e.g. bs={max(1, bs // 2)} (now {bs}), "
                    f"or a smaller image size" if bs else "use a smaller batch or image size")
            raise OutOfMemory(f"Out of memory on {self.device} at epoch {self.epoch}, batch "
                              f"{getattr(self, 'i_batch', 0)}: {hint}. The weights are those after the last "
                              f"finished batch.") from e
        except KeyboardInterrupt:
            # leave a usable learner: no half-accumulated gradients, history up to the last whole epoch
            self("after_cancel_fit")
            print(f"Interrupted during epoch {self.epoch} (batch {getattr(self, 'i_batch', 0)}); "
                  f"weights are those after the last finished batch.")
            raise
        finally:
            if self.opt is not None:
                self.opt.zero_grad(set_to_none=True)
            self.training = False
            self.remove_cbs(extra)

    # ------------------------------------------------------------------ lr_find
    def lr_find(self, start_lr: float = 1e-5, end_lr: float = 10, wds=None, linear: bool = False,
                num_it: int = 100, stop_div: bool = True):
        """Train briefly with a growing lr and record the loss; everything is restored afterwards.

        The sweep runs `num_it` batches (cycling the training set if it is shorter), stopping early once
        the smoothed loss is NaN or above 4x its best. `learn.sched.plot()` shows it with the suggestion.
        """
        from . import distributed
        from .callbacks import LRFinder, MixedPrecision, ProgressCallback
        from .schedules import find_lrs

        start = _lrs_per_group(start_lr, self.groups, "start_lr")
        end = _lrs_per_group(end_lr, self.groups, "end_lr")
        wds = _lrs_per_group(0.0 if wds is None else wds, self.groups, "wds")
        saved = self.state()
        opt_existed = self.opt is not None
        bn_mode = {m: m.training for m in self.model.modules()}
        finder = LRFinder(np.stack([find_lrs(s, e, num_it, linear) for s, e in zip(start, end)], 1), stop_div)
        cbs = [MixedPrecision(), finder, ProgressCallback()]
        if distributed.active():
            cbs.insert(0, distributed.DistributedCallback())
        self.trn_dl, self.val_dl = self.loaders()
        self.add_cbs(cbs)
        self.n_epoch, self.epoch = 1, 0
        self.lrs = start
        self.n_iter_total = num_it
        with cpu_threads(self.threads()):
            self._sweep(num_it, wds, saved, opt_existed, bn_mode, cbs)
        self.sched = finder
        return finder

    def _sweep(self, num_it, wds, saved, opt_existed, bn_mode, cbs) -> None:
        try:
            opt = self.get_opt()
            for pg, wd in zip(opt.param_groups, wds):
                pg["weight_decay"] = float(wd)
            self("before_fit")
            self.training = True
            self.set_train_mode()
            self("before_train")
            it = 0
            while it < num_it:
                for self.i_batch, b in enumerate(self.trn_dl):
                    if b is None:  # all skipped (skip_bad_images)
                        continue
                    self.xb, self.yb = b
                    self.one_batch()
                    self("after_batch")
                    it += 1
                    if it >= num_it:
                        break
            self("after_train")
        except CancelFitException:
            pass
        finally:
            self("after_cancel_fit")
            self.n_iter_total = None
            self.remove_cbs(cbs)
            self.training = False
            # put back weights, BatchNorm statistics, optimiser state and train/eval flags exactly
            self.restore(saved)
            if not opt_existed:
                self.opt = None
            for m, mode in bn_mode.items():
                m.training = mode

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
