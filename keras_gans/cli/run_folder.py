"""A training run's recipe: what --recipe reads, what a run folder's recipe.json
records, and what --resume must keep (the folder itself: keras_gans.training.RunFolder)."""

from __future__ import annotations

import json
import os
import time

# train's settings a recipe may hold, with their types (None: may be null)
RECIPE_TYPES = {
    "variant": (str,), "dataset": (str,), "data_dir": (str, None), "epochs": (int,),
    "batch_size": (int,), "latent_dim": (int, None), "limit": (int, None),
    "seed": (int,), "out": (str, None), "learning_rate": (float, int, None),
    "distribute": (str,), "image_size": (int, None), "tensorboard": (bool,),
    "eval_metric": (str, None), "eval_dataset": (str, None), "eval_every": (int,),
    "eval_n": (int,), "steps_per_epoch": (int, None), "domain_a": (str, None),
    "domain_b": (str, None), "features": (str, None), "options": (dict, None),
}
# what a run folder's recipe.json also records, and a recipe may carry unread
# (older run folders recorded the invocation's flags too)
RECIPE_INFO = ("backend", "command", "debug", "overwrite", "resume", "recipe",
               "keras_gans_version", "runs")
# what --resume must keep (--epochs, --learning-rate and --tensorboard may change)
RECIPE_KEYS = ("variant", "dataset", "batch_size", "latent_dim", "limit", "seed",
               "image_size", "eval_metric", "eval_dataset", "eval_n", "steps_per_epoch",
               "domain_a", "domain_b", "features", "options")


def apply_recipe(args, defaults):
    """Fill train's settings from ``--recipe``; flags given explicitly (a value
    other than the flag's default) win. Unknown keys and wrong types are refused."""
    from keras_gans.errors import GANConfigError, did_you_mean

    if not args.recipe:
        return args
    try:
        with open(args.recipe, encoding="utf-8") as f:
            recipe = json.load(f)
    except FileNotFoundError as e:
        raise GANConfigError(f"Recipe file {args.recipe} does not exist.") from e
    except json.JSONDecodeError as e:
        raise GANConfigError(f"Recipe {args.recipe} is not valid JSON: {e}.") from e
    if not isinstance(recipe, dict):
        raise GANConfigError(f"Recipe {args.recipe} must be a JSON object of settings.")
    for key, value in recipe.items():
        if key in RECIPE_INFO:
            continue
        if key not in RECIPE_TYPES:
            raise GANConfigError(
                f"Recipe {args.recipe}: unknown key {key!r}; known keys: "
                f"{sorted(RECIPE_TYPES)}." + did_you_mean(key, RECIPE_TYPES)
            )
        allowed = RECIPE_TYPES[key]
        ok = (value is None and None in allowed) or any(
            t is not None and isinstance(value, t) and (t is bool or not isinstance(value, bool))
            for t in allowed)
        if not ok:
            names = " or ".join("null" if t is None else t.__name__ for t in allowed)
            raise GANConfigError(
                f"Recipe {args.recipe}: {key!r} must be {names}; got {value!r}."
            )
        if getattr(args, key, None) == defaults.get(key):
            setattr(args, key, value)
    return args


def read_recipe(path):
    from keras_gans.errors import GANConfigError

    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except ValueError as e:
        raise GANConfigError(f"{path} is not valid JSON ({e}); cannot --resume.") from e


def write_recipe(path, args, backend, resumed):
    """recipe.json: the settings (what --recipe reads back), the backend and
    version, and one entry per invocation under "runs" (resumed or not)."""
    from keras_gans.images import atomic_write
    from keras_gans.version import __version__

    recipe = read_recipe(path) if resumed and os.path.exists(path) else {}
    runs = recipe.get("runs", [])
    recipe = {**{k: getattr(args, k, None) for k in RECIPE_TYPES},
              "backend": recipe.get("backend", backend),
              "keras_gans_version": recipe.get("keras_gans_version", __version__)}
    runs.append({"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "resume": bool(resumed),
                 "epochs": args.epochs, "backend": backend,
                 "learning_rate": getattr(args, "learning_rate", None)})
    recipe["runs"] = runs
    atomic_write(path, (json.dumps(recipe, indent=2) + "\n").encode())


def check_same_recipe(recipe_path, args, defaults):
    from keras_gans.errors import GANConfigError
    from keras_gans.preset_files import _version_tuple
    from keras_gans.version import __version__

    if not os.path.exists(recipe_path):
        raise GANConfigError(
            f"{args.out} is not a keras-gans run folder (no recipe.json); cannot --resume."
        )
    recipe = read_recipe(recipe_path)
    wrote = recipe.get("keras_gans_version")
    if wrote and _version_tuple(wrote) > _version_tuple(__version__):
        raise GANConfigError(
            f"Run folder {args.out} was written by keras-gans {wrote}; this is "
            f"{__version__}. Upgrade keras-gans to --resume it."
        )
    # keys a run folder from before the key existed lacks had the default value
    diff = {k: (recipe.get(k, defaults.get(k)), getattr(args, k)) for k in RECIPE_KEYS
            if recipe.get(k, defaults.get(k)) != getattr(args, k)}
    if diff:
        changes = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in diff.items())
        raise GANConfigError(
            f"--resume must use the run's recipe; changed: {changes}. "
            "Only --epochs, --learning-rate and --tensorboard may change."
        )

