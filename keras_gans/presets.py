"""Pretrained presets: the zoo, loaded by name, offline, on any backend.

A preset is a folder (``zoo/<name>/`` in the source tree, installed with the
package as ``keras_gans/zoo/<name>/``) holding:

- ``config.json``: the model's Keras config (``keras.saving.serialize_keras_object``);
- ``model.weights.h5``: every weight, generator and discriminator (kept so
  users can fine-tune);
- ``metadata.json``: what it is (description, dataset and license, paper),
  how it was made (the recipe command, backend, hardware, wall time, epochs,
  seed), what it measures (metrics under their protocol names), parameter
  counts, a stored output check (``check``) and the sha256 of every file;
- ``samples.png``: a grid of samples.

Loading checks each file's sha256 against ``metadata.json`` before reading it,
and deserialises the config in Keras' safe mode (no pickle, no lambdas).

``KERAS_GANS_PRESETS_URL`` names an optional remote location with the same
layout (``<url>/<name>/metadata.json`` ...): a preset that is not installed is
fetched from there with ``keras.utils.get_file`` into the Keras cache, with
the same sha256 checks.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keras
import numpy as np

from keras_gans.errors import GANConfigError
from keras_gans.preset_files import (  # noqa: F401 (the public names of presets)
    CACHE_ENV,
    DIR_ENV,
    FILES,
    METADATA,
    URL_ENV,
    from_preset,
    list_presets,
    preset_dir,
    read_metadata,
    zoo_dirs,
)
from keras_gans.preset_files import sha256 as _sha256


def output_check(model, seed=0, n=2, size=16):
    """A fixed-seed output slice: the first ``size`` values of each of ``n``
    outputs the model makes for its stored check (``output_check_sample``:
    ``generate`` for generators, ``translate`` of seeded inputs for
    translators). Backend-independent: the seeds draw from numpy."""
    out, how = model.output_check_sample(n=n, seed=seed)
    out = np.asarray(out, "float32").reshape(n, -1)[:, :size]
    return {**how, "values": out.round(6).tolist()}


def run_output_check(model, check):
    """Recompute a stored ``check`` on ``model``; returns (expected, got) arrays."""
    got = output_check(model, seed=check["seed"], n=check["n"], size=len(check["values"][0]))
    return np.asarray(check["values"], "float32"), np.asarray(got["values"], "float32")


WEIGHT_DTYPES = ("float32", "float16")


def round_weights(model, dtype="float16"):
    """Round every float32 weight of ``model`` in place to the nearest ``dtype``
    value (kept in float32 variables). Measure a model after this, then save it
    with ``save_to_preset(..., weights_dtype=dtype)``: the stored weights are
    then exactly the measured ones."""
    if dtype == "float32":
        return model
    if dtype not in WEIGHT_DTYPES:
        raise GANConfigError(f"weights_dtype must be one of {WEIGHT_DTYPES}; got {dtype!r}.")
    for v in model.weights:
        if str(v.dtype) == "float32":
            value = keras.ops.convert_to_numpy(v)
            v.assign(value.astype(dtype).astype("float32"))
    return model


def _h5_as_float16(src, dst):
    """Copy a Keras ``.weights.h5`` file with its float32 arrays stored as
    float16 (half the size; Keras casts them back to the float32 variables on
    load, on every backend)."""
    import h5py

    def copy(a, b):
        for k, v in a.attrs.items():
            b.attrs[k] = v
        for name, item in a.items():
            if isinstance(item, h5py.Dataset):
                data = item[()]
                if getattr(data, "dtype", None) == np.float32:
                    if np.any(np.abs(data) > np.finfo(np.float16).max):
                        raise GANConfigError(
                            f"weight {item.name} has values beyond float16's range; save "
                            "it with weights_dtype='float32'."
                        )
                    data = data.astype(np.float16)
                ds = b.create_dataset(name, data=data)
                for k, v in item.attrs.items():
                    ds.attrs[k] = v
            else:
                copy(item, b.create_group(name))

    with h5py.File(src, "r") as a, h5py.File(dst, "w") as b:
        copy(a, b)


def save_to_preset(model, directory, metadata=None, overwrite=False, grid=True,
                   weights_dtype="float32", samples=None):
    """Write ``model`` as a preset folder (config, weights, samples, metadata
    with sha256 of each file and a fixed-seed output check).

    An existing preset folder is refused unless ``overwrite=True``; files are
    written to temporary names and renamed, so an interrupted save never leaves
    a half-written preset that passes the sha256 check.

    ``weights_dtype="float16"`` stores the weights at half the size: the model's
    weights are first rounded in place (``round_weights``), so the samples, the
    output check and whatever you measured after rounding are those of the
    stored weights.

    ``samples``: images (N, H, W, C) in [-1, 1] for ``samples.png``; by default
    a generator's 64 seeded samples. Translators have no default: pass their
    source images and translations (e.g. rows of sources, then translations).
    """
    from keras_gans.version import __version__

    directory = Path(directory)
    if (directory / METADATA).exists() and not overwrite:
        raise GANConfigError(
            f"{directory} already holds a preset; pass overwrite=True to replace it."
        )
    round_weights(model, weights_dtype)
    directory.mkdir(parents=True, exist_ok=True)

    def write(fname, writer):
        tmp = directory / (".tmp_" + fname)
        writer(tmp)
        os.replace(tmp, directory / fname)

    config = keras.saving.serialize_keras_object(model)
    write("config.json", lambda p: p.write_text(json.dumps(config, indent=1)))
    write("model.weights.h5", lambda p: _save_weights_only(model, config, p, weights_dtype))
    files = ["config.json", "model.weights.h5"]
    if grid and samples is not None:
        from keras_gans.images import save_grid

        write("samples.png", lambda p: save_grid(np.asarray(samples), str(p)))
        files.append("samples.png")
    elif grid and model.samples_from != "image":
        from keras_gans.images import save_grid

        samples = model.generate(64, labels=model.balanced_labels(64), seed=0)
        write("samples.png", lambda p: save_grid(samples, str(p)))
        files.append("samples.png")
    meta = dict(metadata or {})
    meta.setdefault("name", directory.name)
    meta["variant"] = type(model).__name__
    meta["keras_gans_version"] = __version__
    meta["parameters"] = _parameter_counts(model)
    meta["weights_dtype"] = weights_dtype
    meta["check"] = output_check(model)
    meta["check"]["backend"] = keras.backend.backend()
    meta["sha256"] = {f: _sha256(directory / f) for f in files}
    write(METADATA, lambda p: p.write_text(json.dumps(meta, indent=1)))
    return directory


def _save_weights_only(model, config, path, weights_dtype="float32"):
    """The model's weights without optimizer state (a preset is for sampling
    and fine-tuning; Keras' MultiOptimizer would also store every slot twice):
    copied into a fresh, uncompiled build of the same config."""
    config = {k: v for k, v in config.items() if k != "compile_config"}
    fresh = keras.saving.deserialize_keras_object(config, safe_mode=True)
    fresh.set_weights(model.get_weights())
    if weights_dtype == "float32":
        fresh.save_weights(str(path))
        return
    full = Path(str(path) + ".float32.weights.h5")
    fresh.save_weights(str(full))
    try:
        _h5_as_float16(full, path)
    finally:
        full.unlink()


def _parameter_counts(model):
    counts = {"total": int(sum(np.prod(v.shape) for v in model.weights))}
    for player in getattr(model, "players", ()) or ():
        net = getattr(model, player, None)
        if net is not None and hasattr(net, "weights"):
            counts[player] = int(sum(np.prod(v.shape) for v in net.weights))
    return counts
