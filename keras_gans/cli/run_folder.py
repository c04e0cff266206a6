"""A training run's folder: its recipe (what --resume must keep), and the rule
that a run which fails before its first epoch leaves nothing behind."""

from __future__ import annotations

import json
import os
import shutil
import time

# train's settings a recipe may hold, with their types (None: may be null)
RECIPE_TYPES = {
    "variant": (str,), "dataset": (str,), "data_dir": (str, None), "epochs": (int,),
    "batch_size": (int,), "latent_dim": (int, None), "limit": (int, None),
    "seed": (int,), "out": (str, None), "learning_rate": (float, int, None),
    "distribute": (str,), "image_size": (int, None), "tensorboard": (bool,),
    "eval_metric": (str, None), "eval_dataset": (str, None), "eval_every": (int,),
    "eval_n": (int,),
}
# what a run folder's recipe.json also records, and a recipe may carry unread
# (older run folders recorded the invocation's flags too)
RECIPE_INFO = ("backend", "command", "debug", "overwrite", "resume", "recipe",
               "keras_gans_version", "runs")
# what --resume must keep (--epochs, --learning-rate and --tensorboard may change)
RECIPE_KEYS = ("variant", "dataset", "batch_size", "latent_dim", "limit", "seed",
               "image_size", "eval_metric", "eval_dataset", "eval_n")


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
    from keras_gans import __version__
    from keras_gans.images import atomic_write

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
    from keras_gans import __version__
    from keras_gans.errors import GANConfigError
    from keras_gans.presets import _version_tuple

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


class RunFolder:
    """``with RunFolder(out, resume, overwrite) as run: ...; run.epoch_done()``.

    A new run (a missing or empty folder) that ends in an error before its
    first epoch is complete leaves no folder behind, so the corrected retry is
    not refused. With --overwrite the old run is moved aside and only deleted
    once the new run completes an epoch; until then a failure puts it back.
    A resumed run keeps everything it had."""

    def __init__(self, out, resume, overwrite):
        from keras_gans.errors import GANConfigError

        if resume and overwrite:
            raise GANConfigError("--resume and --overwrite contradict each other; pass one.")
        self.out, self.resume, self.overwrite = out, resume, overwrite
        self.existing = os.path.isdir(out) and bool(os.listdir(out))
        if self.existing and not (resume or overwrite):
            raise GANConfigError(
                f"Run folder {out} exists and is not empty; pass --resume to "
                "continue it, --overwrite to replace it, or choose another --out."
            )
        self.existed = os.path.exists(out)
        self.aside = None
        self.done = False

    def __enter__(self):
        if self.existing and self.overwrite:
            self.aside = os.path.normpath(self.out) + f".replaced-{os.getpid()}"
            os.replace(self.out, self.aside)
        return self

    def epoch_done(self):
        """The new run has a checkpoint: the old one (--overwrite) can go."""
        if not self.done and self.aside is not None:
            shutil.rmtree(self.aside, ignore_errors=True)
        self.done = True

    def __exit__(self, kind, error, tb):
        if kind is None:
            self.epoch_done()
            return False
        if self.done or (self.existing and self.resume):
            return False
        if os.path.isdir(self.out):
            if self.existed and self.aside is None:  # an empty folder the user made
                for name in os.listdir(self.out):
                    path = os.path.join(self.out, name)
                    shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
            else:
                shutil.rmtree(self.out)
        if self.aside is not None:
            os.replace(self.aside, self.out)
        return False
