"""What a lesson notebook (or `python -m course_lib`) runs on, from the environment, and the lesson's own figures.

One notebook runs unmodified on any data:

    COURSE_LIB_DATA=folder   that notebook's layout: from_paths (train/<class>/, valid/<class>/) for 01,
                             the CSV layout (train/, labels.csv) for 02; photos, so the real-data settings apply
    COURSE_LIB_FULL=1        the real Kaggle data under data/ (data/dogscats, data/dogbreeds)
    COURSE_LIB_ARCH=name     another backbone (resnet34, efficientnet_lite0, resnet_mini, ...)
    COURSE_LIB_SEED=n        the seed of the followed learner (default 42); the notebooks derive the others from it

Without them: the generated offline sample, EfficientNet-Lite0 with its bundled ImageNet weights, on the CPU.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .devices import default_device
from .lang import say

# image sizes (first, after progressive resizing) and batch sizes per lesson and mode
SIZES = {
    # offline: drawings on a laptop CPU. 128 px keeps each notebook within a few minutes on 2 cores, with the
    # lesson's full recipe (the 7 epochs of cycle_mult=2 included); Lite0 learnt ImageNet at 224 px
    ("dogscats", "sample"): (128, None, 32),
    ("dogbreeds", "sample"): (128, 160, 32),
    # photos: the lesson's sizes
    ("dogscats", "real"): (224, None, 64),
    ("dogbreeds", "real"): (224, 299, 58),
}
SMALL_ARCH_SIZES = {"dogscats": (64, None), "dogbreeds": (64, 96)}  # resnet_mini learnt its features at 64 px
LAYOUTS = {"dogscats": ("test1", "from_paths: train/<class>/, valid/<class>/"),
           "dogbreeds": ("test", "from_csv: train/<id>.jpg and labels.csv")}


@dataclass(frozen=True)
class Setup:
    """The data, backbone, sizes and seed of one run, and why each was chosen."""
    name: str             # 'dogscats' or 'dogbreeds'
    path: Path
    mode: str             # 'sample' (generated drawings) or 'real' (photos)
    arch: str
    sz: int
    sz2: int | None       # after progressive resizing (02), else None
    bs: int
    seed: int
    test_name: str | None  # None: the data has no test folder, and the submission cells are skipped
    notes: tuple[str, ...] = field(default=())

    @property
    def imagenet(self) -> bool:
        """Whether the backbone's weights were learnt on ImageNet (every one but the bundled resnet_mini)."""
        from .archs import ARCHS, arch_name
        return ARCHS[arch_name(self.arch)].weights != "bundled"

    def describe(self) -> str:
        """The banner a notebook prints first: data, backbone, sizes, device, and the notes."""
        what = say("lesson.drawings" if self.mode == "sample" else "lesson.photos")
        size = say("lesson.size", sz=self.sz) + (say("lesson.then", sz2=self.sz2) if self.sz2 else "")
        lines = [say("lesson.banner.data", name=self.path.name, what=what),
                 say("lesson.banner.arch", arch=self.arch, size=size, bs=self.bs, seed=self.seed,
                     device=default_device())]
        return "\n".join(lines + [say("lesson.banner.note", note=n) for n in self.notes])


def _seed() -> int:
    raw = os.environ.get("COURSE_LIB_SEED", "").strip()
    if not raw:
        return 42
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"COURSE_LIB_SEED={raw!r}: give a whole number, e.g. COURSE_LIB_SEED=7.") from None


def default_arch(real: bool) -> tuple[str, str | None]:
    """The backbone for real or generated data on this machine, and a note when it is not the lesson's resnet34."""
    if not real:
        return "efficientnet_lite0", None
    if default_device().type == "cuda":
        return "resnet34", None
    return "efficientnet_lite0", say("lesson.note.cpu_arch")


def data_root(start: str | os.PathLike | None = None) -> Path:
    """The nearest `data/` folder in `start` (default: the working folder, a notebook's own) or above it, else
    ./data: notebooks/ and notebooks/zh/ find the same repository data/ and share its samples."""
    here = Path(start or Path.cwd()).resolve()
    for d in [here, *here.parents]:
        if (d / "data").is_dir():
            # relative, as a reader would type it (../data): printed paths then name no folder of this machine
            return Path(os.path.relpath(d / "data"))
    return Path("data")


def lesson_setup(name: str, root: str | os.PathLike | None = None) -> Setup:
    """The settings for lesson data set `name` ('dogscats' or 'dogbreeds') from the environment (module doc);
    the data under `root` (default: data_root())."""
    from .datasets import find_real
    from .synthetic import ensure_sample
    if name not in LAYOUTS:
        raise ValueError(f"unknown lesson data set {name!r}; expected one of {sorted(LAYOUTS)}")
    test_dir, layout = LAYOUTS[name]
    root = data_root() if root is None else root
    notes = []
    given = os.environ.get("COURSE_LIB_DATA", "").strip()
    if given:
        path, mode = Path(given).expanduser(), "real"
        if not path.is_absolute() and not path.is_dir() and (Path(root).parent / path).is_dir():
            # typed from the repository's folder, read in a kernel started in notebooks/: the same folder
            path = Path(root).parent / path
        if not path.is_dir():
            raise FileNotFoundError(f"COURSE_LIB_DATA={given!r} is not a folder (from {Path.cwd()} or from "
                                    f"{Path(root).parent.resolve()}). Give a folder in the {layout} layout, or "
                                    f"unset it to use the offline sample.")
    elif os.environ.get("COURSE_LIB_FULL") == "1":
        path, mode = find_real(name, root=root), "real"
    else:
        path, mode = ensure_sample(name, root=root), "sample"
    arch = os.environ.get("COURSE_LIB_ARCH", "").strip()
    if not arch:
        arch, why = default_arch(mode == "real")
        if why:
            notes.append(why)
    sz, sz2, bs = SIZES[(name, mode)]
    if arch == "resnet_mini":
        sz, sz2 = SMALL_ARCH_SIZES[name]
    if mode == "real" and default_device().type != "cuda":
        bs = 32  # the lesson's 64 (58 for the breeds) was sized for a GPU's memory
    test_name = test_dir if (path / test_dir).is_dir() else None
    if test_name is None:
        notes.append(say("lesson.note.no_test", test=test_dir, name=path.name))
    return Setup(name, path, mode, arch, sz, sz2, bs, _seed(), test_name, tuple(notes))


# ---------------------------------------------------------------------------------------------------------------
# The lesson text's own figures (../shared/seeds: the Chinese write-up of fast.ai 2018 lesson 2), final epochs.
# Its setting: the Kaggle photos, resnet34 (dogs vs cats) at 224 px, the breeds at 224 then 299 px, on a GPU.
LESSON_FIGURES = {
    "dogscats": [
        ("head only, precompute (lesson 1's fit(0.01, 2))", 0.9885, None),
        ("+ augmentation (precompute=False)", 0.9925, None),
        ("+ SGDR, fit(1e-2, 3, cycle_len=1)", 0.9925, None),
        ("unfreeze, [1e-4, 1e-3, 1e-2], cycle_mult=2 (0.9935 at its best epoch)", 0.993, None),
    ],
    "dogbreeds": [
        ("head only, precompute, fit(1e-2, 3)", 0.913, None),
        ("+ augmentation, SGDR, fit(1e-2, 3, cycle_len=1)", 0.917, None),
        ("unfreeze, cycle_mult=2: hurt, dropped", 0.876, None),
        ("progressive resizing to 299 px", 0.926, None),
        ("+ TTA", 0.928, 0.219),
        ("+ TTA, in the course itself", 0.941, 0.1998),
    ],
}
LESSON_SIZES = {"dogscats": (224,), "dogbreeds": (224, 299)}


def lesson_table(name: str, steps, match: dict[int, int]) -> pd.DataFrame:
    """The lesson text's final-epoch figures for `name` beside this run's, row by row.

    `match` maps a row of LESSON_FIGURES to the index of this run's step that corresponds to it (rows with no
    counterpart show a blank); `differences` says what differs: data, backbone, image size, device.
    """
    rows = []
    # the dogs-vs-cats part gives no log loss: a column of blanks would only look like missing data
    with_loss = any(loss is not None for _, _, loss in LESSON_FIGURES[name])
    for k, (what, acc, loss) in enumerate(LESSON_FIGURES[name]):
        row = {"lesson step": say(f"lesson.{name}.{k}"), "lesson accuracy": f"{acc:.4g}"}
        if with_loss:
            row["lesson log loss"] = "" if loss is None else f"{loss:.4g}"
        j = match.get(k)
        if j is None:
            row.update({"this run": "", "accuracy": "", "log loss": ""})
        else:
            row.update({"this run": steps.names[j], "accuracy": f"{steps.accuracy(j):.3f}",
                        "log loss": f"{steps.log_loss(j):.3f}"})
        rows.append(row)
    return pd.DataFrame(rows).rename(columns=lambda c: say(f"lesson.col.{c}"))


def differences(name: str, setup: Setup, n_train: int, n_valid: int) -> str:
    """What differs between the lesson text's run and this one, in a few lines."""
    def px(sz, sz2=None):
        return say("lesson.px_then", sz=sz, sz2=sz2) if sz2 else say("lesson.px", sz=sz)
    lesson_size = px(*LESSON_SIZES[name])
    data = say("lesson.diff.drawings" if setup.mode == "sample" else "lesson.photos")
    return "\n".join([
        say("lesson.diff.data", lesson=say(f"lesson.setting.data.{name}"), data=data, n_train=n_train,
            n_valid=n_valid),
        say("lesson.diff.backbone", lesson=say(f"lesson.setting.backbone.{name}"), arch=setup.arch),
        say("lesson.diff.size", lesson=lesson_size, size=px(setup.sz, setup.sz2)),
        say("lesson.diff.device", lesson=say("lesson.setting.device"), device=default_device()),
    ])
