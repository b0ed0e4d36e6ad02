"""A small ResNet backbone that ships with its own offline pretrained weights.

`resnet_mini` follows torchvision's ResNet layout child for child
(`conv1, bn1, relu, maxpool, layer1..layer4, avgpool, fc`), so code written for
`torchvision.models.resnet34` (cut the body at child 8, split layer groups at
child 6, read `fc.in_features`) works on it unchanged. It is narrower and
shallower, so it trains several times faster on a CPU.

The shipped weights were learnt on generated images (fractals and textures, see
`course_lib.synthetic.fractals` and `course_lib.synthetic.pretrain`), never on photos,
and need no network. Inputs are normalised with ImageNet's statistics, as the lesson's transforms do.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

__all__ = ["resnet_mini", "weights_path", "WIDTHS", "DEPTHS"]

WIDTHS = (32, 64, 128, 256)  # channels of layer1..layer4; resnet18/34 use (64, 128, 256, 512)
DEPTHS = (1, 1, 1, 1)  # BasicBlocks per layer; resnet18 uses (2, 2, 2, 2)
REGEN_CMD = "python -m course_lib.synthetic.pretrain"


class BasicBlock(nn.Module):
    """Two 3x3 convs with a residual connection, as in torchvision's BasicBlock."""

    expansion = 1

    def __init__(self, ni: int, nf: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(ni, nf, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(nf)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(nf, nf, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(nf)
        self.downsample = None
        if stride != 1 or ni != nf:
            self.downsample = nn.Sequential(nn.Conv2d(ni, nf, 1, stride, bias=False), nn.BatchNorm2d(nf))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + idt)


class ResNetMini(nn.Module):
    """torchvision-style ResNet with configurable widths and depths."""

    def __init__(self, widths: tuple[int, ...] = WIDTHS, depths: tuple[int, ...] = DEPTHS,
                 num_classes: int = 1000, stem: int = 24):
        super().__init__()
        if len(widths) != 4 or len(depths) != 4:
            raise ValueError(f"need 4 widths and 4 depths (layer1..layer4), got {widths} and {depths}")
        # The order of attribute assignment is the order of children(); keep torchvision's.
        self.conv1 = nn.Conv2d(3, stem, 5, 2, 2, bias=False)  # 5x5 not 7x7: cheaper, same receptive role
        self.bn1 = nn.BatchNorm2d(stem)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        ni = stem
        for i, (nf, n) in enumerate(zip(widths, depths)):
            blocks = [BasicBlock(ni if j == 0 else nf, nf, (1 if i == 0 else 2) if j == 0 else 1) for j in range(n)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
            ni = nf
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(ni, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        # Zero the last BN of each block so every block starts as the identity (trains faster).
        for m in self.modules():
            if isinstance(m, BasicBlock):
                nn.init.zeros_(m.bn2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def weights_path() -> Path:
    """Path of the shipped pretrained weights inside the installed package."""
    # the package directory itself, so it works for plain, editable and namespace installs alike
    return Path(__file__).resolve().parent / "weights" / "resnet_mini.pt"


def load_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a resnet_mini weights file (fp16 on disk) as a float32 state dict."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"resnet_mini weights not found at {path}; regenerate them with `{REGEN_CMD}`")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        sd = blob["state_dict"]
    except Exception as e:  # any unpickling/format failure means the file is unusable
        raise RuntimeError(f"resnet_mini weights at {path} are unreadable ({type(e).__name__}: {e}); "
                           f"regenerate them with `{REGEN_CMD}`") from e
    # Stored as fp16 to keep the package small; BN counters stay integer.
    return {k: v.float() if v.is_floating_point() else v for k, v in sd.items()}


def resnet_mini(pretrained: bool = False, num_classes: int = 1000, **kw) -> nn.Module:
    """A small torchvision-style ResNet; `pretrained=True` loads the shipped offline weights.

    When `num_classes` differs from the number of pretraining classes the body is loaded
    and `fc` keeps a fresh initialisation (the body is what transfers).
    """
    model = ResNetMini(num_classes=num_classes, **kw)
    if pretrained:
        path = weights_path()
        sd = load_weights(path)
        if sd["fc.weight"].shape != model.fc.weight.shape:
            sd = {k: v for k, v in sd.items() if not k.startswith("fc.")}
        missing, unexpected = model.load_state_dict(sd, strict=False)
        missing = [k for k in missing if not k.startswith("fc.")]
        if missing or unexpected:
            raise RuntimeError(f"resnet_mini weights at {path} do not match the architecture "
                               f"(missing {missing[:3]}, unexpected {unexpected[:3]}); "
                               f"regenerate them with `{REGEN_CMD}`")
    return model
