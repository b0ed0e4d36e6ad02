"""The CPU shared between the model and the loader workers: a plan from measured costs, not a subtraction.

Two costs decide it, both per batch: `load_s`, the seconds one core takes to load a batch (decode, augment,
collate), and the model's step. Both are timed on the first batches of a pass (a training epoch, a validation
or prediction pass) at no extra cost; only where workers load and the loading cost is not yet known are a few
images loaded in this process to time it. With the model's work spread evenly over its threads, k cores for
the workers and the rest for the model predict a time per batch of

    k = 0:   load_s + step          loading in line with the model: no workers, or workers given no core
    k >= 1:  max(step on cores - k threads, load_s / k)    loading beside the model, on k cores

`plan` picks the k with the shortest predicted time (the fewest workers on a tie). On 2 cores a worker gets a
core only when loading a batch costs more than the model's step on two threads: EfficientNet-Lite0 at 224 px
costs the model about 10x what loading costs, so it keeps every core, also with `num_workers=2`. PyTorch's
threads wait for each other at every layer, so a thread that shares its core with a busy worker holds the
others up; giving the worker the core instead pays where it is busy most of the time (bench/workers.py).

Overrides: `num_workers=...` when building the data (honoured; the model gives those workers only the cores
the plan says they need), and COURSE_LIB_THREADS=n for the model's threads. `torch.set_num_threads(n)` caps
the model's threads.
"""
from __future__ import annotations

import os
import random
import statistics
import time
import warnings
from dataclasses import dataclass

import torch

from .callback import Callback
from . import distributed

N_TIMED = 2  # batches timed before planning: the first pays one-off costs (kernel set-up), so the faster counts
PROBE = 3  # images loaded in this process to time loading, where workers hide it from the main process


@dataclass(frozen=True)
class Costs:
    """What one batch costs: `load_s` seconds to load on one core, `step_s` seconds of model work on `threads`."""
    load_s: float
    step_s: float
    threads: int = 1


@dataclass(frozen=True)
class Plan:
    """Loader workers, the model's threads, the cores given to the workers and the predicted seconds per batch."""
    workers: int
    threads: int
    worker_cores: int
    batch_s: float

    def workers_use(self, costs: Costs) -> float:
        """Cores the workers keep busy under this plan: loading time per batch over the time per batch."""
        return 0.0 if self.workers == 0 else min(self.workers, costs.load_s / self.batch_s)


def batch_time(costs: Costs, cores: int, k: int) -> float:
    """Predicted seconds per batch with k cores for the loader workers and the rest for the model."""
    model = costs.step_s * costs.threads / (cores - k)  # the model's work spread evenly over its threads
    return costs.load_s + model if k == 0 else max(model, costs.load_s / k)


def plan(costs: Costs, cores: int, num_workers: int | None = None) -> Plan:
    """Workers and model threads with the shortest predicted time per batch (a pure function of the costs).

    `num_workers=None` chooses the worker count; a given count is kept, and of its workers only as many get
    a core of their own as shorten the predicted time: the model keeps every other core.
    """
    cores = max(1, int(cores))
    top = cores - 1 if num_workers is None else min(int(num_workers), cores - 1)
    k = min(range(max(0, top) + 1), key=lambda k: (batch_time(costs, cores, k), k))
    workers = k if num_workers is None else int(num_workers)
    return Plan(workers=workers, threads=cores - k, worker_cores=k, batch_s=batch_time(costs, cores, k))


def cpu_cores() -> int:
    """CPU cores this process may run on (its affinity mask, e.g. a container's share), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS and Windows have no affinity mask
        return max(1, os.cpu_count() or 1)


def thread_override() -> int | None:
    """The model's threads from COURSE_LIB_THREADS, or None when it is unset (the plan decides)."""
    env = os.environ.get("COURSE_LIB_THREADS", "").strip()
    if not env:
        return None
    if not env.isdigit() or int(env) < 1:
        raise ValueError(f"COURSE_LIB_THREADS must be a whole number >= 1 (the model's CPU threads), got {env!r}; "
                         f"unset it to let course_lib choose from the measured costs.")
    return int(env)


def load_cost(ds, bs: int, n: int = PROBE) -> float | None:
    """Seconds one core takes to load a batch of `bs` from `ds`, timed on `n` of its items in this process.

    The random states are put back afterwards (augmentations draw from them), so a seeded run stays the same.
    None when no item could be loaded (an unreadable image is the loader's to report, with its context).
    """
    ts, state = [], random.getstate()
    try:
        with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # skip_bad_images warns about a bad file when the fit meets it
            for i in range(min(n, len(ds))):
                t = time.perf_counter()
                try:
                    ds[i * (len(ds) // n) if len(ds) >= n else i]  # spread over the set: files differ in size
                except Exception:  # noqa: BLE001 - the fit meets the same item and says what is wrong with it
                    continue
                ts.append(time.perf_counter() - t)
    finally:
        random.setstate(state)
    return statistics.median(ts) * bs if ts else None


class Share:
    """The CPU share of one pass over a loader: sets the model's threads, times the first batches, plans.

    `kind` is 'train' or 'eval' (a step with or without backward). Costs are kept in `learn.cpu_costs` for
    the learner's state and in `data.load_s` for the data, so a later pass in the same state starts with its
    plan at once. `auto` passes (the data's default workers) also choose the worker count, in `self.plan`.
    """

    def __init__(self, learn, kind: str, workers: int, ds=None, auto: bool = False):
        self.learn, self.kind, self.workers, self.ds, self.auto = learn, kind, int(workers), ds, auto
        self.old, self.plan, self.times = None, None, []
        self.on = learn.device.type == "cpu"
        self.data = getattr(learn, "data", None)
        self.cache = getattr(learn, "cpu_costs", None)

    def key(self) -> tuple:
        """What the step's cost depends on besides the data: train or eval, frozen layers, precompute, precision."""
        learn = self.learn
        # the dtype actually used, not the `amp` flag: None and False on a CPU without bf16 cost the same
        return (self.kind, id(self.data), getattr(learn, "frozen_to", 0), getattr(learn, "precompute", False),
                learn.amp_dtype)

    def __enter__(self) -> "Share":
        if not self.on:
            return self
        self.old = torch.get_num_threads()
        self.cores = cpu_cores()
        forced = thread_override()
        costs = self.known()
        if forced is not None:
            threads, self.measuring = forced, False
        elif self.workers == 0 and not self.auto:
            threads, self.measuring = self.old, False  # nothing else loads: every core computes
        elif costs is not None:
            threads, self.measuring = self.apply(costs), False
        else:
            ds = self.ds if self.ds is not None else getattr(self.data, "trn_ds", None)
            if self.workers > 0 and getattr(self.data, "load_s", None) is None and ds is not None:
                # the workers load out of sight, so time a few images here, before they start
                self.data.load_s = load_cost(ds, getattr(self.data, "bs", 1))
            # until the step is timed, the workers keep the cores they may need: sharing a core with a busy
            # worker can cost the model far more than one thread (bench/workers.py)
            threads, self.measuring = max(1, self.cores - min(self.workers, self.cores - 1)), True
        self.set(min(threads, self.old) if forced is None else threads)
        return self

    def __exit__(self, *exc) -> bool:
        if self.on and self.measuring and self.times and exc[0] is None:
            self.decide()  # a pass shorter than N_TIMED batches (a small validation set) plans from what it had
        if self.old is not None and torch.get_num_threads() != self.old:
            torch.set_num_threads(self.old)
        return False

    def set(self, n: int) -> None:
        if torch.get_num_threads() != n:
            torch.set_num_threads(max(1, n))

    def known(self) -> Costs | None:
        """The costs measured before in this state, if any."""
        step = self.cache.get(self.key()) if self.cache is not None else None
        load = getattr(self.data, "load_s", None)
        return None if step is None or load is None else Costs(load, *step)

    def apply(self, costs: Costs) -> int:
        """The planned threads for these costs (capped by torch's setting); an auto pass also keeps the plan."""
        p = plan(costs, self.cores, None if self.auto else self.workers)
        if self.auto:
            self.plan = p
        # a pass whose loader has no workers loads in line with the model, which may then use every core
        return min(self.old, p.threads if self.workers > 0 else self.cores)

    def record(self, wait: float, step: float) -> None:
        """One batch: the wait for it (its loading, when this process loads) and the model's step on it."""
        if self.on and self.measuring:
            self.times.append((wait, step))
            if len(self.times) >= N_TIMED:
                self.decide()

    def decide(self) -> None:
        """Costs from the timed batches (the fastest of each: load on the machine only adds), cached; the plan."""
        self.measuring = False
        waits, steps = zip(*self.times)
        if self.workers == 0 and getattr(self.data, "load_s", None) is None and self.data is not None:
            self.data.load_s = min(waits)  # loaded in this process: the wait is the loading
        costs = Costs(getattr(self.data, "load_s", 0.0) or 0.0, min(steps), torch.get_num_threads())
        if self.cache is not None:
            self.cache[self.key()] = (costs.step_s, costs.threads)
        self.set(self.apply(costs))

    def timed(self, batches):
        """The batches, each one's wait and the consumer's step on it recorded (for loops outside the Learner)."""
        t = time.perf_counter()
        for b in batches:
            got = time.perf_counter()
            yield b
            done = time.perf_counter()
            self.record(got - t, done - got)
            t = done


class CpuShare(Callback):
    """Threads for fit and lr_find on the CPU from the measured costs; the data's default workers from the plan.

    A fit whose data chose no worker count (`num_workers` not given, on Linux) starts without workers, times
    its first batches and, where the plan says workers pay, loads with them from the next epoch on.
    """
    order = -20  # first in, last out: the step is timed from before the other callbacks' work to after it

    def before_fit(self):
        self.share, self.mark, self.last = None, 0.0, -1

    def _begin(self, kind: str) -> None:
        learn = self.learn
        dl = learn.trn_dl if kind == "train" else learn.val_dl
        data = getattr(learn, "data", None)
        # only a loader over the data's own training images picks workers (not precompute's, nor under DDP)
        own = data is not None and getattr(dl, "dataset", None) is getattr(data, "trn_ds", None)
        auto = kind == "train" and own and getattr(data, "auto_workers", False) and not distributed.active()
        self.share = Share(learn, kind, getattr(dl, "num_workers", 0), getattr(dl, "dataset", None), auto)
        self.share.__enter__()
        self.mark, self.last = time.perf_counter(), -1

    def before_train(self):
        self._begin("train")

    def before_validate(self):
        self._begin("eval")

    def before_batch(self):
        self.last, self.start = self.learn.i_batch, time.perf_counter()

    def cleanup_batch(self):
        now = time.perf_counter()
        if self.share is not None and self.last == self.learn.i_batch:
            self.share.record(self.start - self.mark, now - self.start)
        self.mark = now

    def cleanup_train(self):
        self._end()

    def cleanup_validate(self):
        self._end()

    def _end(self) -> None:
        share, self.share = self.share, None
        if share is None:
            return
        share.__exit__(None, None, None)
        p, data = share.plan, getattr(self.learn, "data", None)
        if p is not None and p.workers != data.num_workers:
            data.set_workers(p.workers, auto=True)  # later passes get loaders with the planned workers
            self.learn.trn_dl, self.learn.val_dl = self.learn.loaders()
