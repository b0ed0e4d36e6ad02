"""Generated drawings of cats and dogs: looks, drawing and scenes (the pictures of the offline samples).

The pictures made here are generated drawings, not photos: cats and dogs built from simple
shapes (head, ears, eyes, snout, body, legs, tail) on cluttered backgrounds, in the sizes and
aspect ratios of photos. `course_lib.synthetic.samples` saves them in the Kaggle layouts.

How the drawings are built, and why:
- cats and dogs differ only in shape (ear shape, snout length, pupils, whiskers, head and body
  proportions, tail). Coat colours and patterns, backgrounds, lighting and framing come from
  the same distributions for both, so the average colour of an image says nothing about its class;
- breeds are combinations of traits (ears, snout, coat pattern, palette, tail, legs, body) that
  overlap between breeds, so one detail alone rarely tells two breeds apart;
- images vary in size and aspect ratio like photos, and the animal may sit near an edge, be
  rotated, dimly lit or partly hidden, so a centre crop can cut off the part that matters.

Each image is drawn from its own random generator seeded by a key such as (seed, split, class,
index): the same key gives the same picture.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SS = 2  # shapes are drawn at twice the size and halved, which smooths their edges

Colour = tuple[int, int, int]
Point = tuple[float, float]

COLOURS: dict[str, Colour] = {
    "black": (32, 29, 28), "charcoal": (62, 58, 56), "grey": (128, 127, 130),
    "silver": (184, 184, 188), "white": (236, 233, 226), "cream": (228, 208, 168),
    "fawn": (204, 160, 104), "tan": (188, 124, 66), "gold": (214, 164, 82),
    "red": (172, 86, 42), "orange": (218, 130, 52), "brown": (124, 80, 46),
    "liver": (102, 52, 36), "chocolate": (82, 52, 36),
}
IRISES: dict[str, Colour] = {
    "brown": (92, 56, 30), "amber": (196, 132, 40), "green": (120, 160, 60),
    "yellow": (210, 190, 60), "blue": (110, 160, 210),
}
NOSES: tuple[Colour, ...] = ((25, 22, 22), (70, 45, 38), (210, 140, 140))


# ----------------------------------------------------------------------------- looks


@dataclass
class Look:
    """Shape and coat of one animal; lengths are in units of the head's half-height."""

    cat: bool
    ear: str            # pointed | erect | floppy | half | rose
    ear_size: float
    ear_tip: float      # 0 = sharp tip, 0.4 = well rounded
    snout: float        # how far the muzzle sticks out past the eyes
    head_w: float       # head width / head height
    eye: float          # eye radius
    pupil: str          # slit | round
    whiskers: bool
    tail: str           # cat | straight | curled | docked
    tail_len: float
    legs: float
    leg_w: float
    body: float         # body half-length
    body_h: float       # body half-height
    fluff: float        # ragged outline, for long coats
    coat: Colour
    coat2: Colour
    pattern: tuple[str, ...]  # any of solid, patched, spots, saddle, mask, stripes
    white: bool         # white chest, paws, muzzle and tail tip
    iris: Colour
    nose: Colour


@dataclass(frozen=True)
class Breed:
    """A breed as ranges and choices of traits; breeds share traits, so no single one decides."""

    ears: dict[str, float]
    ear_size: tuple[float, float]
    ear_tip: tuple[float, float]
    snout: tuple[float, float]
    head_w: tuple[float, float]
    eye: tuple[float, float]
    tails: dict[str, float]
    tail_len: tuple[float, float]
    legs: tuple[float, float]
    leg_w: tuple[float, float]
    body: tuple[float, float]
    body_h: tuple[float, float]
    fluff: tuple[float, float]
    coats: tuple[tuple[str, str], ...]  # (main, second) colour names
    patterns: dict[str, float]          # "spots+patched" means both
    white: float                        # chance of white points
    irises: tuple[str, ...] = ("brown", "brown", "amber")


# The first 12 are the default sample. Names follow Kaggle's labels (lowercase, underscores).
# Every ear type, tail type, pattern and colour of the first 12 is shared by at least two of them
# (a test checks it).
BREEDS: dict[str, Breed] = {
    "beagle": Breed(
        ears={"floppy": 1}, ear_size=(0.9, 1.15), ear_tip=(0.3, 0.4), snout=(0.6, 0.8), head_w=(0.9, 1.0),
        eye=(0.14, 0.17), tails={"straight": 1}, tail_len=(1.1, 1.4), legs=(0.75, 0.95), leg_w=(0.3, 0.36),
        body=(1.5, 1.8), body_h=(0.62, 0.72), fluff=(0, 0), coats=(("tan", "black"), ("fawn", "black")),
        patterns={"saddle": 1}, white=0.95),
    "boxer": Breed(
        ears={"half": 0.7, "floppy": 0.3}, ear_size=(0.6, 0.8), ear_tip=(0.2, 0.3), snout=(0.3, 0.45),
        head_w=(0.85, 0.95), eye=(0.13, 0.16), tails={"docked": 1}, tail_len=(0.3, 0.4), legs=(1.15, 1.4),
        leg_w=(0.3, 0.36), body=(1.5, 1.75), body_h=(0.65, 0.75), fluff=(0, 0),
        coats=(("fawn", "black"), ("red", "black")), patterns={"mask": 0.7, "mask+stripes": 0.3}, white=0.5),
    "pug": Breed(
        ears={"rose": 0.6, "half": 0.4}, ear_size=(0.4, 0.55), ear_tip=(0.2, 0.3), snout=(0.12, 0.28),
        head_w=(1.05, 1.18), eye=(0.19, 0.23), tails={"curled": 1}, tail_len=(1.0, 1.3), legs=(0.5, 0.68),
        leg_w=(0.34, 0.4), body=(1.2, 1.4), body_h=(0.75, 0.85), fluff=(0, 0),
        coats=(("fawn", "black"), ("fawn", "black"), ("black", "black")), patterns={"mask": 1}, white=0.0),
    "german_short-haired_pointer": Breed(
        ears={"floppy": 1}, ear_size=(0.8, 1.0), ear_tip=(0.3, 0.4), snout=(0.95, 1.15), head_w=(0.85, 0.95),
        eye=(0.12, 0.15), tails={"docked": 1}, tail_len=(0.4, 0.5), legs=(1.2, 1.45), leg_w=(0.26, 0.3),
        body=(1.75, 2.0), body_h=(0.55, 0.65), fluff=(0, 0), coats=(("white", "liver"), ("silver", "liver")),
        patterns={"spots+patched": 0.7, "spots": 0.3}, white=0.0),
    "siberian_husky": Breed(
        ears={"erect": 1}, ear_size=(0.75, 0.95), ear_tip=(0.12, 0.22), snout=(0.6, 0.8), head_w=(0.95, 1.05),
        eye=(0.13, 0.16), tails={"curled": 0.7, "straight": 0.3}, tail_len=(1.3, 1.6), legs=(0.95, 1.15),
        leg_w=(0.28, 0.33), body=(1.6, 1.85), body_h=(0.62, 0.72), fluff=(0.06, 0.14),
        coats=(("grey", "white"), ("black", "white"), ("red", "white")), patterns={"mask": 1}, white=0.9,
        irises=("blue", "blue", "brown")),
    "basset": Breed(
        ears={"floppy": 1}, ear_size=(1.35, 1.6), ear_tip=(0.35, 0.4), snout=(0.7, 0.9), head_w=(0.88, 0.98),
        eye=(0.12, 0.15), tails={"straight": 1}, tail_len=(1.2, 1.5), legs=(0.35, 0.5), leg_w=(0.36, 0.42),
        body=(1.9, 2.2), body_h=(0.6, 0.7), fluff=(0, 0), coats=(("tan", "black"), ("white", "tan")),
        patterns={"patched": 0.7, "patched+spots": 0.3}, white=0.9),
    "chihuahua": Breed(
        ears={"erect": 1}, ear_size=(1.0, 1.3), ear_tip=(0.1, 0.2), snout=(0.22, 0.38), head_w=(1.05, 1.2),
        eye=(0.2, 0.25), tails={"straight": 0.6, "curled": 0.4}, tail_len=(1.0, 1.3), legs=(0.8, 1.0),
        leg_w=(0.17, 0.22), body=(1.05, 1.25), body_h=(0.55, 0.65), fluff=(0, 0.05),
        coats=(("fawn", "white"), ("cream", "white"), ("orange", "white"), ("black", "tan"), ("chocolate", "tan")),
        patterns={"solid": 0.6, "mask": 0.2, "stripes": 0.2}, white=0.3),
    "german_shepherd": Breed(
        ears={"erect": 1}, ear_size=(0.95, 1.15), ear_tip=(0.1, 0.2), snout=(1.0, 1.2), head_w=(0.85, 0.95),
        eye=(0.12, 0.15), tails={"straight": 1}, tail_len=(1.6, 2.0), legs=(1.1, 1.3), leg_w=(0.28, 0.33),
        body=(1.75, 2.05), body_h=(0.62, 0.72), fluff=(0.02, 0.08), coats=(("tan", "black"), ("gold", "black")),
        patterns={"saddle": 0.75, "saddle+mask": 0.25}, white=0.0),
    "samoyed": Breed(
        ears={"erect": 1}, ear_size=(0.55, 0.75), ear_tip=(0.25, 0.35), snout=(0.6, 0.75), head_w=(1.0, 1.12),
        eye=(0.12, 0.15), tails={"curled": 1}, tail_len=(1.3, 1.6), legs=(0.9, 1.1), leg_w=(0.3, 0.36),
        body=(1.55, 1.8), body_h=(0.68, 0.78), fluff=(0.15, 0.25), coats=(("white", "cream"), ("cream", "white")),
        patterns={"solid": 1}, white=0.0),
    "labrador_retriever": Breed(
        ears={"floppy": 1}, ear_size=(0.7, 0.9), ear_tip=(0.35, 0.4), snout=(0.75, 0.95), head_w=(0.92, 1.02),
        eye=(0.12, 0.15), tails={"straight": 1}, tail_len=(1.4, 1.7), legs=(1.0, 1.2), leg_w=(0.32, 0.37),
        body=(1.75, 2.0), body_h=(0.68, 0.78), fluff=(0, 0),
        coats=(("black", "black"), ("cream", "cream"), ("gold", "gold"), ("chocolate", "chocolate"), ("liver", "liver")),
        patterns={"solid": 1}, white=0.0),
    "pembroke": Breed(
        ears={"erect": 1}, ear_size=(0.9, 1.1), ear_tip=(0.2, 0.3), snout=(0.75, 0.95), head_w=(0.95, 1.05),
        eye=(0.13, 0.16), tails={"docked": 1}, tail_len=(0.3, 0.4), legs=(0.35, 0.5), leg_w=(0.3, 0.35),
        body=(1.85, 2.15), body_h=(0.6, 0.7), fluff=(0.03, 0.08),
        coats=(("red", "white"), ("orange", "white"), ("fawn", "white")), patterns={"solid": 0.8, "patched": 0.2},
        white=0.95),
    "whippet": Breed(
        ears={"rose": 1}, ear_size=(0.45, 0.6), ear_tip=(0.2, 0.3), snout=(1.1, 1.3), head_w=(0.75, 0.85),
        eye=(0.12, 0.15), tails={"straight": 1}, tail_len=(1.6, 2.0), legs=(1.35, 1.6), leg_w=(0.15, 0.2),
        body=(1.55, 1.8), body_h=(0.48, 0.58), fluff=(0, 0),
        coats=(("grey", "white"), ("silver", "white"), ("fawn", "white"), ("white", "tan")),
        patterns={"solid": 0.6, "patched": 0.4}, white=0.5),
    "doberman": Breed(
        ears={"erect": 0.7, "half": 0.3}, ear_size=(1.0, 1.2), ear_tip=(0.02, 0.08), snout=(1.0, 1.2),
        head_w=(0.8, 0.9), eye=(0.12, 0.15), tails={"docked": 1}, tail_len=(0.3, 0.4), legs=(1.3, 1.5),
        leg_w=(0.26, 0.3), body=(1.65, 1.9), body_h=(0.58, 0.68), fluff=(0, 0),
        coats=(("black", "tan"), ("chocolate", "tan")), patterns={"mask": 1}, white=0.0),
    "border_collie": Breed(
        ears={"half": 0.6, "erect": 0.4}, ear_size=(0.7, 0.9), ear_tip=(0.2, 0.3), snout=(0.85, 1.05),
        head_w=(0.9, 1.0), eye=(0.13, 0.16), tails={"straight": 1}, tail_len=(1.5, 1.8), legs=(1.0, 1.2),
        leg_w=(0.26, 0.3), body=(1.6, 1.85), body_h=(0.6, 0.7), fluff=(0.08, 0.16),
        coats=(("black", "white"), ("brown", "white")), patterns={"patched": 1}, white=0.9),
    "french_bulldog": Breed(
        ears={"erect": 1}, ear_size=(0.75, 0.95), ear_tip=(0.35, 0.4), snout=(0.12, 0.28), head_w=(1.1, 1.2),
        eye=(0.16, 0.2), tails={"docked": 1}, tail_len=(0.2, 0.3), legs=(0.55, 0.72), leg_w=(0.34, 0.4),
        body=(1.2, 1.4), body_h=(0.75, 0.85), fluff=(0, 0), coats=(("fawn", "black"), ("cream", "fawn")),
        patterns={"solid": 0.6, "stripes": 0.4}, white=0.3),
    "english_setter": Breed(
        ears={"floppy": 1}, ear_size=(0.85, 1.05), ear_tip=(0.35, 0.4), snout=(0.95, 1.15), head_w=(0.85, 0.95),
        eye=(0.12, 0.15), tails={"straight": 1}, tail_len=(1.5, 1.8), legs=(1.1, 1.3), leg_w=(0.26, 0.3),
        body=(1.7, 1.95), body_h=(0.58, 0.68), fluff=(0.08, 0.15),
        coats=(("white", "black"), ("white", "orange")), patterns={"spots": 1}, white=0.0),
    "golden_retriever": Breed(
        ears={"floppy": 1}, ear_size=(0.75, 0.95), ear_tip=(0.35, 0.4), snout=(0.8, 1.0), head_w=(0.92, 1.02),
        eye=(0.12, 0.15), tails={"straight": 1}, tail_len=(1.5, 1.8), legs=(1.0, 1.2), leg_w=(0.3, 0.35),
        body=(1.75, 2.0), body_h=(0.66, 0.76), fluff=(0.12, 0.22), coats=(("gold", "gold"), ("cream", "cream")),
        patterns={"solid": 1}, white=0.0),
    "pomeranian": Breed(
        ears={"erect": 1}, ear_size=(0.4, 0.55), ear_tip=(0.2, 0.3), snout=(0.25, 0.4), head_w=(1.1, 1.2),
        eye=(0.17, 0.21), tails={"curled": 1}, tail_len=(1.1, 1.4), legs=(0.5, 0.68), leg_w=(0.2, 0.25),
        body=(1.15, 1.35), body_h=(0.7, 0.8), fluff=(0.25, 0.35), coats=(("orange", "cream"), ("cream", "white")),
        patterns={"solid": 1}, white=0.0),
    "rottweiler": Breed(
        ears={"floppy": 0.6, "half": 0.4}, ear_size=(0.55, 0.75), ear_tip=(0.3, 0.4), snout=(0.6, 0.8),
        head_w=(0.98, 1.08), eye=(0.12, 0.15), tails={"docked": 1}, tail_len=(0.25, 0.35), legs=(1.0, 1.2),
        leg_w=(0.34, 0.4), body=(1.65, 1.9), body_h=(0.7, 0.8), fluff=(0, 0), coats=(("black", "tan"),),
        patterns={"mask": 1}, white=0.0),
    "shetland_sheepdog": Breed(
        ears={"half": 1}, ear_size=(0.6, 0.8), ear_tip=(0.15, 0.25), snout=(1.0, 1.2), head_w=(0.82, 0.92),
        eye=(0.12, 0.15), tails={"straight": 1}, tail_len=(1.4, 1.7), legs=(0.9, 1.1), leg_w=(0.24, 0.28),
        body=(1.5, 1.75), body_h=(0.6, 0.7), fluff=(0.15, 0.25),
        coats=(("gold", "white"), ("tan", "white"), ("silver", "black")), patterns={"solid": 0.7, "patched": 0.3},
        white=0.95),
}

# Coat colours and patterns that cats and dogs of the dogs-vs-cats sample share, in equal measure.
SHARED_COATS = tuple(c for c in COLOURS if c != "liver")  # every coat colour but liver, which only dogs have
SHARED_PATTERNS = {"solid": 0.3, "patched": 0.2, "stripes": 0.15, "spots": 0.1, "saddle": 0.1,
                   "mask": 0.15}


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _u(rng: np.random.Generator, lo_hi: tuple[float, float]) -> float:
    return float(rng.uniform(*lo_hi))


def _jitter(rng: np.random.Generator, col: Colour, spread: float = 10.0) -> Colour:
    # one shade for the whole coat plus a little per-channel drift: same colour name, different dog
    f = rng.uniform(0.85, 1.15)
    drift = rng.normal(0, spread, 3)
    return tuple(int(np.clip(c * f + e, 0, 255)) for c, e in zip(col, drift))  # type: ignore[return-value]


def _shade(col: Colour, f: float) -> Colour:
    return tuple(int(min(255, max(0, c * f))) for c in col)  # type: ignore[return-value]


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    return tuple(int(x + (y - x) * t) for x, y in zip(a, b))  # type: ignore[return-value]


def _shared_coat(rng: np.random.Generator
                 ) -> tuple[Colour, Colour, tuple[str, ...], bool, Colour, Colour]:
    names = list(SHARED_COATS)
    coat = _jitter(rng, COLOURS[names[int(rng.integers(len(names)))]])
    coat2 = _jitter(rng, COLOURS[names[int(rng.integers(len(names)))]])
    pattern = _pick(rng, SHARED_PATTERNS)
    if pattern == "stripes":  # tabby or brindle: darker stripes of the same coat
        coat2 = _shade(coat, rng.uniform(0.45, 0.65))
    iris = _jitter(rng, IRISES[list(IRISES)[int(rng.integers(len(IRISES)))]], 6)
    nose = NOSES[int(rng.integers(len(NOSES)))]
    return coat, coat2, (pattern,), bool(rng.random() < 0.35), iris, nose


def cat_look(rng: np.random.Generator) -> Look:
    coat, coat2, pattern, white, iris, nose = _shared_coat(rng)
    return Look(
        cat=True, ear="pointed", ear_size=_u(rng, (0.75, 1.0)), ear_tip=_u(rng, (0.0, 0.06)),
        snout=_u(rng, (0.05, 0.22)), head_w=_u(rng, (1.08, 1.25)), eye=_u(rng, (0.19, 0.25)),
        # dilated pupils in dim light look round, so the pupil is a strong hint, not a rule
        pupil="slit" if rng.random() < 0.85 else "round", whiskers=bool(rng.random() < 0.92),
        tail="cat", tail_len=_u(rng, (2.1, 2.9)), legs=_u(rng, (0.85, 1.2)),
        leg_w=_u(rng, (0.19, 0.26)), body=_u(rng, (1.45, 1.9)), body_h=_u(rng, (0.52, 0.7)),
        fluff=_u(rng, (0.05, 0.25)) if rng.random() < 0.25 else 0.0,
        coat=coat, coat2=coat2, pattern=pattern, white=white, iris=iris, nose=nose,
    )


def breed_look(rng: np.random.Generator, breed: Breed, shared_coat: bool = False) -> Look:
    if shared_coat:  # dogs-vs-cats: the dog's shape comes from a breed, its coat from the shared pool
        coat, coat2, pattern, white, iris, nose = _shared_coat(rng)
    else:
        main, second = breed.coats[int(rng.integers(len(breed.coats)))]
        coat, coat2 = _jitter(rng, COLOURS[main]), _jitter(rng, COLOURS[second])
        pattern = tuple(_pick(rng, breed.patterns).split("+"))
        if "stripes" in pattern:
            coat2 = _shade(coat, rng.uniform(0.45, 0.6))
        white = bool(rng.random() < breed.white)
        iris = _jitter(rng, IRISES[breed.irises[int(rng.integers(len(breed.irises)))]], 6)
        nose = NOSES[0] if rng.random() < 0.85 else NOSES[1]
    return Look(
        cat=False, ear=_pick(rng, breed.ears), ear_size=_u(rng, breed.ear_size),
        ear_tip=_u(rng, breed.ear_tip), snout=_u(rng, breed.snout), head_w=_u(rng, breed.head_w),
        eye=_u(rng, breed.eye), pupil="round", whiskers=False, tail=_pick(rng, breed.tails),
        tail_len=_u(rng, breed.tail_len), legs=_u(rng, breed.legs), leg_w=_u(rng, breed.leg_w),
        body=_u(rng, breed.body), body_h=_u(rng, breed.body_h), fluff=_u(rng, breed.fluff),
        coat=coat, coat2=coat2, pattern=pattern, white=white, iris=iris, nose=nose,
    )


def dog_look(rng: np.random.Generator) -> Look:
    names = list(BREEDS)
    return breed_look(rng, BREEDS[names[int(rng.integers(len(names)))]], shared_coat=True)


# ----------------------------------------------------------------------------- drawing


class _Pen:
    """Draws each shape on the colour layer and, for the outline, on the mask layer too."""

    def __init__(self, w: int, h: int):
        self.rgb = Image.new("RGB", (w, h), (0, 0, 0))
        self.mask = Image.new("L", (w, h), 0)
        self.d, self.m = ImageDraw.Draw(self.rgb), ImageDraw.Draw(self.mask)

    def poly(self, pts: list[Point], col: Colour, sil: bool = True) -> None:
        self.d.polygon(pts, fill=col)
        if sil:
            self.m.polygon(pts, fill=255)

    def oval(self, cx: float, cy: float, rx: float, ry: float, col: Colour, sil: bool = True) -> None:
        box = (cx - rx, cy - ry, cx + rx, cy + ry)
        self.d.ellipse(box, fill=col)
        if sil:
            self.m.ellipse(box, fill=255)

    def stroke(self, pts: list[Point], w0: float, w1: float, col: Colour, sil: bool = True) -> None:
        """A tapering line from width w0 to w1 with round joints (tails, legs)."""
        n = len(pts) - 1
        for i in range(n):
            w = w0 + (w1 - w0) * i / max(1, n - 1)
            for draw, fill in ((self.d, col), (self.m, 255)) if sil else ((self.d, col),):
                draw.line([pts[i], pts[i + 1]], fill=fill, width=max(1, round(w)))
                x, y = pts[i + 1]
                draw.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=fill)


def _blob(cx: float, cy: float, rx: float, ry: float, rng: np.random.Generator,
          tuft: float = 0.0, rot: float = 0.0, n: int = 40) -> list[Point]:
    """An ellipse as a polygon; with tuft > 0 (px), every other vertex sticks out like fur."""
    if tuft > 0:
        n = max(n, 90)  # many small tufts read as fur; few large ones read as a saw blade
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    out = tuft * rng.uniform(0.3, 1.0, n) * (np.arange(n) % 2) if tuft > 0 else 0.0
    x, y = (rx + out) * np.cos(t), (ry + out) * np.sin(t)
    c, s = math.cos(rot), math.sin(rot)
    return list(zip((cx + c * x - s * y).tolist(), (cy + s * x + c * y).tolist()))


def _ear_poly(base_in: Point, base_out: Point, tip: Point, tip_round: float) -> list[Point]:
    """A triangle whose tip is cut and replaced by a curve: 0 sharp (cat), 0.4 round (dog)."""
    if tip_round <= 0.01:
        return [base_in, tip, base_out]
    a = (tip[0] + (base_in[0] - tip[0]) * tip_round, tip[1] + (base_in[1] - tip[1]) * tip_round)
    b = (tip[0] + (base_out[0] - tip[0]) * tip_round, tip[1] + (base_out[1] - tip[1]) * tip_round)
    curve = []
    for t in np.linspace(0, 1, 7):  # quadratic Bezier a -> tip -> b
        curve.append(((1 - t) ** 2 * a[0] + 2 * (1 - t) * t * tip[0] + t ** 2 * b[0],
                      (1 - t) ** 2 * a[1] + 2 * (1 - t) * t * tip[1] + t ** 2 * b[1]))
    return [base_in, *curve, base_out]


def _draw_ears(p: _Pen, lk: Look, hx: float, hy: float, r: float, rng: np.random.Generator,
               front: bool) -> None:
    """Ears behind the head (front=False) or hanging over it (front=True)."""
    a = r * lk.head_w
    inner_col = _mix(lk.coat, (226, 164, 158), 0.55)

    def on_head(phi: float, s: int, inset: float = 0.9) -> Point:  # phi: angle from the top of the head
        return (hx + s * a * math.sin(phi) * inset, hy - r * math.cos(phi) * inset)

    for s in (-1, 1):
        jit = rng.normal(0, 0.05, 3)
        if lk.ear in ("pointed", "erect", "half") and not front:
            phi_in = (0.28 if lk.cat else 0.38) + jit[0]
            width = (0.75 if lk.cat else 0.8) + jit[1]
            lean = (0.42 if lk.cat else 0.55) + jit[2]
            height = lk.ear_size * r * (0.55 if lk.ear == "half" else 1.0)
            b_in, b_out = on_head(phi_in, s), on_head(phi_in + width, s)
            mid = ((b_in[0] + b_out[0]) / 2, (b_in[1] + b_out[1]) / 2)
            tip = (mid[0] + s * math.sin(lean) * height, mid[1] - math.cos(lean) * height - 0.25 * r)
            rnd = lk.ear_tip if lk.ear != "half" else 0.0
            p.poly(_ear_poly(b_in, b_out, tip, rnd), lk.coat)
            # the paler inside of the ear, a smaller copy pulled towards the base
            c = (0.45 * mid[0] + 0.55 * tip[0], 0.35 * mid[1] + 0.65 * tip[1])
            shrink = [(c[0] + (q[0] - c[0]) * 0.6, c[1] + (q[1] - c[1]) * 0.6)
                      for q in (b_in, tip, b_out)]
            shrink[0] = (shrink[0][0], shrink[0][1] + 0.15 * r)
            shrink[2] = (shrink[2][0], shrink[2][1] + 0.15 * r)
            p.poly(_ear_poly(shrink[0], shrink[2], shrink[1], rnd), inner_col, sil=False)
        elif lk.ear == "half" and front:
            # the upper half of the ear folds forward and hangs over the forehead
            phi_in = 0.38 + jit[0]
            b_in, b_out = on_head(phi_in, s), on_head(phi_in + 0.8 + jit[1], s)
            top = (0.5 * (b_in[0] + b_out[0]) + s * 0.3 * r * lk.ear_size,
                   0.5 * (b_in[1] + b_out[1]) - 0.6 * r * lk.ear_size)
            flap_tip = (top[0] - s * 0.05 * r, top[1] + 0.75 * r * lk.ear_size)
            q_in = (b_in[0] * 0.5 + top[0] * 0.5, b_in[1] * 0.5 + top[1] * 0.5)
            p.poly([q_in, top, (b_out[0] + s * 0.08 * r, b_out[1] - 0.1 * r), flap_tip],
                   _shade(lk.coat, 0.82))
        elif lk.ear == "rose" and front:
            # a small ear folded back on itself: a flap at the side of the crown, tip out and down
            b_in, b_out = on_head(0.45 + jit[0], s, 0.95), on_head(1.15 + jit[1], s, 0.98)
            tip = (hx + s * (a * 0.95 + 0.6 * lk.ear_size * r), hy - (0.5 + jit[2]) * r)
            p.poly([b_in, tip, b_out], _shade(lk.coat, 0.7))
            fold = (0.5 * (b_in[0] + tip[0]), 0.5 * (b_in[1] + tip[1]))
            p.d.line([fold, b_out], fill=_shade(lk.coat, 0.5), width=max(1, round(0.04 * r)))
        elif lk.ear == "floppy" and front:
            length = lk.ear_size * r * 1.35
            top = hy - 0.8 * r
            col = lk.coat2 if "patched" in lk.pattern and rng.random() < 0.5 else _shade(lk.coat, 0.85)
            cx = hx + s * a * (0.85 + jit[0])
            p.poly(_blob(cx, top + length / 2, 0.3 * r * (1 + jit[1]), length / 2, rng,
                         lk.fluff * 0.3 * r, rot=-s * (0.15 + jit[2]), n=28), col)


def _draw_tail(p: _Pen, lk: Look, x0: float, y0: float, r: float, rng: np.random.Generator,
               col: Colour) -> None:
    L = lk.tail_len * r
    tip = (236, 233, 226) if lk.white else col
    if lk.tail == "docked":
        p.stroke([(x0, y0), (x0 - 0.3 * r, y0 - 0.2 * r)], 0.24 * r, 0.2 * r, col)
    elif lk.tail == "curled":
        rad = 0.3 * L
        cx, cy = x0 + 0.25 * r, y0 - rad - 0.05 * r
        pts = [(cx + rad * math.cos(t), cy + rad * math.sin(t))
               for t in np.linspace(math.pi * 0.55, math.pi * 2.15, 12)]
        p.stroke(pts, 0.3 * r * (1 + lk.fluff), 0.18 * r, col)
    elif lk.tail == "straight":
        up = rng.uniform(-0.6, 0.7)  # tail angle: down, level or raised
        bend = rng.uniform(-0.3, 0.3)
        pts = [(x0 - L * t * math.cos(up + bend * t), y0 - L * t * math.sin(up + bend * t))
               for t in np.linspace(0, 1, 7)]
        p.stroke(pts, 0.26 * r * (1 + 2 * lk.fluff), 0.1 * r, col)
        p.stroke(pts[-2:], 0.13 * r, 0.1 * r, tip)
    else:  # a cat's long, thin tail, held up in a curve or low along the ground
        up = rng.random() < 0.6
        pts = []
        for t in np.linspace(0, 1, 10):
            if up:
                pts.append((x0 - L * (0.35 * t - 0.15 * t * t), y0 - L * (0.95 * t * t - 0.1 * t)))
            else:
                pts.append((x0 - L * 0.75 * t, y0 + L * (0.45 * t - 0.5 * t ** 3)))
        p.stroke(pts, 0.17 * r * (1 + lk.fluff), 0.13 * r, col)


def _draw_pattern(p: _Pen, lk: Look, cx: float, cy: float, rx: float, ry: float, r: float,
                  rng: np.random.Generator, head: bool) -> None:
    """Coat markings over a body part; the outline mask trims whatever spills past it."""
    for pat in lk.pattern:
        if pat == "patched":
            for _ in range(int(rng.integers(1, 3 if head else 4))):
                p.oval(cx + rng.uniform(-rx, rx) * 0.8, cy + rng.uniform(-ry, ry) * 0.8,
                       r * rng.uniform(0.35, 0.75), r * rng.uniform(0.3, 0.6), lk.coat2, sil=False)
        elif pat == "spots":
            for _ in range(int(rng.integers(6, 12) if head else rng.integers(18, 40))):
                d = r * rng.uniform(0.05, 0.12)
                p.oval(cx + rng.uniform(-rx, rx), cy + rng.uniform(-ry, ry), d, d, lk.coat2, sil=False)
        elif pat == "stripes":
            n = 3 if head else int(rng.integers(6, 10))
            for i in range(n):
                x = cx - rx * 0.8 + 1.6 * rx * (i + 0.5) / n
                if head:
                    top, low = (x * 0.4 + cx * 0.6, cy - ry * 0.95), (x * 0.3 + cx * 0.7, cy - ry * 0.45)
                    p.d.line([top, low], fill=lk.coat2, width=max(1, round(0.07 * r)))
                else:
                    wob = rng.uniform(-0.25, 0.25) * r
                    p.d.line([(x, cy - ry), (x + wob, cy), (x - wob, cy + ry)], fill=lk.coat2,
                             width=max(1, round(0.1 * r)), joint="curve")
        elif pat == "saddle" and not head:
            p.poly(_blob(cx - 0.1 * rx, cy - 0.55 * ry, 0.85 * rx, 0.75 * ry, rng), lk.coat2, sil=False)


def _draw_face(p: _Pen, lk: Look, hx: float, hy: float, r: float, rng: np.random.Generator) -> None:
    a = r * lk.head_w
    mask = "mask" in lk.pattern
    white = (236, 233, 226)
    muzzle_col = white if lk.white else lk.coat2 if mask else _mix(lk.coat, white, 0.25)
    sn = lk.snout
    off = 0.12 * r * min(sn, 1.0)  # three-quarter view: features shift towards the snout
    if mask:  # dark (or pale) patches around the eyes
        for s in (-1, 1):
            p.oval(hx + off + s * 0.4 * a, hy - 0.12 * r, 0.28 * r, 0.24 * r, lk.coat2, sil=False)
    if lk.white and rng.random() < 0.6:  # a white blaze down the forehead
        p.poly([(hx + off - 0.07 * r, hy - 0.9 * r), (hx + off + 0.07 * r, hy - 0.9 * r),
                (hx + off + 0.2 * r, hy + 0.2 * r), (hx + off - 0.2 * r, hy + 0.2 * r)],
               (236, 233, 226), sil=False)
    if lk.cat:
        ny = hy + 0.22 * r
        nx = hx + sn * 0.4 * r
        for s in (-1, 1):
            p.oval(nx + s * 0.13 * r, ny + 0.2 * r, 0.16 * r, 0.13 * r, muzzle_col, sil=False)
        w = 0.09 * r
        p.poly([(nx - w, ny - 0.04 * r), (nx + w, ny - 0.04 * r), (nx, ny + 0.07 * r)], lk.nose,
               sil=False)
        lw = max(1, round(0.03 * r))
        p.d.line([(nx, ny + 0.07 * r), (nx, ny + 0.2 * r)], fill=(40, 30, 30), width=lw)
        p.d.line([(nx - 0.14 * r, ny + 0.3 * r), (nx, ny + 0.2 * r), (nx + 0.14 * r, ny + 0.3 * r)],
                 fill=(40, 30, 30), width=lw)
    else:
        mx = hx + sn * 0.55 * r
        my = hy + 0.35 * r
        ax, ay = 0.3 * r + sn * 0.38 * r, 0.3 * r
        p.oval(mx, my, ax, ay, muzzle_col)  # part of the outline: a long muzzle sticks out of the head
        nxp, nyp = mx + ax * 0.72, my - ay * 0.45
        p.oval(nxp, nyp, 0.13 * r, 0.1 * r, lk.nose)
        lw = max(1, round(0.035 * r))
        mouth = [(nxp, nyp + 0.1 * r), (nxp - 0.05 * r, my + ay * 0.55), (mx - ax * 0.5, my + ay * 0.45)]
        p.d.line(mouth, fill=(40, 30, 30), width=lw)
    ey = hy - (0.1 if lk.cat else 0.15) * r
    for s in (-1, 1):
        ex = hx + off + s * 0.4 * a
        e = lk.eye * r
        if lk.cat:  # almond eyes with a thin dark rim
            rx, ry = e * 1.2, e * 0.85
        else:
            rx, ry = e, e
        p.oval(ex, ey, rx * 1.12, ry * 1.15, (35, 28, 25), sil=False)
        p.oval(ex, ey, rx, ry, lk.iris, sil=False)
        if lk.pupil == "slit":
            p.oval(ex, ey, rx * 0.18, ry * 0.85, (12, 10, 10), sil=False)
        else:
            pr = (0.6 if lk.cat else 0.62) * min(rx, ry)
            p.oval(ex, ey, pr, pr, (12, 10, 10), sil=False)
        h = 0.22 * e
        p.oval(ex + 0.3 * rx, ey - 0.35 * ry, h, h, (245, 245, 245), sil=False)
    if lk.whiskers:
        col = (228, 226, 220) if rng.random() < 0.7 else (45, 40, 38)
        wy = hy + 0.42 * r
        nx = hx + sn * 0.4 * r
        lw = max(1, round(0.03 * r))
        for s in (-1, 1):
            for k in (-1, 0, 1):
                x0 = nx + s * 0.2 * r
                ln = r * rng.uniform(0.9, 1.3)
                ang = k * 0.22 + rng.normal(0, 0.06)
                end = (x0 + s * ln * math.cos(ang), wy + k * 0.03 * r + ln * math.sin(ang))
                p.d.line([(x0, wy + k * 0.05 * r), end], fill=col, width=lw)
                p.m.line([(x0, wy + k * 0.05 * r), end], fill=200, width=lw)


def _draw_animal(rng: np.random.Generator, lk: Look, r: float, portrait: bool
                 ) -> tuple[Image.Image, Image.Image, Point]:
    """Draw one animal facing right with head half-height r px; returns colour, mask, head centre."""
    bl, bh = lk.body * r, lk.body_h * r
    # place the body so that nothing (tail, ears) falls off the canvas, then crop to the outline
    bx = r * (lk.body + lk.tail_len + 0.5)
    by = r * max(lk.body_h + 3.2, 0.3 * lk.body_h + lk.tail_len + 0.5)
    hx, hy = bx + 0.72 * bl, by - bh - 0.4 * r
    w = int(hx + r * (lk.head_w + lk.snout + 2.0))
    h = int(by + bh + lk.legs * r + 2.5 * r)
    p = _Pen(w, h)
    far = _shade(lk.coat, 0.78)
    white = (236, 233, 226)
    if portrait:  # head and shoulders only
        chest = _blob(hx - 0.2 * r, hy + 1.6 * r, 1.4 * r * lk.head_w, 1.3 * r, rng, lk.fluff * r)
        p.poly(chest, lk.coat)
        _draw_pattern(p, lk, hx - 0.2 * r, hy + 1.6 * r, 1.3 * r, 1.2 * r, r, rng, head=False)
        if lk.white:
            p.oval(hx, hy + 1.5 * r, 0.55 * r, 0.7 * r, white, sil=False)
    else:
        _draw_tail(p, lk, bx - 0.92 * bl, by - 0.35 * bh, r, rng, lk.coat)
        ground = by + bh + lk.legs * r
        lw = lk.leg_w * r
        xs = (bx + 0.62 * bl, bx - 0.58 * bl)
        step = rng.uniform(-0.35, 0.35, 4) * r  # a walking or standing stance
        for i, x in enumerate(xs):  # far legs, darker, slightly behind
            foot = (x - 0.2 * lw + step[i], ground - 0.15 * r)
            p.stroke([(x - 0.2 * lw, by), foot], lw, lw * 0.9, far)
        p.poly(_blob(bx, by, bl, bh, rng, lk.fluff * r), lk.coat)
        # neck joins body and head
        p.poly(_blob(0.5 * (hx + bx + 0.6 * bl), 0.5 * (hy + by - 0.3 * bh), 0.55 * r, 0.8 * r, rng,
                     lk.fluff * r, rot=0.6), lk.coat)
        for i, x in enumerate(xs):
            foot = (x + 0.3 * lw + step[i + 2], ground)
            p.stroke([(x + 0.3 * lw, by + 0.3 * bh), foot], lw, lw * 0.9, lk.coat)
        _draw_pattern(p, lk, bx, by, bl, bh + lk.legs * r * 0.4, r, rng, head=False)
        if lk.white:
            p.oval(bx + 0.75 * bl, by + 0.2 * bh, 0.35 * bl, 0.55 * bh, white, sil=False)
            for i, x in enumerate(xs):
                p.oval(x + 0.3 * lw + step[i + 2], ground - 0.1 * r, lw * 0.7, 0.2 * r, white, sil=False)
    _draw_ears(p, lk, hx, hy, r, rng, front=False)
    p.poly(_blob(hx, hy, r * lk.head_w, r, rng, lk.fluff * 0.6 * r), lk.coat)
    _draw_pattern(p, lk, hx, hy, r * lk.head_w * 0.8, r * 0.8, r, rng, head=True)
    _draw_ears(p, lk, hx, hy, r, rng, front=True)
    _draw_face(p, lk, hx, hy, r, rng)
    return p.rgb, p.mask, (hx, hy)


# ----------------------------------------------------------------------------- scenes


def _rand_colour(rng: np.random.Generator) -> Colour:
    # a grey level plus some colour: rooms and gardens are mostly muted, now and then bright
    grey = rng.uniform(25, 230)
    sat = rng.uniform(0.1, 1.0) ** 1.5
    col = grey + sat * (rng.uniform(15, 240, 3) - grey)
    return tuple(int(v) for v in col)  # type: ignore[return-value]


def _background(rng: np.random.Generator, w: int, h: int) -> Image.Image:
    """A cluttered scene: gradient, blotches, maybe a floor, wallpaper lines and random shapes."""
    c0, c1 = (np.array(_rand_colour(rng), dtype=np.float32) for _ in range(2))
    theta = rng.uniform(0, 2 * np.pi)
    t = (np.arange(w, dtype=np.float32)[None, :] * math.cos(theta) / w
         + np.arange(h, dtype=np.float32)[:, None] * math.sin(theta) / h)
    t = (t - t.min()) / (float(t.max() - t.min()) + 1e-6)
    a = c0 + t[..., None] * (c1 - c0)
    k = int(rng.integers(2, 7))  # soft out-of-focus blotches, upsampled from a tiny random grid
    small = np.clip(rng.normal(128, rng.uniform(5, 35), (k, k + 1, 3)), 0, 255).astype(np.uint8)
    a += np.asarray(Image.fromarray(small).resize((w, h), Image.BICUBIC), dtype=np.float32) - 128
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img, "RGBA")
    if rng.random() < 0.5:  # a floor or table top below a wobbly horizon
        y0, y1 = h * rng.uniform(0.45, 0.85), h * rng.uniform(0.45, 0.85)
        floor = (*_rand_colour(rng), int(rng.integers(150, 256)))
        d.polygon([(0, y0), (w, y1), (w, h), (0, h)], fill=floor)
    if rng.random() < 0.3:  # wallpaper, floorboards, a fence
        col = (*_rand_colour(rng), int(rng.integers(40, 140)))
        gap = rng.uniform(6, 30)
        vertical = rng.random() < 0.5
        for i in range(int((w if vertical else h) / gap) + 1):
            x = i * gap
            d.line([(x, 0), (x, h)] if vertical else [(0, x), (w, x)], fill=col,
                   width=int(rng.integers(1, 4)))
    for _ in range(int(rng.integers(3, 15))):
        col = (*_rand_colour(rng), int(rng.integers(90, 256)))
        x, y = rng.uniform(-0.1, 1.1) * w, rng.uniform(-0.1, 1.1) * h
        sx, sy = rng.uniform(0.03, 0.35) * w, rng.uniform(0.03, 0.35) * h
        kind = int(rng.integers(5))
        if kind == 0:
            d.rectangle((x, y, x + sx, y + sy), fill=col)
        elif kind == 1:
            d.ellipse((x, y, x + sx, y + sy), fill=col)
        elif kind == 2:  # includes triangles, so pointed shapes are not only ever ears
            n = int(rng.integers(3, 7))
            pts = [(x + sx * rng.uniform(-1, 1), y + sy * rng.uniform(-1, 1)) for _ in range(n)]
            d.polygon(pts, fill=col)
        elif kind == 3:
            d.line([(x, y), (x + sx * rng.uniform(-2, 2), y + sy * rng.uniform(-2, 2))], fill=col,
                   width=int(rng.integers(1, 8)))
        else:
            d.arc((x, y, x + sx, y + sy), rng.uniform(0, 360), rng.uniform(0, 360), fill=col,
                  width=int(rng.integers(1, 6)))
    return img


def _frame(rng: np.random.Generator) -> tuple[int, int]:
    """Photo-like size: long side 160-360 px, aspect (w/h) 0.6-1.8, landscape more common."""
    long = rng.uniform(160, 360)
    aspect = math.exp(rng.uniform(math.log(0.6), math.log(1.8)))
    return (int(long), int(long / aspect)) if aspect >= 1 else (int(long * aspect), int(long))


def _rotate_point(x: float, y: float, w: int, h: int, nw: int, nh: int, deg: float) -> Point:
    # where a point lands after Image.rotate(deg, expand=True): counter-clockwise about the centre
    t = math.radians(deg)
    dx, dy = x - w / 2, y - h / 2
    return (nw / 2 + dx * math.cos(t) + dy * math.sin(t), nh / 2 - dx * math.sin(t) + dy * math.cos(t))


def render(rng: np.random.Generator, lk: Look) -> tuple[Image.Image, int]:
    """One finished picture of the animal `lk` and the JPEG quality to save it with."""
    w, h = _frame(rng)
    img = _background(rng, w, h)
    portrait = bool(rng.random() < 0.35)
    side = min(w, h)
    # pets tend to fill a good part of the frame in photos people keep; small, distant ones still occur
    r = side * (rng.uniform(0.2, 0.34) if portrait else rng.uniform(0.12, 0.22))
    r = max(r, 11.0)  # below this the eyes and ears are a pixel or two: nobody could tell
    rgb, mask, (hx, hy) = _draw_animal(rng, lk, r * SS, portrait)
    box = mask.getbbox()
    rgb, mask = rgb.crop(box).reduce(SS), mask.crop(box).reduce(SS)
    hx, hy = (hx - box[0]) / SS, (hy - box[1]) / SS
    if rng.random() < 0.5:  # facing left or right
        rgb, mask = rgb.transpose(Image.FLIP_LEFT_RIGHT), mask.transpose(Image.FLIP_LEFT_RIGHT)
        hx = rgb.width - hx
    deg = float(np.clip(rng.normal(0, 7), -15, 15))
    sw, sh = rgb.size
    rgb.putalpha(mask)  # one rotation for colour and outline together
    rgb = rgb.rotate(deg, resample=Image.BILINEAR, expand=True)
    hx, hy = _rotate_point(hx, hy, sw, sh, rgb.width, rgb.height, deg)
    # the head lands anywhere, edges included: a centre crop of a wide photo can miss it
    tx, ty = rng.uniform(0.1, 0.9) * w, rng.uniform(0.15, 0.75 if not portrait else 0.6) * h
    ox, oy = int(round(tx - hx)), int(round(ty - hy))
    if not portrait:  # a soft contact shadow under the feet
        d = ImageDraw.Draw(img, "RGBA")
        x0, _, x1, y1 = rgb.getchannel("A").getbbox()
        fy, sw = oy + y1 - 2, x1 - x0
        d.ellipse((ox + x0 + 0.1 * sw, fy - 0.06 * sw, ox + x1 - 0.1 * sw, fy + 0.04 * sw),
                  fill=(0, 0, 0, int(rng.integers(30, 110))))
    img.paste(rgb, (ox, oy), rgb)
    if rng.random() < 0.2:  # something in front: a chair leg, a cushion, a hand
        d = ImageDraw.Draw(img)
        bw, bh = rgb.width, rgb.height
        col = _rand_colour(rng)
        if rng.random() < 0.5:
            x = ox + rng.uniform(0, 1) * bw
            d.rectangle((x, oy - 10, x + rng.uniform(0.08, 0.2) * bw, oy + bh + 10), fill=col)
        else:
            cx, cy = ox + rng.uniform(0, 1) * bw, oy + rng.uniform(0.3, 1.0) * bh
            rx, ry = rng.uniform(0.15, 0.3) * bw, rng.uniform(0.15, 0.3) * bh
            d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=col)
    if rng.random() < 0.25:  # out of focus or shaken
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.2)))
    return _lighting(rng, img), int(rng.integers(55, 96))


def _lighting(rng: np.random.Generator, img: Image.Image) -> Image.Image:
    """Exposure, contrast, white balance and sensor noise, as a camera would add them."""
    a = np.asarray(img, dtype=np.float32)
    mean = float(a.mean())
    contrast, bright = rng.uniform(0.7, 1.25), rng.uniform(-35, 35)
    cast = rng.uniform(0.88, 1.12, 3)
    # (a - mean) * contrast + mean + bright, then the colour cast, folded into one multiply-add
    gain = (contrast * cast).astype(np.float32)
    a = a * gain + ((mean * (1 - contrast) + bright) * cast).astype(np.float32)
    k = int(rng.integers(2, 16))  # uniform grain: as good as Gaussian here, and several times cheaper
    a += rng.integers(-k, k + 1, a.shape, dtype=np.int16)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def save_jpeg(img: Image.Image, fn: Path, quality: int) -> None:
    img.save(fn, "JPEG", quality=quality)


def rng_for(*key: int) -> np.random.Generator:
    # one generator per image, keyed by what the image is: no shared or global random state
    return np.random.default_rng([*key])
