"""What `keras-gans train` loads for a translator: the two domains (a pair
name or two folders) and the DTN's feature extractor f from --features."""

from __future__ import annotations

import os


def is_translator(cls):
    """A variant that translates images between two domains (asked of the
    class: its translation ``directions``)."""
    return bool(cls.directions)


def needs_features(cls):
    """A variant built around a pretrained feature extractor f (the DTN)."""
    return cls.needs_feature_extractor


def translator_names():
    from keras_gans.models import VARIANTS

    return ", ".join(k for k, v in VARIANTS.items() if is_translator(v))


def load_features(spec):
    """The DTN's f from --features: a shipped classifier by dataset name (a
    fresh copy: the DTN freezes the model it is given) or a ``.keras`` file."""
    import keras

    from keras_gans.errors import GANConfigError, GANInputError, did_you_mean
    from keras_gans.metrics import feature_nets
    from keras_gans.networks.classifier import FEATURE_LAYER

    spec = str(spec)
    if spec.endswith(".keras"):
        from keras_gans.cli._common import check_keras_version

        if not os.path.exists(spec):
            raise GANInputError(
                f"--features {spec}: no such file. Pass a saved Keras classifier (.keras) "
                f"or a shipped one by name ({', '.join(feature_nets.DATASETS)}).")
        check_keras_version(spec)
        try:
            f = keras.saving.load_model(spec, compile=False)  # safe_mode
        except Exception as e:
            raise GANInputError(f"--features {spec}: cannot load it as a Keras model: "
                                f"{e}") from e
    elif spec in feature_nets.DATASETS:
        shipped = feature_nets.load_classifier(spec)
        f = keras.models.clone_model(shipped)
        f.set_weights(shipped.get_weights())
    else:
        names = list(feature_nets.DATASETS)
        raise GANConfigError(
            f"--features {spec!r}: not a shipped classifier ({', '.join(names)}) nor a "
            ".keras file." + did_you_mean(spec, names))
    layers = [layer.name for layer in getattr(f, "layers", [])]
    if FEATURE_LAYER not in layers or len(getattr(f, "inputs", None) or ()) != 1:
        raise GANInputError(
            f"--features {spec}: f must be a one-input Keras model with a layer named "
            f"{FEATURE_LAYER!r} (its feature vector); its layers are {layers}. Build it "
            "with keras_gans.networks.classifier.train_classifier.")
    return f


def load_domains(args, f=None):
    """Both domains, scaled to [-1, 1] in one shape (f's input for the DTN),
    the first --limit images of each."""
    from keras_gans import data
    from keras_gans.data import two_domain
    from keras_gans.errors import GANConfigError

    want = tuple(f.inputs[0].shape[1:]) if f is not None else None
    size = getattr(args, "image_size", None) or (want[0] if want else None)
    channels = want[-1] if want else None
    if want and size != want[0]:
        raise GANConfigError(
            f"--image-size {size}: the feature extractor f takes {want[0]}x{want[1]} "
            f"images; drop --image-size (or pass --image-size {want[0]}).")
    if getattr(args, "domain_a", None):
        x_a, _ = data.load_folder(args.domain_a, image_size=size)
        x_b, _ = data.load_folder(args.domain_b, image_size=size)
        (ha, wa), (hb, wb) = x_a.shape[1:3], x_b.shape[1:3]
        if (ha, wa) != (hb, wb):
            raise GANConfigError(
                f"--domain-a images are {wa}x{ha} and --domain-b images {wb}x{hb} (width x "
                "height): the translators keep the image size. Pass --image-size N to "
                f"resize both, e.g. --image-size {max(ha, wa, hb, wb)}.")
        # grey and colour domains: both colour, as a folder of mixed images is
        x_a, x_b = two_domain.harmonize(
            x_a, x_b, None, channels or max(x_a.shape[-1], x_b.shape[-1]))
    else:
        pair = two_domain.load_pair(args.dataset, data_dir=args.data_dir, size=size,
                                    channels=channels)
        x_a, x_b = pair.x_a, pair.x_b
    if args.limit:
        x_a, x_b = x_a[: args.limit], x_b[: args.limit]
    return x_a, x_b


def build_translator(cls, args, x_a, options, f=None):
    """The translator for domains of ``x_a``'s shape (the DTN around ``f``),
    built with --options ``options``."""
    from keras_gans.errors import GANConfigError

    try:
        if f is not None:
            return cls(f, seed=args.seed, **options)
        return cls(data_shape=tuple(x_a.shape[1:]), seed=args.seed, **options)
    except GANConfigError as e:
        if "--image-size" in str(e):
            raise
        raise GANConfigError(f"{e} On the command line: --image-size N resizes.") from e
