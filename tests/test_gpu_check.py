"""benchmarks/gpu_check.py, the prepared GPU check, run end to end on CPU so it never rots.

``--tiny --device cpu`` for this process' backend (and, for the one-step
equality, a second backend), in subprocesses; then its CSV and summary are read.
Its failure paths are tested too: a GPU asked for where none is visible, weights
that differ, a step that moved nothing, a variable on the wrong device.
"""

import csv
import importlib.util
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from benchmarks import gpu_check

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The equality's second backend: the cheapest other one to start.
PARTNER = {"jax": "torch", "tensorflow": "torch", "torch": "tensorflow"}


def _run(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if k != "OUT"}
    return subprocess.run(
        [sys.executable, os.path.join(ROOT, "benchmarks", "gpu_check.py"), *args,
         "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)


def _rows(tmp_path):
    with open(tmp_path / "gpu_check.csv") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_tiny_run_on_cpu_writes_every_check(tmp_path):
    backend = keras.backend.backend()
    partner = PARTNER[backend]
    equality = [backend] + ([partner] if importlib.util.find_spec(partner) else [])
    proc = _run(tmp_path, "--tiny", "--device", "cpu", "--backends", backend,
                "--equality-backends", ",".join(equality), "--variants", "gan,dcgan")
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "gpu_check: PASS" in proc.stderr
    rows = _rows(tmp_path)
    assert list(rows[0]) == list(gpu_check.fields())

    # 1. Every variant fitted, its variables on the CPU asked for, finite losses.
    variants = [r for r in rows if r["phase"] == "variants"]
    assert [(r["backend"], r["variant"]) for r in variants] == [(backend, "gan"),
                                                              (backend, "dcgan")]
    for r in variants:
        assert r["passed"] == "True", r
        assert "on cpu" in r["detail"] and float(r["steps_per_s"]) > 0
        assert r["device"].startswith("CPU")

    # 2. The one-step equality: each case's variables on the CPU, and, with two
    # backends, the same new weights for each case.
    eq = [r for r in rows if r["phase"] == "equality"]
    placed = {(r["side"], r["variant"]) for r in eq if r["check"] == "step_on_device"}
    cases = gpu_check.TINY_CASES.split(",")
    assert placed == {(f"{b}:cpu", c) for b in equality for c in cases}
    same = [r for r in eq if r["check"] == "same_new_weights"]
    if len(equality) == 2:
        assert sorted(r["variant"] for r in same) == sorted(cases)
        for r in same:
            assert r["passed"] == "True", r
            assert r["side"] == f"{backend}:cpu vs {partner}:cpu"
            assert "max_abs_diff=" in r["note"] and f"atol={gpu_check.ATOL}" in r["note"]
    assert all(r["passed"] == "True" for r in eq if r["check"] == "step_on_device")

    # 3. The compare suite: keras_gans, its mixed_bfloat16 build and this
    # backend's hand-written step, with ratios.
    cmp_rows = [r for r in rows if r["phase"] == "compare"]
    sides = {r["side"] for r in cmp_rows}
    pure = {"jax": "pure_jax", "torch": "pure_torch", "tensorflow": "pure_tf"}[backend]
    assert {"keras_gans", "keras_gans_mixed_bfloat16", pure} <= sides
    for r in cmp_rows:
        assert float(r["steps_per_s"]) > 0 and r["batch_size"] == "8"
        if r["side"] != "keras_gans":
            assert float(r["ratio"]) > 0 and r["ratio_to"] == "keras_gans/" + r["side"]

    summary = (tmp_path / "gpu_check.md").read_text()
    assert summary.startswith("# gpu_check: PASS")
    for heading in ("## Variants", "## One-step equality", "## Compare"):
        assert heading in summary
    assert "keras_gans_mixed_bfloat16" in summary and (tmp_path / "gpu_check.log").exists()


@pytest.mark.slow
def test_gpu_asked_for_where_none_is_visible_fails_clearly(tmp_path):
    backend = keras.backend.backend()
    env_gpu = {"jax": "jax", "torch": "torch", "tensorflow": "tensorflow"}[backend]
    if _sees_gpu(env_gpu):
        pytest.skip("a GPU is visible here")
    proc = _run(tmp_path, "--tiny", "--device", "gpu", "--backends", backend,
                "--phases", "variants", "--variants", "gan")
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert f"no GPU visible to {backend}" in proc.stderr
    summary = (tmp_path / "gpu_check.md").read_text()
    assert summary.startswith("# gpu_check: FAIL") and f"no GPU visible to {backend}" in summary
    assert [r["passed"] for r in _rows(tmp_path)] == ["False"]


def _sees_gpu(backend):
    if backend == "torch":
        import torch

        return torch.cuda.is_available()
    if backend == "jax":
        import jax

        return jax.default_backend() != "cpu"
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def _step(seed=0, scale=0.1):
    rng = np.random.default_rng(seed)
    before = rng.standard_normal((3, 4))
    return {"gan/0/w": before + scale * rng.standard_normal((3, 4)), "gan/0/w/before": before}


def test_equality_comparison_can_fail():
    a = _step()
    ok, worst, _, _ = gpu_check.compare_npz(a, dict(a))["gan"]
    assert ok and worst == 0.0
    b = dict(a, **{"gan/0/w": a["gan/0/w"] + 1e-3})  # outside rtol 1e-4, atol 2e-5
    ok, worst, _, detail = gpu_check.compare_npz(a, b)["gan"]
    assert not ok and worst == pytest.approx(1e-3) and "outside rtol" in detail
    still = _step(scale=0.0)  # a step that moved nothing proves nothing
    ok, _, _, detail = gpu_check.compare_npz(still, dict(still))["gan"]
    assert not ok and "proves nothing" in detail


def test_placement_names_variables_off_the_device():
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    here = gpu_check.device_kind(layer.weights[0].value)  # "cpu" on CI
    assert gpu_check.placement(layer.weights, here) == (True, f"{here}=2 (all 2 on {here})")
    other = "gpu" if here == "cpu" else "cpu"
    ok, detail = gpu_check.placement(layer.weights, other)
    assert not ok and f"expected all on {other}" in detail and "kernel" in detail
