"""The README's main command, end to end on tiny data (quick mode), with the offline default backbone."""
from course_lib.__main__ import main


def test_main_runs_the_recipe_and_saves(tiny_path, capsys):
    summary = main(["--data", str(tiny_path), "--quick", "--sz", "32", "--bs", "8", "--workers", "0"])
    out = capsys.readouterr().out
    assert list(summary.step.str[:2]) == ["2.", "3.", "4.", "5."]
    assert list(summary.epochs) == [1, 1, 1, 0]  # --quick: one epoch (or cycle) per step, none for TTA
    assert f"with TTA {summary.accuracy.iloc[-1]:.4f}" in out  # the table holds what the run printed
    assert "suggested lr" in out and "accuracy without TTA" in out
    assert (tiny_path / "models" / "dogscats_efficientnet_lite0_32.pt").is_file()
    assert {p.name for p in (tiny_path / "plots").iterdir()} == {"lr_find.png", "sgdr.png", "unfreeze_cycle_mult2.png"}
