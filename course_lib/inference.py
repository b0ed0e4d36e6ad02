"""Predictions: one inference path, `predict_image`, and test-time augmentation (TTA).

One inference path: eval mode -> autocast -> device -> model -> log-softmax (sigmoid for multi-label).
`predict`, `predict_array`, `predict_image`, TTA and the precompute build all go through `run_batches`,
so they compute in the same precision, on the same device and threads, and leave the model's train/eval
flags as they found them (also after an error or Ctrl-C).

Test-time augmentation predicts each image once as it is and `n_aug` times augmented, then averages.
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
import os
import random
import sys
from typing import Callable, Iterable

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import ConcatDataset, DataLoader

from .devices import eval_mode, to_device
from .images import BadImageError
from .precision import Precision
from .progress import progress_bar
from .threads import Share


def activation(out: torch.Tensor, is_multi: bool) -> torch.Tensor:
    """Log-probabilities for one label per image, per-class probabilities for multi-label."""
    return torch.sigmoid(out) if is_multi else F.log_softmax(out, dim=1)


@torch.inference_mode()
def run_batches(learn, batches: Iterable, fn: Callable | None = None, act: bool = True,
                on_batch: Callable[[int], None] | None = None, num_workers: int | None = None
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(outputs, labels) of `fn` (default: the whole model) over (x, y) batches, stacked on the CPU.

    Eval mode, the learner's autocast dtype and device; `act` applies `activation`. `on_batch(n)` is
    called after each batch of n items (progress bars). `num_workers` says how many loader processes
    share the CPU (default: the data's); the model's threads follow the plan for the measured costs
    (course_lib.threads), timed on the first batches.
    """
    device = learn.device
    # autocast as in fit, one-pixel convolutions in fp32 (precision.py); what it patches is put back in `finally`
    prec = Precision(device, learn.amp, note=False)
    nw = learn.data.num_workers if num_workers is None else num_workers
    fn = learn.model if fn is None else fn
    outs, ys = [], []
    try:
        share = Share(learn, "eval", nw, getattr(batches, "dataset", None))
        with eval_mode(learn.model), share:
            for xb, yb in share.timed(_named_failures(batches)):
                xb = to_device(xb, device)
                with prec.autocast(learn.model, xb):
                    out = fn(xb)
                out = out.float()
                outs.append((activation(out, learn.data.is_multi) if act else out).cpu())
                if yb is not None:
                    ys.append(torch.as_tensor(yb))
                if on_batch is not None:
                    on_batch(len(xb))
    finally:
        prec.close()
        # a traceback keeps this frame alive, and a loader's worker processes stop only when the last
        # reference to its iterator goes: drop ours now (TTA after Ctrl-C must leave no worker behind)
        del batches
    y = torch.cat(ys) if ys else None
    return (torch.cat(outs) if outs else torch.empty(0)), y


def _named_failures(batches: Iterable):
    """The batches, with an unreadable image's error saying where it happened (as fit's does)."""
    k = 0
    try:
        for k, b in enumerate(batches, 1):
            if b is not None:  # every image of it unreadable and skipped (the training set's precompute pass)
                yield b
    except BadImageError as e:
        raise BadImageError(f"{e} [predicting, batch {k + 1}; nothing was returned]") from e


def predict_image(learn, fn: str | os.PathLike | Image.Image, thresh: float = 0.5) -> tuple[str, np.ndarray]:
    """(class name, probabilities (C,)) for one image through the validation transforms and the whole model.

    Multi-label data: the probabilities are per-class sigmoid outputs and the name lists every
    class above `thresh`, space-separated as in the labels CSV ('' when none is).
    """
    data = learn.data
    if isinstance(fn, Image.Image) and fn.mode != "RGB":
        fn = fn.convert("RGB")  # file names go through open_image, which handles every mode itself
    x = data.tfms[1](fn)[None]  # validation pipeline: shorter side to sz, centre crop, normalise
    out = run_batches(learn, [(x, None)], act=False, num_workers=0)[0][0]
    if data.is_multi:
        probs = torch.sigmoid(out).numpy()
        return " ".join(c for c, p in zip(data.classes, probs) if p > thresh), probs
    probs = torch.softmax(out, dim=0).numpy()
    return data.classes[int(probs.argmax())], probs


# ---------------------------------------------------------------------- test-time augmentation
def tta(learn, n_aug: int = 4, is_test: bool = False, seed: int | None = None, average: bool = False,
        progress: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """(log_preds (1 + n_aug, N, C), y): a plain pass, then `n_aug` augmented passes; y is None for the test set.

    average=True returns (probs (N, C), y), averaged in probability space. `seed` fixes the
    augmentations (with or without loader workers); without it one number is drawn from Python's
    `random`, so `set_seed` at the top of a notebook makes TTA repeatable too. The model's
    train/eval modes and the global random states are put back afterwards, also after Ctrl-C.
    """
    if isinstance(n_aug, bool) or not isinstance(n_aug, (int, np.integer)) or n_aug < 0:
        raise ValueError(f"n_aug must be a whole number >= 0 (the number of augmented passes); got {n_aug!r}.")
    n_aug = int(n_aug)
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

    py_state = random.getstate()
    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_available() and torch.cuda.is_initialized() else []
    pbar = aug_it = None
    # fork_rng: torch's random states (CPU and CUDA) come back as they were, whatever happens inside
    with torch.random.fork_rng(devices=cuda), eval_mode(learn.model):
        try:
            # `disable` only when asked: passed always, it would override TQDM_DISABLE=1
            pbar = progress_bar(total=1 + n_aug, desc="TTA passes", unit="pass", leave=False,
                        **({} if progress else {"disable": True}))
            # the n_aug passes run back to back through one loader over the augmented set repeated n_aug
            # times: the same images in the same order as n_aug separate epochs, without a start-up pause
            # (worker start, first batch) before each pass. With workers, they start loading during the
            # plain pass; without, seeding must wait until the plain pass is done.
            aug_dl = aug_it = None
            if n_aug and data.num_workers > 0:
                aug_dl = _seeded_loader(data, ConcatDataset([aug_ds] * n_aug), seed)
                aug_it = iter(aug_dl)
            passes = [_outputs(learn, data.test_dl if is_test else data.val_dl)]  # validation transforms
            pbar.update()
            if n_aug:
                if aug_dl is None:
                    aug_dl = _seeded_loader(data, ConcatDataset([aug_ds] * n_aug), seed)
                out = _outputs(learn, aug_dl, aug_it, on_items=pbar.update, n_per_pass=len(plain_ds))
                passes += list(out.reshape(n_aug, len(plain_ds), -1))
        finally:
            # runs on errors and Ctrl-C alike: dropping the last reference to a started iterator stops its
            # worker processes now, not when a traceback that holds this frame is freed
            aug_it = None
            if pbar is not None:
                pbar.close()
            random.setstate(py_state)

    preds = np.stack(passes)  # (1 + n_aug, N, C)
    y = None if is_test or plain_ds.y is None else np.array(plain_ds.y, copy=True)
    if average:
        # mixture of the passes, in probability space (see the module docstring for why not in log space)
        return (preds.mean(0) if data.is_multi else np.exp(preds).mean(0)), y
    return preds, y


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
        del it  # a loader without persistent workers stops them once its iterator is gone (see tta)


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

