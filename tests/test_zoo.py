"""The shipped zoo: every entry loads by name on this backend, reproduces the
output and the metric its card records, and meets the zoo's quality bar.

The entries were trained by ``zoo/recipes/train_preset.py`` (on TensorFlow);
these tests load them on every backend, so a preset that only works where it
was written, or a card whose numbers are not those of its weights, fails here.
"""

import json
import os

import numpy as np
import pytest

from keras_gans import presets
from keras_gans.metrics import evaluate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZOO = os.path.join(ROOT, "zoo")
ENTRIES = sorted(d for d in os.listdir(ZOO) if os.path.exists(os.path.join(ZOO, d,
                                                                           "metadata.json")))
ANCHOR = os.path.join(ZOO, "anchor.json")
CARD_KEYS = ("description", "dataset", "dataset_license", "paper", "recipe", "backend",
             "hardware", "wall_time_s", "epochs_trained", "best_epoch", "seed", "metrics",
             "parameters", "sha256", "check", "selection")


def _meta(name):
    return presets.read_metadata(name)


_LOADED = {}


def _model(name):
    """Each entry is loaded once per run (two tests use it)."""
    if name not in _LOADED:
        _LOADED[name] = presets.from_preset(name)
    return _LOADED[name]


def _metric(meta, prefix):
    found = [v for k, v in meta["metrics"].items() if k.startswith(prefix)
             and not k.endswith("_std")]
    assert len(found) == 1, (prefix, meta["metrics"])
    return found[0]


def test_the_zoo_has_entries_and_stays_under_100_mb():
    assert ENTRIES, "no trained entry under zoo/"
    size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(ZOO) for f in fs)
    assert size < 100 * 2**20, f"zoo/ is {size / 2**20:.1f} MB"


@pytest.mark.parametrize("name", ENTRIES)
def test_every_card_is_complete_and_names_its_protocol(name):
    meta = _meta(name)
    missing = [k for k in CARD_KEYS if k not in meta]
    assert not missing, missing
    assert set(meta["sha256"]) == {"config.json", "model.weights.h5", "samples.png"}
    assert name in meta["recipe"] and "zoo/recipes/" in meta["recipe"]
    # the zoo protocol: 10k samples against the test split, the shipped classifier
    fid_key = f"fid_{meta['dataset']}_classifier_test_10k"
    assert fid_key in meta["metrics"], sorted(meta["metrics"])
    assert all(k.endswith(("_10k", "_10k_std")) for k in meta["metrics"]), meta["metrics"]
    assert 1 <= meta["best_epoch"] <= meta["epochs_trained"] == len(meta["history"])


@pytest.mark.parametrize("name", ENTRIES)
def test_every_entry_loads_by_name_and_reproduces_its_output_here(name):
    meta = _meta(name)
    model = _model(name)
    assert type(model).__name__ == meta["variant"]
    expected, got = presets.run_output_check(model, meta["check"])
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", ENTRIES)
def test_every_entry_measures_here_what_chose_its_epoch(name):
    """The per-epoch FID that chose the kept epoch, recomputed from the shipped
    weights on this backend: the card's numbers are those of these weights."""
    meta = _meta(name)
    sel = meta["selection"]
    model = _model(name)
    got = evaluate(model, meta["dataset"], ["fid"], n=sel["n"], seed=sel["seed"])
    assert list(got) == [sel["metric"]]
    np.testing.assert_allclose(got[sel["metric"]], sel["value"], rtol=0.01)


def _anchor():
    with open(ANCHOR, encoding="utf-8") as f:
        return json.load(f)


def test_unconditional_mnist_entries_beat_the_tutorial_anchor():
    """The zoo's bar: every unconditional MNIST entry beats the TensorFlow
    tutorial's DCGAN (5 epochs, as a user trains it) on FID; the best by 2x."""
    anchor_fid = _metric(_anchor(), "fid_mnist_classifier_test_10k")
    fids = {n: _metric(_meta(n), "fid_mnist_classifier_test_10k") for n in ENTRIES
            if _meta(n)["dataset"] == "mnist" and "conditional_accuracy" not in
            "".join(_meta(n)["metrics"])}
    assert fids, "no unconditional MNIST entry"
    worse = {n: f for n, f in fids.items() if f >= anchor_fid}
    assert not worse, (worse, anchor_fid)
    assert min(fids.values()) * 2 <= anchor_fid, (fids, anchor_fid)


@pytest.mark.parametrize("name", [n for n in ENTRIES if "conditional_accuracy" in
                                  "".join(_meta(n)["metrics"])])
def test_conditional_entries_draw_the_label_asked_for(name):
    assert _metric(_meta(name), "conditional_accuracy_") >= 0.97


def test_readme_tables_are_the_cards():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "train_preset", os.path.join(ZOO, "recipes", "train_preset.py"))
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    text = recipe.table({n: _meta(n) for n in ENTRIES}, _anchor())
    for path in (os.path.join(ROOT, "README.md"), os.path.join(ZOO, "README.md")):
        with open(path, encoding="utf-8") as f:
            assert text in f.read(), f"{path}: rerun train_preset.py --table"
