"""The transform pipelines: shapes, normalisation, randomness, and each augmentation's maths."""
from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from course_lib import set_seed
from course_lib.images import BadImageError, open_image
from course_lib.transforms import (CropType, RandomDihedral, RandomFlip, RandomLighting, RandomRotate, denorm,
                                   imagenet_stats, lighting, rotate, tfms_from_model, tfms_from_stats,
                                   transforms_basic, transforms_side_on, transforms_top_down)

MEAN = torch.tensor(imagenet_stats[0]).view(3, 1, 1)
STD = torch.tensor(imagenet_stats[1]).view(3, 1, 1)


def textured(w: int = 48, h: int = 40, seed: int = 0) -> Image.Image:
    """Smooth colour gradients plus mild noise: every crop, flip or rotation shows."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    a = np.stack([xx * 255 / max(w - 1, 1), yy * 255 / max(h - 1, 1), (xx + yy) * 127 / max(w + h - 2, 1)], -1)
    a = a + rng.normal(0, 8, a.shape)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def column_image(w: int, h: int) -> Image.Image:
    """Red channel = column index, green = row index: a crop's position can be read back exactly."""
    a = np.zeros((h, w, 3), np.uint8)
    a[..., 0] = np.arange(w)[None, :]
    a[..., 1] = np.arange(h)[:, None]
    return Image.fromarray(a)


def unnorm(x: torch.Tensor) -> torch.Tensor:
    """Normalised CHW -> [0, 255] values."""
    return (x * STD + MEAN) * 255


# ----------------------------------------------------------------------------- the pipeline

@pytest.mark.parametrize("train", [True, False])
def test_output_shape_and_dtype(train):
    trn, val = tfms_from_model("resnet34", 24, aug_tfms=transforms_side_on, max_zoom=1.1)
    x = (trn if train else val)(textured())
    assert x.shape == (3, 24, 24) and x.dtype == torch.float32 and x.is_contiguous()


def test_normalisation_uses_imagenet_stats():
    _, val = tfms_from_model("resnet34", 8)
    x = val(Image.new("RGB", (10, 8), (255, 128, 0)))
    want = (torch.tensor([255, 128, 0]).float().view(3, 1, 1) / 255 - MEAN) / STD
    torch.testing.assert_close(x, want.expand(3, 8, 8), rtol=0, atol=1e-6)


def test_arch_stats_override_imagenet():
    class Arch:
        stats = ([0.5, 0.5, 0.5], [0.25, 0.25, 0.25])

    _, val = tfms_from_model(Arch, 4)
    x = val(Image.new("RGB", (4, 4), (255, 255, 255)))
    torch.testing.assert_close(x, torch.full((3, 4, 4), 2.0))
    _, val2 = tfms_from_stats(Arch.stats, 4)
    torch.testing.assert_close(val2(Image.new("RGB", (4, 4), (0, 0, 0))), torch.full((3, 4, 4), -2.0))


def test_validation_is_deterministic_and_centre_cropped():
    _, val = tfms_from_model("resnet34", 32, aug_tfms=transforms_top_down, max_zoom=2)
    img = column_image(64, 32)  # shorter side already 32: no resize, only the centre crop
    a, b = val(img), val(img)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    got = unnorm(a).round()
    assert got[0, 0].tolist() == list(range(16, 48))  # columns 16..47 of 64
    assert got[1, :, 0].tolist() == list(range(32))
    tall = unnorm(val(column_image(32, 50))).round()
    assert tall[1, :, 0].tolist() == list(range(9, 41))  # (50 - 32) // 2 = 9 rows off the top


def test_validation_scales_shorter_side_to_sz():
    _, val = tfms_from_model("resnet34", 16)
    assert val.scale(textured(64, 32)).size == (32, 16)
    assert val.scale(textured(10, 20)).size == (16, 32)  # small images are enlarged


def test_training_is_random_and_reproducible_with_set_seed():
    trn, _ = tfms_from_model("resnet34", 24, aug_tfms=transforms_side_on, max_zoom=1.1)
    img = textured()
    set_seed(0)
    a = [trn(img) for _ in range(8)]
    assert not torch.equal(a[0], a[1])
    set_seed(0)
    assert all(torch.equal(x, trn(img)) for x in a)
    # both generators take part: the flip draws from torch's, the rest from Python's `random`
    random.seed(0)
    torch.manual_seed(123)
    assert not all(torch.equal(x, trn(img)) for x in a)


def test_train_outputs_vary_over_many_calls():
    trn, _ = tfms_from_model("resnet34", 16, aug_tfms=transforms_side_on, max_zoom=1.1)
    img = textured()
    random.seed(1)
    outs = torch.stack([trn(img) for _ in range(10)])
    assert len({o.sum().item() for o in outs}) == 10


def test_max_zoom_range():
    trn, val = tfms_from_model("resnet34", 20, max_zoom=2.0)
    img = textured(100, 50)
    random.seed(0)
    sides = [min(trn.scale(img).size) for _ in range(400)]
    assert min(sides) == 20 and max(sides) <= 40
    assert 0.15 < np.mean(np.array(sides) == 20) < 0.35  # zoom applies with probability 0.75
    assert max(sides) > 36
    assert {min(val.scale(img).size) for _ in range(20)} == {20}  # validation never zooms
    trn_nz, _ = tfms_from_model("resnet34", 20)
    assert {min(trn_nz.scale(img).size) for _ in range(20)} == {20}


def test_need_side_covers_the_largest_zoom():
    trn, val = tfms_from_model("resnet34", 64, max_zoom=1.1)
    assert trn.need_side == math.ceil(64 * 1.1)
    assert val.need_side == trn.need_side  # both decode alike, so they can share one cache
    assert tfms_from_model("resnet34", 64)[0].need_side == 64


def test_random_crop_moves_and_stays_inside():
    trn, _ = tfms_from_model("resnet34", 16)  # no augmentation, no zoom: only the random crop
    img = column_image(40, 16)
    random.seed(0)
    lefts = set()
    for _ in range(60):
        got = unnorm(trn(img)).round()
        left = int(got[0, 0, 0])
        assert got[0, 0].tolist() == list(range(left, left + 16))
        lefts.add(left)
    assert min(lefts) >= 0 and max(lefts) <= 24 and len(lefts) > 10


def test_crop_type_center_for_training():
    trn, _ = tfms_from_model("resnet34", 16, crop_type=CropType.CENTER)
    got = unnorm(trn(column_image(40, 16))).round()
    assert got[0, 0].tolist() == list(range(12, 28))


@pytest.mark.parametrize("crop_type", [CropType.NO, "no"])
def test_crop_type_no_squishes_the_whole_image(crop_type):
    a = np.zeros((10, 40, 3), np.uint8)
    a[:, :20, 0] = 255  # left half red
    a[:, 20:, 2] = 255  # right half blue
    trn, val = tfms_from_model("resnet34", 16, crop_type=crop_type)
    assert val.crop_type is CropType.NO
    for tfm in (trn, val):
        got = unnorm(tfm(Image.fromarray(a)))
        assert got.shape == (3, 16, 16)
        assert (got[0, :, :7] > 250).all() and (got[2, :, :7] < 5).all()  # the whole left half is in view
        assert (got[2, :, -7:] > 250).all() and (got[0, :, -7:] < 5).all()


def test_pad_reflects_and_keeps_size():
    trn, _ = tfms_from_stats(imagenet_stats, 16, pad=4)
    assert trn(textured(16, 16)).shape == (3, 16, 16)
    random.seed(0)
    assert any(unnorm(trn(column_image(16, 16)))[0, 0, 0].round() > 0 for _ in range(20))  # crops reach the pad


def test_pad_too_large_is_refused_up_front():
    with pytest.raises(ValueError, match="pad"):
        tfms_from_stats(imagenet_stats, 4, pad=4)


def test_with_size_keeps_everything_but_sz():
    trn, val = tfms_from_model("resnet34", 32, aug_tfms=transforms_top_down, max_zoom=1.3, pad=2)
    t2, v2 = trn.with_size(16), val.with_size(16)
    assert (t2.sz, v2.sz, trn.sz) == (16, 16, 32)
    for a, b in ((trn, t2), (val, v2)):
        assert (a.aug_tfms, a.max_zoom, a.pad, a.crop_type, a.stats, a.train) == \
               (b.aug_tfms, b.max_zoom, b.pad, b.crop_type, b.stats, b.train)
    assert t2(textured()).shape == (3, 16, 16) and v2(textured()).shape == (3, 16, 16)


def test_paths_and_pil_images_give_the_same_result(tmp_path):
    fn = tmp_path / "a.png"
    textured(80, 64).save(fn)
    _, val = tfms_from_model("resnet34", 16)
    torch.testing.assert_close(val(fn), val(str(fn)))
    torch.testing.assert_close(val(fn), val(open_image(fn, min_side=val.need_side)))  # what a path decodes to
    full = val(Image.open(fn))  # a full-size image (any mode) works too, and shows the same picture
    assert (unnorm(full) - unnorm(val(fn))).abs().mean() < 3


def test_non_rgb_pil_images_are_converted():
    _, val = tfms_from_model("resnet34", 8)
    torch.testing.assert_close(val(Image.new("L", (8, 8), 255)), val(Image.new("RGB", (8, 8), (255, 255, 255))))
    torch.testing.assert_close(val(Image.new("RGBA", (8, 8), (0, 0, 0, 0))), val(Image.new("RGB", (8, 8), "white")))


def test_bad_file_in_pipeline_raises_bad_image_error(tmp_path):
    fn = tmp_path / "train" / "cats" / "bad.jpg"
    fn.parent.mkdir(parents=True)
    fn.write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    trn, _ = tfms_from_model("resnet34", 16, aug_tfms=transforms_side_on)
    with pytest.raises(BadImageError, match="verify_images"):
        trn(fn)


def test_draft_decode_is_smaller_but_gives_the_same_size(tmp_path):
    fn = tmp_path / "photo.jpg"
    textured(512, 384).save(fn, quality=95)
    trn, val = tfms_from_model("resnet34", 64, aug_tfms=transforms_side_on, max_zoom=1.1)
    assert open_image(fn, min_side=val.need_side).size < open_image(fn).size
    assert min(open_image(fn, min_side=trn.need_side).size) >= trn.need_side
    fast, full = val(fn), val(open_image(fn))  # reduced decode vs full decode
    assert fast.shape == full.shape == (3, 64, 64)
    assert (unnorm(fast) - unnorm(full)).abs().mean() < 4  # the same picture, within a few grey levels
    random.seed(0)
    assert trn(fn).shape == (3, 64, 64)


def test_repr_names_the_parts():
    trn, val = tfms_from_model("resnet34", 32, aug_tfms=transforms_side_on, max_zoom=1.1)
    assert "train" in repr(trn) and "RandomFlip" in repr(trn) and "sz=32" in repr(trn)
    assert "valid" in repr(val) and "aug=[none]" in repr(val)


# ----------------------------------------------------------------------------- augmentation lists

def test_augmentation_lists_match_the_lesson():
    assert [type(t) for t in transforms_basic] == [RandomRotate, RandomLighting]
    assert [type(t) for t in transforms_side_on] == [RandomRotate, RandomLighting, RandomFlip]
    assert [type(t) for t in transforms_top_down] == [RandomRotate, RandomLighting, RandomDihedral]
    rot, light = transforms_basic
    assert (rot.deg, rot.p, light.b, light.c) == (10, 0.75, 0.05, 0.05)


# ----------------------------------------------------------------------------- rotation

def test_rotation_fills_corners_by_reflection_not_black():
    x = torch.full((3, 20, 30), 0.7)
    y = rotate(x, 10)
    torch.testing.assert_close(y, x)  # a constant image stays constant: nothing black comes in
    g = torch.tensor(np.asarray(textured(30, 20)), dtype=torch.float32).permute(2, 0, 1) / 255 + 0.2
    r = rotate(g, 10)
    corners = r[:, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert (corners > 0.15).all()
    assert r.min() >= g.min() - 1e-5 and r.max() <= g.max() + 1e-5  # only mixes existing pixels


def test_rotation_by_zero_is_identity_and_90_is_rot90():
    x = torch.rand(3, 9, 9)
    torch.testing.assert_close(rotate(x, 0), x)
    torch.testing.assert_close(rotate(x, 90), torch.rot90(x, 1, dims=(-2, -1)), atol=1e-5, rtol=0)
    torch.testing.assert_close(rotate(x, -90), torch.rot90(x, -1, dims=(-2, -1)), atol=1e-5, rtol=0)
    r = torch.rand(3, 6, 10)
    torch.testing.assert_close(rotate(r, 180), r.flip(-1).flip(-2), atol=1e-5, rtol=0)


def test_rotation_respects_the_aspect_ratio():
    x = torch.zeros(1, 40, 80)
    x[0, 19:21, 49:51] = 1  # a 2x2 dot 10 px right of the centre (39.5, 19.5)
    y = rotate(x, 90)[0]
    rows, cols = (y > 0.5).nonzero(as_tuple=True)
    inner = (cols > 5) & (cols < 75)  # ignore the dot's reflections at the far edges
    assert sorted(set(rows[inner].tolist())) == [9, 10]  # 10 px above the centre, not 5 or 20
    assert sorted(set(cols[inner].tolist())) == [39, 40]


def test_random_rotate_probability_and_range():
    x = torch.rand(3, 16, 16)
    assert torch.equal(RandomRotate(30, p=0)(x), x)
    random.seed(0)
    changed = sum(not torch.equal(RandomRotate(30, p=0.75)(x), x) for _ in range(200))
    assert 120 < changed < 180
    random.seed(5)
    y = RandomRotate(30, p=1)(x)
    random.seed(5)
    random.random()
    torch.testing.assert_close(y, rotate(x, random.uniform(-30, 30)))


# ----------------------------------------------------------------------------- flips

KNOWN = torch.arange(12, dtype=torch.float32).view(1, 3, 4)  # no symmetry at all


def test_flip_is_left_right():
    assert RandomFlip(p=1)(KNOWN)[0, 0].tolist() == [3, 2, 1, 0]
    assert torch.equal(RandomFlip(p=1)(KNOWN), KNOWN.flip(-1))
    assert torch.equal(RandomFlip(p=0)(KNOWN), KNOWN)
    torch.manual_seed(0)  # torchvision's flip draws from torch's generator
    flipped = sum(torch.equal(RandomFlip()(KNOWN), KNOWN.flip(-1)) for _ in range(200))
    assert 70 < flipped < 130


def test_dihedral_gives_exactly_the_eight_symmetries():
    x = torch.arange(16, dtype=torch.float32).view(1, 4, 4)
    group = {tuple(torch.rot90(x, k, dims=(-2, -1)).flatten().tolist()) for k in range(4)}
    group |= {tuple(torch.rot90(x, k, dims=(-2, -1)).flip(-1).flatten().tolist()) for k in range(4)}
    assert len(group) == 8
    random.seed(0)
    seen = [tuple(RandomDihedral()(x).flatten().tolist()) for _ in range(400)]
    assert set(seen) == group
    counts = np.unique(seen, axis=0, return_counts=True)[1]
    assert counts.min() > 25  # roughly uniform (expected 50 each)


def test_dihedral_of_a_rectangle_in_the_pipeline():
    trn, _ = tfms_from_stats(imagenet_stats, 12, aug_tfms=[RandomDihedral()])
    random.seed(0)
    for _ in range(16):
        assert trn(textured(30, 12)).shape == (3, 12, 12)


# ----------------------------------------------------------------------------- lighting

def test_lighting_formula():
    x = torch.rand(3, 8, 8) * 0.5 + 0.25
    for b, c in [(0.1, 1.0), (0.0, 1.2), (-0.05, 0.8), (0.3, 3.0)]:
        mu = x.mean()
        want = ((x - mu) * c + mu + b).clamp(0, 1)
        torch.testing.assert_close(lighting(x.clone(), b, c), want)
    assert lighting(x, 0, 1) is x


def test_lighting_brightness_and_contrast_separately():
    x = torch.rand(3, 8, 8) * 0.5 + 0.25  # far enough from 0 and 1 that nothing clips
    torch.testing.assert_close(lighting(x.clone(), 0.1, 1.0).mean(), x.mean() + 0.1)
    y = lighting(x.clone(), 0.0, 1.2)
    torch.testing.assert_close(y.mean(), x.mean())
    torch.testing.assert_close(y.std(), x.std() * 1.2)
    assert lighting(torch.ones(3, 2, 2), 0.5, 1.0).max() == 1  # clipped to [0, 1]


def test_random_lighting_draws():
    x = torch.rand(3, 8, 8) * 0.5 + 0.25
    for seed in range(20):
        random.seed(seed)
        got = RandomLighting(0.1, 0.2)(x.clone())
        random.seed(seed)
        b, c = random.uniform(-0.1, 0.1), random.uniform(-0.2, 0.2)
        factor = 1 / (1 - c) if c < 0 else 1 + c  # -c shrinks contrast as much as +c grows it
        torch.testing.assert_close(got, lighting(x.clone(), b, factor))
        assert 1 / 1.2 - 1e-6 <= factor <= 1.2 + 1e-6


# ----------------------------------------------------------------------------- denorm

def test_denorm_round_trip():
    a = np.asarray(textured(16, 16))
    _, val = tfms_from_model("resnet34", 16)
    x = val(Image.fromarray(a))
    back = denorm(x)
    assert back.shape == (16, 16, 3)
    np.testing.assert_allclose(back, a / 255, atol=1e-5)
    np.testing.assert_allclose(val.denorm(x), back)
    batch = denorm(torch.stack([x, x]))
    assert batch.shape == (2, 16, 16, 3)
    assert denorm(torch.full((3, 2, 2), 100.0)).max() == 1.0  # clipped for display


# ----------------------------------------------------------------------------- fuzzing

MODES = ["RGB", "L", "LA", "RGBA", "P", "PT", "1", "I;16", "I", "F", "CMYK"]


def make_image(mode: str, w: int, h: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    if mode == "I;16":
        return Image.fromarray(rng.integers(0, 65536, (h, w), dtype=np.uint16))
    if mode in ("I", "F"):
        return Image.fromarray(rng.integers(-5, 5000, (h, w)).astype(np.int32 if mode == "I" else np.float32))
    base = Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    if mode == "PT":
        img = base.convert("P")
        img.info["transparency"] = 0
        return img
    if mode == "P":
        return base.convert("P")
    return base.convert(mode)


SIZES = st.one_of(
    st.tuples(st.integers(1, 64), st.integers(1, 64)),
    st.sampled_from([(1, 1), (1000, 3), (3, 1000), (1, 500), (500, 1), (2, 1), (640, 480)]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=SIZES, mode=st.sampled_from(MODES), sz=st.integers(1, 32), train=st.booleans(),
       aug=st.sampled_from([None, transforms_side_on, transforms_top_down]),
       max_zoom=st.sampled_from([None, 1.0, 1.1, 2.0]), crop_type=st.sampled_from(list(CropType)),
       pad=st.sampled_from([0, 0, 1, 3]), seed=st.integers(0, 2**16))
def test_pipeline_never_crashes(size, mode, sz, train, aug, max_zoom, crop_type, pad, seed):
    w, h = size
    pad = min(pad, sz - 1)  # reflection padding must stay under the image size
    img = make_image(mode, w, h, seed)
    trn, val = tfms_from_model("resnet34", sz, aug_tfms=aug, max_zoom=max_zoom, pad=pad, crop_type=crop_type)
    random.seed(seed)
    x = (trn if train else val)(img)  # PIL images of any mode go straight in
    assert x.shape == (3, sz, sz) and x.dtype == torch.float32
    assert torch.isfinite(x).all()


@settings(max_examples=15, deadline=None)
@given(size=SIZES, mode=st.sampled_from(["RGB", "L", "CMYK"]), sz=st.integers(1, 24), seed=st.integers(0, 99))
def test_pipeline_from_jpeg_files_never_crashes(tmp_path_factory, size, mode, sz, seed):
    fn = tmp_path_factory.mktemp("fz") / "x.jpg"
    make_image(mode, *size, seed).save(fn)
    trn, val = tfms_from_model("resnet34", sz, aug_tfms=transforms_side_on, max_zoom=1.1)
    random.seed(seed)
    assert trn(fn).shape == val(fn).shape == (3, sz, sz)


def test_tfms_is_keyword_only_and_with_size_changes_only_the_size():
    import dataclasses
    from course_lib.transforms import CropType, Tfms
    with pytest.raises(TypeError):
        Tfms(64, None, 1.1)  # seven settings in a row are too easy to swap: keywords only
    t = Tfms(sz=64, aug_tfms=[RandomFlip()], max_zoom=1.1, pad=4, crop_type="random", train=True)
    u = t.with_size(96)
    assert (u.sz, u.max_zoom, u.pad, u.crop_type, u.train, len(u.aug_tfms)) == (96, 1.1, 4, CropType.RANDOM, True, 1)
    assert dataclasses.replace(t, sz=32).sz == 32 and t.sz == 64
    with pytest.raises(ValueError, match="pad must be"):
        t.with_size(4)  # the checks run on every copy
