"""fit and lr_find under DistributedDataParallel: 2 CPU processes with gloo, launched by torchrun."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch.distributed as dist

WORKER = Path(__file__).resolve().parent / "ddp_worker.py"
pytestmark = [pytest.mark.slow,  # torchrun starts processes: seconds each
              pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="needs gloo")]


def run(args, n=None, timeout=180):
    env = dict(os.environ, OMP_NUM_THREADS="1", TQDM_DISABLE="1")
    cmd = [sys.executable, str(WORKER), *map(str, args)] if n is None else [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={n}", str(WORKER),
        *map(str, args)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return p


def test_two_processes_match_one_with_the_same_global_batch(tmp_path):
    run(["mlp", tmp_path / "one.json"])
    p = run(["mlp", tmp_path / "two.json"], n=2)
    one, two = (json.loads((tmp_path / f).read_text()) for f in ("one.json", "two.json"))
    for a, b in zip(one["weights"], two["weights"]):
        assert np.allclose(a, b, atol=1e-5)
    assert np.allclose(one["res"], two["res"], atol=1e-5)  # validation loss and accuracy gathered from both
    assert one["world"] == 1 and two["world"] == 2
    assert two["n_hist"] == 2 and two["n_lr"] == one["n_lr"]
    assert p.stdout.count("trn_loss") == 1  # only rank 0 prints the epoch table


def test_conv_learner_under_ddp_saves_once(tmp_path, tiny_path):
    folder = tiny_path
    run(["conv", tmp_path / "conv.json", folder], n=2)
    out = json.loads((tmp_path / "conv.json").read_text())
    assert out["n_preds"] == 16
    hits = out["res"][1] * 16  # accuracy over all 16 validation images, gathered from both processes
    assert abs(hits - round(hits)) < 1e-6
    assert [p.name for p in (folder / "models").iterdir()] == ["ddp.pt"]
