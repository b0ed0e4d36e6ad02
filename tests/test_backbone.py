"""resnet_mini structure and shipped weights, the source-image generator, and the pretraining entry point."""
from __future__ import annotations

import math
import socket

import numpy as np
import pytest
import torch

from course_lib.synthetic import fractals
from course_lib.synthetic.backbone import load_weights, resnet_mini, weights_path
from course_lib.schedules import warmup_cosine as lr_at
from course_lib.synthetic.pretrain import main as pretrain_main

TORCHVISION_CHILDREN = ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No network and an empty torch hub cache: any download attempt fails loudly."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))

    def refuse(*args, **kw):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_children_follow_torchvision_resnet():
    m = resnet_mini(num_classes=7)
    assert [n for n, _ in m.named_children()] == TORCHVISION_CHILDREN
    body = torch.nn.Sequential(*list(m.children())[:8])
    out = body(torch.randn(2, 3, 64, 64))
    assert out.shape[1] == m.fc.in_features
    assert m(torch.randn(2, 3, 64, 64)).shape == (2, 7)


def test_shipped_weights_load_offline(offline):
    path = weights_path()
    assert path.is_file(), f"shipped weights missing at {path}"
    assert path.stat().st_size <= 10e6
    sd = load_weights(path)
    n_src = sd["fc.weight"].shape[0]
    m = resnet_mini(pretrained=True, num_classes=n_src)
    assert torch.equal(m.conv1.weight, sd["conv1.weight"])
    assert torch.equal(m.fc.weight, sd["fc.weight"])
    # another class count keeps the pretrained body and gives a fresh head of the right size
    m2 = resnet_mini(pretrained=True, num_classes=2)
    assert m2.fc.out_features == 2
    assert torch.equal(m2.layer4[0].conv1.weight, sd["layer4.0.conv1.weight"])


def test_missing_or_corrupt_weights_say_how_to_fix(tmp_path):
    missing = tmp_path / "nope.pt"
    with pytest.raises(FileNotFoundError, match="course_lib.synthetic.pretrain") as e:
        load_weights(missing)
    assert str(missing) in str(e.value)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(RuntimeError, match="course_lib.synthetic.pretrain"):
        load_weights(bad)


def test_generator_is_deterministic_per_seed():
    a = fractals.render_split(3, 4, sz=32, seed=0, mix="ifs+tex")
    b = fractals.render_split(3, 4, sz=32, seed=0, mix="ifs+tex")
    c = fractals.render_split(3, 4, sz=32, seed=1, mix="ifs+tex")
    held = fractals.render_split(3, 4, sz=32, seed=0, split=1, mix="ifs+tex")
    assert a[0].dtype == torch.uint8 and a[0].shape == (12, 3, 32, 32)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])
    assert not torch.equal(a[0], held[0])  # held-out split: same classes, other images
    ds = fractals.SourceData(*a)
    x, y = ds[5]
    assert x.shape == (3, 32, 32) and 0 <= x.min() and x.max() <= 1 and y == 1



def test_shape_family_is_deterministic_per_seed():
    mix = "ifs+shapes"
    n_ifs, n_shape, n_tex = fractals._family_counts(4, mix)
    assert (n_ifs, n_shape, n_tex) == (2, 2, 0)
    assert fractals._family_counts(10, "ifs+shapes+tex") == (4, 4, 2)
    a = fractals.render_split(4, 3, sz=32, seed=0, mix=mix)
    b = fractals.render_split(4, 3, sz=32, seed=0, mix=mix)
    c = fractals.render_split(4, 3, sz=32, seed=1, mix=mix)
    held = fractals.render_split(4, 3, sz=32, seed=0, split=1, mix=mix)
    assert a[0].dtype == torch.uint8 and a[0].shape == (12, 3, 32, 32)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    shapes = slice(6, 12)  # classes 2 and 3 are shape classes
    assert not torch.equal(a[0][shapes], c[0][shapes])
    assert not torch.equal(a[0][shapes], held[0][shapes])
    # the same class and generator state give the same images; instances of a class differ
    sh = fractals.sample_shape(np.random.default_rng([0, 0, 7]))
    x1 = fractals.render_shape(sh, np.random.default_rng(5), 4, sz=32)
    x2 = fractals.render_shape(fractals.sample_shape(np.random.default_rng([0, 0, 7])), np.random.default_rng(5), 4, sz=32)
    assert x1.shape == (4, 32, 32, 3) and x1.dtype == np.uint8 and np.array_equal(x1, x2)
    assert not np.array_equal(x1[0], x1[1])
    assert x1.std() > 5  # something is drawn, not a blank frame
    # adding shape classes leaves the IFS classes of a mix as they were (same class seeds, same backgrounds)
    tex = fractals.render_split(10, 2, sz=32, seed=0, mix="ifs+tex")[0]
    shp = fractals.render_split(10, 2, sz=32, seed=0, mix="ifs+shapes+tex")[0]
    assert torch.equal(tex[:8], shp[:8])  # IFS classes 0-3 in both
    with pytest.raises(ValueError, match="mix must be one of"):
        fractals.render_split(2, 2, sz=32, mix="shapes+ifs")

def test_ifs_maps_are_contractive_and_sigma_factor_in_range():
    for s in range(10):
        ifs = fractals.sample_ifs(np.random.default_rng(s))
        n = len(ifs.p)
        sv = np.linalg.svd(ifs.A, compute_uv=False)
        assert 2 <= n <= 4 and sv.max() < 1
        alpha = (sv[:, 0] + 2 * sv[:, 1]).sum()
        assert (5 + n) / 2 - 1e-9 <= alpha <= (6 + n) / 2 + 1e-9
        assert ifs.p.sum() == pytest.approx(1)


def test_lr_at_closed_form():
    total, lr = 100, 0.4
    assert lr_at(0, total, lr) == pytest.approx(0.04 * lr)
    assert lr_at(20, total, lr) == pytest.approx(lr)
    assert lr_at(60, total, lr) == pytest.approx(lr * 0.5 * (1 + math.cos(math.pi * 40 / 80)))
    assert lr_at(total, total, lr) == pytest.approx(0, abs=1e-12)


def tiny(tmp_path, name: str) -> list[str]:
    """Arguments for a pretraining run of a few steps."""
    return ["--classes", "3", "--per-class", "16", "--val-per-class", "4", "--sz", "32", "--bs", "16",
            "--epochs", "2", "--lr", "0.1", "--threads", "1", "--device", "cpu", "--quiet",
            "--ckpt", str(tmp_path / name / "ckpt.pt"), "--out", str(tmp_path / name / "w.pt")]


@pytest.mark.slow
def test_pretrain_tiny_writes_weights_and_record(tmp_path, capsys):
    res = pretrain_main(tiny(tmp_path, "a"))
    assert res["epochs_done"] == 2
    sd = load_weights(tmp_path / "a" / "w.pt")
    assert sd["fc.weight"].shape == (3, 256)
    md = (tmp_path / "a" / "w.md").read_text()
    assert f"| {res['acc']:.3f} on {res['n_val']} images |" in md  # the record holds the measured accuracy
    assert "python -m course_lib.synthetic.pretrain --classes 3" in md and "held-out accuracy" in md


@pytest.mark.slow
def test_resume_matches_uninterrupted_run(tmp_path):
    full = pretrain_main(tiny(tmp_path, "full"))
    part = pretrain_main(tiny(tmp_path, "part") + ["--stop-after", "1"])
    assert part["epochs_done"] == 1 and not (tmp_path / "part" / "w.pt").exists()
    st = torch.load(tmp_path / "part" / "ckpt.pt", weights_only=True)
    assert st["epoch"] == 1 and {"model", "opt", "torch_rng"} <= set(st)
    resumed = pretrain_main(tiny(tmp_path, "part"))
    assert resumed["epochs_done"] == 2 and resumed["acc"] == full["acc"]
    a, b = load_weights(tmp_path / "full" / "w.pt"), load_weights(tmp_path / "part" / "w.pt")
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.mark.slow
def test_resume_refuses_a_different_config(tmp_path):
    pretrain_main(tiny(tmp_path, "c") + ["--stop-after", "1"])
    with pytest.raises(ValueError, match="delete it or pass another --ckpt"):
        pretrain_main(tiny(tmp_path, "c") + ["--lr", "0.2"])
