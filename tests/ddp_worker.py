"""Run by tests/test_distributed.py under torchrun (or alone): train a tiny model, write the results."""
import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("TQDM_DISABLE", "1")
import torch
from torch.utils.data import DataLoader, TensorDataset


def mlp_run(out: Path) -> None:
    """A BatchNorm-free model on fixed tensors: DDP must match one process with the same global batch."""
    from course_lib import distributed
    from course_lib.learner import Learner
    torch.manual_seed(0)
    x, y = torch.randn(64, 6), torch.randint(0, 3, (64,))
    data = SimpleNamespace(trn_dl=DataLoader(TensorDataset(x, y), batch_size=16),
                           val_dl=DataLoader(TensorDataset(x[:32], y[:32]), batch_size=16), num_workers=0)
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    # full precision: bf16 rounding would differ between one batch of 16 and two shards of 8
    learn = Learner(net, data, groups=[net[0], net[2]], device="cpu", amp=False)
    res = learn.fit([0.05, 0.1], 2, cycle_len=1)
    finder = learn.lr_find(num_it=20)
    if distributed.is_main():
        out.write_text(json.dumps({"weights": [p.detach().view(-1).tolist() for p in net.parameters()],
                                   "res": res, "n_hist": len(learn.history), "n_lr": len(finder.losses),
                                   "world": int(os.environ.get("WORLD_SIZE", 1)) if distributed.active() else 1,
                                   "n_batch": len(learn.sched.lrs)}))


def val_run(out: Path) -> None:
    """Validation sets that do not split evenly (7 items, and 1) and the user's `quiet`, in one process or several.

    Each process writes out.<rank>.json: what it gathered, its own model's predictions and `quiet` after each fit.
    """
    from course_lib import distributed
    from course_lib.learner import Learner
    torch.manual_seed(0)
    x, y = torch.randn(64, 6), torch.randint(0, 3, (64,))
    res = {}
    # exact: a model without BatchNorm, 64 training items (no padded training shard), full precision;
    # 7 validation items at bs 4: shards of 3 and 4, where DistributedSampler repeated an item to make 4 and 4
    # mixed: with BatchNorm, each rank's statistics differ after training; all must validate with the same ones
    # one: a single validation item, so one rank of two has none at all
    for name, n_val, bn, quiet in (("exact", 7, False, True), ("mixed", 7, True, False), ("one", 1, True, False)):
        data = SimpleNamespace(trn_dl=DataLoader(TensorDataset(x, y), batch_size=16),
                               val_dl=DataLoader(TensorDataset(x[:n_val], y[:n_val]), batch_size=4), num_workers=0)
        torch.manual_seed(1)
        layers = [torch.nn.Linear(6, 8), torch.nn.BatchNorm1d(8) if bn else torch.nn.Identity(), torch.nn.ReLU(),
                  torch.nn.Linear(8, 3)]
        net = torch.nn.Sequential(*layers)
        learn = Learner(net, data, groups=[net[0], net[3]], device="cpu", amp=False)
        learn.quiet = quiet
        val = learn.fit(0.05, 1)
        net.eval()
        with torch.no_grad():
            own = net(x[:n_val])  # this process's model over the whole validation set, in order
        res[name] = {"val": val, "preds": learn.sched.last_preds().tolist(), "own": own.tolist(),
                     "quiet": learn.quiet, "weights": [p.detach().view(-1).tolist() for p in net.parameters()]}
    out.with_name(f"{out.name}.{distributed.rank()}.json").write_text(json.dumps(res))


def conv_run(out: Path, folder: str) -> None:
    """The lesson's learner under DDP: fit, save (rank 0 only), predict."""
    from course_lib import ConvLearner, ImageClassifierData, distributed, tfms_from_model
    torch.manual_seed(0)
    data = ImageClassifierData.from_paths(folder, bs=8, tfms=tfms_from_model("resnet_mini", 32), num_workers=0)
    learn = ConvLearner.pretrained("resnet_mini", data, pretrained=False, precompute=True, device="cpu")
    learn.fit(1e-2, 1)
    learn.precompute = False
    res = learn.fit(1e-2, 1, cycle_len=1)
    learn.save("ddp")
    preds = learn.predict()
    if distributed.is_main():
        out.write_text(json.dumps({"res": res, "n_preds": len(preds)}))


if __name__ == "__main__":
    from course_lib import distributed
    distributed.init()
    out = Path(sys.argv[2])
    if sys.argv[1] == "mlp":
        mlp_run(out)
    elif sys.argv[1] == "val":
        val_run(out)
    else:
        conv_run(out, sys.argv[3])
