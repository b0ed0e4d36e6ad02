"""Formula-driven source images for pretraining without photos.

Each fractal class is an iterated function system (IFS): 2-4 random contractive affine
maps, sampled with the sigma-factor rule (Anderson & Farrell 2022, refining the
FractalDB recipe of Kataoka et al. 2020) and kept only if the attractor fills enough of
its bounding box. Instances of a class jitter the maps' parameters and vary colour,
background, position, scale and flips; the chaos game that draws them is vectorised
over all instances of a class at once.

An optional second family, texture classes, is band-pass filtered noise: each class is a
frequency band and orientation spread, each instance new noise and new colours.

A third family, shape classes, composes 2-5 geometric primitives (polygons of 3-7 corners,
ellipses, arcs, strokes; often mirrored in pairs) in a class-specific arrangement; instances
vary pose, part placement, colours, lighting and background, and may be partly occluded.

Everything is a pure function of the seed: classes come from `Generator([seed, 0, c])`,
instances of split `s` from `Generator([seed, 1, s, c])`; no global random state.

    python -m course_lib.synthetic.fractals --classes 100 --per-class 50   # prints images/s, writes a preview
"""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = ["IFS", "sample_ifs", "chaos_game", "render_ifs", "Texture", "sample_texture", "render_texture",
           "Shape", "sample_shape", "render_shape",
           "render_split", "SourceData", "make_source", "MIXES"]

MIXES = ("ifs", "ifs+tex", "ifs+shapes", "ifs+shapes+tex")


@dataclass
class IFS:
    """An iterated function system: maps x -> A[k] @ x + b[k], picked with probability p[k]."""

    A: np.ndarray  # (n, 2, 2)
    b: np.ndarray  # (n, 2)
    p: np.ndarray  # (n,)


def _rot(t: np.ndarray) -> np.ndarray:
    """Rotation matrices for angles `t`, shape t.shape + (2, 2)."""
    c, s = np.cos(t), np.sin(t)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)


def _maps(rng: np.random.Generator, n: int) -> IFS:
    """n affine maps whose singular values meet the sigma-factor rule."""
    # sigma factor sum_k (s1_k + 2 s2_k) in [(5+n)/2, (6+n)/2] keeps attractors neither dust nor blobs
    alpha = rng.uniform((5 + n) / 2, (6 + n) / 2)
    while True:
        s = np.sort(rng.uniform(0, 1, (n, 2)), axis=1)[:, ::-1]  # s1 >= s2
        s *= alpha / (s[:, 0] + 2 * s[:, 1]).sum()
        if s.max() < 1:  # every map must stay contractive
            break
    d = np.where(rng.random((n, 2)) < 0.5, -1.0, 1.0)  # reflections
    A = _rot(rng.uniform(0, 2 * np.pi, n)) @ (s[:, :, None] * _rot(rng.uniform(0, 2 * np.pi, n))) * d[:, None, :]
    b = rng.uniform(-1, 1, (n, 2))
    det = np.abs(np.linalg.det(A))
    return IFS(A, b, det / det.sum())  # pick maps in proportion to the area they cover


def chaos_game(A: np.ndarray, b: np.ndarray, p: np.ndarray, rng: np.random.Generator,
               npts: int = 1024, steps: int = 24, burn: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Run the chaos game for a batch of IFSs at once.

    A: (B, n, 2, 2), b: (B, n, 2), p: (B, n). Returns points (B, npts*(steps-burn), 2) and the
    index of the map that produced each point (same leading shape), used for colouring.
    """
    bs, n = p.shape
    cp = np.cumsum(p, 1)
    x = rng.uniform(-1, 1, (bs, npts, 2))
    ar = np.arange(bs)[:, None]
    pts, ks = [], []
    for t in range(steps):
        # inverse-CDF sampling of the map index for every point of every instance
        k = np.minimum((rng.random((bs, npts, 1)) > cp[:, None, :]).sum(-1), n - 1)
        x = np.einsum("bpij,bpj->bpi", A[ar, k], x) + b[ar, k]
        if t >= burn:  # early points have not reached the attractor yet
            pts.append(x)
            ks.append(k)
    return np.concatenate(pts, 1), np.concatenate(ks, 1)


def _fill_rate(ifs: IFS, rng: np.random.Generator, sz: int = 32) -> float:
    """Fraction of the attractor's bounding box (at sz x sz) that it covers."""
    pts, _ = chaos_game(ifs.A[None], ifs.b[None], ifs.p[None], rng, npts=256, steps=24)
    pts = pts[0]
    lo, hi = pts.min(0), pts.max(0)
    if not np.isfinite(pts).all() or (hi - lo).min() < 1e-3:
        return 0.0
    ij = ((pts - lo) / (hi - lo).max() * (sz - 1)).astype(int)
    ext = ij.max(0) + 1
    return len(np.unique(ij[:, 0] * sz + ij[:, 1])) / float(ext[0] * ext[1])


def sample_ifs(rng: np.random.Generator, min_fill: float = 0.1, tries: int = 200) -> IFS:
    """Sample one non-degenerate IFS (2-4 maps) that fills at least `min_fill` of its box."""
    for _ in range(tries):
        ifs = _maps(rng, int(rng.integers(2, 5)))
        if _fill_rate(ifs, rng) >= min_fill:
            return ifs
    raise RuntimeError(f"no IFS reached fill rate {min_fill} in {tries} tries; lower min_fill")


def _backgrounds(rng: np.random.Generator, bs: int, sz: int, texture: bool) -> np.ndarray:
    """Random backgrounds in [0,1], (B, sz, sz, 3): flat colour, linear gradient, or texture."""
    c0, c1 = rng.random((bs, 1, 1, 3)), rng.random((bs, 1, 1, 3))
    g = np.linspace(0, 1, sz)
    th = rng.uniform(0, 2 * np.pi, bs)[:, None, None]
    ramp = (np.cos(th) * g[None, None, :] + np.sin(th) * g[None, :, None])
    ramp = (ramp - ramp.min((1, 2), keepdims=True)) / (np.ptp(ramp, (1, 2), keepdims=True) + 1e-6)
    kind = rng.integers(0, 3 if texture else 2, bs)
    w = np.where(kind[:, None, None] == 0, 0.0, ramp)  # kind 0: flat, 1: gradient
    if texture:  # kind 2: low-contrast noise texture, so "object on clutter" is not trivially separable
        tex = _bandpass(rng, bs, sz, rng.uniform(1, 12, bs), rng.uniform(0.3, 1, bs),
                        rng.uniform(0, np.pi, bs), rng.uniform(0.2, np.pi / 2, bs))
        w = np.where(kind[:, None, None] == 2, tex, w)
    bg = c0 + (c1 - c0) * w[..., None]
    return bg * rng.uniform(0.3, 1.0, (bs, 1, 1, 1))  # global brightness


def render_ifs(ifs: IFS, rng: np.random.Generator, n: int, sz: int = 64, jitter: float = 0.08,
               texture_bg: bool = False, npts: int = 768, steps: int = 20) -> np.ndarray:
    """Render `n` varied instances of one IFS class as uint8 images (n, sz, sz, 3)."""
    m = len(ifs.p)
    # parameter jitter: per-instance multiplicative noise on every map entry (FractalDB-style
    # intra-class variation); A is rescaled if jitter pushed a map past contraction
    A = ifs.A[None] * (1 + jitter * rng.standard_normal((n, m, 2, 2)))
    sv = np.linalg.norm(A, 2, axis=(-2, -1))
    A = A / np.maximum(sv / 0.98, 1)[..., None, None]
    b = ifs.b[None] + jitter * rng.standard_normal((n, m, 2))
    det = np.abs(np.linalg.det(A)) + 1e-6
    p = det / det.sum(1, keepdims=True)
    pts, ks = chaos_game(A, b, p, rng, npts, steps)
    # robust per-instance bounding box, then random scale and offset inside the image
    lo, hi = np.percentile(pts, 0.5, 1), np.percentile(pts, 99.5, 1)
    span = (hi - lo).max(1, keepdims=True) + 1e-6
    scale = rng.uniform(0.55, 0.95, (n, 1)) * sz / span
    ext = (hi - lo) * scale
    off = rng.uniform(0, 1, (n, 2)) * np.maximum(sz - ext, 0)
    flip = rng.random((n, 2)) < 0.5
    xy = (pts - lo[:, None]) * scale[:, None] + off[:, None]
    xy = np.where(flip[:, None], sz - 1 - xy, xy)
    ij = np.floor(xy).astype(np.int64)
    ok = ((ij >= 0) & (ij < sz)).all(-1)
    # colour each point by a running blend of its maps' colours: parts made by different
    # maps get different hues, which shows the self-similar structure
    pal = rng.random((n, m, 3))
    col = pal[np.arange(n)[:, None], ks]
    col = 0.5 * col + 0.5 * np.roll(col, 1, axis=1)
    flat = (np.arange(n)[:, None] * sz * sz + ij[..., 1] * sz + ij[..., 0])[ok]
    cnt = np.bincount(flat, minlength=n * sz * sz).reshape(n, sz, sz)
    rgb = np.stack([np.bincount(flat, col[..., c][ok], n * sz * sz) for c in range(3)], -1).reshape(n, sz, sz, 3)
    rgb = rgb / np.maximum(cnt, 1)[..., None]
    # density -> opacity on a log scale so thin arms stay visible next to dense cores
    dens = np.log1p(cnt) / np.log1p(np.percentile(cnt.reshape(n, -1), 99, 1)[:, None, None] + 1)
    a = np.clip(dens * rng.uniform(0.8, 1.5, (n, 1, 1)), 0, 1)[..., None]
    img = _backgrounds(rng, n, sz, texture_bg) * (1 - a) + rgb * a
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def _bandpass(rng: np.random.Generator, bs: int, sz: int, f0: np.ndarray, bw: np.ndarray,
              th: np.ndarray, tw: np.ndarray) -> np.ndarray:
    """Band-pass filtered noise in [0,1], (B, sz, sz): centre frequency f0 (cycles/image),
    relative bandwidth bw, orientation th with angular spread tw (pi/2 = isotropic)."""
    fy = np.fft.fftfreq(sz)[:, None] * sz
    fx = np.fft.rfftfreq(sz)[None, :] * sz
    r = np.hypot(fx, fy)[None] + 1e-6
    ang = np.arctan2(fy, fx)[None]
    radial = np.exp(-0.5 * (np.log(r / f0[:, None, None]) / bw[:, None, None]) ** 2)
    d = np.angle(np.exp(2j * (ang - th[:, None, None]))) / 2  # orientation difference, mod pi
    angular = np.exp(-0.5 * (d / tw[:, None, None]) ** 2)
    spec = (rng.standard_normal((bs, sz, sz // 2 + 1)) + 1j * rng.standard_normal((bs, sz, sz // 2 + 1)))
    x = np.fft.irfft2(spec * radial * angular, s=(sz, sz))
    x = (x - x.mean((1, 2), keepdims=True)) / (x.std((1, 2), keepdims=True) + 1e-8)
    return 1 / (1 + np.exp(-1.5 * x))


@dataclass
class Texture:
    """A texture class: a frequency band, an orientation spread, and a contrast curve."""

    f0: float
    bw: float
    th: float
    tw: float
    sharp: float  # steepness of the two-colour threshold: low = smooth, high = binary


def sample_texture(rng: np.random.Generator) -> Texture:
    """Sample one texture class."""
    return Texture(f0=float(np.exp(rng.uniform(np.log(2), np.log(20)))), bw=float(rng.uniform(0.15, 0.6)),
                   th=float(rng.uniform(0, np.pi)), tw=float(rng.choice([0.15, 0.4, np.pi])),
                   sharp=float(rng.choice([1.0, 4.0, 20.0])))


def render_texture(tex: Texture, rng: np.random.Generator, n: int, sz: int = 64) -> np.ndarray:
    """Render `n` instances of one texture class as uint8 images (n, sz, sz, 3)."""
    ones = np.ones(n)
    th = tex.th + rng.normal(0, 0.1, n)  # small orientation jitter; flips are covered by spread
    x = _bandpass(rng, n, sz, tex.f0 * rng.uniform(0.85, 1.15, n), tex.bw * ones, th, tex.tw * ones)
    x = 1 / (1 + np.exp(-tex.sharp * (x - 0.5) * 4))
    c0, c1 = rng.random((n, 1, 1, 3)), rng.random((n, 1, 1, 3))
    img = c0 + (c1 - c0) * x[..., None]
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# Shape classes: compositions of a few geometric primitives in a class-specific arrangement.
# Fractals and textures teach edges, colour and self-similar detail but little about parts:
# triangles on top of an ellipse, a small dark disc inside a light one, a curved stroke at
# one side. A shape class fixes which primitives there are, where they sit relative to each
# other, their sizes, orientations and which are outlines; an instance moves, scales, rotates
# and recolours the whole and each part a little, adds lighting, and may hide parts behind
# occluders.

PRIMS = ("polygon", "ellipse", "arc", "stroke")


@dataclass
class Shape:
    """A shape class: parts drawn in order (later parts on top), in object coordinates ([-1, 1]^2)."""

    kind: np.ndarray  # (m,) index into PRIMS
    centre: np.ndarray  # (m, 2)
    size: np.ndarray  # (m, 2) half-extents (polygon radius, ellipse axes, arc axes, stroke half-length/width)
    angle: np.ndarray  # (m,) part orientation
    corners: np.ndarray  # (m,) polygon corner count (3-7); unused for other parts
    radii: np.ndarray  # (m, 7) per-corner radius factors, so polygons are not all regular
    span: np.ndarray  # (m, 2) arc start angle and angular length
    outline: np.ndarray  # (m,) bool: draw the outline only (width in object units)
    width: np.ndarray  # (m,)
    rot_range: float  # how far instances rotate: small for "upright" classes, pi for any orientation


def sample_shape(rng: np.random.Generator) -> Shape:
    """Sample one shape class: 2-5 parts, often mirrored left/right as faces and bodies are."""
    m = int(rng.integers(2, 5))
    kind = rng.choice(len(PRIMS), m, p=[0.4, 0.3, 0.15, 0.15])
    kind[0] = rng.choice([0, 1])  # the base part is a filled solid, the rest sit on or around it
    centre = rng.uniform(-0.55, 0.55, (m, 2))
    centre[0] = rng.uniform(-0.15, 0.15, 2)
    size = np.exp(rng.uniform(np.log(0.12), np.log(0.5), (m, 2)))
    size[0] = rng.uniform(0.4, 0.7, 2)
    size[:, 1] = np.where(kind == 3, size[:, 1] * 0.25, size[:, 1])  # strokes are thin
    angle = rng.uniform(0, 2 * np.pi, m)
    corners = rng.integers(3, 8, m)
    radii = rng.uniform(0.75, 1.0, (m, 7))
    span = np.stack([rng.uniform(0, 2 * np.pi, m), rng.uniform(0.6, 1.6, m) * np.pi], 1)
    outline = (rng.random(m) < 0.3) & (kind < 2)
    outline[0] = False
    width = rng.uniform(0.04, 0.1, m)
    if rng.random() < 0.6:  # mirror the non-base parts across the vertical axis: pairs of ears, eyes
        k = np.arange(1, m)
        mir = lambda v: np.concatenate([v, v[k]])  # noqa: E731
        c2 = centre[k] * [-1, 1]
        kind, size, corners, radii, outline, width = map(mir, (kind, size, corners, radii, outline, width))
        centre = np.concatenate([centre, c2])
        angle = np.concatenate([angle, np.pi - angle[k]])
        span = np.concatenate([span, np.stack([np.pi - span[k, 0] - span[k, 1], span[k, 1]], 1)])
        centre[0, 0] = 0.0
    return Shape(kind, centre, size, angle, corners, radii, span, outline, width,
                 rot_range=float(rng.choice([0.35, np.pi])))


def _sdf(shape: Shape, j: int, q: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Approximate signed distance (object units, negative inside) of part j for points q (n, P, 2)
    given in the part's own rotated frame, with per-instance half-extents size (n, 2)."""
    kind = PRIMS[shape.kind[j]]
    sx, sy = size[:, None, 0], size[:, None, 1]
    if kind == "polygon":  # convex polygon with jittered corner radii: max over edge half-planes
        k = int(shape.corners[j])
        t = 2 * np.pi * np.arange(k) / k
        v = shape.radii[j, :k, None] * np.stack([np.cos(t), np.sin(t)], 1)  # (k, 2)
        v = v[None] * size[:, None, :]  # (n, k, 2)
        e = np.roll(v, -1, 1) - v
        nrm = np.stack([e[..., 1], -e[..., 0]], -1) / (np.linalg.norm(e, axis=-1, keepdims=True) + 1e-9)
        return (np.einsum("npd,nkd->npk", q, nrm) - np.einsum("nkd,nkd->nk", v, nrm)[:, None, :]).max(-1)
    r = np.hypot(q[..., 0] / sx, q[..., 1] / sy)
    ell = (r - 1) * np.minimum(sx, sy)  # ellipse: scaled radial distance (good enough near the rim)
    if kind == "ellipse":
        return ell
    if kind == "arc":  # the rim of an ellipse between two angles, as a band of the part's width
        a = np.mod(np.arctan2(q[..., 1] / sy, q[..., 0] / sx) - shape.span[j, 0], 2 * np.pi)
        off = np.where(a <= shape.span[j, 1], 0.0, 1.0)
        return np.abs(ell) + off - shape.width[j] / 2
    # stroke: a capsule along x of half-length sx and half-width sy
    dx = np.maximum(np.abs(q[..., 0]) - sx, 0)
    return np.hypot(dx, q[..., 1]) - sy


def render_shape(shape: Shape, rng: np.random.Generator, n: int, sz: int = 64, jitter: float = 0.08,
                 texture_bg: bool = True) -> np.ndarray:
    """Render `n` varied instances of one shape class as uint8 images (n, sz, sz, 3)."""
    m = len(shape.kind)
    g = (np.arange(sz) + 0.5) / sz * 2 - 1
    P = np.stack(np.meshgrid(g, g), -1).reshape(1, -1, 2)  # pixel centres in [-1, 1], (1, P, 2) as (x, y)
    # whole-object pose: scale, rotation, flip, position (kept mostly inside the frame)
    scale = rng.uniform(0.55, 0.95, n)
    rot = rng.uniform(-shape.rot_range, shape.rot_range, n)
    flip = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    pos = rng.uniform(-1, 1, (n, 2)) * (1 - 0.7 * scale)[:, None]
    # points in object coordinates: undo position, rotation, scale, flip
    c, s = np.cos(rot)[:, None], np.sin(rot)[:, None]
    d = P - pos[:, None]
    obj = np.stack([(c * d[..., 0] + s * d[..., 1]) * flip[:, None], -s * d[..., 0] + c * d[..., 1]], -1)
    obj /= scale[:, None, None]
    img = _backgrounds(rng, n, sz, texture_bg).reshape(n, -1, 3)
    px = 2 / sz / scale[:, None]  # one pixel in object units, for anti-aliased edges
    # lighting: a smooth brightness ramp across the object, direction and strength per instance
    lt = rng.uniform(0, 2 * np.pi, n)[:, None]
    light = 1 + rng.uniform(0, 0.5, n)[:, None] * (np.cos(lt) * obj[..., 0] + np.sin(lt) * obj[..., 1]) / 1.5
    for j in range(m):
        cj = shape.centre[j] + jitter * rng.standard_normal((n, 2))
        sj = shape.size[j] * np.exp(jitter * rng.standard_normal((n, 2)))
        aj = shape.angle[j] + 2 * jitter * rng.standard_normal(n)
        ca, sa = np.cos(aj)[:, None], np.sin(aj)[:, None]
        e = obj - cj[:, None]
        q = np.stack([ca * e[..., 0] + sa * e[..., 1], -sa * e[..., 0] + ca * e[..., 1]], -1)
        dist = _sdf(shape, j, q, sj)
        if shape.outline[j]:
            dist = np.abs(dist) - shape.width[j] / 2
        a = np.clip(0.5 - dist / px, 0, 1)[..., None]
        col = rng.random((n, 1, 3)) * np.clip(light, 0.3, 1.6)[..., None]
        img = img * (1 - a) + np.clip(col, 0, 1) * a
    # occluders: up to two flat blobs or bars in front, so parts must be recognised from what shows
    for _ in range(2):
        on = rng.random(n) < 0.3
        oc = rng.uniform(-1, 1, (n, 2))
        osz = rng.uniform(0.1, 0.35, (n, 2))
        dd = np.abs(P - oc[:, None]) / osz[:, None]
        inside = np.where(rng.random(n)[:, None] < 0.5, dd.max(-1), np.hypot(dd[..., 0], dd[..., 1])) < 1
        a = (inside & on[:, None])[..., None]
        img = np.where(a, rng.random((n, 1, 3)), img)
    return (np.clip(img, 0, 1).reshape(n, sz, sz, 3) * 255).astype(np.uint8)


def _family_counts(classes: int, mix: str) -> tuple[int, int, int]:
    """How many of `classes` are (IFS, shape, texture) classes for a source mix; IFS classes come first."""
    if mix not in MIXES:
        raise ValueError(f"mix must be one of {MIXES}, got {mix!r}")
    n_tex = classes // 5 if "tex" in mix.split("+") else 0
    n_shape = 0
    if "shapes" in mix.split("+"):
        n_shape = classes // 2 if n_tex == 0 else 2 * classes // 5
    return classes - n_shape - n_tex, n_shape, n_tex


def render_split(classes: int, per_class: int, sz: int = 64, seed: int = 0, split: int = 0,
                 mix: str = "ifs") -> tuple[torch.Tensor, torch.Tensor]:
    """Render a whole split: uint8 images (N, 3, sz, sz) and int64 labels (N,), class-major.

    Class definitions depend only on `seed`; `split` picks independent instances, so split 0
    (train) and split 1 (held out) share classes but no images. Classes are ordered IFS, then
    shapes, then textures.
    """
    n_ifs, n_shape, n_tex = _family_counts(classes, mix)
    clutter = mix != "ifs"  # any mixed source puts objects on texture backgrounds too
    xs = []
    for c in range(classes):
        crng = np.random.default_rng([seed, 0, c])
        irng = np.random.default_rng([seed, 1, split, c])
        if c < n_ifs:
            xs.append(render_ifs(sample_ifs(crng), irng, per_class, sz, texture_bg=clutter))
        elif c < n_ifs + n_shape:
            xs.append(render_shape(sample_shape(crng), irng, per_class, sz, texture_bg=clutter))
        else:
            xs.append(render_texture(sample_texture(crng), irng, per_class, sz))
    x = torch.from_numpy(np.concatenate(xs)).permute(0, 3, 1, 2).contiguous()
    y = torch.arange(classes).repeat_interleave(per_class)
    return x, y


class SourceData(Dataset):
    """Pre-rendered source images held in memory as uint8; items are (float image in [0,1], label)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor):
        if x.dtype != torch.uint8 or x.ndim != 4 or len(x) != len(y):
            raise ValueError(f"expected uint8 (N,3,H,W) images and N labels, got {x.dtype} {tuple(x.shape)} "
                             f"and {len(y)} labels")
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[i].float() / 255, self.y[i]


def make_source(classes: int = 100, per_class: int = 50, sz: int = 64, seed: int = 0, split: int = 0,
                mix: str = "ifs") -> SourceData:
    """Render a split of the source task as an in-memory Dataset."""
    return SourceData(*render_split(classes, per_class, sz, seed, split, mix))


def main() -> None:
    """Time the renderer and save a preview grid."""
    p = argparse.ArgumentParser(description="render source images, report images/s, save a preview")
    p.add_argument("--classes", type=int, default=20)
    p.add_argument("--per-class", type=int, default=50)
    p.add_argument("--sz", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mix", choices=MIXES, default="ifs+tex")
    p.add_argument("--preview", default="data/pretrain/preview.png")
    a = p.parse_args()
    t = time.perf_counter()
    x, _ = render_split(a.classes, a.per_class, a.sz, a.seed, 0, a.mix)
    dt = time.perf_counter() - t
    print(f"rendered {len(x)} images at {a.sz}px in {dt:.1f}s: {len(x) / dt:.0f} images/s")
    from PIL import Image  # only the preview needs Pillow

    k = min(8, a.per_class)
    grid = x.view(a.classes, a.per_class, 3, a.sz, a.sz)[:, :k]  # one row per class
    grid = grid.permute(0, 3, 1, 4, 2).reshape(a.classes * a.sz, k * a.sz, 3).numpy()
    Path(a.preview).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).save(a.preview)
    print(f"preview: {a.preview} (one class per row)")


if __name__ == "__main__":
    main()
