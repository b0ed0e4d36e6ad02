"""Backbones and the lesson's classifier head: body cut before pooling, concat-pool head, layer groups."""
from __future__ import annotations

import os
import urllib.error
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
import torch.nn as nn
import torchvision.models as tvm


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights are neither cached nor downloadable; the message says where to put them."""


@dataclass(frozen=True)
class ArchSpec:
    """How to build one architecture and where the lesson cuts and splits it."""
    name: str
    build: Callable[..., nn.Module]        # torchvision-style constructor taking weights=...
    weights: str | None                    # torchvision weights enum path, e.g. 'ResNet34_Weights.IMAGENET1K_V1'
    kind: str = "resnet"                   # 'resnet' (cut at child 8, split at 6) or 'densenet'


def _mini(**kw):
    from .backbones import resnet_mini
    return resnet_mini(**kw)


ARCHS: dict[str, ArchSpec] = {s.name: s for s in [
    ArchSpec("resnet18", tvm.resnet18, "ResNet18_Weights.IMAGENET1K_V1"),
    ArchSpec("resnet34", tvm.resnet34, "ResNet34_Weights.IMAGENET1K_V1"),
    ArchSpec("resnet50", tvm.resnet50, "ResNet50_Weights.IMAGENET1K_V2"),
    ArchSpec("resnet101", tvm.resnet101, "ResNet101_Weights.IMAGENET1K_V2"),
    ArchSpec("resnext50_32x4d", tvm.resnext50_32x4d, "ResNeXt50_32X4D_Weights.IMAGENET1K_V2"),
    ArchSpec("densenet121", tvm.densenet121, "DenseNet121_Weights.IMAGENET1K_V1", kind="densenet"),
    ArchSpec("resnet_mini", _mini, "bundled", kind="resnet"),
]}
ALIASES = {"resnext50": "resnext50_32x4d", "dn121": "densenet121"}


def arch_name(arch) -> str:
    """Canonical name of an architecture given as a constructor (`resnet34`) or a string."""
    name = arch if isinstance(arch, str) else getattr(arch, "__name__", None)
    name = ALIASES.get(name, name)
    if name == "_mini":
        name = "resnet_mini"
    if name not in ARCHS:
        raise ValueError(f"Unknown architecture {arch!r}; available: {', '.join(sorted(ARCHS))}.")
    return name


def _weights_enum(spec: ArchSpec):
    cls_name, member = spec.weights.split(".")
    return getattr(getattr(tvm, cls_name), member)


def weights_file(arch) -> Path:
    """Where torchvision keeps (or would download) this architecture's ImageNet weights."""
    spec = ARCHS[arch_name(arch)]
    url = _weights_enum(spec).url
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)


def load_imagenet_state(arch) -> dict:
    """ImageNet weights from the torch hub cache, downloading once when online; clear error when offline."""
    spec = ARCHS[arch_name(arch)]
    w = _weights_enum(spec)
    fn = weights_file(arch)
    if not fn.is_file():
        fn.parent.mkdir(parents=True, exist_ok=True)
        tmp = fn.with_suffix(fn.suffix + ".part")
        try:
            torch.hub.download_url_to_file(w.url, str(tmp), progress=True)
            os.replace(tmp, fn)
        except (urllib.error.URLError, OSError, ConnectionError, TimeoutError) as e:
            tmp.unlink(missing_ok=True)
            raise WeightsUnavailableError(
                f"ImageNet weights for {spec.name} are not cached and could not be downloaded ({e}).\n"
                f"  missing file: {fn}\n"
                f"  get it from:  {w.url} (copy it to that path; TORCH_HOME sets the folder)\n"
                f"  or use what works offline: ConvLearner.pretrained('resnet_mini', data) (the bundled "
                f"backbone), or pretrained=False for random initialisation.") from e
    try:
        return torch.load(fn, map_location="cpu", weights_only=True)
    except Exception as e:
        raise WeightsUnavailableError(f"Weights file {fn} is unreadable ({e}); delete it to download it again.") from e


def build_backbone(arch, pretrained: bool = True) -> nn.Module:
    """The full torchvision-style network, with ImageNet (or bundled) weights when `pretrained`."""
    spec = ARCHS[arch_name(arch)]
    if spec.weights == "bundled":
        return spec.build(pretrained=pretrained)
    m = spec.build(weights=None)
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
    if ARCHS[arch_name(arch)].kind == "densenet":
        # torchvision applies this ReLU in forward(), outside `features`; the body needs it
        return nn.Sequential(*m.features.children(), nn.ReLU(inplace=True)), m.classifier.in_features
    return nn.Sequential(*list(m.children())[:8]), m.fc.in_features


def make_head(nf: int, c: int, ps=None, xtra_fc=None) -> nn.Sequential:
    """concat-pool -> flatten -> [BN, Dropout, Linear, ReLU]* -> BN, Dropout, Linear(c); Kaiming init."""
    xtra_fc = [512] if xtra_fc is None else list(xtra_fc)
    if ps is None:
        ps = [0.25] * len(xtra_fc) + [0.5]
    elif not isinstance(ps, (list, tuple)):
        ps = [ps] * (len(xtra_fc) + 1)
    if len(ps) != len(xtra_fc) + 1:
        raise ValueError(f"ps needs {len(xtra_fc) + 1} dropout values (one per linear layer), got {len(ps)}")
    layers: list[nn.Module] = [AdaptiveConcatPool2d(), nn.Flatten()]
    sizes = [2 * nf] + xtra_fc
    for n_in, n_out, p in zip(sizes[:-1], sizes[1:], ps[:-1]):
        layers += [nn.BatchNorm1d(n_in), nn.Dropout(p), nn.Linear(n_in, n_out), nn.ReLU(inplace=True)]
    layers += [nn.BatchNorm1d(sizes[-1]), nn.Dropout(ps[-1]), nn.Linear(sizes[-1], c)]
    head = nn.Sequential(*layers)
    for l in head:
        if isinstance(l, nn.Linear):
            nn.init.kaiming_normal_(l.weight, nonlinearity="relu")
            nn.init.zeros_(l.bias)
    return head


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
    if ARCHS[arch_name(arch)].kind == "densenet":
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
