"""Test-time augmentation: predict each image once as it is and `n_aug` times augmented, then average.

The lesson's recipe, unchanged:

    log_preds, y = learn.TTA()                    # (1 + n_aug, N, C) log-probabilities
    probs = np.mean(np.exp(log_preds), 0)         # average in probability space
    accuracy_np(probs, y), log_loss(y, probs)

or, with the averaging done for you, `probs, y = learn.TTA(average=True)`.

Why average probabilities and not log-probabilities: `mean(log p)` is the log of the *geometric*
mean. Its rows no longer sum to one, and a single augmented copy that gives the true class a
probability near 0 drags the average towards -inf however sure the other copies are, which
inflates log loss. Averaging `exp(log p)` is the mixture of the predictions: a proper distribution
that one bad crop can only pull down by 1/(1 + n_aug).

Multi-label data (sigmoid head): the passes hold sigmoid outputs, already probabilities and not
logs, so average them directly: `np.mean(preds, 0)` (what `average=True` does). Do not `np.exp` them.

Every pass goes through the whole model (body + head) on freshly transformed images, also when
`learn.precompute` is True: cached activations were computed once with validation transforms, so
predicting from them would return `n_aug` identical copies of the plain pass.
"""
from __future__ import annotations

import multiprocessing as mp
import random
import sys

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from .inference import run_batches


def tta(learn, n_aug: int = 4, is_test: bool = False, seed: int | None = None, average: bool = False,
        progress: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """(log_preds (1 + n_aug, N, C), y): a plain pass, then `n_aug` augmented passes; y is None for the test set.

    average=True returns (probs (N, C), y), averaged in probability space. `seed` fixes the
    augmentations (with or without loader workers); without it one number is drawn from Python's
    `random`, so `set_seed` at the top of a notebook makes TTA repeatable too. The model's
    train/eval modes and the global random states are put back afterwards, also after Ctrl-C.
    """
    n_aug = int(n_aug)
    if n_aug < 0:
        raise ValueError(f"n_aug must be >= 0 (the number of augmented passes); got {n_aug}.")
    data = learn.data
    plain_ds = data.test_ds if is_test else data.val_ds
    aug_ds = data.test_aug_ds if is_test else data.aug_ds
    if plain_ds is None:
        raise ValueError("This data has no test set: build it with test_name='test' (the folder of test images) "
                         "to use TTA(is_test=True).")
    if len(plain_ds) == 0:
        raise ValueError(f"The {'test' if is_test else 'validation'} set is empty: nothing to predict. "
                         f"Put images in {data.path}/<valid>/<class>/ or pass val_idxs to from_csv.")
    if seed is None:
        # one draw from the global stream: reproducible after set_seed(), different on every call,
        # and whatever TTA does afterwards leaves the user's training randomness alone
        seed = random.getrandbits(63)

    model = learn.model
    modes = [(m, m.training) for m in model.modules()]  # frozen BatchNorm may be in eval inside a train() model
    py_state, torch_state = random.getstate(), torch.get_rng_state()
    cuda_states = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else None
    pbar = aug_it = None
    try:
        from tqdm.auto import tqdm
        pbar = tqdm(total=1 + n_aug, desc="TTA passes", unit="pass", leave=False, disable=not progress)
        # the n_aug passes run back to back through one loader over the augmented set repeated n_aug
        # times: the same images in the same order as n_aug separate epochs, without a start-up pause
        # (worker start, first batch) before each pass. With workers, they start loading during the
        # plain pass; without, seeding must wait until the plain pass is done.
        aug_dl = aug_it = None
        if n_aug and data.num_workers > 0:
            aug_dl = _seeded_loader(data, _Repeat(aug_ds, n_aug), seed)
            aug_it = iter(aug_dl)
        passes = [_outputs(learn, data.test_dl if is_test else data.val_dl)]  # validation transforms
        pbar.update()
        if n_aug:
            if aug_dl is None:
                aug_dl = _seeded_loader(data, _Repeat(aug_ds, n_aug), seed)
            out = _outputs(learn, aug_dl, aug_it, on_items=pbar.update, n_per_pass=len(plain_ds))
            passes += list(out.reshape(n_aug, len(plain_ds), -1))
    finally:
        # runs on errors and Ctrl-C alike: workers stopped, the model and the global RNGs as they were
        if aug_it is not None:
            _stop(aug_it)
        if pbar is not None:
            pbar.close()
        for m, training in modes:
            m.training = training
        random.setstate(py_state)
        torch.set_rng_state(torch_state)
        if cuda_states is not None:
            torch.cuda.set_rng_state_all(cuda_states)

    preds = np.stack(passes)  # (1 + n_aug, N, C)
    y = None if is_test or plain_ds.y is None else np.array(plain_ds.y, copy=True)
    if average:
        # mixture of the passes, in probability space (see the module docstring for why not in log space)
        return (preds.mean(0) if data.is_multi else np.exp(preds).mean(0)), y
    return preds, y


class _Repeat(Dataset):
    """`ds` n times over: item i is ds[i % len(ds)], so one epoch of it is n epochs of `ds`."""

    def __init__(self, ds, n: int):
        self.ds, self.n = ds, n

    def __len__(self) -> int:
        return self.n * len(self.ds)

    def __getitem__(self, i: int):
        return self.ds[i % len(self.ds)]


def _outputs(learn, dl, it=None, on_items=None, n_per_pass: int = 0) -> np.ndarray:
    """Log-softmax (or sigmoid, multi-label) of the whole model over one loader (or its started `it`), in order.

    `on_items(k)` is called each time another `n_per_pass` items are done (the progress bar).
    """
    seen = 0

    def progress(n: int) -> None:
        nonlocal seen
        done = (seen + n) // n_per_pass - seen // n_per_pass
        seen += n
        if done:
            on_items(done)

    it = iter(dl) if it is None else it
    try:
        out, _ = run_batches(learn, it, on_batch=progress if on_items is not None and n_per_pass else None,
                             num_workers=dl.num_workers)
        return out.numpy()
    finally:
        if not dl.persistent_workers:
            _stop(it)


def _stop(it) -> None:
    """Stop a loader iterator's worker processes now (an interrupted pass), not when its traceback is freed."""
    stop = getattr(it, "_shutdown_workers", None)  # only multi-process iterators have workers to stop
    if stop is not None:
        stop()


def _seeded_loader(data, ds, seed: int) -> DataLoader:
    """An augmenting loader whose random transforms follow `seed`, with or without worker processes."""
    nw = data.num_workers
    if nw == 0:
        # transforms draw from Python's `random` in this process; torch is seeded for any torch-side draws
        random.seed(seed)
        torch.manual_seed(seed % 2**63)
        return data.loader(ds)
    # each worker seeds its own `random` from a base seed drawn from `generator` when it starts; the
    # data object's persistent workers have long started, so a fresh loader is the only way to set it.
    # Batches go to the workers in a fixed round robin, so each worker's stream of images is fixed too.
    g = torch.Generator().manual_seed(seed % 2**63)
    ctx = mp.get_context("fork") if sys.platform.startswith("linux") else None
    return DataLoader(ds, batch_size=data.bs, shuffle=False, num_workers=nw, persistent_workers=False,
                      pin_memory=torch.cuda.is_available(), multiprocessing_context=ctx, generator=g)

