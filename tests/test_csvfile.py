"""csvfile's writer: one dialect, read back exactly by csvfile's reader."""
from course_lib.csvfile import read_csv, write_csv


def test_write_csv_round_trips_through_read_csv(tmp_path):
    rows = [["007", "a, b"], ["NA", 'say "hi"'], ["x", "提示"]]
    fn = write_csv(tmp_path / "out.csv", ["id", "hint"], iter(rows))
    assert fn == tmp_path / "out.csv"
    raw = fn.read_bytes()
    assert b"\r" not in raw and raw.startswith(b"id,hint\n007,") and raw.endswith(b"\n")
    df = read_csv(fn)
    assert list(df.columns) == ["id", "hint"] and df.values.tolist() == rows
