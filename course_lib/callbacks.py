"""The Learner's features as callbacks: recorder + epoch table, progress bar, SGDR, saving, mixed precision,
loss guard, lr_find and distributed training."""
from __future__ import annotations

import math
import time

import numpy as np
import torch

from . import distributed
from .callback import Callback, CancelFitException, frame
from .progress import progress_bar
from .schedules import Curve, cycle_epochs, find_curve, sgdr_mult, smooth


def in_notebook() -> bool:
    """True inside a Jupyter kernel (tables then render as HTML and update in place)."""
    try:
        from IPython import get_ipython
        sh = get_ipython()
    except ImportError:
        return False
    return sh is not None and type(sh).__name__ == "ZMQInteractiveShell"


class EpochTable:
    """Shows the epoch table as it grows: an HTML table updated in place in notebooks, lines in a terminal."""

    def __init__(self):
        self.handle, self.printed_header = None, False

    def show(self, rows: list[dict]) -> None:
        """Show the table of `rows` (one dict per epoch so far)."""
        if in_notebook():
            from IPython.display import display
            df = frame(rows)
            if self.handle is None:
                self.handle = display(df, display_id=True)
            else:
                self.handle.update(df)
            return
        row = rows[-1]
        if not self.printed_header:
            print("  ".join(f"{c:>10}" for c in row))
            self.printed_header = True
        print("  ".join(_fmt(v).rjust(10) for v in row.values()), flush=True)


def _fmt(v) -> str:
    if isinstance(v, (int, np.integer)):
        return str(v)
    if isinstance(v, str):
        return v
    return f"{v:.6f}" if abs(v) < 1e4 else f"{v:.4g}"


def fmt_time(s: float) -> str:
    """Seconds as m:ss."""
    return f"{int(s // 60)}:{int(s % 60):02d}"


class RecordPlots:
    """The lesson's `learn.sched.plot_lr()` and `plot_loss()`, shared by the fit's Recorder and the LRFinder.

    The figures live in plots.py, imported on the first one (no circle: it imports only schedules); matplotlib
    costs a script that never plots about 0.5 s. A subclass records `lrs` (per iteration, per group) and `losses`.
    """

    def plot_lr(self, **kw):
        """Learning rate of every layer group per iteration."""
        from .plots import plot_lr
        return plot_lr(self, **kw)

    def plot_loss(self, **kw):
        """Training loss per iteration (raw and smoothed)."""
        from .plots import plot_loss
        return plot_loss(self, **kw)


class Recorder(RecordPlots, Callback):
    """Records per-iteration lrs and losses and per-epoch results; becomes `learn.sched` for plotting."""
    order = 50

    def __init__(self, show_table: bool = True):
        self.show_table = show_table
        self.lrs: list[np.ndarray] = []
        self.losses: list[float] = []
        self.rows: list[dict] = []
        # each finished epoch's mean of its raw batch losses: the table's trn_loss is the lesson's running
        # average, which with a few batches an epoch still carries earlier epochs (see `history`'s trn_mean)
        self.trn_means: list[float] = []
        self.iters_per_epoch: int | None = None
        self.group_names: list[str] = []

    def before_fit(self):
        self.learn.sched = self
        self.group_names = [getattr(g, "group_name", f"group {k}") for k, g in enumerate(self.learn.groups)]
        # which groups train in this fit: a frozen group's lr is applied to nothing, so plot_lr leaves it out
        self.trainable = [any(p.requires_grad for p in g.parameters()) for g in self.learn.groups]
        self.iters_per_epoch = len(self.learn.trn_dl)
        self.sched_args = dict(getattr(self.learn, "sched_args", {}))
        self.table = EpochTable()
        self.avg, self.n_avg = 0.0, 0

    def before_epoch(self):
        self.t0, self.first_batch = time.perf_counter(), len(self.losses)
        self.val_loss, self.val_n, self.val_preds, self.val_ys = 0.0, 0, [], []

    def after_batch(self):
        if self.learn.training:
            loss = self.learn.loss.detach().float().item()
            self.losses.append(loss)
            self.lrs.append(np.array([pg["lr"] for pg in self.learn.opt.param_groups]))
            self.n_avg += 1
            self.avg = 0.98 * self.avg + 0.02 * loss
        else:
            bs = len(self.learn.yb)
            self.val_loss += self.learn.loss.float().item() * bs
            self.val_n += bs
            self.val_preds.append(self.learn.pred.float().cpu())
            self.val_ys.append(self.learn.yb.cpu())

    def after_validate(self):
        # in a distributed fit every process saw a slice: gather them so all compute the same metrics. The slices
        # are contiguous and unpadded (distributed.shard, in_order), so rank order is validation order
        parts = distributed.gather((self.val_loss, self.val_n, self.val_preds, self.val_ys))
        if len(parts) > 1:
            self.val_loss, self.val_n = sum(p[0] for p in parts), sum(p[1] for p in parts)
            self.val_preds = [t for p in parts for t in p[2]]
            self.val_ys = [t for p in parts for t in p[3]]

    @property
    def smooth_loss(self) -> float:
        """Debiased moving average of the training loss (beta 0.98)."""
        return self.avg / (1 - 0.98 ** self.n_avg) if self.n_avg else float("nan")

    def after_epoch(self):
        learn = self.learn
        row = {"epoch": learn.epoch, "trn_loss": self.smooth_loss}
        epoch = self.losses[self.first_batch:]
        self.trn_means.append(float(np.mean(epoch)) if epoch else float("nan"))
        if learn.do_valid:  # without a validation set there is nothing to report but the training loss
            val_loss = self.val_loss / max(1, self.val_n)
            preds, ys = torch.cat(self.val_preds), torch.cat(self.val_ys)
            mvals = [float(m(preds, ys)) for m in learn.metrics]
            learn.last_val = [val_loss] + mvals
            row["val_loss"] = val_loss
            row.update({getattr(m, "__name__", f"metric{k}"): v
                        for k, (m, v) in enumerate(zip(learn.metrics, mvals))})
        row["time"] = fmt_time(time.perf_counter() - self.t0)
        self.rows.append(row)
        if self.show_table and not learn.quiet:
            self.table.show(self.rows)

    def cleanup_fit(self):
        # every way out of a fit keeps the epochs that finished: normal end, cancel, error, Ctrl-C
        self.learn.hist_rows.extend({**r, "fit": self.learn.n_fit, "trn_mean": m}
                                    for r, m in zip(self.rows, self.trn_means))

    @property
    def history(self):
        """This fit's epoch table (a DataFrame)."""
        return frame(self.rows)

    def last_preds(self) -> np.ndarray:
        """The model's outputs (logits) for the validation set in the last epoch, in validation order."""
        if not self.val_preds:
            raise ValueError("No validation epoch recorded yet: fit with a validation set first.")
        return torch.cat(self.val_preds).numpy()



class ParamScheduler(Callback):
    """Sets every group's lr each iteration: base lr x the SGDR multiplier (constant without cycle_len)."""
    order = 10

    def before_fit(self):
        self.it = 0
        self.n_batch = len(self.learn.trn_dl)
        a = self.learn.sched_args
        self.cycle_len, self.cycle_mult = a.get("cycle_len"), a.get("cycle_mult", 1)

    def before_batch(self):
        if self.learn.training:
            m = sgdr_mult(self.it, self.n_batch, self.cycle_len, self.cycle_mult)
            self.learn.set_lrs(self.learn.lrs * m)

    def after_batch(self):
        if self.learn.training:
            self.it += 1


class ProgressCallback(Callback):
    """One tqdm.auto bar per fit (a widget in JupyterLab, text in a terminal); TQDM_DISABLE=1 hides it."""
    order = 60

    def __init__(self, desc: str | None = None):
        self.desc, self.bar = desc, None

    def before_fit(self):
        learn = self.learn
        self.bar = progress_bar(total=learn.n_iter, desc=self.desc or f"epoch 1/{learn.n_epoch}", leave=False,
                        unit="batch", dynamic_ncols=True, disable=True if learn.quiet else None)

    def before_epoch(self):
        if self.desc is None:
            self.bar.set_description(f"epoch {self.learn.epoch + 1}/{self.learn.n_epoch}", refresh=False)

    def after_batch(self):
        if self.learn.training:
            self.bar.update()
            if self.learn.i_batch % 10 == 0:
                self.bar.set_postfix(loss=f"{self.learn.loss.item():.4f}", refresh=False)

    def cleanup_fit(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class SaveCallback(Callback):
    """Saves the model at the end of every SGDR cycle and/or whenever validation loss is best so far."""
    order = 70

    def __init__(self, cycle_save_name: str | None = None, best_save_name: str | None = None):
        self.cycle_save_name, self.best_save_name = cycle_save_name, best_save_name

    def before_fit(self):
        if self.best_save_name and not self.learn.do_valid:
            raise ValueError(f"best_save_name={self.best_save_name!r} keeps the model with the best validation "
                             f"loss, but this data has no validation set. Use cycle_save_name, or learn.save().")
        a = self.learn.sched_args
        self.ends = set(int(round(e)) - 1 for e in np.cumsum(cycle_epochs(**a)))
        self.best = math.inf

    def after_epoch(self):
        learn = self.learn
        if self.cycle_save_name and learn.epoch in self.ends:
            k = sorted(self.ends).index(learn.epoch)
            learn.save(f"{self.cycle_save_name}_cyc_{k}")
        if self.best_save_name and learn.last_val[0] < self.best:
            self.best = learn.last_val[0]
            learn.save(self.best_save_name)


class LossGuard(Callback):
    """Stops at the first sign of divergence: a non-finite training or validation loss, or a non-finite
    weight or buffer (BatchNorm statistics) after an epoch's training. Everything the epoch changed is put
    back as it was at its start: weights, buffers and the optimiser's momentum."""
    order = 1

    def before_epoch(self):
        # only what trains can blow up: with precompute that is the head, not the whole network.
        # A clone per tensor: copy.deepcopy of the state dict cost about 1 ms a fit in Python bookkeeping
        self.saved = {k: v.detach().clone() for k, v in self.learn.fit_model.state_dict().items()}
        opt = self.learn.opt
        self.saved_opt = [(p, {k: v.clone() if torch.is_tensor(v) else v for k, v in st.items()})
                          for p, st in opt.state.items()] if opt is not None else []

    def after_loss(self):
        learn = self.learn
        # one number read back (as torch.isfinite(...).all() would, in four ops); nan or inf anywhere shows in the sum
        v = learn.loss.detach().float().sum().item()
        if not math.isfinite(v):
            where = "Training" if learn.training else "Validation"
            self._stop(f"{where} loss became {v} at epoch {learn.epoch}, batch {learn.i_batch}")

    def after_train(self):
        # a finite but huge loss can still take a step to inf/nan weights, or overflow BatchNorm's running
        # variance while every parameter stays finite: either way the next fit or prediction is nan
        bad = non_finite(self.learn.fit_model)
        if bad:
            self._stop(f"The weights became infinite or nan during epoch {self.learn.epoch} (the loss exploded; "
                       f"first: {bad})")

    def _stop(self, what: str):
        learn = self.learn
        lr = max(float(pg["lr"]) for pg in learn.opt.param_groups)
        learn.fit_model.load_state_dict(self.saved)
        # momentum as it was at the start of the epoch: what the blown-up steps built would push straight back
        learn.opt.state.clear()
        for p, st in self.saved_opt:
            learn.opt.state[p] = st
        raise FloatingPointError(
            f"{what} (lr {lr:.3g}). Weights, BatchNorm statistics and momentum are restored to the start of that "
            f"epoch. Try a lower learning rate (learn.lr_find() shows where the loss starts to climb).")


def non_finite(model: torch.nn.Module) -> str | None:
    """The name of the first parameter or buffer of `model` holding nan or inf, else None."""
    sd = model.state_dict()
    floats = [v for v in sd.values() if v.is_floating_point()]
    # one read back for all of them (not a sum: finite weights of 1e38 would overflow it); names only on failure
    if not floats or bool(torch.stack([torch.isfinite(v).all() for v in floats]).all()):
        return None
    return next(k for k, v in sd.items() if v.is_floating_point() and not torch.isfinite(v).all())


class LRFinder(RecordPlots, Callback):
    """Feeds the lr_find sweep and records (lr, loss); stops once the smoothed loss diverges."""
    order = 10

    def __init__(self, sched_lrs: np.ndarray, stop_div: bool = True):
        self.sched_lrs, self.stop_div = sched_lrs, stop_div  # (num_it, n_groups)
        self.lrs: list[np.ndarray] = []
        self.losses: list[float] = []
        self.group_names: list[str] = []

    def before_fit(self):
        self.it, self.best = 0, math.inf
        self.group_names = [getattr(g, "group_name", f"group {k}") for k, g in enumerate(self.learn.groups)]
        # which groups train in this fit: a frozen group's lr is applied to nothing, so plot_lr leaves it out
        self.trainable = [any(p.requires_grad for p in g.parameters()) for g in self.learn.groups]

    def before_batch(self):
        self.learn.set_lrs(self.sched_lrs[self.it])

    def after_loss(self):
        loss = distributed.mean_loss(self.learn.loss)  # the same value in every process, so all stop together
        self.losses.append(loss)
        self.lrs.append(self.sched_lrs[self.it])
        s = smooth(self.losses)[-1]
        if self.stop_div and (not math.isfinite(s) or (self.it >= 10 and s > 4 * self.best)):
            raise CancelFitException()
        if self.it >= 10 or len(self.sched_lrs) <= 20:  # early losses are noise; tiny sweeps use all
            self.best = min(self.best, s)

    def after_batch(self):
        self.it += 1

    @property
    def smooth_losses(self) -> np.ndarray:
        """Debiased exponential moving average of the recorded losses (beta 0.98)."""
        return smooth(self.losses)

    def describe(self) -> str:
        """Where the sweep went, in words: batches run of those planned, the last group's first and last rate,
        and why it stopped early when it did (a plot that ends short of `end_lr` is otherwise a puzzle)."""
        from .lang import say
        n, planned = len(self.losses), len(self.sched_lrs)
        if not n:
            return say("finder.sweep.none")
        line = say("finder.sweep", n=n, planned=planned, lr0=float(self.lrs[0][-1]), lr=float(self.lrs[-1][-1]))
        return line + (say("finder.sweep.early") if n < planned else "")

    def curve(self, skip_start: int | None = None, skip_end: int | None = None, beta: float = 0.98) -> Curve:
        """The sweep as it is read: (the last group's lrs, smoothed losses, raw losses), noisy ends left out
        (`schedules.skips`: 10 and 5 points, at most a tenth of the sweep each)."""
        return find_curve(self.lrs, self.losses, skip_start, skip_end, beta)

    # plots (and matplotlib) imported when first used, as in Recorder
    def suggestion(self, n_skip: int | None = None, n_skip_end: int | None = None):
        """Suggested learning rates read off the curve (see `plots.lr_suggestion`)."""
        from .plots import lr_suggestion
        return lr_suggestion(self, n_skip, n_skip_end)

    def plot(self, n_skip: int | None = None, n_skip_end: int | None = None, **kw):
        """Smoothed training loss against lr (log scale), with the suggestion marked."""
        from .plots import plot_lr_find
        return plot_lr_find(self, n_skip, n_skip_end, **kw)



class DistributedCallback(Callback):
    """Wraps the trained module in DDP, shards the loaders and quiets ranks > 0 (see course_lib.distributed)."""
    order = -10  # before the schedule and recorder read the loaders' lengths

    def before_fit(self):
        learn = self.learn
        self.quiet = learn.quiet  # the user's setting, put back by cleanup_fit
        self.saved = (learn.trn_dl, learn.val_dl)
        n = distributed.world()
        learn.trn_dl = distributed.shard(learn.trn_dl, n)
        learn.val_dl = distributed.shard(learn.val_dl, n, in_order=True)  # each item once, gathered in order
        self.ddp = distributed.wrap(learn.fit_model, learn.device)
        learn.quiet = self.quiet or not distributed.is_main()

    def before_epoch(self):
        self.learn.trn_dl.sampler.set_epoch(self.learn.epoch)

    def before_train(self):
        self.learn.wrapped = self.ddp

    def before_validate(self):
        # validation averages no gradients: the plain module, once every rank has rank 0's BatchNorm statistics.
        # DDP would copy them in its first eval forward only, which a rank with an empty slice never runs
        distributed.sync_buffers(self.learn.fit_model)
        self.learn.wrapped = None

    def cleanup_fit(self):
        learn = self.learn
        if hasattr(self, "saved"):
            learn.trn_dl, learn.val_dl = self.saved
        learn.wrapped = None
        if hasattr(self, "quiet"):
            learn.quiet = self.quiet
