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


def test_a_gbk_labels_file_from_chinese_excel_keeps_its_chinese_labels(tmp_path):
    import pytest
    fn = tmp_path / "labels.csv"
    fn.write_bytes("id,breed\r\n1,金毛寻回犬\r\n2,猫\r\n3,dog\r\n".encode("gbk"))
    with pytest.warns(UserWarning, match=r"labels\.csv is not UTF-8; read it as GB18030 .*CSV UTF-8"):
        df = read_csv(fn)
    assert df["breed"].tolist() == ["金毛寻回犬", "猫", "dog"]
    # Latin-1 text (lone accented letters) is not mistaken for Chinese
    fn.write_bytes("id,name\n1,café\n2,Müller\n3,ß\n".encode("latin-1"))
    with pytest.warns(UserWarning, match="read it as Latin-1"):
        df = read_csv(fn)
    assert df["name"].tolist() == ["café", "Müller", "ß"]
