"""Preset folders on disk: find them, verify every file's sha256, and build
the model a folder describes.

The ground floor of ``keras_gans.presets`` (which also writes presets and
keeps the zoo table): it needs only Keras and the files, so the core's
``GANModel.from_preset`` calls it without importing anything above the core.
The variant classes are found by Keras' serialization registry
(``keras_gans>DCGAN`` ...), filled when ``keras_gans.models`` is imported.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import keras

from keras_gans.errors import GANConfigError, GANInputError, did_you_mean
from keras_gans.version import __version__


def sha256(path) -> str:
    """The sha256 hex digest of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


FILES = ("config.json", "model.weights.h5", "samples.png")
METADATA = "metadata.json"
URL_ENV = "KERAS_GANS_PRESETS_URL"
DIR_ENV = "KERAS_GANS_PRESETS_DIR"
CACHE_ENV = "KERAS_GANS_CACHE_DIR"  # where fetched presets go (default: Keras' cache)


def zoo_dirs() -> list[Path]:
    """Where presets are looked up, in order: ``KERAS_GANS_PRESETS_DIR``, the
    installed package's ``keras_gans/zoo``, and (for an editable install or a
    source checkout, where the package *is* the source tree) the repository's
    ``zoo/``."""
    dirs = []
    if os.environ.get(DIR_ENV):
        dirs.append(Path(os.environ[DIR_ENV]))
    here = Path(__file__).resolve().parent
    dirs.append(here / "zoo")
    dirs.append(here.parent / "zoo")
    return [d for d in dirs if d.is_dir()]


def list_presets() -> dict:
    """``{name: metadata}`` of every installed preset."""
    found = {}
    for d in zoo_dirs():
        for meta in sorted(d.glob(f"*/{METADATA}")):
            name = meta.parent.name
            if name not in found:
                with open(meta, encoding="utf-8") as f:
                    found[name] = json.load(f)
    return found


def _fetch(name) -> Path | None:
    url = os.environ.get(URL_ENV)
    if not url:
        return None
    base = url.rstrip("/") + f"/{name}/"
    sub = os.path.join("keras_gans_presets", name)
    cache_dir = os.environ.get(CACHE_ENV)
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)  # get_file falls back to /tmp otherwise
    try:
        meta_path = Path(keras.utils.get_file(
            f"{name}_{METADATA}", origin=base + METADATA, cache_subdir=sub,
            cache_dir=cache_dir))
    except Exception as e:
        raise GANConfigError(
            f"Preset {name!r} is not installed and could not be fetched from {base}: {e}"
        ) from e
    with open(meta_path, encoding="utf-8") as f:
        meta = json.load(f)
    folder = meta_path.parent
    for fname in FILES:
        if fname not in meta.get("sha256", {}):
            continue
        target = folder / fname
        if target.exists() and sha256(target) == meta["sha256"][fname]:
            continue
        got = keras.utils.get_file(fname, origin=base + fname, cache_subdir=sub,
                                   cache_dir=cache_dir,
                                   file_hash=meta["sha256"][fname], hash_algorithm="sha256")
        if Path(got) != target:
            os.replace(got, target)
    os.replace(meta_path, folder / METADATA)
    return folder


def preset_dir(name) -> Path:
    """The folder of preset ``name`` (fetched first if it is remote)."""
    if isinstance(name, (str, os.PathLike)) and Path(name).is_dir() and \
            (Path(name) / METADATA).exists():
        return Path(name)
    for d in zoo_dirs():
        if (d / str(name) / METADATA).exists():
            return d / str(name)
    fetched = _fetch(str(name))
    if fetched is not None:
        return fetched
    known = sorted(list_presets())
    raise GANConfigError(
        f"Unknown preset {name!r}. Known presets: {known}." + did_you_mean(name, known)
    )


def read_metadata(name) -> dict:
    with open(preset_dir(name) / METADATA, encoding="utf-8") as f:
        return json.load(f)


def _verified(folder: Path, meta: dict, fname: str) -> Path:
    path = folder / fname
    expected = meta.get("sha256", {}).get(fname)
    if not path.exists():
        raise GANInputError(f"Preset {folder.name}: {fname} is missing from {folder}.")
    if expected is None:
        raise GANInputError(
            f"Preset {folder.name}: metadata.json has no sha256 for {fname}; refusing to "
            "read an unverified file."
        )
    actual = sha256(path)
    if actual != expected:
        raise GANInputError(
            f"Preset {folder.name}: {fname} is corrupt or was changed (sha256 "
            f"{actual[:12]}..., metadata says {expected[:12]}...). Reinstall keras-gans "
            "or delete the file so it is fetched again."
        )
    return path


def from_preset(name, load_weights=True, expected_class=None):
    """Build the model of preset ``name`` and load its weights.

    Args:
        name: a preset name (see ``list_presets()``) or a preset folder.
        load_weights: False gives the architecture with fresh weights.
        expected_class: refuse a preset of another variant (what
            ``DCGAN.from_preset`` passes).
    """
    folder = preset_dir(name)
    with open(folder / METADATA, encoding="utf-8") as f:
        meta = json.load(f)
    needs = meta.get("keras_gans_version")
    if needs and _version_tuple(needs) > _version_tuple(__version__):
        raise GANConfigError(
            f"Preset {folder.name} was written by keras-gans {needs}; this is "
            f"{__version__}. Upgrade keras-gans to load it."
        )
    with open(_verified(folder, meta, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    if expected_class is not None:
        cls_name = config.get("class_name")
        if cls_name != expected_class.__name__ and not _is_subclass_name(
                expected_class, cls_name):
            raise GANConfigError(
                f"Preset {folder.name!r} is a {cls_name}, not a {expected_class.__name__}. "
                f"Load it with keras_gans.presets.from_preset({folder.name!r}) or "
                f"{cls_name}.from_preset."
            )
    compile_config = config.pop("compile_config", None)
    model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    if load_weights:
        path = _verified(folder, meta, "model.weights.h5")
        try:
            model.load_weights(str(path))
        except Exception as e:
            raise GANInputError(
                f"Preset {folder.name}: cannot load model.weights.h5 into a "
                f"{type(model).__name__}: {e}"
            ) from e
    if compile_config is not None:
        # fresh optimizers with the recipe's settings, ready to fine-tune
        model.compile_from_config(compile_config)
    return model


def _is_subclass_name(cls, name):
    """Whether a subclass of ``cls``, at any depth, is called ``name``."""
    return any(c.__name__ == name or _is_subclass_name(c, name) for c in cls.__subclasses__())


def _version_tuple(v):
    return tuple(int(p) if p.isdigit() else 0 for p in str(v).split(".")[:3])
