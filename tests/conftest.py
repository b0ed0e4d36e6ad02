"""Shared fixtures: tiny image folders made on the fly (a few dozen 40x48 JPEGs)."""
import os

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

torch.set_num_threads(min(2, torch.get_num_threads()))

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test drew: pyplot keeps every one open (and warns past 20) until told otherwise."""
    yield
    plt = sys.modules.get("matplotlib.pyplot")  # tests that never plot do not pay for importing it
    if plt is not None:
        plt.close("all")


def stripes(rng: np.random.Generator, vertical: bool, h: int = 40, w: int = 48) -> Image.Image:
    """A noisy striped image: the stripe direction is the class, learnable in a few steps."""
    a = rng.integers(0, 60, (h, w, 3)).astype(np.uint8)
    period = int(rng.integers(6, 10))
    idx = np.arange(w if vertical else h) % period < period // 2
    if vertical:
        a[:, idx] += 150
    else:
        a[idx, :] += 150
    return Image.fromarray(a)


def make_folder(root: Path, n_train: int = 16, n_valid: int = 8, n_test: int = 6, seed: int = 0) -> Path:
    """from_paths layout: train/{cats,dogs}, valid/{cats,dogs}, test1/."""
    rng = np.random.default_rng(seed)
    for split, n in (("train", n_train), ("valid", n_valid)):
        for c in ("cats", "dogs"):
            d = root / split / c
            d.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                stripes(rng, c == "dogs").save(d / f"{c[:-1]}.{i}.jpg", quality=90)
    (root / "test1").mkdir(exist_ok=True)
    for i in range(n_test):
        stripes(rng, bool(i % 2)).save(root / "test1" / f"{i}.jpg", quality=90)
    return root


@pytest.fixture
def tiny_path(tmp_path) -> Path:
    """A fresh tiny dogs-vs-cats style folder for one test."""
    return make_folder(tmp_path / "tiny")


@pytest.fixture
def tiny_data(tiny_path):
    """ImageClassifierData at sz 32, bs 8, no workers, with a test set."""
    from course_lib import ImageClassifierData, tfms_from_model, transforms_side_on
    tfms = tfms_from_model("resnet_mini", 32, aug_tfms=transforms_side_on, max_zoom=1.1)
    return ImageClassifierData.from_paths(tiny_path, bs=8, tfms=tfms, test_name="test1", num_workers=0)


@pytest.fixture
def tiny_learn(tiny_data):
    """A randomly initialised resnet_mini learner on the tiny data (CPU)."""
    from course_lib import ConvLearner, set_seed
    set_seed(0)
    return ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, device="cpu")


@pytest.fixture
def image_folder():
    """make_folder itself, for tests that need other counts or several folders: image_folder(path, n_train=...)."""
    return make_folder


@pytest.fixture
def script(monkeypatch):
    """Import a script of the repository's bench/ or notebooks/ folders as a module: script('bench', 'transfer')."""
    def load(folder: str, name: str):
        monkeypatch.syspath_prepend(str(ROOT / folder))  # for the script's own sibling imports too (_common)
        return importlib.import_module(name)
    return load


@pytest.fixture
def chosen(monkeypatch):
    """No language chosen (English) before the test, and none left chosen after it."""
    from course_lib import lang
    monkeypatch.setattr(lang, "_chosen", None)
    monkeypatch.delenv("COURSE_LIB_LANG", raising=False)
    yield
    lang._chosen = None
