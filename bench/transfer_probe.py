"""Does the shipped resnet_mini pretraining transfer? Pretrained vs random init on a photo folder.

For each seed and each init: (1) freeze the body, precompute pooled features of centre crops and
train a linear head on them (the lesson's `precompute=True` stage); (2) unfreeze everything and
fine-tune with augmentation and smaller learning rates for the early layers. Prints validation
accuracy after each stage, per seed, then mean +- std and the min..max spread.

    python bench/transfer_probe.py PATH [PATH ...] [--sz 64] [--seeds 0 1 2] [--weights FILE ...]

PATH is in `from_paths` layout: PATH/train/<class>/*.jpg and PATH/valid/<class>/*.jpg.
`--weights` compares other weight files (e.g. candidate pretraining runs) with the shipped one.
"""
from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from course_lib.models import IMAGENET_STATS
from course_lib.synthetic.backbone import load_weights, resnet_mini, weights_path

EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def load_folder(path: Path, sz: int) -> tuple[dict[str, tuple[torch.Tensor, torch.Tensor]], list[str]]:
    """Load train/ and valid/ as uint8 tensors: shorter side resized to sz*1.15, centre square crop."""
    rs = int(round(sz * 1.15))  # margin for random crops, as in the usual resize-then-crop recipe
    classes = sorted(d.name for d in (path / "train").iterdir() if d.is_dir())
    if not classes:
        raise FileNotFoundError(f"no class folders in {path / 'train'}; expected PATH/train/<class>/*.jpg")
    out = {}
    for split in ("train", "valid"):
        xs, ys = [], []
        for c, name in enumerate(classes):
            for f in sorted((path / split / name).iterdir()):
                if f.suffix.lower() not in EXTS:
                    continue
                im = Image.open(f).convert("RGB")
                w, h = im.size
                k = rs / min(w, h)
                im = im.resize((max(rs, round(w * k)), max(rs, round(h * k))), Image.BILINEAR)
                w, h = im.size
                l, t = (w - rs) // 2, (h - rs) // 2
                xs.append(torch.frombuffer(bytearray(im.crop((l, t, l + rs, t + rs)).tobytes()), dtype=torch.uint8)
                          .view(rs, rs, 3).permute(2, 0, 1))
                ys.append(c)
        if not xs:
            raise FileNotFoundError(f"no images under {path / split}/<class>/")
        out[split] = (torch.stack(xs), torch.tensor(ys))
    return out, classes


def norm(xb: torch.Tensor) -> torch.Tensor:
    """uint8 batch -> float normalised with ImageNet stats."""
    m, s = (torch.tensor(v).view(1, 3, 1, 1) for v in IMAGENET_STATS)
    return (xb.float() / 255 - m) / s


def centre(x: torch.Tensor, sz: int) -> torch.Tensor:
    """Centre sz x sz crop."""
    o = (x.shape[-1] - sz) // 2
    return x[..., o:o + sz, o:o + sz]


def rand_crop(x: torch.Tensor, sz: int, g: torch.Generator) -> torch.Tensor:
    """Per-sample random sz x sz crop with random horizontal flip."""
    m = x.shape[-1] - sz
    ij = torch.randint(0, m + 1, (len(x), 2), generator=g)
    out = torch.stack([x[k, :, i:i + sz, j:j + sz] for k, (i, j) in enumerate(ij.tolist())])
    flip = torch.rand(len(x), generator=g) < 0.5
    out[flip] = out[flip].flip(-1)
    return out


def body_of(model: nn.Module) -> nn.Sequential:
    """The first 8 children (everything before avgpool/fc), as the library cuts a ResNet."""
    return nn.Sequential(*list(model.children())[:8])


@torch.no_grad()
def accuracy(body: nn.Module, head: nn.Module, x: torch.Tensor, y: torch.Tensor, sz: int) -> float:
    """Validation accuracy on centre crops."""
    body.eval(), head.eval()
    preds = torch.cat([head(body(norm(centre(x[i:i + 100], sz)))).argmax(1) for i in range(0, len(x), 100)])
    return (preds == y).float().mean().item()


def run(sd: dict | None, data: dict, n_cls: int, sz: int, seed: int, a: argparse.Namespace) -> tuple[float, float]:
    """Linear probe then full fine-tune for one init and seed; returns (probe acc, fine-tuned acc)."""
    torch.manual_seed(seed)
    model = resnet_mini(num_classes=n_cls)
    if sd is not None:
        model.load_state_dict({k: v for k, v in sd.items() if not k.startswith("fc.")}, strict=False)
    body = body_of(model)
    # BN on the pooled features (as the lesson's head has) makes the probe insensitive to feature scale
    nf = model.fc.in_features
    head = nn.Sequential(nn.Flatten(), nn.BatchNorm1d(nf), nn.Dropout(0.25), nn.Linear(nf, n_cls))
    pool = nn.AdaptiveAvgPool2d(1)
    (xt, yt), (xv, yv) = data["train"], data["valid"]
    g = torch.Generator().manual_seed(seed)
    # stage 1: body frozen, features precomputed once on centre crops
    body.eval()
    with torch.no_grad():
        feats = torch.cat([pool(body(norm(centre(xt[i:i + 100], sz)))) for i in range(0, len(xt), 100)])
    opt = torch.optim.AdamW(head.parameters(), lr=a.head_lr, weight_decay=1e-2)
    head.train()
    steps = a.head_epochs * math.ceil(len(xt) / a.bs)
    for t in range(steps):
        idx = torch.randint(0, len(xt), (a.bs,), generator=g)
        for grp in opt.param_groups:
            grp["lr"] = a.head_lr * 0.5 * (1 + math.cos(math.pi * t / steps))
        loss = F.cross_entropy(head(feats[idx]), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    full = nn.Sequential(*body, pool, *head)
    acc1 = accuracy(nn.Sequential(*body, pool), head, xv, yv, sz)
    # stage 2: unfreeze, early layers learn slower (groups split at child 6, as the library does)
    kids = list(body.children())
    groups = [nn.Sequential(*kids[:6]), nn.Sequential(*kids[6:]), head]
    lrs = [a.ft_lr / 9, a.ft_lr / 3, a.ft_lr]
    opt = torch.optim.SGD([{"params": m.parameters(), "lr": lr} for m, lr in zip(groups, lrs)],
                          momentum=0.9, weight_decay=1e-4)
    steps = a.ft_epochs * (len(xt) // a.bs)
    full.train()
    for t in range(steps):
        idx = torch.randint(0, len(xt), (a.bs,), generator=g)
        f = 0.5 * (1 + math.cos(math.pi * t / steps))
        for grp, lr in zip(opt.param_groups, lrs):
            grp["lr"] = lr * f
        loss = F.cross_entropy(full(norm(rand_crop(xt[idx], sz, g))), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    acc2 = accuracy(nn.Sequential(*body, pool), head, xv, yv, sz)
    return acc1, acc2


def summary(v: list[float]) -> str:
    """mean +- std (min..max)."""
    sd = statistics.stdev(v) if len(v) > 1 else 0.0
    return f"{statistics.mean(v):.3f} +- {sd:.3f} ({min(v):.3f}..{max(v):.3f})"


def main() -> None:
    """Probe each folder with each init over the seeds and print the table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--sz", type=int, default=64)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--weights", nargs="*", default=[], help="extra weight files to compare (default: shipped)")
    p.add_argument("--no-shipped", action="store_true", help="skip the shipped weights")
    p.add_argument("--bs", type=int, default=32)
    p.add_argument("--head-epochs", type=int, default=20)
    p.add_argument("--head-lr", type=float, default=3e-3)
    p.add_argument("--ft-epochs", type=int, default=8)
    p.add_argument("--ft-lr", type=float, default=0.01)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    inits: dict[str, dict | None] = {}
    if not a.no_shipped:
        inits["pretrained"] = load_weights(weights_path())
    for w in a.weights:
        inits[Path(w).parent.name + "/" + Path(w).name] = load_weights(w)
    inits["random"] = None
    for path in a.paths:
        if not (path / "train").is_dir():
            print(f"skip {path}: no train/ folder")
            continue
        data, classes = load_folder(path, a.sz)
        print(f"\n{path}: {len(data['train'][1])} train / {len(data['valid'][1])} valid images, "
              f"classes {classes}, sz {a.sz}, seeds {a.seeds}")
        for name, sd in inits.items():
            t = time.perf_counter()
            res = [run(sd, data, len(classes), a.sz, s, a) for s in a.seeds]
            probe, ft = [r[0] for r in res], [r[1] for r in res]
            print(f"  {name:28s} linear probe {summary(probe)} | fine-tuned {summary(ft)}  "
                  f"[{time.perf_counter() - t:.0f}s]", flush=True)


if __name__ == "__main__":
    main()
