"""ImageClassifierData: folder and CSV layouts, the errors for wrong ones, the split, and the loaders."""
from __future__ import annotations

import gc
import os
import random
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import RandomSampler, SequentialSampler

from course_lib import DataLayoutError, ImageClassifierData, get_cv_idxs, tfms_from_model, transforms_side_on
from course_lib import BadImageError, set_seed
from course_lib import data as D
from course_lib.transforms import denorm

SZ, BS = 16, 4
RED = {"cats": 40, "dogs": 120, "fish": 200}  # each class has its own red level, so labels can be read off pixels


def tfms(sz: int = SZ, aug=transforms_side_on, max_zoom=1.1):
    return tfms_from_model("resnet34", sz, aug_tfms=aug, max_zoom=max_zoom)


def class_image(cls: str, i: int, w: int = 24, h: int = 20) -> Image.Image:
    """Flat red level = class; a small green ramp and blue = index make every image distinct."""
    a = np.zeros((h, w, 3), np.uint8)
    a[..., 0] = RED[cls]
    a[..., 1] = np.linspace(0, 60, w, dtype=np.uint8)[None, :]
    a[..., 2] = 10 * i
    return Image.fromarray(a)


def save(img: Image.Image, fn: Path) -> Path:
    fn.parent.mkdir(parents=True, exist_ok=True)
    img.save(fn, quality=95) if fn.suffix == ".jpg" else img.save(fn)
    return fn


def make_folders(root: Path, classes=("cats", "dogs"), n_train: int = 5, n_valid: int = 3, n_test: int = 0,
                 test_name: str = "test1") -> Path:
    """path/train/<class>/, path/valid/<class>/ (a mix of JPEG and PNG), optional flat path/<test_name>/."""
    for split, n in (("train", n_train), ("valid", n_valid)):
        for c in classes:
            for i in range(n):
                # validation pictures differ from the training ones of the same name (no copied images)
                k = i if split == "train" else i + n_train
                save(class_image(c, k), root / split / c / f"{c}.{i}.{'png' if i % 2 else 'jpg'}")
    for i in range(n_test):
        save(class_image(classes[i % len(classes)], i), root / test_name / f"{i}.jpg")
    return root


def red_class(x: torch.Tensor) -> list[str]:
    """Which class each normalised image of a batch shows, from its red level."""
    reds = denorm(x)[..., 0].reshape(len(x), -1).mean(1) * 255
    return [min(RED, key=lambda c: abs(RED[c] - r)) for r in reds]


def batches(dl):
    xs, ys = zip(*list(dl))
    return torch.cat(xs), torch.cat(ys)


@pytest.fixture
def folder(tmp_path) -> Path:
    root = make_folders(tmp_path / "dogscats", n_test=4)
    # things a real folder picks up, all to be ignored
    (root / "train" / "cats" / "notes.txt").write_text("not an image")
    (root / "train" / "cats" / ".DS_Store").write_bytes(b"\0")
    save(class_image("cats", 9), root / "train" / "cats" / ".hidden.jpg")
    for split in ("train", "valid"):
        save(class_image("fish", 0), root / split / ".ipynb_checkpoints" / "x.jpg")
    (root / "labels.csv").write_text("not used here")
    return root


@pytest.fixture
def data(folder) -> ImageClassifierData:
    return ImageClassifierData.from_paths(folder, bs=BS, tfms=tfms(), test_name="test1", num_workers=0)


# ----------------------------------------------------------------------------- from_paths

def test_from_paths_layout_classes_and_labels(data, folder):
    assert data.classes == ["cats", "dogs"] and data.c == 2 and data.sz == SZ and not data.is_multi
    assert len(data.trn_ds) == 10 and len(data.val_ds) == 6 and len(data.test_ds) == 4
    assert list(data.trn_ds.fnames[:5]) == [f"train/cats/cats.{i}.{'png' if i % 2 else 'jpg'}" for i in range(5)]
    for ds in (data.trn_ds, data.val_ds):
        for fn, y in zip(ds.fnames, ds.y):
            assert fn.split("/")[1] == data.classes[y]  # label = the folder the file is in
            assert (folder / fn).is_file()
    assert data.val_y.tolist() == [0, 0, 0, 1, 1, 1] and data.trn_y.dtype == np.int64
    assert "train 10, valid 6, test 4" in data.describe() and "sz=16" in repr(data)


def test_labels_stay_aligned_through_the_loaders(data):
    for dl, ds in ((data.val_dl, data.val_ds), (data.fix_dl, data.trn_ds)):
        x, y = batches(dl)
        assert red_class(x) == [data.classes[k] for k in y.tolist()]
        assert y.tolist() == ds.y.tolist()  # unshuffled: dataset order
    torch.manual_seed(0)
    random.seed(0)
    x, y = batches(data.trn_dl)
    assert red_class(x) == [data.classes[k] for k in y.tolist()]


def test_test_set(data):
    assert list(data.test_ds.fnames) == [f"test1/{i}.jpg" for i in range(4)]
    x, y = batches(data.test_dl)
    assert x.shape == (4, 3, SZ, SZ) and y.tolist() == [-1] * 4  # placeholders, not labels
    xa, _ = batches(data.test_aug_dl)
    assert xa.shape == x.shape


def test_no_test_set(folder):
    d = ImageClassifierData.from_paths(folder, bs=BS, tfms=tfms(), num_workers=0)
    assert d.test_ds is None and d.test_dl is None and d.test_aug_dl is None


def test_loaders_batch_shapes(data):
    shapes = [(xb.shape, xb.dtype, yb.shape, yb.dtype) for xb, yb in data.trn_dl]
    assert [s[0][0] for s in shapes] == [4, 4, 2]
    assert all(s[0][1:] == (3, SZ, SZ) and s[1] == torch.float32 and s[3] == torch.int64 for s in shapes)
    assert [len(yb) for _, yb in data.val_dl] == [4, 2]
    assert data.trn_dl is data.trn_dl  # built once


def test_lone_last_training_batch_is_dropped(tmp_path):
    root = make_folders(tmp_path / "d", n_train=5, n_valid=1)  # 10 training images, bs 3 -> 3, 3, 3, 1
    d = ImageClassifierData.from_paths(root, bs=3, tfms=tfms(), num_workers=0)
    assert [len(yb) for _, yb in d.trn_dl] == [3, 3, 3]  # a batch of one would break BatchNorm
    assert [len(yb) for _, yb in d.fix_dl] == [3, 3, 3, 1]


def test_only_trn_dl_is_shuffled(data):
    assert isinstance(data.trn_dl.sampler, RandomSampler)
    for dl in (data.val_dl, data.fix_dl, data.aug_dl, data.test_dl, data.test_aug_dl):
        assert isinstance(dl.sampler, SequentialSampler)
    torch.manual_seed(0)
    assert len({tuple(data.trn_dl.sampler) for _ in range(3)}) > 1  # a new order every epoch


def test_fix_dl_is_training_images_with_validation_transforms(data, folder):
    x1, y1 = batches(data.fix_dl)
    x2, _ = batches(data.fix_dl)
    torch.testing.assert_close(x1, x2, rtol=0, atol=0)  # deterministic
    val_tfm = data.tfms[1]
    want = torch.stack([val_tfm(folder / fn) for fn in data.trn_ds.fnames])
    torch.testing.assert_close(x1, want, rtol=0, atol=0)
    assert y1.tolist() == data.trn_y.tolist()


def test_aug_dl_is_validation_images_augmented(data):
    random.seed(0)
    xv, yv = batches(data.val_dl)
    xa, ya = batches(data.aug_dl)
    xa2, _ = batches(data.aug_dl)
    assert ya.tolist() == yv.tolist() == data.val_y.tolist()
    assert xa.shape == xv.shape
    assert not torch.equal(xa, xv) and not torch.equal(xa, xa2)  # training transforms: random each pass
    assert red_class(xa) == [data.classes[k] for k in ya.tolist()]


def test_resize_to_keeps_the_split_and_changes_sz(data):
    small = data.resize_to(8)
    assert small.sz == 8 and data.sz == SZ
    assert small.classes == data.classes and small.bs == data.bs
    for a, b in ((small.trn_ds, data.trn_ds), (small.val_ds, data.val_ds), (small.test_ds, data.test_ds)):
        assert list(a.fnames) == list(b.fnames)
    assert small.val_y.tolist() == data.val_y.tolist()
    xb, _ = next(iter(small.trn_dl))
    assert xb.shape == (BS, 3, 8, 8)
    assert small.tfms[0].aug_tfms == data.tfms[0].aug_tfms and small.tfms[0].max_zoom == 1.1
    assert next(iter(data.trn_dl))[0].shape == (BS, 3, SZ, SZ)  # the original is untouched
    bigger = data.resize_to(24, bs=2)
    assert bigger.bs == 2 and next(iter(bigger.val_dl))[0].shape == (2, 3, 24, 24)


def test_cache_gives_the_same_tensors(folder):
    plain = ImageClassifierData.from_paths(folder, bs=BS, tfms=tfms(), test_name="test1", num_workers=0)
    cached = ImageClassifierData.from_paths(folder, bs=BS, tfms=tfms(), test_name="test1", num_workers=0,
                                            cache=True)
    assert len(cached.trn_ds.cache.imgs) == 10 + 6 + 4  # filled up front
    for a, b in ((plain.val_dl, cached.val_dl), (plain.fix_dl, cached.fix_dl), (plain.test_dl, cached.test_dl)):
        torch.testing.assert_close(batches(a)[0], batches(b)[0], rtol=0, atol=0)
    for i in range(len(plain.trn_ds)):  # training transforms too, given the same random draws
        set_seed(i)
        xa = plain.trn_ds[i][0]
        set_seed(i)
        torch.testing.assert_close(xa, cached.trn_ds[i][0], rtol=0, atol=0)
    resized = cached.resize_to(8)
    assert resized.cached and resized.trn_ds.cache.side == resized.tfms[0].need_side
    torch.testing.assert_close(batches(resized.val_dl)[0], batches(plain.resize_to(8).val_dl)[0], rtol=0, atol=0)


def test_unreadable_image_names_the_file_when_loaded(folder):
    bad = folder / "train" / "dogs" / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 half a download")
    d = ImageClassifierData.from_paths(folder, bs=BS, tfms=tfms(), num_workers=0)
    with pytest.raises(BadImageError, match="verify_images") as e:
        batches(d.fix_dl)
    assert str(bad) in str(e.value)
    with pytest.raises(BadImageError):  # with cache=True it shows up front, while filling the cache
        ImageClassifierData.from_paths(folder, bs=BS, tfms=tfms(), num_workers=0, cache=True)


def test_tfms_are_required(folder):
    with pytest.raises(TypeError, match="tfms_from_model"):
        ImageClassifierData.from_paths(folder, bs=BS, num_workers=0)


# ----------------------------------------------------------------------------- layout errors

def test_layout_error_is_a_value_error():
    assert issubclass(DataLayoutError, ValueError)


def test_missing_data_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageClassifierData.from_paths(tmp_path / "nope", tfms=tfms(), num_workers=0)


@pytest.mark.parametrize("missing", ["train", "valid"])
def test_missing_train_or_valid_says_what_was_found(tmp_path, missing):
    root = make_folders(tmp_path / "d")
    os.rename(root / missing, root / ("training" if missing == "train" else "val"))
    with pytest.raises(DataLayoutError) as e:
        ImageClassifierData.from_paths(root, tfms=tfms(), num_workers=0)
    msg = str(e.value)
    assert str(root / missing) in msg
    assert ("training" if missing == "train" else "val") in msg  # what is there instead


def test_custom_folder_names(tmp_path):
    root = make_folders(tmp_path / "d")
    os.rename(root / "train", root / "trn")
    os.rename(root / "valid", root / "val")
    d = ImageClassifierData.from_paths(root, tfms=tfms(), trn_name="trn", val_name="val", num_workers=0)
    assert len(d.trn_ds) == 10 and d.trn_ds.fnames[0].startswith("trn/")


def test_class_folders_differ_between_train_and_valid(tmp_path):
    root = make_folders(tmp_path / "d", classes=("cats", "dogs"))
    os.rename(root / "valid" / "dogs", root / "valid" / "dog")
    make_folders(root, classes=("fish",), n_valid=0)  # fish only in train
    with pytest.raises(DataLayoutError) as e:
        ImageClassifierData.from_paths(root, tfms=tfms(), num_workers=0)
    msg = str(e.value)
    assert "only in train: ['dogs', 'fish']" in msg and "only in valid: ['dog']" in msg
    assert "line up" in msg


def test_empty_class_folder(tmp_path):
    root = make_folders(tmp_path / "d")
    (root / "train" / "birds").mkdir()
    (root / "valid" / "birds").mkdir()
    (root / "train" / "birds" / "readme.txt").write_text("no images yet")
    with pytest.raises(DataLayoutError, match="Empty class folder") as e:
        ImageClassifierData.from_paths(root, tfms=tfms(), num_workers=0)
    assert str(root / "train" / "birds") in str(e.value)


def test_empty_validation_class_is_allowed(tmp_path):
    root = make_folders(tmp_path / "d")
    for f in (root / "valid" / "dogs").iterdir():
        f.unlink()
    assert (root / "valid" / "dogs").is_dir()
    d = ImageClassifierData.from_paths(root, tfms=tfms(), num_workers=0)
    assert d.classes == ["cats", "dogs"] and d.val_y.tolist() == [0, 0, 0]


def test_nested_folders(tmp_path):
    root = make_folders(tmp_path / "d")
    save(class_image("cats", 0), root / "train" / "cats" / "siamese" / "a.jpg")
    with pytest.raises(DataLayoutError, match="sub-folders") as e:
        ImageClassifierData.from_paths(root, tfms=tfms(), num_workers=0)
    assert "siamese" in str(e.value) and str(root / "train" / "cats") in str(e.value)


def test_flat_train_folder_gets_a_hint(tmp_path):
    root = tmp_path / "d"
    for i in range(3):
        save(class_image("cats", i), root / "train" / f"cat.{i}.jpg")
    make_folders(root, n_train=0)
    with pytest.raises(DataLayoutError) as e:
        ImageClassifierData.from_paths(root, tfms=tfms(), num_workers=0)
    msg = str(e.value)
    assert "no class folders" in msg and "3 images directly" in msg and "from_csv" in msg


def test_empty_train_folder(tmp_path):
    (tmp_path / "d" / "train").mkdir(parents=True)
    (tmp_path / "d" / "valid").mkdir()
    with pytest.raises(DataLayoutError, match="no class folders") as e:
        ImageClassifierData.from_paths(tmp_path / "d", tfms=tfms(), num_workers=0)
    assert "directly" not in str(e.value)


def test_test_folder_errors(tmp_path):
    root = make_folders(tmp_path / "d")
    with pytest.raises(DataLayoutError, match="test1"):
        ImageClassifierData.from_paths(root, tfms=tfms(), test_name="test1", num_workers=0)
    (root / "test1").mkdir()
    (root / "test1" / "readme.txt").write_text("x")
    with pytest.raises(DataLayoutError, match="holds no images"):
        ImageClassifierData.from_paths(root, tfms=tfms(), test_name="test1", num_workers=0)


# ----------------------------------------------------------------------------- get_cv_idxs

def test_get_cv_idxs_matches_the_original_count_and_permutation():
    idx = get_cv_idxs(10222)
    assert len(idx) == 2044 and len(set(idx.tolist())) == 2044
    state = np.random.get_state()
    try:
        np.random.seed(42)  # what the original did, on the global generator
        want = np.random.permutation(10222)[:2044]
    finally:
        np.random.set_state(state)
    np.testing.assert_array_equal(idx, want)


def test_get_cv_idxs_is_deterministic_and_folds_are_disjoint():
    np.testing.assert_array_equal(get_cv_idxs(100), get_cv_idxs(100))
    folds = [set(get_cv_idxs(100, cv_idx=k).tolist()) for k in range(5)]
    assert all(len(f) == 20 for f in folds)
    assert set().union(*folds) == set(range(100))
    assert len(get_cv_idxs(100, val_pct=0.1)) == 10
    assert not np.array_equal(get_cv_idxs(100, seed=1), get_cv_idxs(100))


def test_get_cv_idxs_leaves_numpys_global_generator_alone():
    np.random.seed(123)
    expected = np.random.rand(3)
    np.random.seed(123)
    get_cv_idxs(1000)
    np.testing.assert_array_equal(np.random.rand(3), expected)


# ----------------------------------------------------------------------------- from_csv

def make_csv_data(root: Path, rows: list[tuple[str, str]], folder: str = "train", suffix: str = ".jpg",
                  header: str | None = "id,breed", encoding: str = "utf-8", extra: str = "",
                  skip_files=()) -> Path:
    """Images named by id under root/folder/, and root/labels.csv with id,label rows."""
    (root / folder).mkdir(parents=True, exist_ok=True)
    for i, (id_, lab) in enumerate(rows):
        if id_ not in skip_files:
            save(class_image(re.split(r"[ |]", lab)[0], i), root / folder / f"{id_}{suffix}")
    lines = ([header] if header else []) + [f"{i},{lab}{extra}" for i, lab in rows]
    (root / "labels.csv").write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return root


ROWS = [(f"img{k:02d}", ["cats", "dogs", "fish"][k % 3]) for k in range(10)]


def test_from_csv_single_label(tmp_path):
    root = make_csv_data(tmp_path / "d", ROWS)
    val_idxs = [1, 4, 7]
    d = ImageClassifierData.from_csv(root, "train", root / "labels.csv", bs=BS, tfms=tfms(), val_idxs=val_idxs,
                                     suffix=".jpg", num_workers=0)
    assert d.classes == ["cats", "dogs", "fish"] and not d.is_multi
    assert list(d.val_ds.fnames) == [f"train/{ROWS[k][0]}.jpg" for k in val_idxs]
    assert d.val_y.tolist() == [d.classes.index(ROWS[k][1]) for k in val_idxs]
    assert len(d.trn_ds) == 7 and not set(d.trn_ds.fnames) & set(d.val_ds.fnames)
    x, y = batches(d.val_dl)
    assert red_class(x) == [d.classes[k] for k in y.tolist()]
    assert y.dtype == torch.int64


def test_from_csv_default_val_idxs_is_get_cv_idxs(tmp_path):
    root = make_csv_data(tmp_path / "d", ROWS)
    d = ImageClassifierData.from_csv(root, "train", "labels.csv", tfms=tfms(), suffix=".jpg", num_workers=0)
    want = sorted(get_cv_idxs(10).tolist())
    assert list(d.val_ds.fnames) == [f"train/{ROWS[k][0]}.jpg" for k in want]  # kept in CSV order


def test_from_csv_path_as_the_lesson_writes_it(tmp_path, monkeypatch):
    make_csv_data(tmp_path / "data" / "dogbreeds", ROWS)
    monkeypatch.chdir(tmp_path)
    PATH = "data/dogbreeds/"
    d = ImageClassifierData.from_csv(PATH, "train", f"{PATH}labels.csv", tfms=tfms(), suffix=".jpg",
                                     val_idxs=get_cv_idxs(10), num_workers=0)
    assert len(d.trn_ds) + len(d.val_ds) == 10


def test_from_csv_multi_label(tmp_path):
    rows = [("a", "cats dogs"), ("b", "dogs"), ("c", "fish cats"), ("d", "fish"), ("e", "cats")]
    root = make_csv_data(tmp_path / "d", rows)
    d = ImageClassifierData.from_csv(root, "train", "labels.csv", bs=BS, tfms=tfms(), val_idxs=[0, 2],
                                     suffix=".jpg", num_workers=0)
    assert d.is_multi and d.classes == ["cats", "dogs", "fish"]
    np.testing.assert_array_equal(d.val_y, [[1, 1, 0], [1, 0, 1]])
    assert d.val_y.dtype == np.float32
    np.testing.assert_array_equal(d.trn_y, [[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    xb, yb = next(iter(d.trn_dl))
    assert yb.dtype == torch.float32 and yb.shape == (3, 3) and xb.shape == (3, 3, SZ, SZ)
    assert "multi-label" in d.describe()


def test_from_csv_other_separator(tmp_path):
    root = make_csv_data(tmp_path / "d", [("a", "cats|dogs"), ("b", "dogs"), ("c", "cats")])
    d = ImageClassifierData.from_csv(root, "train", "labels.csv", tfms=tfms(), val_idxs=[0], suffix=".jpg",
                                     cat_separator="|", num_workers=0)
    assert d.is_multi and d.classes == ["cats", "dogs"]
    np.testing.assert_array_equal(d.val_y, [[1, 1]])


def test_from_csv_ids_with_suffix_already(tmp_path):
    root = make_csv_data(tmp_path / "d", [(f"{i}.jpg", lab) for i, lab in ROWS], suffix="")
    d = ImageClassifierData.from_csv(root, "train", "labels.csv", tfms=tfms(), num_workers=0)
    assert d.trn_ds.fnames[0].endswith(".jpg") and not d.trn_ds.fnames[0].endswith(".jpg.jpg")


def test_from_csv_with_test_set(tmp_path):
    root = make_csv_data(tmp_path / "d", ROWS)
    for i in range(3):
        save(class_image("cats", i), root / "test" / f"t{i}.jpg")
    d = ImageClassifierData.from_csv(root, "train", "labels.csv", tfms=tfms(), suffix=".jpg", test_name="test",
                                     num_workers=0)
    assert list(d.test_ds.fnames) == ["test/t0.jpg", "test/t1.jpg", "test/t2.jpg"]


def test_from_csv_val_idxs_out_of_range(tmp_path):
    root = make_csv_data(tmp_path / "d", ROWS)
    with pytest.raises(DataLayoutError, match=r"\[0, 10\)"):
        ImageClassifierData.from_csv(root, "train", "labels.csv", tfms=tfms(), suffix=".jpg", val_idxs=[3, 10],
                                     num_workers=0)


def test_csv_with_bom(tmp_path):
    root = make_csv_data(tmp_path / "d", ROWS[:4], header=None, encoding="utf-8-sig")
    assert (root / "labels.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    ids, labels = D.read_labels_csv(root / "labels.csv", skip_header=False)
    assert ids[0] == "img00" and labels == ["cats", "dogs", "fish", "cats"]  # no BOM stuck to the first id
    d = ImageClassifierData.from_csv(root, "train", "labels.csv", tfms=tfms(), suffix=".jpg", skip_header=False,
                                     val_idxs=[0], num_workers=0)
    assert d.val_ds.fnames[0] == "train/img00.jpg"


def test_csv_in_latin1(tmp_path):
    rows = [("café", "cats"), ("naïve", "dogs"), ("plain", "cats")]
    root = make_csv_data(tmp_path / "d", rows, encoding="latin-1")
    with pytest.warns(UserWarning, match="Latin-1"):
        d = ImageClassifierData.from_csv(root, "train", "labels.csv", tfms=tfms(), suffix=".jpg", val_idxs=[0],
                                         num_workers=0)
    assert d.val_ds.fnames[0] == "train/café.jpg"
    assert batches(d.val_dl)[0].shape == (1, 3, SZ, SZ)


def test_csv_extra_columns_are_ignored(tmp_path):
    root = make_csv_data(tmp_path / "d", ROWS, header="id,breed,source,score", extra=",kaggle,0.5")
    d = ImageClassifierData.from_csv(root, "train", "labels.csv", tfms=tfms(), suffix=".jpg", num_workers=0)
    assert d.classes == ["cats", "dogs", "fish"]


def test_csv_quoted_fields_and_blank_lines(tmp_path):
    root = make_csv_data(tmp_path / "d", ROWS[:3])
    (root / "labels.csv").write_text('id,breed\n"img00","cats"\n\nimg01, dogs \n,\nimg02,fish\n')
    ids, labels = D.read_labels_csv(root / "labels.csv")
    assert ids == ["img00", "img01", "img02"] and labels == ["cats", "dogs", "fish"]


def test_csv_duplicate_ids(tmp_path):
    root = make_csv_data(tmp_path / "d", ROWS + [("img03", "cats"), ("img05", "dogs")])
    with pytest.raises(DataLayoutError, match="2 duplicate id") as e:
        ImageClassifierData.from_csv(root, "train", "labels.csv", tfms=tfms(), suffix=".jpg", num_workers=0)
    assert "img03" in str(e.value) and "img05" in str(e.value)


@pytest.mark.parametrize("bad_id", ["../secret", "sub/../../x", "/etc/passwd", "..\\x", "C:\\x", "\\\\server\\x"])
def test_csv_ids_leaving_the_folder(tmp_path, bad_id):
    root = make_csv_data(tmp_path / "d", ROWS)
    with open(root / "labels.csv", "a") as f:
        f.write(f"{bad_id},cats\n")
    with pytest.raises(DataLayoutError, match="leave the image folder"):
        ImageClassifierData.from_csv(root, "train", "labels.csv", tfms=tfms(), suffix=".jpg", num_workers=0)


def test_csv_short_rows_and_empty_labels(tmp_path):
    root = make_csv_data(tmp_path / "d", ROWS)
    (root / "labels.csv").write_text("id,breed\nimg00,cats\nimg01\n")
    with pytest.raises(DataLayoutError, match="empty label.*img01"):
        D.read_labels_csv(root / "labels.csv")
    (root / "labels.csv").write_text("id\nimg00\nimg01\n")
    with pytest.raises(DataLayoutError, match="fewer than 2 columns"):
        D.read_labels_csv(root / "labels.csv")
    (root / "labels.csv").write_text("id,breed\nimg00,cats\nimg01,  \n")
    with pytest.raises(DataLayoutError, match="empty label.*img01"):
        D.read_labels_csv(root / "labels.csv")


def test_missing_csv(tmp_path):
    (tmp_path / "train").mkdir()
    with pytest.raises(FileNotFoundError, match="labels.csv"):
        ImageClassifierData.from_csv(tmp_path, "train", "labels.csv", tfms=tfms(), num_workers=0)


def test_missing_image_files(tmp_path):
    root = make_csv_data(tmp_path / "d", ROWS, skip_files={"img02", "img07"})
    with pytest.raises(DataLayoutError) as e:
        ImageClassifierData.from_csv(root, "train", "labels.csv", tfms=tfms(), suffix=".jpg", num_workers=0)
    msg = str(e.value)
    assert "2 of 10 ids" in msg and "train/img02.jpg" in msg and "suffix" in msg and "drop_missing" in msg
    with pytest.raises(DataLayoutError, match="suffix"):  # the usual cause: no suffix given
        ImageClassifierData.from_csv(root, "train", "labels.csv", tfms=tfms(), num_workers=0)
    with pytest.warns(UserWarning, match="Dropped 2 of 10"):
        d = ImageClassifierData.from_csv(root, "train", "labels.csv", tfms=tfms(), suffix=".jpg",
                                         drop_missing=True, num_workers=0)
    kept = [f"train/{i}.jpg" for i, _ in ROWS if i not in ("img02", "img07")]
    assert sorted(list(d.trn_ds.fnames) + list(d.val_ds.fnames)) == kept
    assert len(d.val_ds) == len(get_cv_idxs(8))  # the split is drawn over the rows that remain


# ----------------------------------------------------------------------------- workers

@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="worker processes are only the default on Linux")
def test_default_worker_count_with_one_worker(folder, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(D, "default_workers", lambda: 1)
    d = ImageClassifierData.from_paths(folder, bs=BS, tfms=tfms(), test_name="test1")  # num_workers not given
    assert d.num_workers == 1
    x, y = batches(d.trn_dl)
    assert x.shape == (10, 3, SZ, SZ) and sorted(y.tolist()) == sorted(d.trn_y.tolist())
    assert red_class(x) == [d.classes[k] for k in y.tolist()]
    x2, _ = batches(d.trn_dl)  # a second epoch reuses the (persistent) worker
    assert x2.shape == x.shape and not torch.equal(x, x2)
    del d
    gc.collect()
