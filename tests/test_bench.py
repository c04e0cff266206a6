"""`keras-gans bench`: a tiny run prints a table and appends CSV rows (no timing asserts)."""

import csv

import keras

from keras_gans.bench import CSV_FIELDS, append_csv
from keras_gans.cli import main


def test_bench_prints_table_and_appends_csv(tmp_path, capsys):
    path = tmp_path / "bench.csv"
    argv = ["bench", "--variants", "gan", "--batch-size", "8", "--steps", "1",
            "--warmup", "1", "--csv", str(path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"backend {keras.backend.backend()}" in out
    table = [line for line in out.splitlines() if line.startswith("| gan ")]
    assert len(table) == 1

    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == list(CSV_FIELDS)
    assert [(r["variant"], r["batch_size"]) for r in rows] == [("gan", "8")]
    for r in rows:
        assert r["backend"] == keras.backend.backend()
        assert r["keras"] == keras.__version__
        assert int(r["cores"]) >= 1 and r["cpu"]
        for field in ("steps_per_s", "images_per_s", "compile_s", "peak_rss_mb"):
            assert float(r[field]) > 0, field

    # A second run appends, without a second header.
    append_csv(path, rows[:1])
    with open(path) as f:
        assert len(list(csv.DictReader(f))) == 2


def test_bench_unknown_variant_is_one_line(capsys):
    assert main(["bench", "--variants", "dcgna"]) == 2
    err = capsys.readouterr().err
    assert "dcgan" in err and "Traceback" not in err
