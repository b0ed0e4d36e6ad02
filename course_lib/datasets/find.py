"""Finding a real data set: is its layout complete under root, and if not, what is missing and how to get it."""
from __future__ import annotations

from pathlib import Path

from ..images import list_dirs, list_images
from .howto import EXPECTED, HOW_TO_GET
from .sources import NAMES


def n_images(folder: Path) -> int:
    """Images directly in `folder` (any of images.IMG_EXTS); -1 when there is no such folder."""
    if not folder.is_dir():
        return -1
    return len(list_images(folder))


def counts(name: str, path: Path) -> dict[str, int]:
    """Images found in each folder the layout needs (1 for a present labels.csv; -1 when missing)."""
    if name == "dogscats":
        return {k: n_images(path / k) for k in ("train/cats", "train/dogs", "valid/cats", "valid/dogs", "test1")}
    return {"train": n_images(path / "train"), "test": n_images(path / "test"),
            "labels.csv": 1 if (path / "labels.csv").is_file() else -1}


def complete(name: str, path: Path) -> bool:
    """True when every folder (and file) of the data set's layout is there and not empty."""
    return all(n > 0 for n in counts(name, path).values())


def find_real(name: str, root: str | Path = "data") -> Path:
    """Path of the real Kaggle data set `name` under root; if incomplete, an error saying how to get it."""
    if name not in NAMES:
        raise ValueError(f"Unknown data set {name!r}; expected one of {', '.join(NAMES)}")
    root = Path(root)
    path = root / name
    found_n = counts(name, path)
    missing = [k for k, n in found_n.items() if n <= 0]
    if not missing:
        return path
    found = "\n".join(
        f"  {path / k}: " + ("missing" if n < 0 else "no images" if k != "labels.csv" else "ok")
        if n <= 0 else f"  {path / k}: " + ("present" if k.endswith(".csv") else f"{n} images")
        for k, n in found_n.items())
    if name == "dogscats" and not path.is_dir() and n_images(root / "train") > 0:
        found += (f"\n  (a folder {root / 'train'} exists: if it is Kaggle's flat train folder, "
                  "split it as below)")
    raise FileNotFoundError(
        f"The real {name!r} data set is not complete under {path}.\n"
        f"Expected: {path}/ with {EXPECTED[name]}\n"
        f"Found:\n{found}\n" + HOW_TO_GET[name].format(root=root.as_posix()))


def find_layout(name: str, top: Path, depth: int = 2) -> Path | None:
    """The folder under `top` (itself, or up to `depth` levels down) that holds the complete layout."""
    level = [top]
    for _ in range(depth + 1):
        for d in sorted(level, key=lambda p: p.name != name):  # a folder named like the data set first
            if complete(name, d):
                return d
        # hidden folders and __MACOSX (resource forks that a Mac's zip adds) never hold the data
        level = [s for d in level for s in list_dirs(d)]
    return None
