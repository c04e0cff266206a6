"""What a newcomer hit on a first run (issue 23): every numeric flag checked,
failed starts that leave nothing behind, root causes named in the one error
line, a quiet console, no file overwritten silently."""

import argparse
import json
import os
import re
import subprocess
import sys

import keras
import pytest

from keras_gans.cli import main, parser
from keras_gans.cli._common import one_line

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--dataset", "digits", "--limit", "64", "--batch-size", "32"]


def _numeric_actions():
    """(command, flag, type) of every int/float flag of every command."""
    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    for command, p in sub.choices.items():
        for action in p._actions:
            if action.option_strings and action.type not in (None, str) and not action.choices:
                yield command, action.option_strings[0], action.type


def test_every_numeric_flag_is_checked_and_refused_in_one_line(capsys):
    found = list(_numeric_actions())
    assert len(found) >= 25  # train, sample, interpolate, translate, project, evaluate, bench
    for command, flag, kind in found:
        # a plain int/float would let 0 or -5 through to a crash or a useless run
        assert hasattr(kind, "minimum"), f"{command} {flag} is not range-checked"
        bad = kind.minimum - 1 if kind.inclusive else kind.minimum
        argv = {"sample": ["sample", "m.keras", "--out", "x.png"],
                "interpolate": ["interpolate", "m.keras", "--out", "x.png"],
                "translate": ["translate", "m.keras", "--input-dir", "d", "--out", "o"],
                "project": ["project", "m.keras", "d", "--out", "o"],
                "evaluate": ["evaluate", "m.keras", "--dataset", "mnist"],
                "export": ["export", "m.keras", "p"]}.get(command, [command])
        with pytest.raises(SystemExit) as exit_info:
            main([*argv, flag, str(bad)])
        err = capsys.readouterr().err.strip().splitlines()
        assert exit_info.value.code == 2, (command, flag)
        assert len(err) == 1 and err[0].startswith("error: "), (command, flag, err)
        assert flag in err[0] and "must be" in err[0], err[0]


def test_zero_or_negative_counts_are_refused_before_anything_runs(tmp_path, capsys):
    for argv in (["train", "dcgan", "--epochs", "0"], ["train", "dcgan", "--epochs", "-2"],
                 ["train", "dcgan", "--batch-size", "0"], ["sample", "x", "--n", "0"],
                 ["sample", "x", "--n", "-5"]):
        with pytest.raises(SystemExit):
            main([*argv, "--out", str(tmp_path / "out")])
        assert "must be at least 1" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"variant": "dcgan", "epochs": 0}))
    assert main(["train", "--recipe", str(recipe), "--out", str(tmp_path / "out")]) == 2
    assert "--epochs must be at least 1" in capsys.readouterr().err


class _FailInFirstEpoch(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        raise ModuleNotFoundError("No module named 'somebackend'")


def _fail_first_epoch(monkeypatch):
    from keras_gans.cli import train_data

    real = train_data.fit_inputs

    def failing(*args, **kwargs):
        data, callbacks = real(*args, **kwargs)
        return data, [*callbacks, _FailInFirstEpoch()]

    monkeypatch.setattr(train_data, "fit_inputs", failing)


@pytest.mark.slow
def test_a_run_that_fails_in_its_first_epoch_leaves_nothing_behind(tmp_path, monkeypatch,
                                                                   capsys):
    out = tmp_path / "run"
    with monkeypatch.context() as m:
        _fail_first_epoch(m)
        assert main(["train", "dcgan", *TINY, "--epochs", "1", "--out", str(out)]) == 2
        assert "No module named 'somebackend'" in capsys.readouterr().err
        assert not out.exists()
        # an empty folder the user made stays, and stays empty
        out.mkdir()
        assert main(["train", "dcgan", *TINY, "--epochs", "1", "--out", str(out)]) == 2
        assert out.is_dir() and not os.listdir(out)
    # the corrected retry is not refused
    assert main(["train", "dcgan", *TINY, "--epochs", "1", "--out", str(out)]) == 0
    before = {p: (out / p).read_bytes() for p in ("recipe.json", "model.keras")}
    # --overwrite whose new run fails before an epoch puts the old run back
    with monkeypatch.context() as m:
        _fail_first_epoch(m)
        assert main(["train", "dcgan", *TINY, "--epochs", "1", "--out", str(out),
                     "--overwrite"]) == 2
    assert {p: (out / p).read_bytes() for p in before} == before
    assert not [p for p in os.listdir(tmp_path) if "replaced" in p]
    # a translator is refused before anything is written
    assert main(["train", "cyclegan", "--out", str(tmp_path / "cg")]) == 2
    assert "two domains" in capsys.readouterr().err
    assert not (tmp_path / "cg").exists()


@pytest.mark.slow
def test_recipe_json_records_each_run_and_whether_it_resumed(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "dcgan", *TINY, "--epochs", "1", "--out", str(out)]) == 0
    assert main(["train", "dcgan", *TINY, "--epochs", "2", "--out", str(out), "--resume"]) == 0
    recipe = json.loads((out / "recipe.json").read_text())
    assert [r["resume"] for r in recipe["runs"]] == [False, True]
    assert [r["epochs"] for r in recipe["runs"]] == [1, 2]
    assert "resume" not in recipe and recipe["variant"] == "dcgan"


def test_an_error_keras_wraps_is_named_by_its_root_cause():
    class NeedsABackend(keras.layers.Layer):
        def call(self, x):
            import not_an_installed_backend  # noqa: F401

            return x

    with pytest.raises(ModuleNotFoundError) as info:
        NeedsABackend()(keras.ops.ones((1, 2)))
    assert str(info.value).startswith("Exception encountered")  # what Keras raises
    line = one_line(info.value)
    assert line.startswith("ModuleNotFoundError: No module named 'not_an_installed_backend'")
    assert "(in NeedsABackend" in line and "\n" not in line and "\x1b" not in line


def test_evaluate_json_never_overwrites_silently(tmp_path, capsys):
    result = tmp_path / "fid.json"
    result.write_text("keep me")
    assert main(["evaluate", "dcgan_mnist", "--dataset", "mnist", "--n", "2",
                 "--json", str(result)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert result.read_text() == "keep me"


# abseil's native log line: "I0000 00:00:1796524474.316450    2407 port.cc:153] ..."
NATIVE = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+:\d+\]|absl::InitializeLog")


@pytest.mark.slow
def test_the_command_keeps_native_log_lines_off_the_console(tmp_path):
    env = {**os.environ, "PYTHONPATH": ROOT}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # what a user's shell has
    argv = [sys.executable, "-m", "keras_gans.cli", "train", "dcgan", *TINY, "--epochs", "1"]
    done = subprocess.run([*argv, "--out", str(tmp_path / "a")], capture_output=True,
                          text=True, env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert not [ln for ln in (done.stdout + done.stderr).splitlines() if NATIVE.search(ln)]
    if keras.backend.backend() == "tensorflow":  # TensorFlow logs at import, and in fit
        debug = subprocess.run([*argv[:3], "--debug", *argv[3:], "--out", str(tmp_path / "b")],
                               capture_output=True, text=True, env=env, timeout=600,
                               check=False)
        assert debug.returncode == 0, debug.stderr
        assert [ln for ln in debug.stderr.splitlines() if NATIVE.search(ln)]


def test_every_command_has_an_example_and_train_names_every_variant(capsys):
    from keras_gans.models import VARIANTS

    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    for command, p in sub.choices.items():
        assert "example" in (p.epilog or ""), f"keras-gans {command} --help has no example"
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert all(name in text for name in VARIANTS)


@pytest.mark.slow
def test_keras_tensorboard_callback_runs_on_this_install(tmp_path):
    """keras.callbacks.TensorBoard needs the tensorboard package, which
    tensorflow-cpu does not bring: the [tensorflow] extra does."""
    pytest.importorskip("tensorflow", reason="TensorBoard's writer is TensorFlow's")
    import numpy as np

    import keras_gans as kg

    model = kg.GAN(data_shape=(8, 8, 1), latent_dim=4, hidden=(8,))
    model.compile()
    x = np.zeros((16, 8, 8, 1), "float32")
    model.fit(x, batch_size=8, epochs=1, verbose=0,
              callbacks=[keras.callbacks.TensorBoard(str(tmp_path / "logs"))])
    events = [f for _, _, files in os.walk(tmp_path / "logs") for f in files]
    assert any(f.startswith("events.out.tfevents") for f in events)
