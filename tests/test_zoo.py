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


DATA_DIR = os.environ.get("KERAS_GANS_DATA") or os.path.join(ROOT, "..", "shared", "datasets")
needs_data = pytest.mark.skipif(not os.path.exists(os.path.join(DATA_DIR, "usps.npz")),
                                reason="the offline datasets (../shared/datasets) are not here")


def _meta(name):
    return presets.read_metadata(name)


def _is_translation(name):
    return _meta(name).get("task") == "translation"


GENERATORS = [n for n in ENTRIES if not _is_translation(n)]
TRANSLATORS = [n for n in ENTRIES if _is_translation(n)]


def _recipe(filename):
    import importlib.util
    import sys

    sys.path.insert(0, os.path.join(ZOO, "recipes"))
    spec = importlib.util.spec_from_file_location(filename[:-3],
                                                  os.path.join(ZOO, "recipes", filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    assert 1 <= meta["best_epoch"] <= meta["epochs_trained"] == len(meta["history"])
    if _is_translation(name):
        # every direction on the whole source test split, scored by the target's
        # shipped classifier, next to the untranslated baseline
        # (horse <-> zebra: KID/FID against the target's test images instead)
        prefixes = ("kid_", "fid_") if meta["selection"].get("scoring") == "kid" else (
            "translation_accuracy_",)
        assert meta["metrics"] and all(k.startswith(prefixes) and "_test_" in k
                                       for k in meta["metrics"]), meta["metrics"]
        assert {"no_translation_" + k.replace("translation_accuracy_", "")
                for k in meta["metrics"]} == set(meta["baselines"])
        return
    if meta["selection"].get("scoring") == "transfer":
        # no classifier of its own: 10k samples against the test (and train)
        # images in the CIFAR-10 classifier's features
        for m in ("fid", "kid", "precision", "recall", "density", "coverage"):
            assert f"{m}_{meta['dataset']}_test_cifar10_classifier_10k" in meta["metrics"], m
        return
    # the zoo protocol: 10k samples against the test split, the shipped classifier
    fid_key = f"fid_{meta['dataset']}_classifier_test_10k"
    assert fid_key in meta["metrics"], sorted(meta["metrics"])
    assert all(k.endswith(("_10k", "_10k_std")) for k in meta["metrics"]), meta["metrics"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ENTRIES)
def test_every_entry_loads_by_name_and_reproduces_its_output_here(name):
    meta = _meta(name)
    model = _model(name)
    assert type(model).__name__ == meta["variant"]
    expected, got = presets.run_output_check(model, meta["check"])
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("name", GENERATORS)
def test_every_entry_measures_here_what_chose_its_epoch(name):
    """The per-epoch FID that chose the kept epoch, recomputed from the shipped
    weights on this backend: the card's numbers are those of these weights."""
    meta = _meta(name)
    sel = meta["selection"]
    model = _model(name)
    if sel.get("scoring") == "transfer":  # against the train images, another net's features
        if not os.path.exists(os.path.join(DATA_DIR, f"{meta['dataset']}.npz")):
            pytest.skip(f"the offline dataset {meta['dataset']}.npz (../shared/datasets) "
                        "is not here")
        got = _recipe("train_preset.py").measure_transfer(
            model, {"dataset": meta["dataset"]}, DATA_DIR, ["fid"], n=sel["n"],
            seed=sel["seed"], splits=(sel["split"],))
    else:
        got = evaluate(model, meta["dataset"], ["fid"], n=sel["n"], seed=sel["seed"])
    assert list(got) == [sel["metric"]]
    np.testing.assert_allclose(got[sel["metric"]], sel["value"], rtol=0.01)


@pytest.mark.slow
@needs_data
@pytest.mark.parametrize("name", TRANSLATORS)
def test_every_translator_measures_here_what_chose_its_epoch(name):
    """The selection accuracy (seeded train images of each source, scored by
    the target's shipped classifier), recomputed from the shipped weights on
    this backend."""
    meta = _meta(name)
    sel = meta["selection"]
    recipe = _recipe("train_translation_preset.py")
    entry = {"directions": [tuple(d) for d in sel["directions"]], "scoring": sel["scoring"],
             "load_pair": sel["load_pair"], "pair": sel["pair"], "size": sel["size"]}
    got = recipe.measure(_model(name), entry, sel["split"], sel["n"], sel["seed"], DATA_DIR)
    assert set(got) == set(sel["parts"])
    for key, value in got.items():
        if sel["scoring"] == "kid":
            np.testing.assert_allclose(value, sel["parts"][key], rtol=0.01, err_msg=key)
        else:  # one image of n may flip on another backend
            assert abs(value - sel["parts"][key]) <= 2.0 / sel["n"] + 1e-9, (key, value)


ERROR_PREFIX = "classification_error_percent_"
CLASSIFIERS = [n for n in GENERATORS if any(k.startswith(ERROR_PREFIX)
                                            for k in _meta(n)["metrics"])]


@pytest.mark.slow
@pytest.mark.parametrize("name", CLASSIFIERS)
def test_semi_supervised_entries_classify_the_test_digits_as_their_card_says(name):
    """The AAE paper's measure, re-measured from the shipped weights on this
    backend: the error of ``classify`` on the whole test split."""
    from keras_gans.data import load

    meta = _meta(name)
    if not os.path.exists(os.path.join(DATA_DIR, f"{meta['dataset']}.npz")):
        pytest.skip(f"the offline dataset {meta['dataset']}.npz is not here")
    x, y = load(meta["dataset"], split="test", data_dir=DATA_DIR)
    assert len(x) == 10_000
    error = 100.0 * float(np.mean(_model(name).classify(x) != y))
    # a few of 10,000 images may flip on another backend
    assert abs(error - _metric(meta, ERROR_PREFIX)) <= 0.05, error


@pytest.mark.slow
@needs_data
def test_the_semi_supervised_recipe_writes_a_preset_that_measures_what_its_card_says(
        tmp_path):
    recipe = _recipe("aae_semisupervised_mnist.py")
    out = tmp_path / "zoo" / "aae_semisupervised_mnist_100"
    args = ["--labels", "100", "--tiny", "--input-noise", "0.5", "--ema-decay", "0.9",
            "--run-dir",
            str(tmp_path / "run"), "--data-dir", DATA_DIR, "--preset", str(out)]
    recipe.main(args)
    meta = presets.read_metadata(str(out))
    assert "--input-noise 0.5" in meta["recipe"] and "aae_semisupervised_mnist_100" in \
        meta["recipe"] and "zoo/recipes/" in meta["recipe"]
    assert "input_noise=0.5" in meta["description"]
    assert meta["epochs_trained"] == len(meta["history"]) == meta["best_epoch"] == 1
    model = presets.from_preset(str(out))
    from keras_gans.data import load

    x, y = load("mnist", split="test", data_dir=DATA_DIR)
    error = 100.0 * float(np.mean(model.classify(x[:200]) != y[:200]))  # --tiny's test images
    assert meta["metrics"][recipe.ERROR_KEY] == pytest.approx(error, abs=1e-6)
    trained = 100.0 * float(np.mean(model.classify(x[:200], ema=False) != y[:200]))
    assert meta["metrics"]["trained_encoder_" + recipe.ERROR_KEY] == pytest.approx(trained,
                                                                                abs=1e-6)
    assert "--ema-decay 0.9" in meta["recipe"] and meta["settings"]["ema_decay"] == 0.9
    assert meta["history"][-1]["test_error_percent"] == pytest.approx(error, abs=2.0)
    with pytest.raises(SystemExit):  # nothing a user saved is overwritten silently
        recipe.main(args)


@pytest.mark.parametrize("name", [n for n in TRANSLATORS if _meta(n)["dataset"] in
                                  ("mnist2usps", "usps2mnist")])
def test_digit_translators_keep_the_label(name):
    """The zoo's bar for digit translation: >= 90% of translated test digits
    keep their label under the target's classifier (the DTN paper: 90.66% on
    SVHN -> MNIST)."""
    for key, value in _meta(name)["metrics"].items():
        assert value >= 0.90, (key, value)


@pytest.mark.parametrize("name", [n for n in TRANSLATORS
                                  if _meta(n)["selection"].get("scoring") == "kid"])
def test_unlabelled_translators_move_towards_the_target(name):
    """horse <-> zebra: in each direction the translations are closer (KID in
    the CIFAR-10 classifier's features) to the target's test images than the
    untranslated source images are."""
    meta = _meta(name)
    for key, value in meta["metrics"].items():
        if key.startswith("kid_"):
            assert value < meta["baselines"]["no_translation_" + key], (key, value)


@pytest.mark.slow
@needs_data
@pytest.mark.parametrize("name", [n for n in TRANSLATORS if "content" in _meta(n)])
def test_unlabelled_translators_keep_their_input(name):
    """KID says only that the translations look like the target domain, which a
    generator that ignores its input also achieves. The round trip
    x -> G(x) -> F(G(x)) must come back to each test image (its MSE under half
    that of unrelated test pairs), re-measured here on this backend."""
    meta = _meta(name)
    sel = meta["selection"]
    entry = {"directions": [tuple(d) for d in sel["directions"]],
             "load_pair": sel["load_pair"], "pair": sel["pair"]}
    got = _recipe("train_translation_preset.py").measure_content(_model(name), entry,
                                                                  DATA_DIR)
    assert set(got) == set(meta["content"])
    for key, value in got.items():
        np.testing.assert_allclose(value, meta["content"][key], rtol=0.02, atol=1e-4,
                                   err_msg=key)
        if key.startswith("round_trip_mse_"):
            unrelated = got[key.replace("round_trip_mse_", "unrelated_pairs_mse_")]
            assert value < 0.5 * unrelated, (key, value, unrelated)


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
                                  "".join(_meta(n)["metrics"]) and n not in CLASSIFIERS])
def test_conditional_entries_draw_the_label_asked_for(name):
    """Conditional generators are trained on every label. (A semi-supervised
    AAE's decoder draws its learnt class y, named by a few labels: its measure
    is the classify error above; its card shows this one too.)"""
    assert _metric(_meta(name), "conditional_accuracy_") >= 0.97


def test_readme_tables_are_the_cards():
    recipe = _recipe("train_preset.py")
    text = recipe.table({n: _meta(n) for n in GENERATORS}, _anchor())
    texts = [text]
    if TRANSLATORS:
        texts.append(recipe.translation_table({n: _meta(n) for n in TRANSLATORS}))
    for path in (os.path.join(ROOT, "README.md"), os.path.join(ZOO, "README.md")):
        with open(path, encoding="utf-8") as f:
            doc = f.read()
        for t in texts:
            assert t in doc, f"{path}: rerun train_preset.py --table"


def test_model_options_override_a_recipe_and_say_so():
    recipe = _recipe("train_preset.py")
    base = recipe.ENTRIES["conditional_gan_mnist"]
    before = dict(base["model"])
    entry = recipe.with_model_options(base, ["matching_aware=true", "ema_decay=0.999",
                                             'discriminator_options={"spectral_norm": true}'])
    assert entry["model"] == {**before, "matching_aware": True, "ema_decay": 0.999,
                              "discriminator_options": {"spectral_norm": True}}
    assert base["model"] == before  # the recipe itself is untouched
    assert "matching_aware=true" in entry["description"]
    assert recipe.with_model_options(base, []) is base
    assert recipe.model_options(["architecture=mlp"]) == {"architecture": "mlp"}
    with pytest.raises(SystemExit, match="KEY=VALUE"):
        recipe.model_options(["matching_aware"])


def test_optimizer_overrides_build_the_named_keras_optimizer_and_say_so():
    recipe = _recipe("train_preset.py")
    base = recipe.ENTRIES["wgan_fashion_mnist"]
    entry = recipe.with_model_options(
        base, [], ['discriminator={"class": "RMSprop", "learning_rate": 0.0002}',
                   'generator={"learning_rate": 0.0001, "beta_1": 0.5}'])
    assert "optimizers" not in base  # the recipe itself is untouched
    assert "(--optimizer)" in entry["description"] and "RMSprop" in entry["description"]
    built = recipe.optimizers(entry)
    d, g = built["discriminator_optimizer"], built["generator_optimizer"]
    assert type(d).__name__ == "RMSprop" and float(d.learning_rate) == pytest.approx(2e-4)
    assert type(g).__name__ == "Adam" and float(g.beta_1) == pytest.approx(0.5)
    with pytest.raises(SystemExit, match="keras.optimizers"):
        recipe.optimizers({"optimizers": {"generator": {"class": "Nope"}}})
    with pytest.raises(SystemExit, match="PLAYER=JSON"):
        recipe.with_model_options(base, [], ["generator=0.001"])


def test_both_recipes_record_their_option_flags_in_the_card_line():
    import argparse

    recipe = _recipe("train_preset.py")
    p = argparse.ArgumentParser()
    recipe.common_arguments(p, recipe.ENTRIES)
    args = p.parse_args(["dtn_usps_mnist", "--model-option", "ema_decay=0.999"])
    # the translation recipe's arguments: no --optimizer or --learning-rate
    assert recipe.recorded_options(args) == " --model-option 'ema_decay=0.999'"
    args.optimizer, args.learning_rate = ['generator={"learning_rate": 0.001}'], 5e-4
    assert recipe.recorded_options(args) == (
        " --model-option 'ema_decay=0.999' --optimizer 'generator={\"learning_rate\": 0.001}'"
        " --learning-rate 0.0005")
