"""Kaggle submission files: the exact format, gzip, and a precise report for every kind of mismatch."""
from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from course_lib import ImageClassifierData, tfms_from_model
from course_lib.submission import SubmissionError, check_submission, make_submission, submission_ids

CLASSES = ["beagle", "boxer", "pug"]
TEST_IDS = ["007", "0a1b", "ff2e", "NA"]  # leading zeros and 'NA' must survive as text


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("subm")
    rng = np.random.default_rng(0)
    for split in ("train", "valid"):
        for c in CLASSES:
            (root / split / c).mkdir(parents=True)
            Image.fromarray(rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)).save(root / split / c / "a.jpg")
    (root / "test").mkdir()
    for i in TEST_IDS:
        Image.fromarray(rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)).save(root / "test" / f"{i}.jpg")
    pd.DataFrame({"id": sorted(TEST_IDS), **{c: 1 / 3 for c in CLASSES}}).to_csv(root / "sample_submission.csv",
                                                                              index=False)
    return ImageClassifierData.from_paths(root, bs=2, tfms=tfms_from_model("resnet18", 16), test_name="test",
                                          num_workers=0)


def probs_for(data):
    rng = np.random.default_rng(1)
    return rng.dirichlet(np.ones(data.c), len(data.test_ds))


def test_ids_without_folder_and_suffix():
    assert submission_ids(["test/0a1b.jpg", "test/x.y.png", "007.jpg"]) == ["0a1b", "x.y", "007"]


def test_format(data, tmp_path):
    p = probs_for(data)
    fn = make_submission(p, data, tmp_path / "subm" / "s.csv")
    lines = fn.read_text().splitlines()
    assert lines[0] == "id,beagle,boxer,pug"
    df = pd.read_csv(fn, dtype={"id": str}, keep_default_na=False)
    assert list(df["id"]) == submission_ids(data.test_ds.fnames)
    assert set(df["id"]) == set(TEST_IDS)
    np.testing.assert_allclose(df[CLASSES].to_numpy(), p)
    rep = check_submission(fn, data.path / "sample_submission.csv")
    assert rep.ok and "matches" in str(rep)


def test_gzip(data, tmp_path):
    fn = make_submission(probs_for(data), data, tmp_path / "s.csv.gz")
    with gzip.open(fn, "rt") as f:
        assert f.readline().strip() == "id,beagle,boxer,pug"
    assert check_submission(fn, data.path / "sample_submission.csv").ok
    fn2 = make_submission(probs_for(data), data, tmp_path / "plain.csv", gzip=True)
    assert fn2.read_bytes()[:2] == b"\x1f\x8b"


def test_wrong_inputs_are_refused(data, tmp_path):
    p = probs_for(data)
    with pytest.raises(ValueError, match="Average the passes"):
        make_submission(np.stack([np.log(p)] * 3), data, tmp_path / "x.csv")
    with pytest.raises(ValueError, match="validation predictions"):
        make_submission(p[:3], data, tmp_path / "x.csv")  # 3 = the validation set's size
    with pytest.raises(ValueError, match="log-probabilities"):
        make_submission(np.log(p), data, tmp_path / "x.csv")


def test_mismatching_sample_gives_a_precise_report(data, tmp_path):
    sample = tmp_path / "sample_submission.csv"
    # the sample: other class order, one more class, one id the submission lacks, one it does not know
    pd.DataFrame({"id": ["007", "0a1b", "ff2e", "zz99"], "boxer": 0.25, "beagle": 0.25, "pug": 0.25,
                  "husky": 0.25}).to_csv(sample, index=False)
    p = probs_for(data)
    p[0] = [0.5, 0.2, 0.1]  # sums to 0.8
    p[1] = [np.nan, 0.5, 0.5]
    with pytest.raises(SubmissionError, match="do not sum to 1") as made:  # make_submission refuses to write it
        make_submission(p, data, tmp_path / "s.csv")
    assert made.value.report.fn == tmp_path / "s.csv" and not list(tmp_path.glob("*s.csv"))
    fn = tmp_path / "s.csv"  # written by hand, as a student might: check_submission reports every problem
    df = pd.DataFrame(p, columns=data.classes)
    df.insert(0, "id", submission_ids(data.test_ds.fnames))
    df.to_csv(fn, index=False)
    with pytest.raises(SubmissionError) as e:
        check_submission(fn, sample)
    rep = e.value.report
    assert rep.missing_columns == ["husky"] and rep.extra_columns == []
    assert rep.missing_ids == ["zz99"] and rep.extra_ids == ["NA"]
    ids = submission_ids(data.test_ds.fnames)
    assert rep.bad_sum_rows == [ids[0]] and rep.nan_rows == [ids[1]]
    msg = str(e.value)
    assert "1 column(s) of the sample are missing: husky" in msg
    assert "1 id(s) of the sample are missing: zz99" in msg
    assert "1 id(s) not in the sample: NA" in msg
    assert f"worst: {ids[0]} sums to 0.8000" in msg
    assert "NaN" in msg

    # same columns in another order: says which position differs
    pd.DataFrame({"id": sorted(TEST_IDS), "boxer": 0.5, "beagle": 0.25, "pug": 0.25}).to_csv(sample, index=False)
    rep = check_submission(make_submission(probs_for(data), data, tmp_path / "ok.csv"), sample, raise_error=False)
    assert not rep.ok and len(rep.problems) == 1
    assert "column 1 is 'beagle', the sample has 'boxer'" in rep.problems[0]


def test_ids_with_suffix_and_duplicates(tmp_path):
    sample = tmp_path / "sample.csv"
    pd.DataFrame({"id": ["a", "b"], "x": 0.5, "y": 0.5}).to_csv(sample, index=False)
    sub = tmp_path / "sub.csv"
    pd.DataFrame({"id": ["a.jpg", "b.jpg", "b.jpg"], "x": [0.5, 1.5, 0.5], "y": [0.5, -0.5, 0.5]}).to_csv(sub, index=False)
    rep = check_submission(sub, sample, raise_error=False)
    text = str(rep)
    assert rep.missing_ids == ["a", "b"] and rep.extra_ids == ["a.jpg", "b.jpg"]
    assert "ids should have no folder or suffix" in text
    assert rep.duplicate_ids == ["b.jpg"]
    assert "outside [0, 1]" in text
    assert "3 rows; the sample has 2" in text


def test_binary_and_text_columns_skip_the_sum_check(tmp_path):
    fn = tmp_path / "dogscats.csv"
    pd.DataFrame({"id": [1, 2], "label": [0.9, 0.2]}).to_csv(fn, index=False)  # p(dog) only
    assert check_submission(fn).ok
    fn = tmp_path / "planet.csv"
    pd.DataFrame({"image_name": ["t0", "t1"], "tags": ["clear road", "haze"]}).to_csv(fn, index=False)
    rep = check_submission(fn, raise_error=False)
    assert rep.problems == ["the first column is 'image_name'; Kaggle's dog-breed sample starts with 'id'"]
    with pytest.raises(FileNotFoundError):
        check_submission(tmp_path / "nope.csv")


def test_redux_submission_has_id_and_the_probability_of_a_dog(tmp_path, tiny_data):
    p_dog = np.linspace(0.1, 0.9, len(tiny_data.test_ds))
    fn = make_submission(p_dog, tiny_data, tmp_path / "redux.csv")
    df = pd.read_csv(fn, dtype={"id": str})
    assert list(df.columns) == ["id", "label"] and len(df) == len(tiny_data.test_ds)
    np.testing.assert_allclose(df.label, p_dog)
    with pytest.raises(SubmissionError, match="outside"):
        make_submission(p_dog + 1, tiny_data, tmp_path / "bad.csv")
    with pytest.raises(ValueError, match="values for"):
        make_submission(p_dog[:-1], tiny_data, tmp_path / "short.csv")


def test_every_problem_line_reads_in_the_chosen_language(tmp_path, chosen):
    """The Chinese edition's notebook 02 prints the report: every problem line comes from the catalog, the same
    figures in both languages, and the exercise's hint is chosen from the report's fields, not its words."""
    import re

    from course_lib.lang import set_language
    sample = tmp_path / "sample.csv"
    pd.DataFrame({"id": ["a", "b", "c"], "x": 0.5, "y": 0.5}).to_csv(sample, index=False)
    sub = tmp_path / "sub.csv"
    pd.DataFrame({"id": ["a.jpg", "b.jpg", "b.jpg", "c", "d"], "y": [0.5, 1.5, 0.5, 0.3, None],
                  "x": [0.5, -0.5, 0.5, 0.6, 0.5]}).to_csv(sub, index=False)
    en = check_submission(sub, sample, raise_error=False)
    set_language("zh")
    zh = check_submission(sub, sample, raise_error=False)
    assert len(zh.problems) == len(en.problems) >= 6 and en.misordered == zh.misordered == 1
    for e, z in zip(en.problems, zh.problems):
        assert re.search(r"[\u4e00-\u9fff]", z) and not re.search(r"\b(?:the|sample|rows?|column)\b", z), z
        assert re.findall(r"\d+(?:\.\d+)?", e) == re.findall(r"\d+(?:\.\d+)?", z), (e, z)
