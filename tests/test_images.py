"""open_image on every odd file a classroom produces, and verify_images finding (and moving) the bad ones."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from course_lib.images import (BadImageError, image_size, is_image_file, list_dirs, list_images, open_image,
                               verify_images)


def px(img: Image.Image, xy=(0, 0)) -> tuple[int, ...]:
    """One pixel of an RGB image as a plain tuple."""
    return tuple(int(v) for v in np.asarray(img)[xy[1], xy[0]])


def noise(w: int = 32, h: int = 24, seed: int = 0) -> Image.Image:
    """A random RGB image (JPEGs of it are big enough to truncate meaningfully)."""
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8))


def good_jpeg(fn: Path, w: int = 32, h: int = 24, seed: int = 0) -> Path:
    fn.parent.mkdir(parents=True, exist_ok=True)
    noise(w, h, seed).save(fn, quality=90)
    return fn


def truncated_jpeg(fn: Path) -> Path:
    good_jpeg(fn, 64, 64)
    data = fn.read_bytes()
    fn.write_bytes(data[: len(data) // 2])
    return fn


# ----------------------------------------------------------------------------- EXIF orientation

def half_white(w: int = 40, h: int = 20) -> Image.Image:
    """Left half white, right half black: shows where the stored left edge ends up."""
    a = np.zeros((h, w, 3), np.uint8)
    a[:, : w // 2] = 255
    return Image.fromarray(a)


# orientation tag -> (displayed size, where the stored left half appears)
ORIENT = {1: ((40, 20), "left"), 2: ((40, 20), "right"), 3: ((40, 20), "right"), 4: ((40, 20), "left"),
          6: ((20, 40), "top"), 8: ((20, 40), "bottom")}


def white_side(img: Image.Image) -> str:
    a = np.asarray(img).mean(2)
    h, w = a.shape
    means = {"left": a[:, : w // 4].mean(), "right": a[:, -w // 4:].mean(),
             "top": a[: h // 4].mean(), "bottom": a[-h // 4:].mean()}
    return max(means, key=means.get)


@pytest.mark.parametrize("orientation", sorted(ORIENT))
@pytest.mark.parametrize("min_side", [None, 4])
def test_exif_orientation_is_applied(tmp_path, orientation, min_side):
    exif = Image.Exif()
    exif[0x0112] = orientation
    fn = tmp_path / f"o{orientation}.jpg"
    half_white().save(fn, exif=exif, quality=95)
    img = open_image(fn, min_side=min_side)
    size, side = ORIENT[orientation]
    assert img.mode == "RGB"
    if min_side is None:
        assert img.size == size
    assert white_side(img) == side
    assert image_size(fn) == size  # header-only size agrees with the decoded one


# ----------------------------------------------------------------------------- modes

def test_rgb_jpeg(tmp_path):
    fn = good_jpeg(tmp_path / "a.jpg", 30, 20)
    img = open_image(fn)
    assert (img.mode, img.size) == ("RGB", (30, 20))
    assert open_image(str(fn)).size == (30, 20)  # str paths work too


def test_grayscale_l(tmp_path):
    Image.new("L", (5, 4), 77).save(tmp_path / "g.png")
    img = open_image(tmp_path / "g.png")
    assert (img.mode, img.size, px(img)) == ("RGB", (5, 4), (77, 77, 77))


def test_la_transparency_becomes_white(tmp_path):
    im = Image.new("LA", (4, 4), (100, 255))
    im.putpixel((0, 0), (0, 0))  # fully transparent black
    im.save(tmp_path / "la.png")
    img = open_image(tmp_path / "la.png")
    assert img.mode == "RGB"
    assert px(img, (0, 0)) == (255, 255, 255)
    assert px(img, (1, 0)) == (100, 100, 100)


def test_rgba_transparency_becomes_white_not_black(tmp_path):
    im = Image.new("RGBA", (4, 4), (200, 0, 0, 255))
    im.putpixel((0, 0), (0, 0, 0, 0))
    im.putpixel((1, 0), (0, 0, 0, 128))  # half-transparent black -> mid grey
    im.save(tmp_path / "rgba.png")
    img = open_image(tmp_path / "rgba.png")
    assert px(img, (0, 0)) == (255, 255, 255)
    assert px(img, (2, 0)) == (200, 0, 0)
    assert all(120 <= v <= 135 for v in px(img, (1, 0)))


def test_palette_with_transparency(tmp_path):
    im = Image.new("P", (4, 4), 1)
    im.putpalette([0, 0, 0, 0, 128, 255] + [0] * (3 * 254))
    im.putpixel((0, 0), 0)
    im.save(tmp_path / "p.png", transparency=0)
    assert Image.open(tmp_path / "p.png").mode == "P"
    img = open_image(tmp_path / "p.png")
    assert px(img, (0, 0)) == (255, 255, 255)  # the transparent index, not its black palette entry
    assert px(img, (1, 1)) == (0, 128, 255)


def test_palette_without_transparency(tmp_path):
    im = Image.new("P", (3, 3), 2)
    im.putpalette([0, 0, 0] * 2 + [9, 99, 199] + [0] * (3 * 253))
    im.save(tmp_path / "p.gif")
    assert px(open_image(tmp_path / "p.gif")) == (9, 99, 199)


@pytest.mark.parametrize("ext", [".jpg", ".tif"])
def test_cmyk(tmp_path, ext):
    Image.new("CMYK", (8, 8), (255, 0, 0, 0)).save(tmp_path / f"c{ext}")  # pure cyan
    img = open_image(tmp_path / f"c{ext}")
    assert img.mode == "RGB"
    r, g, b = px(img, (4, 4))
    assert r < 20 and g > 235 and b > 235


def test_16_bit_png_is_scaled_not_clipped(tmp_path):
    a = np.array([[0, 16384, 32768, 65535]], dtype=np.uint16)
    Image.fromarray(a).save(tmp_path / "d.png")
    assert Image.open(tmp_path / "d.png").mode.startswith("I")
    img = open_image(tmp_path / "d.png")
    got = np.asarray(img)[0, :, 0].astype(int)
    assert img.mode == "RGB"
    np.testing.assert_allclose(got, [0, 64, 128, 255], atol=1)  # stretched to 8 bits, not all white


def test_float_tiff_uses_its_own_range(tmp_path):
    Image.fromarray(np.array([[-1.0, 0.5, 2.0]], dtype=np.float32)).save(tmp_path / "f.tif")
    got = np.asarray(open_image(tmp_path / "f.tif"))[0, :, 0].astype(int)
    np.testing.assert_allclose(got, [0, 128, 255], atol=1)


def test_one_bit(tmp_path):
    a = np.zeros((4, 4), bool)
    a[0, 0] = True
    Image.fromarray(a).save(tmp_path / "b.png")
    assert Image.open(tmp_path / "b.png").mode == "1"
    img = open_image(tmp_path / "b.png")
    assert img.mode == "RGB" and px(img, (0, 0)) == (255, 255, 255) and px(img, (1, 0)) == (0, 0, 0)


# ----------------------------------------------------------------------------- formats

@pytest.mark.parametrize("ext,kw", [(".png", {}), (".webp", {"lossless": True}), (".bmp", {}), (".tiff", {})])
def test_other_formats(tmp_path, ext, kw):
    Image.new("RGB", (6, 5), (10, 200, 30)).save(tmp_path / f"x{ext}", **kw)
    img = open_image(tmp_path / f"x{ext}")
    assert (img.mode, img.size, px(img)) == ("RGB", (6, 5), (10, 200, 30))


def test_animated_gif_gives_first_frame(tmp_path):
    red, green, blue = (Image.new("RGB", (8, 8), c) for c in [(255, 0, 0), (0, 255, 0), (0, 0, 255)])
    red.save(tmp_path / "a.gif", save_all=True, append_images=[green, blue], duration=50)
    assert Image.open(tmp_path / "a.gif").n_frames == 3
    img = open_image(tmp_path / "a.gif")
    assert (img.mode, img.size, px(img)) == ("RGB", (8, 8), (255, 0, 0))


def test_jpg_extension_holding_png(tmp_path):
    Image.new("RGBA", (7, 3), (0, 0, 255, 255)).save(tmp_path / "liar.jpg", format="PNG")
    img = open_image(tmp_path / "liar.jpg")
    assert (img.mode, img.size, px(img)) == ("RGB", (7, 3), (0, 0, 255))


# ----------------------------------------------------------------------------- reduced (draft) decoding

def test_draft_decode_is_smaller_but_covers_min_side(tmp_path):
    fn = good_jpeg(tmp_path / "big.jpg", 512, 384)
    assert open_image(fn).size == (512, 384)
    small = open_image(fn, min_side=64)
    assert small.mode == "RGB"
    assert small.size[0] < 512 and min(small.size) >= 64
    assert small.size == (128, 96)  # 1/4 scale: 1/8 would leave the short side under 64
    assert open_image(fn, min_side=1000).size == (512, 384)  # never upsampled
    assert open_image(fn, min_side=20).size == (32, 24)  # 1/8 is as far as JPEG goes; then halved


def test_draft_decode_keeps_aspect_of_grayscale_jpeg(tmp_path):
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (200, 100), dtype=np.uint8)).save(tmp_path / "g.jpg")
    img = open_image(tmp_path / "g.jpg", min_side=40)
    assert img.mode == "RGB" and img.size == (50, 100)


def test_min_side_reduces_other_formats_by_a_whole_factor(tmp_path):
    a = np.zeros((60, 80, 3), np.uint8)
    a[:, :40] = 200  # left half light
    Image.fromarray(a).save(tmp_path / "n.png")
    small = open_image(tmp_path / "n.png", min_side=10)
    assert small.size == (14, 10)  # 6x6 block averages: the shorter side stays >= 10, below 2 * 10
    assert px(small, (0, 0)) == (200, 200, 200) and px(small, (13, 9)) == (0, 0, 0)
    assert open_image(tmp_path / "n.png", min_side=31).size == (80, 60)  # under 2x: left as is
    assert open_image(tmp_path / "n.png", min_side=30).size == (40, 30)


# ----------------------------------------------------------------------------- bad files

def assert_helpful(err: BadImageError, fn: Path):
    msg = str(err)
    assert str(fn) in msg and "verify_images" in msg
    assert err.fn == fn and err.reason


@pytest.mark.parametrize("min_side", [None, 8])
def test_truncated_jpeg_raises_bad_image_error(tmp_path, min_side):
    fn = truncated_jpeg(tmp_path / "train" / "cats" / "t.jpg")
    with pytest.raises(BadImageError) as e:
        open_image(fn, min_side=min_side)
    assert_helpful(e.value, fn)
    assert isinstance(e.value, OSError)  # code catching OSError keeps working
    assert "train" in str(e.value).split("verify_images")[1]  # suggests the data folder, not the class folder


def test_truncated_png(tmp_path):
    fn = tmp_path / "t.png"
    noise(64, 64).save(fn)
    fn.write_bytes(fn.read_bytes()[:300])
    with pytest.raises(BadImageError) as e:
        open_image(fn)
    assert_helpful(e.value, fn)


@pytest.mark.parametrize("content", [b"", b"not an image at all", b"\xff\xd8\xff\xe0garbage" * 3])
def test_garbage_raises_bad_image_error(tmp_path, content):
    fn = tmp_path / "x.jpg"
    fn.write_bytes(content)
    with pytest.raises(BadImageError) as e:
        open_image(fn)
    assert_helpful(e.value, fn)


def test_missing_file_is_not_a_bad_image(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        open_image(tmp_path / "nope.jpg")
    assert not isinstance(e.value, BadImageError)


# ----------------------------------------------------------------------------- verify_images

@pytest.fixture
def messy(tmp_path) -> Path:
    """A data folder with good images, bad ones, and files verify_images must leave alone."""
    root = tmp_path / "data"
    good_jpeg(root / "train" / "cats" / "ok1.jpg")
    good_jpeg(root / "train" / "dogs" / "ok2.jpg", seed=1)
    truncated_jpeg(root / "train" / "cats" / "trunc.jpg")
    (root / "train" / "dogs" / "junk.png").write_bytes(b"<html>404</html>")
    (root / "valid" / "x").mkdir(parents=True)
    (root / "valid" / "x" / "empty.JPG").write_bytes(b"")
    (root / "train" / "cats" / "notes.txt").write_text("not an image, not checked")
    (root / "train" / "cats" / ".hidden.jpg").write_bytes(b"hidden, skipped")
    (root / ".ipynb_checkpoints").mkdir()
    (root / ".ipynb_checkpoints" / "bad.jpg").write_bytes(b"skipped")
    (root / "train" / ".ipynb_checkpoints").mkdir()
    (root / "train" / ".ipynb_checkpoints" / "bad.jpg").write_bytes(b"skipped")
    return root


BAD = ["train/cats/trunc.jpg", "train/dogs/junk.png", "valid/x/empty.JPG"]


def rel(root: Path, bad) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p, _ in bad)


def test_verify_images_lists_bad_files_and_moves_nothing(messy):
    before = sorted(p for p in messy.rglob("*") if p.is_file())
    bad = verify_images(messy)
    assert rel(messy, bad) == BAD
    assert all(isinstance(reason, str) and reason for _, reason in bad)
    assert sorted(p for p in messy.rglob("*") if p.is_file()) == before


def test_verify_images_quarantine_moves_never_deletes(messy, tmp_path):
    contents = {b: (messy / b).read_bytes() for b in BAD}
    q = tmp_path / "quarantine"
    bad = verify_images(messy, quarantine=q)
    assert rel(messy, bad) == BAD
    for b in BAD:
        assert not (messy / b).exists()
        assert (q / b).read_bytes() == contents[b]  # same relative path, same bytes
    for keep in ["train/cats/ok1.jpg", "train/dogs/ok2.jpg", "train/cats/notes.txt", "train/cats/.hidden.jpg",
                 ".ipynb_checkpoints/bad.jpg", "train/.ipynb_checkpoints/bad.jpg"]:
        assert (messy / keep).exists(), keep
    assert verify_images(messy) == []


def test_verify_images_quarantine_inside_the_folder(messy):
    q = messy / "bad_images"
    assert rel(messy, verify_images(messy, quarantine=q)) == BAD
    assert verify_images(messy, quarantine=q) == []  # files already in the quarantine are not reported again
    assert rel(q, [(p, "") for p in q.rglob("*") if p.is_file()]) == BAD


def test_verify_images_second_quarantine_keeps_the_first(tmp_path):
    root, q = tmp_path / "d", tmp_path / "q"
    truncated_jpeg(root / "a.jpg")
    first = (root / "a.jpg").read_bytes()
    verify_images(root, quarantine=q)
    (root / "a.jpg").write_bytes(b"another broken download")
    verify_images(root, quarantine=q)
    kept = sorted(p.read_bytes() for p in q.iterdir())
    assert kept == sorted([first, b"another broken download"])


def broken_link(link: Path, target: Path | str) -> Path:
    """A symbolic link at `link` to `target`, which does not exist (a download deleted after linking)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    return link


def test_verify_images_reports_a_broken_link_naming_its_missing_target(tmp_path):
    root = tmp_path / "data"
    good_jpeg(root / "train" / "cats" / "ok.jpg")
    gone = good_jpeg(tmp_path / "elsewhere" / "cat.jpg")
    broken_link(root / "train" / "cats" / "abs.jpg", gone)
    gone.unlink()  # the file the link was made for is deleted afterwards
    broken_link(root / "train" / "dogs" / "rel.jpg", Path("..") / "no_such.jpg")  # relative target, never there
    broken_link(root / "train" / "dogs" / "loop.jpg", "loop.jpg")  # a link to itself cannot be followed either
    broken_link(root / "train" / "dogs" / "notes.txt", "no_such.txt")  # not an image name: not checked
    broken_link(root / "train" / "dogs" / ".hidden.jpg", "no_such.jpg")  # hidden: skipped like hidden files
    bad = dict(verify_images(root))
    assert rel(root, bad.items()) == ["train/cats/abs.jpg", "train/dogs/loop.jpg", "train/dogs/rel.jpg"]
    assert bad[root / "train" / "cats" / "abs.jpg"] == (
        f"broken symbolic link: it points to {gone}, which does not exist")
    assert bad[root / "train" / "dogs" / "rel.jpg"] == (
        f"broken symbolic link: it points to {Path('..') / 'no_such.jpg'} "
        f"({(root / 'train').resolve() / 'no_such.jpg'}), which does not exist")
    assert "a loop of links" in bad[root / "train" / "dogs" / "loop.jpg"]
    assert (root / "train" / "cats" / "abs.jpg").is_symlink()  # listing moves nothing


@pytest.mark.parametrize("inside", [False, True], ids=["quarantine-outside", "quarantine-inside"])
def test_verify_images_quarantines_a_broken_link_as_a_link_to_the_same_missing_file(tmp_path, inside):
    root = tmp_path / "data"
    good_jpeg(root / "cats" / "ok.jpg")
    broken_link(root / "cats" / "gone.jpg", Path("..") / "deleted.jpg")
    q = root / "bad" if inside else tmp_path / "bad"
    assert rel(root, verify_images(root, quarantine=q)) == ["cats/gone.jpg"]
    moved = q / "cats" / "gone.jpg"
    assert not os.path.lexists(root / "cats" / "gone.jpg") and moved.is_symlink()
    # made absolute: read from the quarantine, the relative target would name another (maybe existing) file
    assert os.readlink(moved) == str(root.resolve() / "deleted.jpg")
    assert verify_images(root, quarantine=q) == []  # the moved link is not reported again
    broken_link(root / "cats" / "gone.jpg", "another_deleted.jpg")  # the same name broken again: keep both
    verify_images(root, quarantine=q)
    kept = sorted(os.readlink(p) for p in (q / "cats").iterdir())
    assert kept == sorted([str(root.resolve() / "deleted.jpg"), str(root.resolve() / "cats" / "another_deleted.jpg")])
    assert (root / "cats" / "ok.jpg").is_file()


def test_verify_images_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        verify_images(tmp_path / "nope")


# ----------------------------------------------------------------------------- listing

def test_list_images_skips_hidden_and_non_images(tmp_path):
    for name in ["b.jpg", "a.PNG", "c.jpeg", "d.webp", ".hidden.jpg", "notes.txt", "labels.csv", "Thumbs.db"]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "folder.jpg").mkdir()  # a folder with an image-like name is not an image
    assert [p.name for p in list_images(tmp_path)] == ["a.PNG", "b.jpg", "c.jpeg", "d.webp"]
    assert not is_image_file(tmp_path / "folder.jpg")


def test_list_dirs_skips_hidden_and_checkpoints(tmp_path):
    for name in ["dogs", "cats", ".ipynb_checkpoints", ".git", "__MACOSX", "__pycache__"]:
        (tmp_path / name).mkdir()
    (tmp_path / "file.jpg").write_bytes(b"x")
    assert [p.name for p in list_dirs(tmp_path)] == ["cats", "dogs"]


def test_animated_webp_gives_first_frame(tmp_path):
    frames = [Image.new("RGB", (20, 16), c) for c in ((255, 0, 0), (0, 0, 255))]
    fn = tmp_path / "anim.webp"
    frames[0].save(fn, save_all=True, append_images=frames[1:], lossless=True, duration=100, loop=0)
    img = open_image(fn)
    assert img.mode == "RGB" and img.size == (20, 16)
    assert img.getpixel((5, 5))[0] > 200 and img.getpixel((5, 5))[2] < 50


@pytest.mark.parametrize("ext", [".heic", ".avif"])
def test_heic_and_avif_photos_are_read(tmp_path, ext):
    # an iPhone's photos are HEIC; pillow-heif (a dependency) and Pillow's AVIF codec read them like JPEGs
    from course_lib.images import codec
    if ext == ".avif" and not codec("AVIF"):
        pytest.skip("this Pillow was built without AVIF (wheels of Pillow 11.3 and later have it)")
    assert codec("HEIC")  # pillow-heif is a dependency; this also registers it with Pillow, to write the file
    fn = tmp_path / f"IMG_0001{ext}"
    Image.new("RGB", (40, 30), (200, 30, 30)).save(fn)
    assert is_image_file(fn) and list_images(tmp_path) == [fn]
    img = open_image(fn)
    assert img.size == (40, 30) and img.mode == "RGB"
    assert abs(px(img, (20, 15))[0] - 200) < 20
    assert verify_images(tmp_path) == []


@pytest.fixture
def no_heic_codec(monkeypatch):
    """This Python without pillow-heif: HEIC photos cannot be decoded."""
    import course_lib.images as images
    monkeypatch.setattr(images, "codec", lambda fmt: fmt != "HEIC")


def heic_folder(root: Path, n_heic: int) -> Path:
    """train/valid with cats and dogs, 3 JPEGs each, and `n_heic` of train/cats renamed to .heic."""
    for split in ("train", "valid"):
        for c in ("cats", "dogs"):
            for i in range(3):
                good_jpeg(root / split / c / f"{c[:-1]}.{i}.jpg", seed=i + 10 * (split == "valid"))
    for f in sorted((root / "train" / "cats").iterdir())[:n_heic]:
        f.rename(f.with_suffix(".heic"))
    return root


def test_photos_this_python_cannot_decode_are_announced_not_dropped(tmp_path, no_heic_codec):
    from course_lib import ImageClassifierData, tfms_from_model
    from course_lib.layout import DataLayoutError
    tfms = tfms_from_model("resnet_mini", 16)
    p = heic_folder(tmp_path / "mixed", 2)
    with pytest.warns(UserWarning, match=r"cats: 2 \.heic file\(s\) left out \(first: cat\.0\.heic\): .*pip install "
                                         r"pillow-heif"):
        d = ImageClassifierData.from_paths(p, bs=2, tfms=tfms, num_workers=0)
    assert len(d.trn_ds) == 4
    # a class of HEIC photos only: the error says why the folder counts as empty
    p = heic_folder(tmp_path / "only", 3)
    with pytest.raises(DataLayoutError, match=r"Empty class folder.*3 \.heic file\(s\) left out.*pillow-heif"):
        ImageClassifierData.from_paths(p, bs=2, tfms=tfms, num_workers=0)
    # verify_images lists them with the same fix, and open_image (the from_csv path) says it too
    bad = verify_images(p)
    assert [f.name for f, _ in bad] == ["cat.0.heic", "cat.1.heic", "cat.2.heic"]
    assert all("pip install pillow-heif" in why for _, why in bad)
    with pytest.raises(BadImageError, match="cannot read HEIC"):
        open_image(p / "train" / "cats" / "cat.0.heic")
    # camera raw files too: named, never silently skipped
    (p / "train" / "dogs" / "DSC_1.NEF").write_bytes(b"raw")
    assert any(f.name == "DSC_1.NEF" and "export them as JPEG" in why for f, why in verify_images(p))


def test_a_test_folder_with_undecodable_photos_says_so(tmp_path, no_heic_codec):
    from course_lib import ImageClassifierData, tfms_from_model
    from course_lib.layout import DataLayoutError
    p = heic_folder(tmp_path, 0)
    good_jpeg(p / "test" / "a.jpg")
    good_jpeg(p / "test" / "b.jpg").rename(p / "test" / "b.heic")
    tfms = tfms_from_model("resnet_mini", 16)
    with pytest.warns(UserWarning, match=r"test: 1 \.heic file\(s\) left out \(first: b\.heic\)"):
        d = ImageClassifierData.from_paths(p, bs=2, tfms=tfms, num_workers=0, test_name="test")
    assert len(d.test_ds) == 1
    (p / "test" / "a.jpg").rename(p / "test" / "a.heic")
    with pytest.raises(DataLayoutError, match=r"holds no image this Python can read: 2 \.heic"):
        ImageClassifierData.from_paths(p, bs=2, tfms=tfms, num_workers=0, test_name="test")


def test_verify_images_shows_progress_over_the_images_it_decodes(tmp_path, monkeypatch):
    # a check of 25,000 photos takes minutes: the bar counts the images to decode, found by a quick listing first
    import course_lib.images as images
    bars = []

    def bar(items, **kw):
        bars.append((list(items), kw))
        return bars[-1][0]
    monkeypatch.setattr(images, "progress_bar", bar)
    for i in range(3):
        good_jpeg(tmp_path / "train" / "cats" / f"{i}.jpg", seed=i)
    (tmp_path / "z.jpg").write_bytes(b"broken")  # in the top folder, listed before the sub-folders
    bad = verify_images(tmp_path)
    assert [f.name for f, _ in bad] == ["z.jpg"]
    assert len(bars) == 1 and bars[0][1]["desc"] == "verify_images"
    assert [f.name for f in bars[0][0]] == ["z.jpg", "0.jpg", "1.jpg", "2.jpg"]
