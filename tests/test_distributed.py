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
    # the workers import the course_lib of this checkout, not the one an editable install points to elsewhere
    path = os.pathsep.join(filter(None, [str(WORKER.parents[1]), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, OMP_NUM_THREADS="1", TQDM_DISABLE="1", PYTHONPATH=path)
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


@pytest.fixture(scope="module")
def uneven(tmp_path_factory):
    """ddp_worker's `val` run alone and on 2 processes: (one process's results, [rank 0's, rank 1's], stdout)."""
    d = tmp_path_factory.mktemp("uneven")
    run(["val", d / "one"])
    p = run(["val", d / "two"], n=2)
    read = lambda f: json.loads((d / f).read_text())  # noqa: E731
    return read("one.0.json"), [read("two.0.json"), read("two.1.json")], p.stdout


def test_validation_of_7_items_on_2_processes_equals_one_process(uneven):
    one, twos, _ = uneven
    for a, b in zip(one["exact"]["weights"], twos[0]["exact"]["weights"]):
        assert np.allclose(a, b, atol=1e-5)  # the same weights (to float tolerance) as one process
    for two in twos:  # every rank has the whole result, each item once, in validation order
        assert np.asarray(two["exact"]["preds"]).shape == (7, 3)
        np.testing.assert_allclose(two["exact"]["preds"], one["exact"]["preds"], atol=1e-5)
        np.testing.assert_allclose(two["exact"]["val"], one["exact"]["val"], atol=1e-5)  # val_loss, accuracy
    np.testing.assert_allclose(one["exact"]["preds"], one["exact"]["own"], atol=1e-6)


@pytest.mark.parametrize("case", ["mixed", "one"])
def test_every_rank_validates_with_the_same_batchnorm_statistics(uneven, case):
    _, twos, _ = uneven
    n = 7 if case == "mixed" else 1
    for two in twos:
        # the gathered predictions are those of this rank's own model over all items: no rank used other statistics
        assert np.asarray(two[case]["preds"]).shape == (n, 3)
        np.testing.assert_allclose(two[case]["preds"], two[case]["own"], atol=1e-5)
    np.testing.assert_allclose(twos[0][case]["own"], twos[1][case]["own"], atol=1e-6)


def test_a_distributed_fit_keeps_the_users_quiet(uneven):
    one, twos, out = uneven
    for res in [one, *twos]:
        assert res["exact"]["quiet"] is True  # the user's True survives the fit
        assert res["mixed"]["quiet"] is False and res["one"]["quiet"] is False  # rank 1 is quiet only during it
    assert out.count("trn_loss") == 2  # rank 0 prints the tables of the two fits not made quiet, and only those
