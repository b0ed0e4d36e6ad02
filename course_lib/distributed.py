"""Several processes, one model: `fit` and `lr_find` under DistributedDataParallel, launched by torchrun.

    torchrun --nproc_per_node=2 train.py      # train.py calls course_lib.distributed.init() first

Each process trains on its shard of every batch (the per-process batch is bs / world size, so the global
batch stays `bs`), DDP averages the gradients, validation metrics are gathered from all processes, and
only rank 0 prints tables, draws progress bars and writes checkpoints. `predict` and `TTA` run the whole
set in every process (same result everywhere, no speed-up).
"""
from __future__ import annotations

import atexit
import os

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler, TensorDataset

from .learner import Callback


def init(backend: str | None = None) -> bool:
    """Join the process group torchrun describes (WORLD_SIZE > 1); False when running alone."""
    if active():
        return True
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or not dist.is_available():
        return False
    cuda = torch.cuda.is_available()
    dist.init_process_group(backend or ("nccl" if cuda else "gloo"))
    # Leaving the group to interpreter teardown can abort a rank ("terminate called without an active
    # exception") when gloo's threads are destroyed still joinable; close it explicitly instead.
    atexit.register(_close)
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    return True


def _close() -> None:
    """Destroy the process group, if this process still has one."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def active() -> bool:
    """True inside an initialised process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    """This process's rank (0 when running alone)."""
    return dist.get_rank() if active() else 0


def is_main() -> bool:
    """Only rank 0 prints, draws progress bars and saves."""
    return rank() == 0


def shard(dl, world: int) -> DataLoader:
    """The same data split across processes: a DistributedSampler and a per-process batch of bs / world."""
    if isinstance(dl, DataLoader):
        ds, bs, shuffle = dl.dataset, dl.batch_size, isinstance(dl.sampler, RandomSampler)
        extra = dict(num_workers=dl.num_workers, collate_fn=dl.collate_fn, pin_memory=dl.pin_memory)
    else:  # precompute's in-memory loader
        ds, bs, shuffle, extra = TensorDataset(dl.x, dl.y), dl.bs, dl.shuffle, {}
    if bs % world:
        raise ValueError(f"batch size {bs} does not split evenly over {world} processes; use a multiple of {world}")
    sampler = DistributedSampler(ds, shuffle=shuffle, seed=int(torch.initial_seed()) % 2**31)
    return DataLoader(ds, batch_size=bs // world, sampler=sampler, **extra)


class DistributedCallback(Callback):
    """Wraps the trained module in DDP, shards the loaders, gathers validation outputs, quiets ranks > 0."""
    order = -10  # before the schedule and recorder read the loaders' lengths

    def before_fit(self):
        from torch.nn.parallel import DistributedDataParallel as DDP
        learn = self.learn
        world = dist.get_world_size()
        self.saved = (learn.trn_dl, learn.val_dl)
        learn.trn_dl, learn.val_dl = shard(learn.trn_dl, world), shard(learn.val_dl, world)
        dev = [learn.device.index or 0] if learn.device.type == "cuda" else None
        learn.wrapped = DDP(learn.fit_model, device_ids=dev, find_unused_parameters=False)
        learn.quiet = not is_main()

    def before_epoch(self):
        self.learn.trn_dl.sampler.set_epoch(self.learn.epoch)

    def after_validate(self):
        # every process saw a shard: gather losses and outputs so all compute the same metrics
        from .callbacks import Recorder
        rec = next((c for c in self.learn.cbs if isinstance(c, Recorder)), None)
        if rec is None:
            return
        parts = [None] * dist.get_world_size()
        dist.all_gather_object(parts, (rec.val_loss, rec.val_n, rec.val_preds, rec.val_ys))
        rec.val_loss = sum(p[0] for p in parts)
        rec.val_n = sum(p[1] for p in parts)
        rec.val_preds = [t for p in parts for t in p[2]]
        rec.val_ys = [t for p in parts for t in p[3]]

    def after_fit(self):
        learn = self.learn
        learn.trn_dl, learn.val_dl = self.saved
        learn.wrapped, learn.quiet = None, False

    after_cancel_fit = after_fit


def mean_loss(loss: torch.Tensor) -> float:
    """The loss averaged over processes, so decisions taken on it (lr_find's stop) agree everywhere."""
    if not active():
        return loss.detach().float().item()
    t = loss.detach().float().clone()
    dist.all_reduce(t)
    return t.item() / dist.get_world_size()
