"""`keras-gans bench`: a tiny run prints a table and appends CSV rows (no timing asserts)."""

import csv

import keras
import pytest

from keras_gans.bench import CSV_FIELDS, append_csv
from keras_gans.cli import main


@pytest.mark.slow
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


@pytest.mark.slow
def test_tutorial_networks_with_keras_gans_layers_are_the_keras_networks():
    """benchmarks/run.py's keras_gans side builds the tutorial networks from
    keras_gans.layers: same weights from the same seed, same layer types as
    Keras' (subclasses), the same outputs."""
    import numpy as np

    from benchmarks.reference import tutorial

    g_k, d_k = tutorial.keras_networks(0)
    g_o, d_o = tutorial.keras_networks(0, keras_gans_layers=True)
    x = np.random.default_rng(0).standard_normal((4, tutorial.LATENT_DIM)).astype("float32")
    for net_k, net_o in ((g_k, g_o), (d_k, d_o)):
        # (Layer names differ by their counters: the second build is dense_2, ...)
        assert [(w.name, tuple(w.shape)) for w in net_k.weights] == [
            (w.name, tuple(w.shape)) for w in net_o.weights]
        for a, b in zip(net_k.get_weights(), net_o.get_weights()):
            np.testing.assert_array_equal(a, b)
        for lk, lo in zip(net_k.layers, net_o.layers):
            assert isinstance(lo, type(lk))
    assert any(type(lo).__module__.startswith("keras_gans") for lo in g_o.layers)
    img_k = keras.ops.convert_to_numpy(g_k(x, training=True))
    img_o = keras.ops.convert_to_numpy(g_o(x, training=True))
    np.testing.assert_allclose(img_o, img_k, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(d_o(img_k)),
                               keras.ops.convert_to_numpy(d_k(img_k)), rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_bench_dtype_policies_give_ratios_and_restore_the_policy(tmp_path, capsys):
    path = tmp_path / "bench.csv"
    argv = ["bench", "--variants", "gan", "--batch-size", "8", "--steps", "1",
            "--warmup", "1", "--dtype-policy", "float32", "mixed_bfloat16",
            "--csv", str(path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "| gan " in out and "mixed_bfloat16" in out and "x float32" in out
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert [r["note"] for r in rows] == ["dtype_policy=float32", "dtype_policy=mixed_bfloat16"]
    assert float(rows[0]["ratio"]) == 1.0 and float(rows[1]["ratio"]) > 0
    assert keras.config.dtype_policy().name == "float32"


def test_bench_unknown_dtype_policy_is_one_line(capsys):
    assert main(["bench", "--variants", "gan", "--dtype-policy", "mixed_float8"]) == 2
    assert "Unknown --dtype-policy 'mixed_float8'" in capsys.readouterr().err
