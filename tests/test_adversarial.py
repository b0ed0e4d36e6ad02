"""Reliability round 2: the silent wrong answers, odd files and bad arguments students and teachers hit.

Each test names the case it covers; RELIABILITY.md lists them all.
"""
import os
from pathlib import Path
import stat
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from course_lib import (BadImageError, ConvLearner, DataLayoutError, ImageClassifierData, open_image,
                        tfms_from_model, verify_images)
from course_lib.checkpoint import STALE_TMP_S, CheckpointError, atomic_save, read_checkpoint
from course_lib.submission import SubmissionError, check_submission, make_submission

TFMS = tfms_from_model("resnet_mini", 16)


def csv_folder(root, labels: list[str]):
    """train/<i>.jpg for each label, and labels.csv (id,label)."""
    (root / "train").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(len(labels)):
        Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(root / "train" / f"{i}.jpg")
    pd.DataFrame({"id": range(len(labels)), "label": labels}).to_csv(root / "labels.csv", index=False)
    return root


def from_csv(root, **kw):
    return ImageClassifierData.from_csv(root, "train", root / "labels.csv", suffix=".jpg", tfms=TFMS, bs=2,
                                        num_workers=0, **kw)


# ---------------------------------------------------------------- from_csv: masks and labels with spaces
def test_val_idxs_as_a_boolean_mask_selects_those_rows(tmp_path):
    root = csv_folder(tmp_path / "d", ["a", "b"] * 5)
    mask = np.zeros(10, dtype=bool)
    mask[[3, 8]] = True
    data = from_csv(root, val_idxs=mask)
    assert sorted(data.val_ds.fnames) == ["train/3.jpg", "train/8.jpg"]  # not rows 0 and 1
    assert len(data.trn_ds) == 8
    with pytest.raises(DataLayoutError, match="boolean mask of shape \\(4,\\), but the file has 10 rows"):
        from_csv(root, val_idxs=mask[:4])


def test_a_label_with_a_space_is_announced_and_can_stay_single_label(tmp_path):
    labels = ["beagle", "golden retriever", "pug", "beagle", "pug", "beagle"]
    root = csv_folder(tmp_path / "d", labels)
    with pytest.warns(UserWarning, match="1 of 6 labels contain ' ' \\(first: 'golden retriever'\\).*"
                                         "multi_label=False"):
        auto = from_csv(root, val_idxs=[0, 4])
    assert auto.is_multi  # the original's reading, now said out loud
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        single = from_csv(root, val_idxs=[0, 4], multi_label=False)
    assert not single.is_multi and single.classes == ["beagle", "golden retriever", "pug"]


# ---------------------------------------------------------------- no validation set, one class
def test_an_empty_validation_set_says_so_and_saves_no_best_model(tmp_path, image_folder, capsys):
    root = image_folder(tmp_path / "d", n_train=4, n_valid=0)
    data = ImageClassifierData.from_paths(root, bs=4, tfms=TFMS, num_workers=0)
    learn = ConvLearner.pretrained("resnet_mini", data, pretrained=False, device="cpu")
    assert learn.fit(1e-2, 1) == []  # no val_loss 0.000 and no accuracy out of nothing
    out = capsys.readouterr().out
    assert "No validation set (0 images)" in out and "val_loss" not in out
    assert list(learn.history.columns) == ["epoch", "trn_loss", "time", "fit", "trn_mean"]
    with pytest.raises(ValueError, match="no validation set"):
        learn.fit(1e-2, 1, best_save_name="best")
    assert not (root / "models" / "best.pt").exists()


def test_a_single_class_is_refused(tmp_path, image_folder):
    root = image_folder(tmp_path / "d", n_train=3, n_valid=2)
    for split in ("train", "valid"):
        for f in (root / split / "dogs").iterdir():
            f.unlink()
        (root / split / "dogs").rmdir()
    with pytest.raises(DataLayoutError, match="only 1 class \\(cats\\).*at least two"):
        ImageClassifierData.from_paths(root, tfms=TFMS, num_workers=0)
    csv_root = csv_folder(tmp_path / "c", ["cat"] * 6)
    with pytest.raises(DataLayoutError, match="only 1 class"):
        from_csv(csv_root, val_idxs=[0])


# ---------------------------------------------------------------- odd pixels
def test_a_float_tiff_with_a_nan_pixel_keeps_its_picture(tmp_path):
    a = np.tile(np.linspace(0, 10, 32, dtype=np.float32), (24, 1))
    a[5, 7] = np.nan
    fn = tmp_path / "float.tif"
    Image.fromarray(a, "F").save(fn)
    with pytest.warns(UserWarning, match="float.tif: 1 of 768 pixels are NaN"):
        img = np.asarray(open_image(fn))
    assert img.shape == (24, 32, 3) and img[0, -1].max() == 255 and img[0, 0].max() == 0  # scaled, not black
    Image.fromarray(np.full((4, 4), np.nan, np.float32), "F").save(tmp_path / "nan.tif")
    with pytest.raises(BadImageError, match="every pixel is NaN"):
        open_image(tmp_path / "nan.tif")


# ---------------------------------------------------------------- submissions
def test_make_submission_refuses_nan_negative_and_bad_sums(tmp_path, image_folder):
    root = image_folder(tmp_path / "d", n_train=2, n_valid=1, n_test=3)
    data = ImageClassifierData.from_paths(root, tfms=TFMS, test_name="test1", num_workers=0)
    good = np.full((3, 2), 0.5)
    for bad, words in ((np.array([[np.nan, 0.5], [0.5, 0.5], [0.5, 0.5]]), "NaN"),
                       (np.array([[-0.2, 1.2], [0.5, 0.5], [0.5, 0.5]]), "outside \\[0, 1\\]"),
                       (np.array([[1.5, 1.5], [0.5, 0.5], [0.5, 0.5]]), "do not sum to 1")):
        with pytest.raises(SubmissionError, match=words):
            make_submission(bad, data, tmp_path / "sub.csv")
        assert not list(tmp_path.glob("*sub.csv"))  # nothing written, not even a temporary file
    fn = make_submission(good, data, tmp_path / "sub.csv")
    assert check_submission(fn).ok


# ---------------------------------------------------------------- caches, quarantine
def test_cache_fill_skips_bad_training_images_when_asked(tmp_path, image_folder):
    root = image_folder(tmp_path / "d", n_train=3, n_valid=2)
    (root / "train" / "cats" / "cat.0.jpg").write_bytes(b"not a jpeg")
    with pytest.warns(UserWarning, match="skipped"):
        data = ImageClassifierData.from_paths(root, bs=4, tfms=TFMS, num_workers=0, cache=True,
                                              skip_bad_images=True)
        learn = ConvLearner.pretrained("resnet_mini", data, pretrained=False, device="cpu")
        assert len(learn.fit(1e-2, 1)) == 2
    (root / "valid" / "cats" / "cat.0.jpg").write_bytes(b"broken")  # validation never skips
    with pytest.raises(BadImageError, match="cat.0.jpg"):
        ImageClassifierData.from_paths(root, bs=4, tfms=TFMS, num_workers=0, cache=True, skip_bad_images=True)


def test_skip_bad_images_covers_the_precompute_pass_and_says_what_it_cannot_skip(tmp_path, image_folder):
    # the lesson starts with precompute=True: a corrupt training photo must be skipped there too, with the
    # cached activations still lined up with their labels
    root = image_folder(tmp_path / "d", n_train=4, n_valid=2, n_test=2)
    (root / "train" / "cats" / "cat.1.jpg").write_bytes(b"not a jpeg")
    data = ImageClassifierData.from_paths(root, bs=3, tfms=TFMS, num_workers=0, skip_bad_images=True,
                                          test_name="test1")
    learn = ConvLearner.pretrained("resnet_mini", data, pretrained=False, device="cpu", precompute=True)
    with pytest.warns(UserWarning, match="skipped .*cat.1.jpg"):
        res = learn.fit(1e-2, 1)
    assert np.isfinite(res).all()
    acts = learn.acts.get(learn)
    kept = [i for i, f in enumerate(data.trn_ds.fnames) if not f.endswith("cats/cat.1.jpg")]
    assert len(kept) == 7 and acts["trn"].shape[0] == 7
    assert acts["trn_y"].tolist() == data.trn_y[kept].tolist()
    # the features of each kept image are those of that image: compare with a data set that never had it
    (root / "train" / "cats" / "cat.1.jpg").unlink()
    clean = ImageClassifierData.from_paths(root, bs=3, tfms=TFMS, num_workers=0, test_name="test1")
    from course_lib.precompute import compute_features
    ref, ref_y = compute_features(learn, clean.fix_dl)
    assert ref_y.tolist() == acts["trn_y"].tolist()
    assert torch.allclose(acts["trn"], ref, atol=1e-4)
    # a bad test image cannot be skipped (a submission needs its row): the error says so
    (root / "test1" / "0.jpg").write_bytes(b"broken")
    with pytest.raises(BadImageError, match="skip_bad_images skips training images only.*a row for each"):
        learn.predict(is_test=True)


def test_verify_images_refuses_a_quarantine_that_holds_the_scanned_folder(tmp_path, image_folder):
    root = image_folder(tmp_path / "d", n_train=2, n_valid=1)
    (root / "train" / "cats" / "cat.1.jpg").write_bytes(b"broken")
    for q in (root, tmp_path):
        with pytest.raises(ValueError, match="is the scanned folder .* or holds it"):
            verify_images(root, quarantine=q)
    assert (root / "train" / "cats" / "cat.1.jpg").exists()
    found = verify_images(root, quarantine=tmp_path / "bad")
    assert [p.name for p, _ in found] == ["cat.1.jpg"]


# ---------------------------------------------------------------- checkpoints: leftovers, permissions
def test_a_later_save_removes_stale_temporary_files_only(tmp_path):
    old = tmp_path / ".m.pt.abc123.tmp"
    young = tmp_path / ".m.pt.def456.tmp"
    old.write_bytes(b"")
    young.write_bytes(b"partial")
    t = time.time() - STALE_TMP_S - 60
    os.utime(old, (t, t))
    atomic_save({"x": torch.zeros(1)}, tmp_path / "m.pt")
    assert not old.exists() and young.exists()  # a live writer may still own the young one


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_checkpoints_take_the_umask_mode(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        fn = atomic_save({"x": torch.zeros(1)}, tmp_path / "m.pt")
    finally:
        os.umask(old)
    assert stat.S_IMODE(fn.stat().st_mode) == mode


def test_an_unreadable_checkpoint_is_reported_as_a_permission_problem(tmp_path, monkeypatch):
    fn = atomic_save({"x": torch.zeros(1)}, tmp_path / "m.pt")

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied", str(fn))

    monkeypatch.setattr(torch, "load", denied)  # root reads every file, so the refusal is simulated
    with pytest.raises(CheckpointError, match="permission denied.*chmod a\\+r"):
        read_checkpoint(fn)


# ---------------------------------------------------------------- arguments checked when they are given
@pytest.mark.parametrize("kw,match", [(dict(bs=0), "bs \\(the batch size\\)"), (dict(bs=-3), "bs"),
                                      (dict(num_workers=-1), "num_workers")])
def test_bad_loader_arguments(tiny_path, kw, match):
    with pytest.raises(ValueError, match=match):
        ImageClassifierData.from_paths(tiny_path, tfms=TFMS, **{"num_workers": 0, **kw})


@pytest.mark.parametrize("sz", [0, -5])
def test_bad_image_size(sz):
    with pytest.raises(ValueError, match="sz \\(the image size in pixels\\)"):
        tfms_from_model("resnet_mini", sz)


def test_lr_find_needs_a_positive_start(tiny_learn):
    for kw in (dict(start_lr=0), dict(start_lr=-1), dict(start_lr=1, end_lr=0.1), dict(num_it=1)):
        with pytest.raises(ValueError, match="lr_find"):
            tiny_learn.lr_find(**kw)
    assert not tiny_learn.cbs


@pytest.mark.slow  # four interpreter starts
@pytest.mark.parametrize("args,words", [(["--bs", "0"], "--bs must be at least 1"),
                                        (["--sz", "0"], "--sz must be at least 1"),
                                        (["--workers", "-1"], "--workers must be at least 0"),
                                        (["--lr", "0"], "--lr must be above 0")])
def test_command_line_refuses_zero_instead_of_using_its_default(args, words):
    p = subprocess.run([sys.executable, "-m", "course_lib", *args], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and words in p.stderr


# ---------------------------------------------------------------- errors from loader worker processes
@pytest.mark.slow  # worker processes start
def test_an_unreadable_image_read_in_a_worker_has_the_same_first_line_everywhere(tiny_path):
    data = ImageClassifierData.from_paths(tiny_path, bs=8, tfms=tfms_from_model("resnet_mini", 32), num_workers=1,
                                          test_name="test1")
    (tiny_path / data.val_ds.fnames[0]).write_bytes(b"nope")
    learn = ConvLearner.pretrained("resnet_mini", data, pretrained=False, device="cpu")
    for call, where in ((lambda: learn.fit(1e-2, 1), "validation, epoch 0"), (learn.predict, "predicting"),
                        (lambda: learn.TTA(n_aug=1), "predicting")):
        with pytest.raises(BadImageError) as e:
            call()
        first = str(e.value).splitlines()[0]
        assert first.startswith(f"Cannot read image {tiny_path / data.val_ds.fnames[0]}: ") and where in first
        assert "DataLoader worker process 0" in first  # where it was read, after the part a student needs


# ================================================================ round 3: dialects, links, files that change,
# checkpoints from other settings, more arguments
ROWS3 = [(str(i), "cat" if i % 2 else "dog") for i in range(8)]


def labelled_folder(root, rows=ROWS3):
    """train/<id>.jpg for each row (no labels file: each test writes its own)."""
    (root / "train").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i, _ in rows:
        Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(root / "train" / f"{i}.jpg")
    return root


def csv_text(sep=",", nl="\n", header="id,label", rows=ROWS3):
    return (header.replace(",", sep) + nl if header else "") + nl.join(f"{i}{sep}{lab}" for i, lab in rows) + nl


@pytest.mark.parametrize("name,raw", [
    ("semicolon", csv_text(";").encode()),                  # Excel where the decimal mark is a comma
    ("tab", csv_text("\t").encode()),
    ("pipe", csv_text("|").encode()),
    ("crlf", csv_text(nl="\r\n").encode()),
    ("utf-16 with BOM", csv_text().encode("utf-16")),       # Excel's "Unicode text"
    ("Excel sep= line", ("sep=;\n" + csv_text(";")).encode()),
    ("blank lines", csv_text().replace("\n", "\n\n").encode()),
])
def test_csv_dialects_give_the_same_rows(tmp_path, name, raw):
    root = labelled_folder(tmp_path / "d")
    (root / "labels.csv").write_bytes(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = from_csv(root, val_idxs=[0, 1])
    assert d.classes == ["cat", "dog"] and len(d.trn_ds) + len(d.val_ds) == 8
    assert list(d.val_ds.fnames) == ["train/0.jpg", "train/1.jpg"] and list(d.val_y) == [1, 0]


def test_a_labels_file_without_header_keeps_its_first_row(tmp_path):
    root = labelled_folder(tmp_path / "d")
    (root / "labels.csv").write_text(csv_text(header=None))
    with pytest.warns(UserWarning, match="first row \\(0,dog\\) names an image.*skip_header=False"):
        d = from_csv(root, val_idxs=[0, 1])
    assert len(d.trn_ds) + len(d.val_ds) == 8  # the original dropped image 0 silently


@pytest.mark.parametrize("text", ["", "id,label\n", "\n\n"])
def test_an_empty_labels_file_says_so(tmp_path, text):
    root = labelled_folder(tmp_path / "d")
    (root / "labels.csv").write_text(text)
    with pytest.raises(DataLayoutError, match="labels.csv has no data rows"):
        from_csv(root)


def test_ids_that_repeat_the_folder_or_differ_in_case_find_their_files(tmp_path):
    root = labelled_folder(tmp_path / "d")
    for f in list((root / "train").iterdir())[::2]:
        f.rename(f.with_suffix(".JPG"))  # a camera's upper-case extension, the CSV written with .jpg in mind
    (root / "labels.csv").write_text(csv_text())
    with pytest.warns(UserWarning, match=r"4 id\(s\) name their file with other upper/lower case \(first: "
                                         r"\d\.jpg -> \d\.JPG\)"):
        data = from_csv(root, val_idxs=[0, 1])
    files = sorted(f.name for f in (root / "train").iterdir())
    assert sorted(Path(f).name for f in [*data.trn_ds.fnames, *data.val_ds.fnames]) == files
    assert all((root / f).is_file() for f in data.trn_ds.fnames)
    # ids written with the folder in front (train/0), as some scripts export them
    (root / "labels.csv").write_text(csv_text(rows=[(f"train/{i}", lab) for i, lab in ROWS3]))
    with pytest.warns(UserWarning, match=r"8 id\(s\) start with the image folder's name \(first: train/0\)"):
        data = from_csv(root, val_idxs=[0, 1])
    assert len(data.trn_ds) + len(data.val_ds) == 8 and all((root / f).is_file() for f in data.val_ds.fnames)
    # an id with no file in any case still gets the error that names it
    (root / "labels.csv").write_text(csv_text(rows=ROWS3 + [("99", "cat")]))
    with pytest.raises(DataLayoutError, match=r"1 of 9 ids in labels.csv have no file .*train/99.jpg"):
        from_csv(root)


def test_swapped_columns_and_doubled_suffix_get_their_fix(tmp_path):
    root = labelled_folder(tmp_path / "d")
    (root / "labels.csv").write_text("label,id\n" + "".join(f"{lab},{i}\n" for i, lab in ROWS3))
    with pytest.raises(DataLayoutError, match="duplicate id.*columns look swapped"):
        from_csv(root)
    (root / "labels.csv").write_text(csv_text(rows=[(f"{i}.jpg", lab) for i, lab in ROWS3]))
    with pytest.raises(DataLayoutError, match="already end in '.jpg': pass suffix=''"):
        from_csv(root)


def test_missing_value_labels_case_clashes_and_validation_only_classes_are_announced(tmp_path):
    root = labelled_folder(tmp_path / "d")
    rows = [("0", "NaN"), ("1", "Cat"), ("2", "dog"), ("3", "cat"), ("4", "dog"), ("5", "cat"), ("6", "dog"),
            ("7", "bird")]
    (root / "labels.csv").write_text(csv_text(rows=rows))
    with pytest.warns(UserWarning) as rec:
        d = from_csv(root, val_idxs=[0, 7])
    said = " | ".join(str(w.message) for w in rec)
    assert "1 row(s) have the label 'NaN', which looks like a missing value" in said
    assert "differ only in upper/lower case (first: ['Cat', 'cat'])" in said
    assert "2 class(es) have no training image" in said and "'NaN', 'bird'" in said
    assert d.classes == ["Cat", "NaN", "bird", "cat", "dog"]  # announced, not silently changed


# ---------------------------------------------------------------- links and folders
def test_a_broken_link_is_announced_and_a_linked_class_folder_works(tmp_path, image_folder):
    root = image_folder(tmp_path / "d", n_train=3, n_valid=2)
    elsewhere = tmp_path / "dogs_elsewhere"
    (root / "train" / "dogs").rename(elsewhere)
    (root / "train" / "dogs").symlink_to(elsewhere, target_is_directory=True)
    (root / "train" / "cats" / "gone.jpg").symlink_to(tmp_path / "no_such.jpg")
    with pytest.warns(UserWarning, match="1 link\\(s\\) point to files that do not exist \\(first: gone.jpg\\)"):
        d = ImageClassifierData.from_paths(root, bs=2, tfms=TFMS, num_workers=0)
    assert len(d.trn_ds) == 6 and sorted(set(d.trn_y.tolist())) == [0, 1]


def test_validation_images_that_are_training_images_are_announced(tmp_path, image_folder):
    root = image_folder(tmp_path / "d", n_train=3, n_valid=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same names in train/ and valid/ with other pictures: no warning
        ImageClassifierData.from_paths(root, bs=2, tfms=TFMS, num_workers=0)
    with pytest.warns(UserWarning, match="are the same folder"):
        ImageClassifierData.from_paths(root, bs=2, tfms=TFMS, num_workers=0, val_name="train")
    for c in ("cats", "dogs"):
        (root / "valid" / c / f"{c[:-1]}.0.jpg").write_bytes((root / "train" / c / f"{c[:-1]}.0.jpg").read_bytes())
    with pytest.warns(UserWarning, match="2 of 4 validation images also appear in train/"):
        ImageClassifierData.from_paths(root, bs=2, tfms=TFMS, num_workers=0)


def test_the_overlap_warning_counts_each_validation_image_once(tmp_path):
    # the same 4 pictures in both class folders of train/ and valid/: each of the 8 validation files has two
    # same-named, same-bytes training files, but it is one validation image in train/, not two
    root, rng = tmp_path / "d", np.random.default_rng(0)
    pics = [rng.integers(0, 255, (20, 24, 3), dtype=np.uint8) for _ in range(4)]
    for split in ("train", "valid"):
        for c in ("cats", "dogs"):
            (root / split / c).mkdir(parents=True)
            for k, a in enumerate(pics):
                Image.fromarray(a).save(root / split / c / f"{k}.jpg")
    with pytest.warns(UserWarning) as rec:
        ImageClassifierData.from_paths(root, bs=2, tfms=TFMS, num_workers=0)
    said = [str(w.message) for w in rec if "also appear in" in str(w.message)]
    assert len(said) == 1 and said[0].startswith("8 of 8 validation images also appear in train/ "), said
    assert "first: valid/cats/0.jpg" in said[0]


def test_a_test_folder_with_class_folders_gets_the_fix(tmp_path, image_folder):
    root = image_folder(tmp_path / "d", n_train=2, n_valid=1, n_test=0)
    import shutil
    shutil.rmtree(root / "test1")
    shutil.copytree(root / "valid", root / "test1")
    with pytest.raises(DataLayoutError, match="holds the folders \\['cats', 'dogs'\\].*val_name='test1'"):
        ImageClassifierData.from_paths(root, tfms=TFMS, num_workers=0, test_name="test1")


# ---------------------------------------------------------------- files changing under a running job
def test_an_image_removed_after_the_data_was_built(tmp_path, image_folder):
    root = image_folder(tmp_path / "d", n_train=4, n_valid=2)
    data = ImageClassifierData.from_paths(root, bs=4, tfms=TFMS, num_workers=0)
    learn = ConvLearner.pretrained("resnet_mini", data, pretrained=False, device="cpu")
    (root / "valid" / "dogs" / "dog.0.jpg").unlink()
    with pytest.raises(BadImageError, match="dog.0.jpg: the file is gone .*build the data again.*validation"):
        learn.fit(1e-3, 1)
    (root / "train" / "cats" / "cat.1.jpg").unlink()  # training with skip_bad_images: warned and skipped
    (root / "valid" / "dogs" / "dog.0.jpg").write_bytes((root / "valid" / "dogs" / "dog.1.jpg").read_bytes())
    data = ImageClassifierData.from_paths(root, bs=4, tfms=TFMS, num_workers=0, skip_bad_images=True)
    (root / "train" / "cats" / "cat.2.jpg").unlink()
    learn = ConvLearner.pretrained("resnet_mini", data, pretrained=False, device="cpu")
    with pytest.warns(UserWarning, match="skipped .*cat.2.jpg \\(the file is gone"):
        assert len(learn.fit(1e-3, 1)) == 2


# ---------------------------------------------------------------- checkpoints from other settings
def test_checkpoints_from_other_settings(tiny_data, tmp_path):
    learn = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, device="cpu")
    learn.save("a")
    other = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, device="cpu", xtra_fc=[64])
    with pytest.raises(CheckpointError, match="of another shape \\(first: head.4.weight: \\(512, 512\\) in the file, "
                                              "\\(64, 512\\) here\\).*xtra_fc=\\[512\\]"):
        other.load("a")
    learn.load("models/a")  # the models folder named twice: still found
    with pytest.raises(FileNotFoundError, match="Saved models in .*models: \\['a'\\]"):
        learn.load("b")
    with pytest.raises(ValueError, match="needs a name"):
        learn.save("")
    ck = torch.load(learn.models_path / "a.pt", weights_only=True)
    torch.save({**ck, "version": 99}, learn.models_path / "new.pt")
    with pytest.raises(CheckpointError, match="newer course_lib \\(checkpoint version 99"):
        learn.load("new")
    torch.save(ck["model"], tmp_path / "plain.pt")  # torch.save(learn.model.state_dict()) by hand
    fresh = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, device="cpu")
    with pytest.warns(UserWarning, match="plain state dict.*classes could not be checked"):
        fresh.load(tmp_path / "plain.pt")
    for k, v in fresh.model.state_dict().items():
        assert torch.equal(v, ck["model"][k]), k



def test_checkpoints_written_by_other_programs(tiny_data, tmp_path):
    learn = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, device="cpu")
    sd = {k: v.clone() for k, v in learn.model.state_dict().items()}
    models = learn.models_path
    models.mkdir(exist_ok=True)
    # DDP / DataParallel ('module.'), torch.compile ('_orig_mod.'), both, and a training script's dict
    torch.save({f"module.{k}": v for k, v in sd.items()}, models / "ddp.pth")
    torch.save({f"_orig_mod.{k}": v for k, v in sd.items()}, models / "compiled.pt")
    torch.save({f"module._orig_mod.{k}": v for k, v in sd.items()}, models / "both.pt")
    torch.save({"epoch": 3, "model_state_dict": sd, "lr": 0.01}, models / "script.pt")
    for name in ("ddp.pth", "compiled", "both", "script"):
        fresh = ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, device="cpu")
        with pytest.warns(UserWarning, match="plain state dict"):
            fresh.load(name)
        assert all(torch.equal(v, sd[k]) for k, v in fresh.model.state_dict().items()), name
    # a prefix that is not a wrapper's still gets the list of what differs
    torch.save({f"net.{k}": v for k, v in sd.items()}, models / "other.pt")
    with pytest.raises(CheckpointError, match="only in the file \\(first: net\\."):
        learn.load("other")
    # fastai 0.7's models/224_all.h5 beside ours: named, and why it cannot be loaded
    (models / "224_all.h5").write_bytes(b"x")
    with pytest.raises(FileNotFoundError, match="also holds \\['224_all.h5', 'ddp.pth'\\].*fastai 0.7 checkpoints"):
        learn.load("224_all")


# ---------------------------------------------------------------- more arguments
@pytest.mark.parametrize("call,match", [
    (lambda l: l.fit(-1e-3, 1), "lr must be finite and at least 0"),
    (lambda l: l.fit(float("nan"), 1), "lr must be finite"),
    (lambda l: l.fit([1e-3, 1e-3, float("inf")], 1), "lr must be finite"),
    (lambda l: l.fit(1e-3, 1, wds=-1e-4), "wds must be finite and at least 0"),
    (lambda l: l.lr_find(wds=float("nan")), "wds must be finite"),
    (lambda l: l.freeze_to(3), "freeze_to\\(3\\): this model has 3 layer groups"),
    (lambda l: l.freeze_to(-4), "freeze_to\\(-4\\)"),
])
def test_bad_training_arguments_are_refused_up_front(tiny_learn, call, match):
    before = {k: v.clone() for k, v in tiny_learn.model.state_dict().items()}
    with pytest.raises(ValueError, match=match):
        call(tiny_learn)
    assert all(torch.equal(v, before[k]) for k, v in tiny_learn.model.state_dict().items())
    assert tiny_learn.frozen_to == 2


@pytest.mark.parametrize("kw,match", [(dict(ps=1.5), "dropout probabilities"), (dict(ps=-0.1), "dropout"),
                                      (dict(xtra_fc=[0]), "xtra_fc lists the widths"),
                                      (dict(xtra_fc=[2.5]), "xtra_fc")])
def test_bad_head_arguments(tiny_data, kw, match):
    with pytest.raises(ValueError, match=match):
        ConvLearner.pretrained("resnet_mini", tiny_data, pretrained=False, device="cpu", **kw)


@pytest.mark.parametrize("zoom", [0.5, 0, float("nan")])
def test_max_zoom_below_one_is_refused(zoom):
    with pytest.raises(ValueError, match="max_zoom must be at least 1"):
        tfms_from_model("resnet_mini", 16, max_zoom=zoom)


def test_data_normalised_for_another_backbone_is_announced(tiny_path):
    data = ImageClassifierData.from_paths(tiny_path, bs=4, tfms=tfms_from_model("resnet34", 16), num_workers=0)
    with pytest.warns(UserWarning, match="efficientnet_lite0 expects \\[\\[0.5, 0.5, 0.5\\].*"
                                         "tfms_from_model\\('efficientnet_lite0', sz\\)"):
        ConvLearner.pretrained("efficientnet_lite0", data, pretrained=False, device="cpu")
