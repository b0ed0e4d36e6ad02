"""The README's main command, end to end on tiny data (quick mode): the recipe, the better model kept and saved,
and --budget judged with a fake clock."""
import json
import re

import numpy as np
import torch

from course_lib import Callback, ConvLearner, precompute
from course_lib.__main__ import main

ARGS = ["--quick", "--sz", "32", "--bs", "8", "--workers", "0"]
MINI = [*ARGS, "--arch", "resnet_mini"]  # seconds instead of tens of seconds, for the tests of what the run decides


def test_main_runs_the_recipe_and_saves(tiny_path, capsys):
    summary = main(["--data", str(tiny_path), *ARGS])
    out = capsys.readouterr().out
    assert list(summary.step.str[:2]) == ["2.", "3.", "4.", "5."]
    assert list(summary.epochs) == [1, 1, 1, 0]  # --quick: one epoch (or cycle) per step, none for TTA
    assert f"with TTA {summary.accuracy.iloc[-1]:.4f}" in out  # the table holds what the run printed
    assert "suggested lr" in out and "accuracy without TTA" in out
    assert "lr_find after unfreeze suggests [" in out and "the lesson's: [0.0001, 0.001, 0.01]" in out
    # an estimate before each step, the head-only fit (step 2) included
    for k in range(2, 6):
        assert "estimate: about" in out.split(f"\n== {k}.")[1].split("\n== ")[0], f"no estimate before step {k}"
    fn = tiny_path / "models" / "dogscats_efficientnet_lite0_32.pt"
    side = json.loads(fn.with_suffix(".json").read_text())
    assert fn.is_file() and side["step"][:2] in ("2.", "3.", "4.")
    kept = summary.set_index("step").loc[side["step"]]
    assert kept.kept == "yes" and side["accuracy"] == kept.accuracy
    assert {p.name for p in (tiny_path / "plots").iterdir()} == {"lr_find.png", "sgdr.png", "lr_find_unfrozen.png",
                                                                 "unfreeze_cycle_mult2.png"}
    assert "beside the lesson" in out and "0.9885" in out and "here 32 px" in out


def test_lrs_finder_fine_tunes_at_the_rates_it_printed(tiny_path, capsys, monkeypatch):
    used = []  # (rates, the head's rate the sweep after unfreeze suggested) of each fit of the unfrozen network
    real = ConvLearner.fit

    def fit(self, lrs, *args, **kw):
        if self.frozen_to == 0:
            used.append((np.asarray(lrs), self.sched.suggestion().lr))
        return real(self, lrs, *args, **kw)

    monkeypatch.setattr(ConvLearner, "fit", fit)
    main(["--data", str(tiny_path), *MINI, "--lrs", "finder"])
    out = capsys.readouterr().out
    [(lrs, head)] = used
    assert list(lrs) == [head / 100, head / 10, head]  # the head's rate, 1/10 and 1/100 for the groups before it
    printed = re.search(r"lr_find after unfreeze suggests \[([^]]*)\]", out).group(1)
    assert printed == ", ".join(f"{x:.2g}" for x in lrs) and "using the finder's (--lrs)" in out
    side = json.loads((tiny_path / "models" / "dogscats_resnet_mini_32.json").read_text())
    assert side["lrs_after_unfreeze"] == "finder"


class Scramble(Callback):
    """Makes the unfrozen network's fit hurt: before each validation its last layer is set to call every image
    the first class, sure of it (half the images wrong, at a log loss near 100 each)."""
    order = 99

    def before_validate(self):
        if self.learn.frozen_to == 0:
            with torch.no_grad():
                last = self.learn.model.head[-1]
                last.weight.zero_()
                last.bias.copy_(torch.tensor([100.0, -100.0]))


def test_a_step_that_hurts_is_reverted_and_the_better_model_saved(tiny_path, capsys, monkeypatch):
    real = ConvLearner.default_cbs
    monkeypatch.setattr(ConvLearner, "default_cbs", lambda self: real(self) + [Scramble()])
    summary = main(["--data", str(tiny_path), *MINI]).set_index("step")
    out = capsys.readouterr().out
    step4 = summary.index[summary.index.str.startswith("4.")][0]
    assert summary.loc[step4, "kept"] == "no, reverted"
    assert "loaded again" in out and "did not beat it, so its model was loaded again" in out
    side = json.loads((tiny_path / "models" / "dogscats_resnet_mini_32.json").read_text())
    assert side["step"][:2] in ("2.", "3.") and f"kept the model of {side['step']!r}" in out
    # the saved weights are the kept step's: they give its validation accuracy again
    learn = ConvLearner.pretrained("resnet_mini", _data(tiny_path), device="cpu")
    learn.load("dogscats_resnet_mini_32")
    assert abs(np.mean(learn.predict().argmax(1) == learn.data.val_y) - side["accuracy"]) <= 1 / 16
    assert "--bn-freeze keeps them" in out  # an undone fine-tuning names the likely cause and the switch


def test_bn_freeze_keeps_batchnorms_statistics_in_the_unfrozen_steps(tiny_path, capsys, monkeypatch):
    import torch.nn as nn
    seen = []  # (frozen_to, bn_frozen, every BatchNorm in eval mode while training) at each unfrozen batch

    class Look(Callback):
        def before_batch(self):
            if self.learn.training and self.learn.frozen_to == 0:
                bns = [m for m in self.learn.model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
                seen.append((self.learn.bn_frozen, all(not m.training for m in bns)))
    real = ConvLearner.default_cbs
    monkeypatch.setattr(ConvLearner, "default_cbs", lambda self: real(self) + [Look()])
    main(["--data", str(tiny_path), *MINI, "--bn-freeze"])
    assert seen and all(frozen and evaluated for frozen, evaluated in seen)
    side = json.loads((tiny_path / "models" / "dogscats_resnet_mini_32.json").read_text())
    assert side["bn_freeze"] is True  # (without the flag BatchNorm trains: test_learner's bn_freeze test)


def _data(path):
    from course_lib import ImageClassifierData, tfms_from_model
    return ImageClassifierData.from_paths(path, bs=8, tfms=tfms_from_model("resnet_mini", 32), num_workers=0)


class FakeClock:
    """Each reading is `dt` seconds after the one before: every step seems to take the same long time."""

    def __init__(self, dt: float):
        self.t, self.dt = 0.0, dt

    def __call__(self) -> float:
        self.t += self.dt
        return self.t


def test_budget_skips_the_step_that_would_overrun(tiny_path, capsys):
    summary = main(["--data", str(tiny_path), *MINI, "--budget", "4"], clock=FakeClock(30)).set_index("step")
    out = capsys.readouterr().out
    assert "estimate: about" in out and "left of the 4.0 min budget" in out
    assert "skipped: lr_find after unfreeze and fine-tuning would take about" in out
    step4 = summary.index[summary.index.str.startswith("4.")][0]
    assert summary.loc[step4, "kept"] == "skipped (--budget)" and summary.loc[step4, "epochs"] == 0
    side = json.loads((tiny_path / "models" / "dogscats_resnet_mini_32.json").read_text())
    assert side["step"][:2] in ("2.", "3.")


def test_a_generous_budget_skips_nothing(tiny_path, capsys):
    summary = main(["--data", str(tiny_path), *MINI, "--budget", "600"], clock=FakeClock(1))
    assert "skipped" not in capsys.readouterr().out and not (summary.kept == "skipped (--budget)").any()


class FakeMachine:
    """A clock that moves only where work is said to cost time: `body` seconds per image of the precompute cache
    build, `sweep` seconds for the whole lr_find after unfreeze, `batch` per training batch of the unfrozen fit."""

    def __init__(self, monkeypatch, body: float = 0.0, sweep: float = 0.0, batch: float = 0.0):
        self.t, self.learn = 0.0, None
        features, lr_find, cbs = precompute.compute_features, ConvLearner.lr_find, ConvLearner.default_cbs
        machine = self

        def timed_features(learn, dl, *args, **kw):
            self.t += body * len(dl.dataset)
            return features(learn, dl, *args, **kw)

        def timed_lr_find(learn, *args, **kw):
            self.learn = learn
            finder = lr_find(learn, *args, **kw)
            self.t += sweep if learn.frozen_to == 0 else 0.0
            return finder

        class Tick(Callback):
            def after_batch(self):
                if self.learn.training and self.learn.frozen_to == 0:
                    machine.t += batch

        monkeypatch.setattr(precompute, "compute_features", timed_features)
        monkeypatch.setattr(ConvLearner, "lr_find", timed_lr_find)
        monkeypatch.setattr(ConvLearner, "default_cbs", lambda learn: cbs(learn) + [Tick()])

    def __call__(self) -> float:
        return self.t


def test_budget_skips_fine_tuning_once_lr_find_has_timed_a_batch(tiny_path, capsys, monkeypatch):
    # everything is instant but the sweep after unfreeze: 12 min of a 14 min budget, so its batches price the
    # fine-tuning (4 batches at 12 min / the sweep's batches) at 4 min or more, with 2 min left
    machine = FakeMachine(monkeypatch, sweep=12 * 60)
    summary = main(["--data", str(tiny_path), *MINI, "--budget", "14"], clock=machine).set_index("step")
    out = capsys.readouterr().out
    assert "skipped: fine-tuning the unfrozen network would take about" in out
    assert "skipped: lr_find after unfreeze" not in out and "accuracy without TTA" in out  # only that check failed
    step4 = summary.index[summary.index.str.startswith("4.")][0]
    assert summary.loc[step4, "kept"] == "skipped (--budget)" and summary.loc[step4, "epochs"] == 0
    assert summary.kept.eq("skipped (--budget)").sum() == 1
    # step 3's model stands: unfreeze() undone, and the saved weights are those saved after step 3
    learn = machine.learn
    assert learn.frozen_to == len(learn.groups) - 1
    assert not any(p.requires_grad for p in learn.groups[0].parameters())
    models = tiny_path / "models"
    saved, step3 = (torch.load(models / f"{nm}.pt", weights_only=True) for nm in ("dogscats_resnet_mini_32", "step3"))
    assert saved["frozen_to"] == step3["frozen_to"] == len(learn.groups) - 1
    assert saved["model"].keys() == step3["model"].keys()
    assert all(torch.equal(saved["model"][k], step3["model"][k]) for k in step3["model"])
    side = json.loads((models / "dogscats_resnet_mini_32.json").read_text())
    assert side["step"][:2] in ("2.", "3.")


def test_budget_skips_tta_when_fine_tuning_ran_long(tiny_path, capsys, monkeypatch):
    # a body pass costs 1 s per image: the build of 54 images leaves 426 s of 8 min, enough for the estimates of
    # step 3 (48 s) and step 4 (400 s); the sweep (60 s) and 4 fine-tuning batches of 80 s leave 46 s, and TTA's
    # 5 passes over 16 validation images are estimated at 80 s
    machine = FakeMachine(monkeypatch, body=1, sweep=60, batch=80)
    summary = main(["--data", str(tiny_path), *MINI, "--budget", "8"], clock=machine).set_index("step")
    out = capsys.readouterr().out
    assert "skipped: TTA would take about 80 s and only 46 s are left (--budget)" in out
    assert summary.kept.eq("skipped (--budget)").sum() == 1 and "accuracy without TTA" not in out
    step4 = summary.index[summary.index.str.startswith("4.")][0]
    assert summary.loc[step4, "epochs"] == 1 and summary.loc[step4, "kept"] != "skipped (--budget)"
    tta = summary.index[summary.index.str.startswith("5.")][0]
    assert summary.loc[tta, "kept"] == "skipped (--budget)" and summary.loc[tta, "epochs"] == 0
    side = json.loads((tiny_path / "models" / "dogscats_resnet_mini_32.json").read_text())
    assert side["step"][:2] in ("2.", "3.", "4.")


def test_budget_estimates_from_a_cache_an_earlier_run_left(tiny_path, capsys, monkeypatch):
    # the second run reads the activations the first one saved: its estimates come from one timed batch of the
    # body (1 s per image here), not from a "build" that only loaded a file and would price step 3 at nothing
    main(["--data", str(tiny_path), *MINI, "--budget", "600"], clock=FakeClock(1))
    assert "computing activations" in capsys.readouterr().out
    machine = FakeMachine(monkeypatch, body=1)
    predict = ConvLearner.predict_array

    def timed_predict(learn, x):
        machine.t += len(x)
        return predict(learn, x)

    monkeypatch.setattr(ConvLearner, "predict_array", timed_predict)
    main(["--data", str(tiny_path), *MINI, "--budget", "600"], clock=machine)
    out = capsys.readouterr().out
    assert "computing activations" not in out
    step3 = out[out.index("3. "):]
    assert "estimate: about 48 s" in step3[:step3.index("epoch")]   # the frozen epochs over train + valid at 1 s an image


def test_lang_zh_prints_in_chinese_and_computes_the_same(tiny_path, capsys, chosen):
    from course_lib.lang import language
    en = main(["--data", str(tiny_path), *MINI])
    out_en = capsys.readouterr().out
    zh = main(["--data", str(tiny_path), *MINI, "--lang", "zh"])
    out_zh = capsys.readouterr().out
    assert language() == "en"  # --lang held for that run only
    # the same figures and decisions; the returned table keeps English keys for code, the step names are translated
    assert list(zh.columns) == list(en.columns) and list(zh.kept) == list(en.kept)
    np.testing.assert_allclose(zh.accuracy, en.accuracy)
    assert list(zh.step.str[:2]) == list(en.step.str[:2]) and zh.step.iloc[0] != en.step.iloc[0]
    assert "\n== summary" in out_en and "kept the model of" in out_en and "汇总" not in out_en
    assert "\n== 汇总" in out_zh and "保留了“" in out_zh and "估计：大约" in out_zh and "准确率" in out_zh
    assert "== summary" not in out_zh and "kept the model of" not in out_zh and "estimate: about" not in out_zh
    acc = f"{en.accuracy.iloc[-1]:.4f}"
    assert f"with TTA {acc}" in out_en and f"用了之后 {acc}" in out_zh


def test_the_command_line_reports_a_users_mistake_without_a_traceback(tmp_path, capsys, monkeypatch):
    import sys
    import pytest
    from course_lib.__main__ import cli
    monkeypatch.setattr(sys, "argv", ["course_lib", "--data", str(tmp_path / "nowhere"), "--quick"])
    with pytest.raises(SystemExit) as e:
        cli()
    err = capsys.readouterr().err
    assert e.value.code == 1 and "Traceback" not in err
    assert f"course_lib: error: Data folder {tmp_path / 'nowhere'} does not exist" in err
    monkeypatch.setenv("COURSE_LIB_DEBUG", "1")  # where it happened, for a bug report
    with pytest.raises(FileNotFoundError):
        cli()
    # a misspelt architecture is a usage error before anything is built
    monkeypatch.setattr(sys, "argv", ["course_lib", "--arch", "resnet43"])
    with pytest.raises(SystemExit) as e:
        cli()
    assert e.value.code == 2 and "Unknown architecture 'resnet43'; available:" in capsys.readouterr().err
