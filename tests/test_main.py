"""The README's main command, end to end on tiny data (quick mode), with the bundled offline backbone."""
from course_lib.__main__ import main


def test_main_runs_the_recipe_and_saves(tiny_path, capsys):
    summary = main(["--data", str(tiny_path), "--quick", "--sz", "32", "--bs", "8", "--workers", "0"])
    out = capsys.readouterr().out
    assert list(summary.step.str[:2]) == ["2.", "3.", "4.", "5."]
    assert summary.accuracy.between(0, 1).all()
    assert "suggested lr" in out and "accuracy without TTA" in out
    assert (tiny_path / "models" / "dogscats_resnet_mini_32.pt").is_file()
    assert {p.name for p in (tiny_path / "plots").iterdir()} == {"lr_find.png", "sgdr.png", "unfreeze_cycle_mult2.png"}
