"""Pretrain resnet_mini on generated source images and write the weights the package ships.

    python -m course_lib.synthetic.pretrain [--classes 100] [--per-class 300] [--sz 64] [--epochs 12] [--bs 128]
        [--lr 0.4] [--mix ifs] [--seed 0] [--out course_lib/weights/resnet_mini.pt]
        [--ckpt data/pretrain/ckpt.pt] [--device auto]

Resumable: after every epoch the model, optimiser, epoch and RNG states are written to
`--ckpt` (atomically), and a rerun of the same command continues from there. Data order and
augmentation of epoch `e` come from a generator seeded with (seed, e), so an interrupted and
resumed run reaches the same weights as an uninterrupted one.

Next to `--out` it writes a `.md` record: the command, seed, time taken, machine, and
accuracy on a held-out split of the source task.
"""
from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from ..checkpoint import atomic_save
from ..devices import amp_dtype, default_device
from ..archs import IMAGENET_STATS
from ..progress import progress_bar
from ..schedules import warmup_cosine
from .backbone import resnet_mini
from .fractals import MIXES, render_split

__all__ = ["Config", "augment", "pretrain", "main"]


def augment(xb: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Random scale/shift/flip crop and colour jitter for a float batch in [0,1], all per sample."""
    n = len(xb)
    r = lambda *s: torch.rand(*s, generator=g, device="cpu").to(xb.device)  # noqa: E731
    s = 0.7 + 0.3 * r(n)  # zoom in to 70-100% of the image
    flip = torch.where(r(n) < 0.5, -1.0, 1.0)
    theta = torch.zeros(n, 2, 3, device=xb.device)
    theta[:, 0, 0], theta[:, 1, 1] = s * flip, s
    theta[:, :, 2] = (r(n, 2) * 2 - 1) * (1 - s[:, None])  # shift within the margin the zoom leaves
    grid = F.affine_grid(theta, list(xb.shape), align_corners=False)
    xb = F.grid_sample(xb, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    # brightness, contrast and saturation, so colour alone never identifies a class
    gray = xb.mean(1, keepdim=True)
    xb = gray + (xb - gray) * (0.4 + 1.2 * r(n, 1, 1, 1))
    mu = xb.mean((1, 2, 3), keepdim=True)
    xb = mu + (xb - mu) * (0.6 + 0.8 * r(n, 1, 1, 1))
    xb = xb * (0.7 + 0.6 * r(n, 1, 1, 1))
    return xb.clamp(0, 1)


def _norm(xb: torch.Tensor) -> torch.Tensor:
    """float in [0, 1] -> normalised with ImageNet stats (what the lesson's transforms produce)."""
    m = torch.tensor(IMAGENET_STATS[0], device=xb.device).view(1, 3, 1, 1)
    s = torch.tensor(IMAGENET_STATS[1], device=xb.device).view(1, 3, 1, 1)
    return (xb - m) / s


def _device(name: str) -> torch.device:
    """Resolve --device: 'auto' is course_lib's own choice (CUDA, then Apple MPS, else the CPU)."""
    return default_device() if name == "auto" else torch.device(name)


def _source(cfg: Config, split: int, per_class: int, cache_dir: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Render (or load from the cache next to the checkpoint) one split of the source task."""
    f = cache_dir / f"source-{cfg.mix}-c{cfg.classes}-n{per_class}-s{cfg.sz}-seed{cfg.seed}-split{split}.pt"
    if f.is_file():
        d = torch.load(f, weights_only=True)
        return d["x"], d["y"]
    t = time.perf_counter()
    x, y = render_split(cfg.classes, per_class, cfg.sz, cfg.seed, split, cfg.mix)
    print(f"rendered {len(x)} source images ({cfg.mix}, split {split}) in {time.perf_counter() - t:.0f}s", flush=True)
    atomic_save({"x": x, "y": y}, f)
    return x, y


def _amp(cfg: Config, dev: torch.device) -> torch.dtype | None:
    """Autocast dtype for --amp auto/on/off (auto: bf16 on CUDA and on CPUs that do bf16 natively)."""
    return amp_dtype(dev, {"auto": None, "on": True, "off": False}[cfg.amp])


@torch.no_grad()
def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, dev: torch.device, bs: int = 256,
             dtype: torch.dtype | None = None) -> float:
    """Top-1 accuracy of `model` on uint8 images x with labels y (autocast to `dtype` when given)."""
    model.eval()
    hits = 0
    for i in range(0, len(x), bs):
        xb = _norm(x[i:i + bs].to(dev).float() / 255).contiguous(memory_format=torch.channels_last)
        with torch.autocast(dev.type, dtype or torch.float32, enabled=dtype is not None):
            hits += (model(xb).argmax(1).cpu() == y[i:i + bs]).sum().item()
    return hits / len(y)


def pretrain(cfg: Config) -> dict:
    """Run (or resume) pretraining as configured by the parsed arguments; returns a summary."""
    torch.manual_seed(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    dev = _device(cfg.device)
    ckpt = Path(cfg.ckpt)
    x, y = _source(cfg, 0, cfg.per_class, ckpt.parent)
    xv, yv = _source(cfg, 1, cfg.val_per_class, ckpt.parent)
    model = resnet_mini(num_classes=cfg.classes).to(dev)
    model = model.to(memory_format=torch.channels_last)  # faster on CUDA and on the CPU (oneDNN) alike
    dtype = _amp(cfg, dev)
    # no weight decay on BN and biases: decaying them only fights the normalisation
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    rest = [p for n, p in model.named_parameters() if p.ndim <= 1]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": cfg.wd}, {"params": rest, "weight_decay": 0.0}],
                          lr=cfg.lr, momentum=0.9, nesterov=True)
    steps_per_epoch = len(x) // cfg.bs  # drop the last partial batch: BN dislikes tiny batches
    total = steps_per_epoch * cfg.epochs
    start, elapsed = 0, 0.0
    if ckpt.is_file():
        st = torch.load(ckpt, map_location="cpu", weights_only=True)
        if st["config"] != _config(cfg):
            raise ValueError(f"checkpoint {ckpt} was made with {st['config']}, but this run asks for "
                             f"{_config(cfg)}; delete it or pass another --ckpt")
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        torch.set_rng_state(st["torch_rng"])
        start, elapsed = st["epoch"], st["elapsed"]
        print(f"resumed from {ckpt} at epoch {start}/{cfg.epochs}", flush=True)
    stop = min(cfg.epochs, start + cfg.stop_after) if cfg.stop_after else cfg.epochs
    for epoch in range(start, stop):
        t0 = time.perf_counter()
        model.train()
        g = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)  # order + augmentation of this epoch
        perm = torch.randperm(len(x), generator=g)
        bar = progress_bar(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{cfg.epochs}", leave=False,
                   disable=cfg.quiet, mininterval=2)
        tot_loss = 0.0
        for i in bar:
            t = epoch * steps_per_epoch + i
            for grp in opt.param_groups:
                grp["lr"] = warmup_cosine(t, total, cfg.lr)
            idx = perm[i * cfg.bs:(i + 1) * cfg.bs]
            xb = augment(x[idx].to(dev).float() / 255, g)
            xb, yb = _norm(xb).contiguous(memory_format=torch.channels_last), y[idx].to(dev)
            with torch.autocast(dev.type, dtype or torch.float32, enabled=dtype is not None):
                loss = F.cross_entropy(model(xb), yb, label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot_loss += loss.item()
            if i % 20 == 0:
                bar.set_postfix(loss=f"{loss.item():.3f}", lr=f"{warmup_cosine(t, total, cfg.lr):.3f}")
        elapsed += time.perf_counter() - t0
        acc = evaluate(model, xv, yv, dev, dtype=dtype)
        print(f"epoch {epoch + 1}/{cfg.epochs}: train loss {tot_loss / steps_per_epoch:.3f}, held-out acc {acc:.3f}, "
              f"{elapsed / 60:.1f} min", flush=True)
        atomic_save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": epoch + 1,
                      "elapsed": elapsed, "torch_rng": torch.get_rng_state(), "config": _config(cfg)}, ckpt)
    done = stop >= cfg.epochs
    acc = evaluate(model, xv, yv, dev, dtype=dtype)
    summary = {"epochs_done": stop, "acc": acc, "elapsed_s": elapsed, "n_train": len(x), "n_val": len(xv),
               "precision": f"{dtype} autocast".replace("torch.", "") if dtype else "fp32"}
    if done and cfg.out:
        write_weights(model, cfg, summary)
    return summary


def _config(cfg: Config) -> dict:
    """Arguments that must match for a checkpoint to be resumed."""
    keys = ("classes", "per_class", "val_per_class", "sz", "epochs", "bs", "lr", "wd", "mix", "seed", "amp")
    return {k: getattr(cfg, k) for k in keys}


def write_weights(model: torch.nn.Module, cfg: Config, summary: dict) -> None:
    """Save fp16 weights to cfg.out and a markdown record of how they were made next to them."""
    out = Path(cfg.out)
    sd = {k: v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()
          for k, v in model.state_dict().items()}
    atomic_save({"state_dict": sd, "config": _config(cfg)}, out)
    cmd = "python -m course_lib.synthetic.pretrain " + " ".join(shlex.quote(s) for s in cfg.argv)
    cpu = platform.processor() or platform.machine()
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() and cfg.device != "cpu" else "none"
    parts = cfg.mix.split("+")
    src = "IFS fractals" if cfg.mix == "ifs" else "IFS fractals on flat/gradient/texture backgrounds"
    if "shapes" in parts:
        src += ", shape classes (compositions of polygons, ellipses, arcs and strokes, with occluders)"
    if "tex" in parts:
        src += " plus texture classes"
    md = f"""# resnet_mini pretrained weights

Weights for `course_lib.synthetic.resnet_mini(pretrained=True)`, learnt on generated images only:
{src} (`--mix {cfg.mix}`, see `course_lib/synthetic/fractals.py`). No photos and no network were used.
Rerunning the command retrains from scratch when no checkpoint is present; with one it resumes
and reaches the same weights (per-epoch seeding).

| | |
|---|---|
| command | `{cmd.strip()}` |
| seed | {cfg.seed} |
| source task | {cfg.classes} classes, {summary['n_train']} training images, {cfg.sz} px |
| held-out accuracy (source task) | {summary['acc']:.3f} on {summary['n_val']} images |
| training time | {summary['elapsed_s'] / 60:.1f} min over {cfg.epochs} epochs, {summary['precision']} |
| machine | {platform.platform()}, {cpu}, {os.cpu_count()} cores, {torch.get_num_threads()} threads, GPU: {gpu} |
| torch | {torch.__version__} |
| file | fp16 state dict, {out.stat().st_size / 1e6:.2f} MB |

Input normalisation: ImageNet mean/std (`course_lib.archs.IMAGENET_STATS`).
"""
    out.with_suffix(".md").write_text(md)
    print(f"wrote {out} and {out.with_suffix('.md')}", flush=True)


@dataclass(frozen=True)
class Config:
    """One pretraining run: the command line's options, and the command line itself for the record."""
    classes: int = 100
    per_class: int = 300
    val_per_class: int = 10
    sz: int = 64
    epochs: int = 12
    bs: int = 128
    lr: float = 0.4
    wd: float = 5e-4
    mix: str = "ifs"
    seed: int = 0
    out: str = "course_lib/synthetic/weights/resnet_mini.pt"
    ckpt: str = "data/pretrain/ckpt.pt"
    device: str = "auto"
    amp: str = "auto"
    threads: int = 2
    stop_after: int = 0
    quiet: bool = False
    argv: tuple[str, ...] = ()


def parse(argv: list[str] | None = None) -> Config:
    """Parse command-line arguments into a Config (which keeps `argv` for the record)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--classes", type=int, default=100)
    p.add_argument("--per-class", type=int, default=300)
    p.add_argument("--val-per-class", type=int, default=10)
    p.add_argument("--sz", type=int, default=64)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--bs", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.4)
    p.add_argument("--wd", type=float, default=5e-4)
    p.add_argument("--mix", choices=MIXES, default="ifs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=Config.out)
    p.add_argument("--ckpt", default="data/pretrain/ckpt.pt")
    p.add_argument("--device", default="auto")
    p.add_argument("--amp", choices=["auto", "on", "off"], default="auto",
                   help="mixed precision: auto = bf16 on CUDA and on CPUs with native bf16")
    p.add_argument("--threads", type=int, default=2, help="CPU threads (0: torch's default)")
    p.add_argument("--stop-after", type=int, default=0, help="stop after this many epochs (0: run to the end)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    argv = sys.argv[1:] if argv is None else argv
    return Config(**vars(p.parse_args(argv)), argv=tuple(argv))


def main(argv: list[str] | None = None) -> dict:
    """Command-line entry point."""
    return pretrain(parse(argv))


if __name__ == "__main__":
    main()
