"""The notebooks' switches: COURSE_LIB_DATA / _FULL / _ARCH / _SEED choose data, backbone, sizes and seed."""
import pytest

import course_lib.synthetic
from course_lib.lesson import LESSON_FIGURES, differences, lesson_setup, lesson_table
from course_lib.steps import Steps

ENV = ("COURSE_LIB_DATA", "COURSE_LIB_FULL", "COURSE_LIB_ARCH", "COURSE_LIB_SEED")


@pytest.fixture
def env(monkeypatch, tmp_path):
    for k in ENV:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("COURSE_LIB_DEVICE", "cpu")
    made = []
    monkeypatch.setattr(course_lib.synthetic, "ensure_sample",
                        lambda name, root: made.append(name) or (tmp_path / f"{name}_sample"))
    (tmp_path / "dogscats_sample" / "test1").mkdir(parents=True)
    return monkeypatch, made


def test_default_is_the_offline_sample(env):
    _, made = env
    s = lesson_setup("dogscats")
    assert made == ["dogscats"] and s.mode == "sample" and s.arch == "efficientnet_lite0"
    assert (s.sz, s.sz2, s.bs, s.seed, s.test_name, s.notes) == (128, None, 32, 42, "test1", ())
    assert "generated drawings" in s.describe() and "seed 42" in s.describe()
    b = lesson_setup("dogbreeds")
    assert (b.sz, b.sz2) == (128, 160) and b.test_name is None and "submission cells are skipped" in b.notes[0]


def test_a_folder_of_photos_gets_the_lessons_size_and_a_cpu_backbone(env, image_folder, tmp_path):
    mp, made = env
    photos = image_folder(tmp_path / "photos", n_train=2, n_valid=2, n_test=0)
    (photos / "test1").rmdir()
    mp.setenv("COURSE_LIB_DATA", str(photos))
    mp.setenv("COURSE_LIB_SEED", "7")
    s = lesson_setup("dogscats")
    assert not made and s.path == photos and s.mode == "real" and (s.sz, s.bs, s.seed) == (224, 32, 7)
    assert s.arch == "efficientnet_lite0" and any("hours on a CPU" in n for n in s.notes)
    assert s.test_name is None and any("no test1/ folder" in n for n in s.notes)
    mp.setenv("COURSE_LIB_ARCH", "resnet_mini")
    s = lesson_setup("dogscats")
    assert (s.arch, s.sz) == ("resnet_mini", 64) and not any("hours" in n for n in s.notes)


def test_a_relative_data_folder_is_found_from_the_repository_too(env, image_folder, tmp_path):
    # COURSE_LIB_DATA=../photos typed in the repository's folder; the notebook's kernel runs in notebooks/
    mp, _ = env
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    photos = image_folder(tmp_path / "photos", n_train=2, n_valid=2, n_test=0)
    mp.chdir(repo / "notebooks")
    mp.setenv("COURSE_LIB_DATA", "../photos")
    s = lesson_setup("dogscats", root=repo / "data")
    assert s.path.resolve() == photos.resolve() and s.mode == "real"
    mp.setenv("COURSE_LIB_DATA", "photos")   # from neither place
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        lesson_setup("dogscats", root=repo / "data")


def test_bad_switches_say_what_to_do(env, tmp_path):
    mp, _ = env
    mp.setenv("COURSE_LIB_SEED", "seven")
    with pytest.raises(ValueError, match="COURSE_LIB_SEED='seven'.*whole number"):
        lesson_setup("dogscats")
    mp.delenv("COURSE_LIB_SEED")
    mp.setenv("COURSE_LIB_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="is not a folder.*from_paths"):
        lesson_setup("dogscats")
    mp.delenv("COURSE_LIB_DATA")
    mp.setenv("COURSE_LIB_FULL", "1")
    with pytest.raises(FileNotFoundError):
        lesson_setup("dogbreeds", root=tmp_path)
    with pytest.raises(ValueError, match="unknown lesson"):
        lesson_setup("planet")


def test_lesson_table_puts_the_lessons_figures_beside_this_run(env):
    import numpy as np
    s = lesson_setup("dogscats")
    y = np.array([0, 1] * 10)
    steps = Steps(y)
    steps.add("one", np.eye(2)[y], probs=True)
    t = lesson_table("dogscats", steps, {0: 0})
    assert len(t) == len(LESSON_FIGURES["dogscats"]) and t.loc[0, "lesson accuracy"] == "0.9885"
    assert t.loc[0, "accuracy"] == "1.000" and t.loc[1, "this run"] == ""
    assert "lesson log loss" not in t  # the dogs-vs-cats part gives none: no column of blanks
    b = lesson_table("dogbreeds", steps, {4: 0})
    assert list(b["lesson log loss"])[3:] == ["", "0.219", "0.1998"]
    d = differences("dogscats", s, 400, 200)
    assert "here generated drawings" in d and "here 128 px" in d and "lesson resnet34" in d


def test_only_the_bundled_backbone_is_not_imagenet(env, monkeypatch):
    monkeypatch.setenv("COURSE_LIB_ARCH", "resnet_mini")
    assert not lesson_setup("dogscats").imagenet
    for arch in ("efficientnet_lite0", "resnet34", "resnext50"):
        monkeypatch.setenv("COURSE_LIB_ARCH", arch)
        assert lesson_setup("dogscats").imagenet
