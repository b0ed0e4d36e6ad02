"""The generated samples: exact Kaggle layouts, determinism, safe (re)building, no colour shortcut."""
from __future__ import annotations

import csv
import os
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from course_lib import datasets as D
from course_lib.synthetic import drawing
from course_lib.synthetic import samples as S

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def files(root: Path) -> dict[str, bytes]:
    """Every file under root (marker included) as relative path -> bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def read_csv(fn: Path) -> list[list[str]]:
    with open(fn, newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def dogscats(tmp_path_factory) -> Path:
    return S.make_dogscats(tmp_path_factory.mktemp("dc") / "dogscats_sample", n_train=3, n_valid=2,
                           n_test=4)


@pytest.fixture(scope="module")
def breeds(tmp_path_factory) -> Path:
    return S.make_dogbreeds(tmp_path_factory.mktemp("db") / "dogbreeds_sample", n_breeds=4,
                            n_per_breed=3, n_test=5)


# ----------------------------------------------------------------------------- layouts


def test_dogscats_layout_is_exact(dogscats: Path):
    expected = {S.MARKER}
    expected |= {f"train/cats/cat.{i}.jpg" for i in range(3)}
    expected |= {f"train/dogs/dog.{i}.jpg" for i in range(3)}
    expected |= {f"valid/cats/cat.{i}.jpg" for i in (3, 4)} | {f"valid/dogs/dog.{i}.jpg" for i in (3, 4)}
    expected |= {f"test1/{i}.jpg" for i in range(1, 5)}
    assert set(files(dogscats)) == expected
    for fn in dogscats.rglob("*.jpg"):
        with Image.open(fn) as im:
            assert im.format == "JPEG" and im.mode == "RGB"


def test_dogbreeds_layout_and_csvs(breeds: Path):
    top = {p.name for p in breeds.iterdir()}
    assert top == {"train", "test", "labels.csv", "sample_submission.csv", S.MARKER}
    rows = read_csv(breeds / "labels.csv")
    assert rows[0] == ["id", "breed"]
    ids = [r[0] for r in rows[1:]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) == 12
    assert all(HEX32.match(i) for i in ids)
    assert {p.name for p in (breeds / "train").iterdir()} == {f"{i}.jpg" for i in ids}
    chosen = list(S.BREEDS)[:4]
    assert Counter(r[1] for r in rows[1:]) == {b: 3 for b in chosen}
    assert all(re.match(r"^[a-z][a-z_-]*$", b) for b in S.BREEDS)

    sub = read_csv(breeds / "sample_submission.csv")
    assert sub[0] == ["id", *sorted(chosen)]
    test_ids = [r[0] for r in sub[1:]]
    assert test_ids == sorted(test_ids) and all(HEX32.match(i) for i in test_ids)
    assert {p.name for p in (breeds / "test").iterdir()} == {f"{i}.jpg" for i in test_ids}
    assert not set(test_ids) & set(ids)
    probs = np.array([[float(v) for v in r[1:]] for r in sub[1:]])
    assert probs.shape == (5, 4)
    np.testing.assert_allclose(probs, 0.25)
    np.testing.assert_allclose(probs.sum(1), 1.0)


def test_default_breeds_share_every_trait():
    # each ear type, tail, pattern and colour of the default breeds is used by at least two of
    # them, so that no single detail names a breed
    default = [S.BREEDS[b] for b in list(S.BREEDS)[:12]]
    families = {
        "ears": lambda b: set(b.ears), "tails": lambda b: set(b.tails),
        "patterns": lambda b: {p for k in b.patterns for p in k.split("+")},
        "colours": lambda b: {c for pair in b.coats for c in pair},
    }
    for fam, get in families.items():
        used = Counter(v for b in default for v in get(b))
        assert min(used.values()) >= 2, (fam, used)


def test_sizes_and_aspects_vary_like_photos(tmp_path):
    path = S.make_dogscats(tmp_path / "s", n_train=15, n_valid=0, n_test=10)
    sizes = [Image.open(f).size for f in path.rglob("*.jpg")]
    longs = [max(s) for s in sizes]
    aspects = [w / h for w, h in sizes]
    assert 150 <= min(longs) and max(longs) <= 360
    assert len(set(sizes)) > 0.8 * len(sizes)
    assert min(aspects) < 0.85 and max(aspects) > 1.25  # tall and wide ones, so centre crops cut


# ----------------------------------------------------------------------------- determinism


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    kw = dict(n_breeds=3, n_per_breed=2, n_test=2)
    a = files(S.make_dogbreeds(tmp_path / "a", seed=5, **kw))
    b = files(S.make_dogbreeds(tmp_path / "b", seed=5, **kw))
    c = files(S.make_dogbreeds(tmp_path / "c", seed=6, **kw))
    assert a == b
    assert set(a) != set(c)  # new ids

    x = files(S.make_dogscats(tmp_path / "x", n_train=2, n_valid=1, n_test=2, seed=1))
    y = files(S.make_dogscats(tmp_path / "y", n_train=2, n_valid=1, n_test=2, seed=1))
    z = files(S.make_dogscats(tmp_path / "z", n_train=2, n_valid=1, n_test=2, seed=2))
    assert x == y
    assert all(x[k] != z[k] for k in x if k.endswith(".jpg"))


def test_changing_a_count_keeps_the_other_images(tmp_path):
    a = files(S.make_dogscats(tmp_path / "a", n_train=2, n_valid=1, n_test=1))
    b = files(S.make_dogscats(tmp_path / "b", n_train=3, n_valid=1, n_test=1))
    for k in ("train/cats/cat.0.jpg", "train/dogs/dog.1.jpg", "test1/1.jpg"):
        assert a[k] == b[k]


# ----------------------------------------------------------------------------- safe building


def mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*")}


def test_second_call_does_not_regenerate(tmp_path):
    path = S.make_dogscats(tmp_path / "s", n_train=2, n_valid=1, n_test=1)
    before, ino = mtimes(path), path.stat().st_ino
    assert S.make_dogscats(tmp_path / "s", n_train=2, n_valid=1, n_test=1) == path
    assert mtimes(path) == before and path.stat().st_ino == ino
    # other parameters or force=True: remade (a new folder renamed into place)
    S.make_dogscats(tmp_path / "s", n_train=2, n_valid=1, n_test=1, force=True)
    assert path.stat().st_ino != ino
    S.make_dogscats(tmp_path / "s", n_train=1, n_valid=1, n_test=1)
    assert sorted(p.name for p in (path / "train" / "cats").iterdir()) == ["cat.0.jpg"]
    assert [p.name for p in tmp_path.iterdir()] == ["s"]  # no leftovers


def test_saved_models_cache_and_submissions_keep_the_sample(tmp_path):
    path = S.make_dogscats(tmp_path / "s", n_train=2, n_valid=1, n_test=1)
    ino = path.stat().st_ino
    for rel in ("models/after_head.pt", "tmp/act_x.pt", "subm/redux.csv"):  # what a notebook run writes
        (path / rel).parent.mkdir(exist_ok=True)
        (path / rel).write_bytes(b"x")
    S.make_dogscats(tmp_path / "s", n_train=2, n_valid=1, n_test=1)
    assert path.stat().st_ino == ino and (path / "models" / "after_head.pt").is_file()  # not rebuilt, not lost


def test_incomplete_sample_is_remade(tmp_path):
    path = S.make_dogscats(tmp_path / "s", n_train=2, n_valid=1, n_test=1)
    (path / "train" / "cats" / "cat.0.jpg").unlink()
    S.make_dogscats(tmp_path / "s", n_train=2, n_valid=1, n_test=1)
    assert (path / "train" / "cats" / "cat.0.jpg").is_file()


def test_refuses_to_overwrite_a_folder_it_did_not_make(tmp_path):
    mine = tmp_path / "dogscats_sample"
    mine.mkdir()
    (mine / "notes.txt").write_text("my work")
    for force in (False, True):
        with pytest.raises(FileExistsError, match=r"dogscats_sample.*not made by course_lib"):
            S.make_dogscats(mine, n_train=1, n_valid=1, n_test=1, force=force)
    assert (mine / "notes.txt").read_text() == "my work" and len(list(mine.iterdir())) == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    assert (S.make_dogbreeds(empty, n_breeds=2, n_per_breed=1, n_test=1) / S.MARKER).is_file()


def test_interrupted_run_leaves_no_half_made_folder(tmp_path, monkeypatch):
    real_save, calls = drawing.save_jpeg, []

    def flaky(img, fn, q):
        calls.append(fn)
        if len(calls) == 3:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C mid-way
        real_save(img, fn, q)

    monkeypatch.setattr(S, "save_jpeg", flaky)
    with pytest.raises(KeyboardInterrupt):
        S.make_dogscats(tmp_path / "s", n_train=3, n_valid=1, n_test=1)
    assert list(tmp_path.iterdir()) == []

    # an interrupted remake leaves the previous sample as it was
    monkeypatch.setattr(S, "save_jpeg", real_save)
    path = S.make_dogbreeds(tmp_path / "b", n_breeds=2, n_per_breed=2, n_test=1)
    before = files(path)
    calls.clear()
    monkeypatch.setattr(S, "save_jpeg", flaky)
    with pytest.raises(KeyboardInterrupt):
        S.make_dogbreeds(tmp_path / "b", n_breeds=3, n_per_breed=2, n_test=1)
    assert files(path) == before
    assert [p.name for p in tmp_path.iterdir()] == ["b"]


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="n_train"):
        S.make_dogscats(tmp_path / "s", n_train=-1)
    with pytest.raises(ValueError, match="n_breeds"):
        S.make_dogbreeds(tmp_path / "b", n_breeds=len(S.BREEDS) + 1)
    with pytest.raises(ValueError, match="dogscats"):
        S.sample_path("cats")
    assert S.sample_path("dogbreeds", "x") == Path("x/dogbreeds_sample")


# ----------------------------------------------------------------------------- no shortcuts


def test_average_colour_does_not_tell_cats_from_dogs(tmp_path):
    # coats, backgrounds and lighting share one distribution, so only shape separates the classes:
    # a nearest-class-mean classifier on mean RGB or on a coarse colour histogram is near chance
    path = S.make_dogscats(tmp_path / "s", n_train=60, n_valid=60, n_test=0, seed=11)

    def feats(split: str, cls: str) -> tuple[np.ndarray, np.ndarray]:
        rgb, hist = [], []
        for fn in sorted((path / split / cls).iterdir()):
            a = np.asarray(Image.open(fn).convert("RGB")).reshape(-1, 3)
            rgb.append(a.mean(0))
            h = np.bincount((a // 64 * np.array([16, 4, 1])).sum(1), minlength=64)
            hist.append(h / h.sum())
        return np.array(rgb), np.array(hist)

    tr = {c: feats("train", c) for c in ("cats", "dogs")}
    va = {c: feats("valid", c) for c in ("cats", "dogs")}
    for k in (0, 1):  # 0: mean RGB, 1: histogram
        means = [tr[c][k].mean(0) for c in ("cats", "dogs")]
        correct = 0
        for y, c in enumerate(("cats", "dogs")):
            d = np.stack([np.linalg.norm(va[c][k] - m, axis=1) for m in means], 1)
            correct += int((d.argmin(1) == y).sum())
        assert correct / 240 < 0.65


# ----------------------------------------------------------------------------- real data


def fake_jpeg(fn: Path, colour=(120, 80, 40)) -> None:
    fn.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 6), colour).save(fn)


def test_find_real_says_what_is_missing_and_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        D.find_real("dogscats", tmp_path)
    msg = str(e.value)
    for s in ("train/cats", "valid/dogs", "test1", "missing", "dogs-vs-cats-redux-kernels-edition",
              "kaggle competitions download -c", "unzip", "dogscats.zip", "split_kaggle_dogscats",
              "--split-kaggle",
              "ensure_sample('dogscats')"):
        assert s in msg, s
    with pytest.raises(FileNotFoundError) as e:
        D.find_real("dogbreeds", tmp_path)
    for s in ("labels.csv", "dog-breed-identification", "kaggle competitions download -c", "unzip"):
        assert s in str(e.value), s

    fake_jpeg(tmp_path / "dogscats" / "train" / "cats" / "cat.1.jpg")
    with pytest.raises(FileNotFoundError) as e:
        D.find_real("dogscats", tmp_path)
    assert re.search(r"train/cats: 1 images", str(e.value))
    assert re.search(r"train/dogs: missing", str(e.value))

    for sub in ("train/dogs/dog.1.jpg", "valid/cats/cat.2.jpg", "valid/dogs/dog.2.jpg", "test1/1.jpg"):
        fake_jpeg(tmp_path / "dogscats" / sub)
    assert D.find_real("dogscats", tmp_path) == tmp_path / "dogscats"

    fake_jpeg(tmp_path / "dogbreeds" / "train" / ("a" * 32 + ".jpg"))
    fake_jpeg(tmp_path / "dogbreeds" / "test" / ("b" * 32 + ".jpg"))
    with pytest.raises(FileNotFoundError, match="labels.csv: missing"):
        D.find_real("dogbreeds", tmp_path)
    (tmp_path / "dogbreeds" / "labels.csv").write_text("id,breed\n" + "a" * 32 + ",pug\n")
    assert D.find_real("dogbreeds", tmp_path) == tmp_path / "dogbreeds"
    with pytest.raises(ValueError):
        D.find_real("birds", tmp_path)


def test_split_kaggle_dogscats_copies_never_moves(tmp_path):
    src, test = tmp_path / "kaggle" / "train", tmp_path / "kaggle" / "test"
    for i in range(6):
        fake_jpeg(src / f"cat.{i}.jpg", (200, 10, i))
        fake_jpeg(src / f"dog.{i}.jpg", (10, 200, i))
    for i in (1, 2, 3):
        fake_jpeg(test / f"{i}.jpg")
    before = files(tmp_path / "kaggle")

    dst = D.split_kaggle_dogscats(src, tmp_path / "dogscats", n_valid=2, seed=0, test=test)
    assert files(tmp_path / "kaggle") == before  # the user's files are untouched
    got = {k: sorted(p.name for p in (dst / k).iterdir())
           for k in ("train/cats", "train/dogs", "valid/cats", "valid/dogs", "test1")}
    assert [len(got[k]) for k in got] == [4, 4, 2, 2, 3]
    assert sorted(got["train/cats"] + got["valid/cats"]) == [f"cat.{i}.jpg" for i in range(6)]
    name = got["valid/cats"][0]
    assert (dst / "valid" / "cats" / name).read_bytes() == (src / name).read_bytes()
    assert D.find_real("dogscats", tmp_path) == dst

    again = D.split_kaggle_dogscats(src, tmp_path / "again", n_valid=2, seed=0)
    assert sorted(p.name for p in (again / "valid" / "cats").iterdir()) == got["valid/cats"]
    with pytest.raises(ValueError, match="n_valid"):
        D.split_kaggle_dogscats(src, tmp_path / "x", n_valid=6)
    with pytest.raises(ValueError, match="inside"):
        D.split_kaggle_dogscats(src, src / "out", n_valid=1)
    with pytest.raises(FileNotFoundError):
        D.split_kaggle_dogscats(tmp_path / "nowhere", tmp_path / "y")

    # the command line the error message suggests
    assert D.main(["--root", str(tmp_path / "cli"), "--split-kaggle", str(src), "--test", str(test),
                   "--n-valid", "1"]) == 0
    assert D.find_real("dogscats", tmp_path / "cli")
    assert len(list((tmp_path / "cli" / "dogscats" / "valid" / "dogs").iterdir())) == 1
    assert files(tmp_path / "kaggle") == before


# ----------------------------------------------------------------------------- describe and CLI


def test_describe_counts_split_by_class(dogscats: Path, breeds: Path):
    df = D.describe(dogscats).set_index(["split", "class"])
    assert df.loc[("train", "cats"), "images"] == 3 and df.loc[("valid", "dogs"), "images"] == 2
    assert df.loc[("test1", "(unlabelled)"), "images"] == 4
    assert set(df.columns) >= {"images", "width", "height", "aspect"}
    db = D.describe(breeds)
    assert set(db[db.split == "train"]["class"]) == set(list(S.BREEDS)[:4])
    assert db[db.split == "test"]["images"].sum() == 5


def test_real_data_uses_the_librarys_image_list_and_csv_reader(tmp_path):
    # any extension images.IMG_EXTS lists counts (the old list had only .jpg, .jpeg, .png); hidden files and
    # __MACOSX do not
    root = tmp_path / "data"
    for sub in ("train/cats/a.webp", "train/dogs/b.bmp", "valid/cats/c.png", "valid/dogs/d.JPG", "test1/1.tif"):
        fake_jpeg(root / "dogscats" / sub)  # PIL writes the format the extension names
    fake_jpeg(root / "dogscats" / "__MACOSX" / "cats" / "e.jpg")
    fake_jpeg(root / "dogscats" / "test1" / ".hidden.jpg")
    assert D.find_real("dogscats", root) == root / "dogscats"
    df = D.describe(root / "dogscats")
    assert "__MACOSX" not in set(df["split"])
    assert df.set_index(["split", "class"]).loc[("test1", "(unlabelled)"), "images"] == 1

    src = tmp_path / "kaggle"
    for i in range(2):
        fake_jpeg(src / "train" / f"cat.{i}.png")
        fake_jpeg(src / "train" / f"dog.{i}.webp")
    fake_jpeg(src / "test" / "1.jpeg")
    fake_jpeg(src / "test" / ".1.jpg")  # hidden: not copied
    dst = D.split_kaggle_dogscats(src / "train", tmp_path / "split", n_valid=1, test=src / "test")
    assert [p.name for p in (dst / "test1").iterdir()] == ["1.jpeg"]
    assert len(list((dst / "train" / "dogs").iterdir())) == 1

    # labels.csv through csvfile.read_csv: Excel's ';', a BOM; a row with an empty label and an image with no row
    # are both unlabelled
    breeds = tmp_path / "breeds"
    for k in "abc":
        fake_jpeg(breeds / "train" / f"{k}.jpg")
    (breeds / "labels.csv").write_bytes("\ufeffid;breed\na;pug\nb;\n".encode("utf-8"))
    got = D.describe(breeds).set_index(["split", "class"])["images"].to_dict()
    assert got == {("train", "pug"): 1, ("train", "(unlabelled)"): 2}


def test_cli_makes_samples_and_reports_real_data(tmp_path, monkeypatch, capsys):
    small_dc, small_db = S.make_dogscats, S.make_dogbreeds
    monkeypatch.setattr(S, "make_dogscats", lambda p, force=False: small_dc(p, 1, 1, 1, force=force))
    monkeypatch.setattr(S, "make_dogbreeds", lambda p, force=False: small_db(p, 2, 1, 1, force=force))
    assert D.main(["--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "dogscats_sample" in out and "dogbreeds_sample" in out and "not photos" in out
    assert sorted(os.listdir(tmp_path)) == ["dogbreeds_sample", "dogscats_sample"]
    assert D.main(["--root", str(tmp_path), "--real"]) == 0
    out = capsys.readouterr().out
    assert "dogscats: not found" in out and "dog-breed-identification" in out
