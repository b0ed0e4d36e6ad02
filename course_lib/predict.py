"""Predicting one image file, the way the validation set is predicted (no augmentation)."""
from __future__ import annotations

import os

import numpy as np
import torch
from PIL import Image

from .devices import to_device


def predict_image(learn, fn: str | os.PathLike | Image.Image, thresh: float = 0.5) -> tuple[str, np.ndarray]:
    """(class name, probabilities (C,)) for one image through the validation transforms and the whole model.

    Multi-label data: the probabilities are per-class sigmoid outputs and the name lists every
    class above `thresh`, space-separated as in the labels CSV ('' when none is).
    """
    data = learn.data
    if isinstance(fn, Image.Image) and fn.mode != "RGB":
        fn = fn.convert("RGB")  # file names go through open_image, which handles every mode itself
    x = data.tfms[1](fn)[None]  # validation pipeline: shorter side to sz, centre crop, normalise
    model = learn.model
    modes = [(m, m.training) for m in model.modules()]
    try:
        model.eval()
        with torch.inference_mode():
            out = model(to_device(x, learn.device)).float()[0]
    finally:
        for m, training in modes:
            m.training = training
    if data.is_multi:
        probs = torch.sigmoid(out).cpu().numpy()
        return " ".join(c for c, p in zip(data.classes, probs) if p > thresh), probs
    probs = torch.softmax(out, dim=0).cpu().numpy()
    return data.classes[int(probs.argmax())], probs
