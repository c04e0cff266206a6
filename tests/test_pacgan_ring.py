"""benchmarks/papers/pacgan_ring.py: its scoring and its --tiny run.

The scores are checked against cases with known answers (the ring's own data
covers 8 of 8 modes, nearly all within 3σ, reverse KL near 0; one mode gives
reverse KL log 8), and --tiny must write one CSV line per row with finite
scores; the numbers of the real table are in docs/paper_tables.md.
"""

import csv

import numpy as np
import pytest
from paper_runners import load_runner


def _runner():
    return load_runner("pacgan_ring")


def test_ring_and_scores_have_the_papers_answers():
    from keras_gans.metrics import mode_coverage

    runner = _runner()
    modes = runner.ring_modes()
    np.testing.assert_allclose(np.linalg.norm(modes, axis=1), 1.0, rtol=1e-6)
    x = runner.ring_data(2500, seed=3)
    score = mode_coverage(x, modes, runner.STD)
    assert score["modes_covered"] == 8 and score["high_quality_fraction"] > 0.98
    assert runner.reverse_kl(x, modes) < 0.01
    one_mode = np.repeat(modes[:1], 100, axis=0)
    np.testing.assert_allclose(runner.reverse_kl(one_mode, modes), np.log(8), rtol=1e-6)
    two = np.concatenate([np.repeat(modes[:1], 50, 0), np.repeat(modes[4:5], 50, 0)])
    np.testing.assert_allclose(runner.reverse_kl(two, modes), np.log(4), rtol=1e-6)


def test_tiny_run_writes_one_line_per_row(tmp_path):
    runner = _runner()
    out = tmp_path / "ring.csv"
    runner.main(["--tiny", "--out", str(out), "--doc", str(tmp_path / "t.md")])
    with open(out) as f:
        lines = list(csv.DictReader(f))
    assert [r["row"] for r in lines] == list(runner.ROWS)
    for r in lines:
        assert 0 <= int(r["modes"]) <= 8
        assert 0.0 <= float(r["high_quality"]) <= 100.0
        assert 0.0 <= float(r["reverse_kl"]) <= np.log(8) + 1e-6
        assert int(r["steps"]) > 0
    assert not (tmp_path / "t.md").exists()  # --tiny leaves the docs alone


def test_paper_networks_are_the_pacgan_codes():
    """--networks paper: the PacGAN code's generator (4 x 400, BatchNorm, no
    bias) and maxout discriminator (3 x 200 units x 5 pieces), packed for PacGAN2."""
    import keras

    runner = _runner()
    g, d = runner.paper_networks(packing=2)
    dense = [layer for layer in g.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [400, 400, 400, 400, 2]
    assert [layer.use_bias for layer in dense] == [False] * 4 + [True]
    assert sum(isinstance(layer, runner.Maxout) for layer in d.layers) == 3
    pack = d.get_layer("packing")
    assert pack.packing == 2
    out = d(np.zeros((8, 2), "float32"))
    assert tuple(out.shape) == (4, 1)  # 8 samples -> 4 packs -> 4 scores
    h = keras.ops.convert_to_tensor(np.array([[[1.0, -2.0, 3.0], [0.0, -1.0, -0.5]]]))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(runner.Maxout()(h)), [[3.0, 0.0]])


def test_paper_networks_tiny_run_and_resume(tmp_path, monkeypatch):
    runner = _runner()
    out = tmp_path / "ring.csv"
    args = ["--tiny", "--networks", "paper", "--rows", "GAN", "PacGAN2",
            "--out", str(out), "--doc", str(tmp_path / "t.md")]
    first = runner.main(args)
    assert [r["row"] for r in first] == ["GAN", "PacGAN2"]
    # the PacGAN code's batch is 100 packs: PacGAN2 sees twice the samples in
    # as many steps as GAN
    assert first[1]["batch_size"] == 2 * first[0]["batch_size"]
    assert first[1]["steps"] == first[0]["steps"]

    def no_training(*a, **k):
        raise AssertionError("--resume trained a row that was already measured")

    monkeypatch.setattr(runner, "run_one", no_training)
    again = runner.main([*args, "--resume"])
    assert [(r["row"], r["modes"]) for r in again] == [(r["row"], r["modes"]) for r in first]
    # a file measured with other settings is not silently mixed in
    with pytest.raises(SystemExit, match="other settings"):
        runner.main(["--tiny", "--rows", "GAN", "--out", str(out), "--doc",
                     str(tmp_path / "t.md"), "--resume"])
