"""Several processes, one model: `fit` and `lr_find` under DistributedDataParallel, launched by torchrun.

    torchrun --nproc_per_node=2 train.py      # train.py calls course_lib.distributed.init() first

Each process trains on its shard of every batch (the per-process batch is bs / world size, so the global
batch stays `bs`), DDP averages the gradients, each process validates its own slice of the validation set
(every item once) and the metrics and predictions are gathered from all processes in validation order, and
only rank 0 prints tables, draws progress bars and writes checkpoints. `predict` and `TTA` run the whole
set in every process (same result everywhere, no speed-up).

Functions only; the callback that uses them during a fit is `callbacks.DistributedCallback`.
"""
from __future__ import annotations

import atexit
import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler, Sampler, TensorDataset



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


class SliceSampler(Sampler[int]):
    """This process's contiguous slice of range(n), never padded: the slices joined in rank order are range(n).

    For validation: DistributedSampler repeats items to give every process as many, and the repeats would
    count twice in the gathered metrics; slices of n // world or n // world + 1 items count each item once.
    """

    def __init__(self, n: int, rank: int, world: int):
        self.start, self.end = n * rank // world, n * (rank + 1) // world

    def __iter__(self):
        return iter(range(self.start, self.end))

    def __len__(self) -> int:
        return self.end - self.start


def shard(dl, world: int, in_order: bool = False) -> DataLoader:
    """The same data split across processes, with a per-process batch of bs / world.

    Training: a DistributedSampler (shuffled, the last shard padded so that every process takes as many steps).
    `in_order` (validation): each process gets a contiguous, unpadded slice (`SliceSampler`), so what `gather`
    returns, joined in rank order, is every item once, in the loader's order.
    """
    if isinstance(dl, DataLoader):
        ds, bs, shuffle = dl.dataset, dl.batch_size, isinstance(dl.sampler, RandomSampler)
        extra = dict(num_workers=dl.num_workers, collate_fn=dl.collate_fn, pin_memory=dl.pin_memory)
    else:  # precompute's in-memory loader
        ds, bs, shuffle, extra = TensorDataset(dl.x, dl.y), dl.bs, dl.shuffle, {}
    if bs % world:
        raise ValueError(f"batch size {bs} does not split evenly over {world} processes; use a multiple of {world}")
    if in_order:
        sampler = SliceSampler(len(ds), rank(), world)
    else:
        sampler = DistributedSampler(ds, shuffle=shuffle, seed=int(torch.initial_seed()) % 2**31)
    return DataLoader(ds, batch_size=bs // world, sampler=sampler, **extra)


def sync_buffers(module: torch.nn.Module) -> None:
    """Every process takes rank 0's buffers (BatchNorm statistics), as DDP does before each training forward."""
    if not active():
        return
    with torch.no_grad():
        for b in module.buffers():
            dist.broadcast(b, src=0)


def gather(obj) -> list:
    """`obj` from every process, in rank order ([obj] when running alone)."""
    if not active():
        return [obj]
    parts = [None] * dist.get_world_size()
    dist.all_gather_object(parts, obj)
    return parts


def wrap(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """`module` under DistributedDataParallel (gradients averaged over the processes)."""
    dev = [device.index or 0] if device.type == "cuda" else None
    return DDP(module, device_ids=dev, find_unused_parameters=False)


def world() -> int:
    """Number of processes (1 when running alone)."""
    return dist.get_world_size() if active() else 1


def mean_loss(loss: torch.Tensor) -> float:
    """The loss averaged over processes, so decisions taken on it (lr_find's stop) agree everywhere."""
    if not active():
        return loss.detach().float().item()
    t = loss.detach().float().clone()
    dist.all_reduce(t)
    return t.item() / dist.get_world_size()
