"""The benchmark scripts' own helpers: they must keep working, since BENCHMARKS.md quotes them."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_fractal_folder_is_a_from_paths_layout_every_framework_reads(tmp_path, script):
    make_fractal_folder = script("bench", "vs_fastai").make_fractal_folder
    from course_lib.data import ImageClassifierData
    from course_lib.transforms import imagenet_stats, tfms_from_stats

    root = make_fractal_folder(tmp_path / "fr", classes=3, n_train=4, n_valid=2, sz=32)
    assert sorted(p.name for p in (root / "train").iterdir()) == ["c000", "c001", "c002"]
    assert len(list((root / "valid").rglob("*.jpg"))) == 6
    data = ImageClassifierData.from_paths(root, bs=4, tfms=tfms_from_stats(imagenet_stats, 32), num_workers=0)
    assert data.classes == ["c000", "c001", "c002"] and len(data.trn_ds) == 12
    # train and valid are different instances of the same classes, not copies
    a = (root / "train" / "c000" / "00000.jpg").read_bytes()
    assert all(a != p.read_bytes() for p in (root / "valid" / "c000").iterdir())
    # a complete folder is kept, not rewritten
    mtime = (root / "train" / "c000" / "00000.jpg").stat().st_mtime_ns
    make_fractal_folder(root, classes=3, n_train=4, n_valid=2, sz=32)
    assert (root / "train" / "c000" / "00000.jpg").stat().st_mtime_ns == mtime


@pytest.mark.slow
def test_cpu_precision_prints_a_row_per_variant():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "cpu_precision.py"), "--arch", "resnet_mini",
                          "--sz", "32", "--bs", "4", "--steps", "1", "--repeats", "1", "--threads", "1"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    row = next(line for line in out.stdout.splitlines() if line.startswith("| resnet_mini | 32 |"))
    assert row.count("x)") >= 2 and "native bf16 on this CPU:" in out.stdout


def test_head_ablation_heads_all_map_resnet18_features_to_the_classes(script):
    import torch
    ablation = script("bench", "head_ablation")
    HEADS, NF = ablation.HEADS, ablation.NF
    from course_lib.models import check_head, make_head

    outs = set()
    for name, kwargs in HEADS.items():
        kw = kwargs(10)
        head = check_head(kw["custom_head"], NF, 10) if "custom_head" in kw else make_head(NF, 10, **kw)
        torch.manual_seed(0)
        head.eval()
        out = head(torch.randn(3, NF, 2, 2))
        assert out.shape == (3, 10), name
        outs.add((repr(head), round(float(out.abs().sum()), 4)))  # structure or weights differ
    assert len(outs) == len(HEADS)  # eight different heads, not one built eight times
    zero = HEADS["lesson, output layer zero init"](10)["custom_head"]
    assert float(zero[-1].weight.abs().sum()) == 0.0


@pytest.mark.slow
def test_lite0_speed_and_zero_shot_run_on_tiny_data(tiny_path):
    speed = subprocess.run([sys.executable, str(ROOT / "bench" / "lite0_speed.py"), "--data", str(tiny_path),
                            "--sz", "32", "--bs", "8", "--repeats", "1", "--workers", "0"],
                           capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert speed.returncode == 0, speed.stderr[-2000:]
    assert "throughput" in speed.stdout and "images/s" in speed.stdout
    zs = subprocess.run([sys.executable, str(ROOT / "bench" / "zero_shot.py"), "--photos", str(tiny_path),
                         "--sz", "64"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert zs.returncode == 0, zs.stderr[-2000:]
    rows = [line for line in zs.stdout.splitlines() if "zero-shot accuracy" in line]
    assert len(rows) == 2 and all("on 48 photos" in r for r in rows)


def test_transfer_candidates_parse(script):
    parse_candidate = script("bench", "transfer").parse_candidate
    assert parse_candidate("efficientnet_lite0:imagenet@224") == ("efficientnet_lite0", "imagenet", 224)
    assert parse_candidate("resnet_mini:bundled") == ("resnet_mini", "bundled", 64)
    with pytest.raises(SystemExit, match="imagenet, bundled or random"):
        parse_candidate("resnet_mini:fractals@64")


def test_workers_bench_runs_on_tiny_data(tiny_path, script, capsys):
    import torch
    workers = script("bench", "workers")
    assert workers.parse_setting("efficientnet_lite0@224:32") == ("efficientnet_lite0", 224, 32)
    assert workers.parse_setting("resnet18@64") == ("resnet18", 64, 64)
    old = torch.get_num_threads()
    try:  # one thread: the smoke run stays quick on a machine that is busy with other work
        workers.main(["--data", str(tiny_path), "--settings", "resnet_mini@32:8", "--workers", "0", "1",
                      "--rounds", "1", "--train-batches", "2", "--valid-batches", "1", "--threads", "1"])
    finally:
        torch.set_num_threads(old)
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith(("| course_lib |", "| plain |"))]
    assert [r.split(" | ")[:2] for r in rows] == [["| course_lib", "0"], ["| course_lib", "1"],
                                                    ["| course_lib", "default: 0"], ["| plain", "0"], ["| plain", "1"]]
    assert all(r.endswith("x |") for r in rows)
    assert "course_lib rows against the best plain row:" in out and "16 training / 8 validation images" in out


def test_first_fit_bench_runs_both_orders_on_tiny_data(tiny_path):
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "first_fit.py"), "--data", str(tiny_path),
                          "--setting", "resnet_mini@32:8", "--workers", "0", "--epochs", "2", "--train", "16",
                          "--valid", "8"], capture_output=True, text=True, timeout=300, cwd=ROOT,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    rows = [line.split(" | ") for line in out.stdout.splitlines() if line.startswith("| 0 |")]
    assert [r[1] for r in rows] == ["course_lib", "plain"]  # one process for each order
    assert all(float(x) > 0 for r in rows for x in r[2:6]) and all(r[6].endswith("x |") for r in rows)


def test_divergence_bench_counts_both_precisions(script, capsys):
    script("bench", "divergence").main(["--lrs", "1", "1000", "--seeds", "2", "--threads", "1"])
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| 1")]
    assert rows == ["| 1 | 0 of 2 | 0 of 2 | - |", "| 1000 | 2 of 2 | 2 of 2 | - |"]


def test_divergence_bench_repeats_seeds_at_16px_without_the_fallback(script, capsys, monkeypatch):
    import course_lib.precision as precision
    monkeypatch.setattr(precision, "one_pixel_convs", precision.one_pixel_convs)  # restored after the test
    script("bench", "divergence").main(["--sz", "16", "--lrs", "1e-3", "--seeds", "1", "--repeat", "2",
                                        "--no-fallback", "--threads", "1"])
    out = capsys.readouterr().out
    assert "1 seeds x 2, 16 px" in out and "one-pixel convolutions off" in out
    assert [line for line in out.splitlines() if line.startswith("| 0.001")] == ["| 0.001 | 0 of 2 | 0 of 2 | - |"]
    assert precision.one_pixel_convs(None, (1, 3, 16, 16)) == []   # the switch took effect


def test_bn_freeze_bench_keeps_the_statistics_in_its_frozen_rows(tiny_path, script, capsys):
    bench = script("bench", "bn_freeze")
    rows = bench.main(["--data", str(tiny_path), "--arch", "resnet_mini", "--sz", "32", "--bs", "8",
                       "--workers", "0", "--epochs", "1"])
    assert [r["row"][:4] for r in rows] == ["the ", "1e-9", "1e-9", "less", "less"]
    ref, tiny_bn_trains, tiny_bn_frozen = rows[0], rows[1], rows[2]
    # at 1e-9 with BatchNorm frozen nothing can move: the predictions, hence accuracy, are the reference's
    assert tiny_bn_frozen["accuracy"] == ref["accuracy"] and tiny_bn_frozen["change"] == 0
    assert all(abs(r["accuracy"] - (ref["accuracy"] + r["change"])) < 1e-9 for r in rows)
    assert "change vs reference" in capsys.readouterr().out
