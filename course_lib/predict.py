"""Predicting one image file, the way the validation set is predicted (no augmentation)."""
from __future__ import annotations

import os

import numpy as np
import torch
from PIL import Image

from .inference import run_batches


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
