"""Transforms as the lesson names them: `tfms_from_model`, `transforms_side_on`, ... on PIL + torch.

A pipeline decodes (reduced-size JPEG decode when the target is small), scales the shorter side,
applies the augmentations on a small float tensor, crops to `sz` and normalises.

The flip is torchvision's `v2.RandomHorizontalFlip`. Resizing, cropping and normalising stay our own
few lines around the same torch kernels: with `v2.functional.resize`, `v2.RandomCrop`/`CenterCrop`
and `v2.Normalize` the 64 px training pipeline measured 10-15% slower in `bench/data_pipeline.py`
(per-call dispatch, channels-last outputs that slow every later op, mean/std tensors rebuilt per
image), and `v2.Normalize` cannot fuse the uint8 -> float scaling into the normalisation as
`Tfms.__call__` does. Rotation (reflect-padded), lighting, the dihedral group and the zoom have no
torchvision equivalent that does the same.

Randomness: the flip draws from torch's generator, everything else from Python's `random`; PyTorch
seeds both in every DataLoader worker, and `set_seed` seeds both in the main process.
"""
from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass, replace
from enum import Enum
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision.transforms import v2

from .devices import cpu_threads
from .images import to_rgb, draft_side, open_image
from .archs import IMAGENET_STATS, arch_stats

imagenet_stats = IMAGENET_STATS


class CropType(str, Enum):
    """How the final `sz` square is cut: random (training), centre (validation), or squish the whole image."""
    RANDOM = "random"
    CENTER = "center"
    NO = "no"


# ---------------------------------------------------------------- augmentations (CHW float in [0,1])
class RandomRotate:
    """Rotate by U(-deg, deg) with probability p, filling the corners by reflection (not black)."""

    def __init__(self, deg: float = 10, p: float = 0.75):
        self.deg, self.p = deg, p

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if random.random() >= self.p:
            return x
        return rotate(x, random.uniform(-self.deg, self.deg))

    def __repr__(self) -> str:
        return f"RandomRotate({self.deg}, p={self.p})"


class RandomLighting:
    """Random brightness shift U(-b, b) and contrast change U(-c, c) (as a factor around the mean)."""

    def __init__(self, b: float = 0.05, c: float = 0.05):
        self.b, self.c = b, c

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        b = random.uniform(-self.b, self.b)
        c = random.uniform(-self.c, self.c)
        c = 1 / (1 - c) if c < 0 else 1 + c  # symmetric: -c shrinks contrast as much as +c grows it
        return lighting(x, b, c)

    def __repr__(self) -> str:
        return f"RandomLighting({self.b}, {self.c})"


class RandomFlip(v2.RandomHorizontalFlip):
    """Mirror left-right with probability p (photos taken from the side): torchvision's flip, the lesson's name."""

    def __repr__(self) -> str:
        return f"RandomFlip(p={self.p})"


class RandomDihedral:
    """One of the 8 rotations/reflections of the square, uniformly (satellite and microscope images)."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        k = random.randrange(8)
        x = torch.rot90(x, k % 4, dims=(-2, -1))
        return x.flip(-1) if k >= 4 else x

    def __repr__(self) -> str:
        return "RandomDihedral()"


transforms_basic = [RandomRotate(10), RandomLighting(0.05, 0.05)]
transforms_side_on = transforms_basic + [RandomFlip()]
transforms_top_down = transforms_basic + [RandomDihedral()]


def rotate(x: torch.Tensor, deg: float) -> torch.Tensor:
    """Rotate a CHW float tensor about its centre, reflecting at the borders."""
    h, w = x.shape[-2:]
    t = math.radians(deg)
    c, s = math.cos(t), math.sin(t)
    # where each output pixel centre samples from, in grid_sample's [-1, 1] coordinates; each axis is
    # normalised by its own length, so the aspect ratio enters the off-diagonal terms. Built directly
    # (two broadcast products) because affine_grid's generic matrix product costs as much as the sampling.
    xs = torch.linspace(-1 + 1 / w, 1 - 1 / w, w, dtype=x.dtype)
    ys = torch.linspace(-1 + 1 / h, 1 - 1 / h, h, dtype=x.dtype)
    grid = torch.empty(1, h, w, 2, dtype=x.dtype)
    grid[0, :, :, 0] = xs * c - (ys * (s * h / w))[:, None]
    grid[0, :, :, 1] = xs * (s * w / h) + (ys * c)[:, None]
    return F.grid_sample(x[None], grid, mode="bilinear", padding_mode="reflection", align_corners=False)[0]


def lighting(x: torch.Tensor, b: float, c: float) -> torch.Tensor:
    """Scale contrast by `c` around the image mean and add brightness `b`, clipped to [0, 1]."""
    if b == 0 and c == 1:
        return x
    mu = x.mean().item()
    return (x * c).add_(mu * (1 - c) + b).clamp_(0, 1)  # (x - mu) * c + mu + b, in one new tensor


# ---------------------------------------------------------------- the pipeline
def _resize(img: Image.Image, size: tuple[int, int]) -> torch.Tensor:
    """RGB PIL image -> uint8 CHW tensor of `size` (w, h), resized with antialiased bilinear filtering.

    torch's uint8 kernel matches PIL's BILINEAR resize to within one grey level at a third of the cost.
    """
    w, h = img.size
    k = int(min(w / size[0], h / size[1]) // 3)
    if k >= 2:  # very large reductions: average k x k blocks first, as PIL's reducing_gap=3 does
        img = img.reduce(k)
        w, h = img.size
    x = torch.from_numpy(np.array(img, dtype=np.uint8)).permute(2, 0, 1)  # a CHW view of HWC memory
    if (w, h) == tuple(size):
        return x
    return F.interpolate(x[None], size=(size[1], size[0]), mode="bilinear", antialias=True, align_corners=False)[0]


@dataclass(kw_only=True, eq=False)
class Tfms:
    """A full image pipeline for one size: decode, scale, augment, crop, normalise.

    Keyword-only, as torchvision's presets: seven settings in a row are too easy to swap. A copy with one change
    is `dataclasses.replace(tfm, sz=299)` (what `with_size` does).
    """
    sz: int
    aug_tfms: Sequence[Callable] | None = None
    max_zoom: float | None = None
    pad: int = 0
    crop_type: CropType | str = CropType.CENTER
    stats: tuple = imagenet_stats
    train: bool = False

    def __post_init__(self):
        sz = self.sz
        if isinstance(sz, bool) or not isinstance(sz, (int, np.integer)) or sz < 1:
            raise ValueError(f"sz (the image size in pixels) must be a whole number >= 1, got {sz!r}.")
        self.sz, self.aug_tfms = int(sz), list(self.aug_tfms or [])
        self.pad, self.crop_type = int(self.pad), CropType(self.crop_type)
        if self.max_zoom is not None and not self.max_zoom >= 1:  # also refuses nan
            raise ValueError(f"max_zoom must be at least 1 (1.1 zooms in by up to 10%); got {self.max_zoom!r}.")
        if not 0 <= self.pad < self.sz:  # reflection padding needs fewer pixels than the image has
            raise ValueError(f"pad must be at least 0 and less than sz={self.sz}; got pad={self.pad}")
        self.mean = torch.tensor(self.stats[0], dtype=torch.float32).view(3, 1, 1)
        self.std = torch.tensor(self.stats[1], dtype=torch.float32).view(3, 1, 1)
        # normalising is one multiply-add: x * _scale + _shift (x in [0, 1]), or x * _scale255 + _shift (0..255)
        self._scale, self._shift, self._scale255 = 1 / self.std, -self.mean / self.std, 1 / (255 * self.std)

    @property
    def need_side(self) -> int:
        """Shorter side needed from the decoder (the largest random zoom included).

        The validation pipeline asks for the same side as its training twin (it is built with the same
        `max_zoom` but never zooms), so both decode alike and can share one in-memory cache.
        """
        return draft_side(self.sz, self.max_zoom)

    def with_size(self, sz: int) -> "Tfms":
        """The same pipeline at another size (progressive resizing)."""
        return replace(self, sz=sz)

    def scaled_size(self, w: int, h: int) -> tuple[int, int]:
        """(width, height) after scaling: shorter side `sz` (times a random zoom when training), or a square."""
        zoom = 1.0
        if self.train and self.max_zoom and self.max_zoom > 1 and random.random() < 0.75:
            zoom = random.uniform(1.0, self.max_zoom)
        target = self.sz * zoom
        if self.crop_type is CropType.NO:
            return (max(self.sz, round(target)),) * 2
        r = target / min(w, h)
        return max(self.sz, round(w * r)), max(self.sz, round(h * r))

    def scale(self, img: Image.Image) -> Image.Image:
        """The scaling step on its own, as a PIL image to look at (the pipeline resizes the same way, in torch)."""
        size = self.scaled_size(*img.size)
        return img if size == img.size else img.resize(size, Image.BILINEAR, reducing_gap=3.0)

    def crop(self, x: torch.Tensor) -> torch.Tensor:
        """Cut an `sz` square from a CHW tensor: random when training with RANDOM, else centred."""
        h, w = x.shape[-2:]
        s = self.sz
        if self.train and self.crop_type is CropType.RANDOM:
            top, left = random.randint(0, h - s), random.randint(0, w - s)
        else:
            top, left = (h - s) // 2, (w - s) // 2
        return x[..., top:top + s, left:left + s]

    def __call__(self, img: Image.Image | str | os.PathLike) -> torch.Tensor:
        # one image is too little work to split: spread over all cores (num_workers=0), every small op
        # waits for a busy core; loader workers already run on one thread, where this changes nothing
        with cpu_threads(1):
            if not isinstance(img, Image.Image):
                img = open_image(img, min_side=self.need_side)
            elif img.mode != "RGB":
                img = to_rgb(img)
            x = _resize(img, self.scaled_size(*img.size))  # uint8 CHW
            out = torch.empty(3, self.sz, self.sz, dtype=torch.float32)
            augs = self.aug_tfms if self.train else []
            if not (self.pad or augs):  # nothing to do before the crop: only the sz x sz square becomes floats
                return torch.addcmul(self._shift, self.crop(x).float(), self._scale255, out=out)
            x = x.float().mul_(1 / 255)
            if self.pad:
                x = F.pad(x[None], (self.pad,) * 4, mode="reflect")[0]
            for tfm in augs:
                x = tfm(x)
            return torch.addcmul(self._shift, self.crop(x), self._scale, out=out)  # (x - mean) / std

    def denorm(self, x: torch.Tensor) -> np.ndarray:
        """Undo normalisation for display: (C,H,W) or (N,C,H,W) tensor -> HWC / NHWC array in [0, 1]."""
        return denorm(x, self.stats)

    def __repr__(self) -> str:
        kind = "train" if self.train else "valid"
        augs = ", ".join(map(repr, self.aug_tfms)) if self.train else "none"
        zoom = f"max_zoom={self.max_zoom}, " if self.train else ""
        return f"Tfms({kind}, sz={self.sz}, crop={self.crop_type.value}, {zoom}pad={self.pad}, aug=[{augs}])"


def denorm(x: torch.Tensor, stats=imagenet_stats) -> np.ndarray:
    """Normalised CHW (or NCHW) tensor -> HWC (or NHWC) numpy array in [0, 1] for plotting."""
    x = x.detach().float().cpu()
    mean = torch.tensor(stats[0]).view(-1, 1, 1)
    std = torch.tensor(stats[1]).view(-1, 1, 1)
    x = (x * std + mean).clamp(0, 1)
    return x.movedim(-3, -1).numpy()


def tfms_from_stats(stats, sz: int, aug_tfms: Sequence[Callable] | None = None, max_zoom: float | None = None,
                    pad: int = 0, crop_type: CropType | str = CropType.RANDOM) -> tuple[Tfms, Tfms]:
    """(train, valid) pipelines for images normalised with `stats`; validation never augments."""
    crop_type = CropType(crop_type)
    trn = Tfms(sz=sz, aug_tfms=aug_tfms, max_zoom=max_zoom, pad=pad, crop_type=crop_type, stats=stats, train=True)
    val_crop = CropType.NO if crop_type is CropType.NO else CropType.CENTER
    val = Tfms(sz=sz, max_zoom=max_zoom, crop_type=val_crop, stats=stats)  # max_zoom: the decode side only
    return trn, val


def tfms_from_model(arch, sz: int, aug_tfms: Sequence[Callable] | None = None, max_zoom: float | None = None,
                    pad: int = 0, crop_type: CropType | str = CropType.RANDOM) -> tuple[Tfms, Tfms]:
    """(train, valid) pipelines with the statistics the architecture was pretrained with (see models.arch_stats)."""
    stats = arch_stats(arch)
    return tfms_from_stats(stats, sz, aug_tfms, max_zoom, pad, crop_type)
