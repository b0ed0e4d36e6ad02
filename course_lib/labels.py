"""A labels CSV (id, label[s]): read and checked row by row, then turned into classes and targets."""
from __future__ import annotations

import warnings
from pathlib import Path, PurePosixPath

import numpy as np

from .csvfile import read_csv
from .layout import DataLayoutError

MISSING_WORDS = {"nan", "na", "n/a", "none", "null", "?", "-"}


def read_labels_csv(fn: Path, skip_header: bool = True, img_dir: Path | None = None,
                    suffix: str = "") -> tuple[list[str], list[str]]:
    """(ids, labels) from the first two columns of a labels CSV (any encoding or delimiter); ids and labels checked.

    With `img_dir`, a first row whose id names an image there is data, not a header: it is kept, with a warning,
    instead of being dropped silently.
    """
    if not fn.is_file():
        raise FileNotFoundError(f"Labels file {fn} does not exist.")
    df = read_csv(fn, header=False)
    rows = [[str(v) for v in r] for r in df.itertuples(index=False) if any(str(v).strip() for v in r)]
    if skip_header and rows:
        first = rows[0][0].strip()
        if img_dir is not None and first and (img_dir / f"{first}{suffix}").is_file():
            warnings.warn(f"{fn.name}: the first row ({','.join(rows[0][:2])}) names an image, so it is read as "
                          f"data, not as a header. Pass skip_header=False if the file has no header.", stacklevel=3)
        else:
            rows = rows[1:]
    if not rows:
        raise DataLayoutError(f"{fn.name} has no data rows (expected a header line, then one id,label row per "
                              f"image).")
    if df.shape[1] < 2:
        raise DataLayoutError(f"{fn.name}: {len(rows)} row(s) have fewer than 2 columns; expected id,label "
                              f"(separated by , ; tab or |).")
    ids = [r[0].strip() for r in rows]
    labels = [r[1].strip() for r in rows]
    escaping = [i for i in ids if i.startswith(("/", "\\")) or ".." in PurePosixPath(i.replace("\\", "/")).parts
                or ":" in i]
    if escaping:
        raise DataLayoutError(f"{fn.name}: {len(escaping)} id(s) would leave the image folder "
                              f"(first: {escaping[:3]}); ids must be plain file names.")
    seen, dups = set(), []
    for i in ids:
        if i in seen:
            dups.append(i)
        seen.add(i)
    if dups:
        swapped = len(set(labels)) == len(labels)  # unique second column, repeated first: the columns are swapped
        raise DataLayoutError(f"{fn.name}: {len(dups)} duplicate id(s) (first: {sorted(set(dups))[:5]}); "
                              f"each image must appear once."
                              + (" The second column is unique, so the columns look swapped: the id must come "
                                 "first, then the label." if swapped else ""))
    empty = [i for i, lab in zip(ids, labels) if not lab]
    if empty:
        raise DataLayoutError(f"{fn.name}: {len(empty)} row(s) have an empty label (first id: {empty[0]}).")
    _warn_odd_labels(labels, fn.name)
    return ids, labels


def image_names(ids: list[str], folder: str, img_dir: Path, suffix: str, name: str) -> list[str]:
    """`folder/<id><suffix>` for each id, as the files are named: an id that repeats the folder
    (`train/0042`), or whose file differs in upper/lower case only (`0042.JPG` from a camera), is matched to its
    file, with a warning that counts them. Ids still without a file keep the plain name (the caller reports them).
    """
    names = [f"{i}{suffix}" for i in ids]
    gone = [k for k, n in enumerate(names) if not (img_dir / n).is_file()]
    if not gone:
        return [f"{folder}/{n}" for n in names]
    prefixed, cased = [], []
    lower: dict[str, str] | None = None
    head = f"{img_dir.name}/"
    for k in gone:
        i = ids[k].replace("\\", "/")
        stripped = i[len(head):] if i.startswith(head) else None
        for cand in ([f"{stripped}{suffix}"] if stripped else []) + [names[k]]:
            if (img_dir / cand).is_file():
                real = cand
            elif "/" in cand:
                continue
            else:
                if lower is None:  # one listing of the folder, only when some ids are missing
                    lower = {}
                    for f in img_dir.iterdir():
                        lower.setdefault(f.name.lower(), f.name)
                real = lower.get(cand.lower())
                if real is None:
                    continue
                cased.append(f"{cand} -> {real}")
            if stripped and cand != names[k]:
                prefixed.append(ids[k])
            names[k] = real
            break
    if prefixed:
        warnings.warn(f"{name}: {len(prefixed)} id(s) start with the image folder's name (first: {prefixed[0]}); "
                      f"they were read inside {img_dir.name}/.", stacklevel=3)
    if cased:
        warnings.warn(f"{name}: {len(cased)} id(s) name their file with other upper/lower case (first: "
                      f"{cased[0]}); matched to the files as they are named (Linux tells the two apart).",
                      stacklevel=3)
    return [f"{folder}/{n}" for n in names]


def _warn_odd_labels(labels: list[str], name: str) -> None:
    """Warn about labels that look like missing values, and about classes that differ only in letter case."""
    missing = [lab for lab in labels if lab.lower() in MISSING_WORDS]
    if missing:
        warnings.warn(f"{name}: {len(missing)} row(s) have the label {missing[0]!r}, which looks like a missing "
                      f"value; it becomes a class of its own. Remove or fix those rows.", stacklevel=4)
    by_lower: dict[str, set[str]] = {}
    for lab in set(labels):
        by_lower.setdefault(lab.lower(), set()).add(lab)
    clash = sorted(sorted(v) for v in by_lower.values() if len(v) > 1)
    if clash:
        warnings.warn(f"{name}: {len(clash)} label(s) differ only in upper/lower case (first: {clash[0]}), so they "
                      f"are separate classes. Write each class the same way if they are one.", stacklevel=4)


def multi_label_choice(labels: list[str], sep: str, multi_label: bool | None, name: str) -> bool:
    """Whether a labels file is multi-label: as asked, or decided by the file and announced with the count."""
    holding = [lab for lab in labels if sep in lab.strip()]
    if multi_label is not None:
        return bool(multi_label)
    if holding:
        warnings.warn(f"{name}: {len(holding)} of {len(labels)} labels contain {sep!r} (first: {holding[0]!r}), so "
                      f"the file is read as multi-label (each label split on {sep!r}, a sigmoid head). If those "
                      f"are single classes with spaces in their names, pass multi_label=False; pass "
                      f"multi_label=True to say it is meant.", stacklevel=3)
    return bool(holding)


def encode(labels: list[str], sep: str, is_multi: bool) -> tuple[list[str], np.ndarray]:
    """(sorted classes, targets): class indices, or n-hot rows when each label is a `sep`-separated list."""
    split = [lab.split(sep) if is_multi else [lab] for lab in labels]
    classes = sorted({c for cs in split for c in cs if c})
    idx = {c: k for k, c in enumerate(classes)}
    if is_multi:
        y = np.zeros((len(labels), len(classes)), dtype=np.float32)
        for r, cs in enumerate(split):
            y[r, [idx[c] for c in cs if c]] = 1
    else:
        y = np.array([idx[cs[0]] for cs in split], dtype=np.int64)
    return classes, y
