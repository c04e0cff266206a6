import keras
import numpy as np
from keras import ops

from keras_gans.core.gan_model import GANModel, as_float32
from keras_gans.core.phase import Phase
from keras_gans.core.two_domain import TwoDomainGAN
from keras_gans.errors import GANConfigError, GANInputError
from keras_gans.losses import mean_squared_error as mse
from keras_gans.networks.classifier import (
    FEATURE_LAYER,
    conv_classifier,
    train_classifier,
)
from keras_gans.networks.dcgan import dcgan_generator

# The three classes of the DTN discriminator (Taigman et al. 2017, eq. 3).
FROM_SOURCE, FROM_TARGET, REAL_TARGET = 0, 1, 2


@keras.saving.register_keras_serializable(package="keras_gans")
class DomainTransferNetwork(TwoDomainGAN):
    """Domain Transfer Network (Taigman, Polyak & Wolf 2017, "Unsupervised
    Cross-Domain Image Generation").

    Translates source-domain images into the target domain, G = g∘f, keeping
    the output of a fixed, pretrained feature extractor f unchanged. f is a
    classifier trained on the labelled source domain; g (``decoder``) maps f's
    features to a target image. A three-way discriminator D (``discriminator``,
    3 logits) tells apart G(source) (class 0), G(target) (class 1) and real
    target images (class 2). With x_s from the source and x_t from the target:

    - L_D = CE(D(G(x_s)), 0) + CE(D(G(x_t)), 1) + CE(D(x_t), 2)            (eq. 3)
    - L_GANG = CE(D(G(x_s)), 2) + CE(D(G(x_t)), 2)                         (eq. 4)
    - L_CONST = MSE(f(x_s), f(G(x_s)))  (f-constancy)                      (eq. 5)
    - L_TID = MSE(x_t, G(x_t))  (target identity)                          (eq. 6)
    - L_TV = mean over pixels of sqrt(dx² + dy²) of G(x_s) (B = 1)          (eq. 7)
    - the decoder minimises L_GANG + α L_CONST + β L_TID + γ L_TV.

    Two phases per step: ``discriminator`` (D), then ``generator`` (g only).

    **f is frozen**: the constructor sets ``feature_extractor.trainable =
    False`` (on the model passed in), so f's weights belong to no player and
    no phase; f always runs in inference mode. ``compile`` and ``fit`` raise
    ``GANConfigError`` if f was unfrozen afterwards.

    Defaults: α = β = 15 with d = MSE for both terms, as in the digit
    (SVHN -> MNIST) experiment's reference implementations
    (yunjey/domain-transfer-network ``model.py``: ``* 15.0`` on the f-constancy
    and the target-identity terms; taey16/DomainTransferNetwork.pytorch:
    ``alphaCONST=15``, ``betaTID=15``); γ = 0, since neither digit
    implementation has a TV term (the paper uses TV for faces). The paper's
    text itself could not be consulted here. Adam(3e-4), β1 = 0.9, as in
    yunjey/domain-transfer-network. The paper trains f on SVHN and reports
    90.66% on SVHN -> MNIST.

    Digits here run **USPS -> MNIST** (SVHN is not available offline): USPS is
    the source, f is trained on USPS's labels, and MNIST is the target, as in
    the paper's SVHN -> MNIST. MNIST as the target also gives the most
    accurate target classifier (about 99%) for scoring translations, so a
    translation error is not hidden behind classifier error. Both domains must
    have f's input shape, since f also reads translated images and target
    images: USPS's 16 px digits are resized to 28 px
    (``keras_gans.data.load("usps", size=28)``). See
    ``zoo/recipes/dtn_usps2mnist.py``.

    Args:
        feature_extractor: f, a Keras functional model taking source images
            (and, by the losses, target images of the same shape).
        feature_layer: name of f's layer whose output is the feature vector
            (default ``"features"``, as built by
            ``keras_gans.networks.classifier``).
        decoder: g, features -> target image in [-1, 1]; default a DCGAN
            generator from f's feature size (28, 32 or 64 px images).
        discriminator: D, image -> 3 logits; default
            ``keras_gans.networks.classifier.conv_classifier(num_classes=3)``.
        data_shape: the images' shape; must equal f's input shape.
        const_weight, tid_weight, tv_weight: α, β, γ.
        filters: width of the default decoder and discriminator.
        augment: a DiffAugment policy applied with fresh parameters to each of
            the three image batches the discriminator sees (G(x_s), G(x_t),
            x_t), in both phases; f's inputs are never augmented. None = off.
        seed: seed of the model's ``keras.random.SeedGenerator``.

    Example:
        ```python
        x_s, y_s = keras_gans.data.load("usps", size=28)
        x_t, _ = keras_gans.data.load("mnist")
        dtn = keras_gans.DomainTransferNetwork.from_source_data(x_s, y_s, epochs=5)
        dtn.compile()
        a, b = keras_gans.data.two_domain.unpaired(x_s, x_t, seed=0)
        dtn.fit((a, b), batch_size=128, epochs=1)
        mnist_like = dtn.translate(x_s[:16])
        ```
    """

    sampling_networks = ("decoder",)

    players = ("decoder", "discriminator")
    config_networks = ("feature_extractor", "decoder", "discriminator")
    needs_feature_extractor = True

    def __init__(
        self,
        feature_extractor=None,
        decoder=None,
        discriminator=None,
        *,
        feature_layer=FEATURE_LAYER,
        data_shape=None,
        const_weight=15.0,
        tid_weight=15.0,
        tv_weight=0.0,
        filters=64,
        seed=None,
        **kwargs,
    ):
        self.const_weight = float(const_weight)
        self.tid_weight = float(tid_weight)
        self.tv_weight = float(tv_weight)
        self.filters = int(filters)
        self.feature_layer = str(feature_layer)
        terms = ["d_loss", "g_loss", "gan_loss", "const_loss", "tid_loss"]
        if self.tv_weight:
            terms.append("tv_loss")
        self.tracked_terms = tuple(terms)
        # TwoDomainGAN's constructor builds four players; the DTN has its own.
        GANModel.__init__(self, seed=seed, **kwargs)
        if min(self.const_weight, self.tid_weight, self.tv_weight) < 0:
            raise GANConfigError("const_weight, tid_weight and tv_weight must be >= 0.")
        if feature_extractor is None:
            raise GANConfigError(
                "DomainTransferNetwork needs a pretrained feature extractor f: pass "
                "feature_extractor= (e.g. keras_gans.networks.classifier."
                "train_classifier(x_source, y_source)) or build the model with "
                "DomainTransferNetwork.from_source_data(x_source, y_source)."
            )
        if not getattr(feature_extractor, "inputs", None):
            raise GANConfigError(
                "feature_extractor must be a built Keras model with known inputs "
                "(a functional model or a Sequential with an Input)."
            )
        # Frozen here, once, explicitly: f is fixed throughout DTN training.
        feature_extractor.trainable = False
        self.feature_extractor = feature_extractor
        features = self._feature_model(feature_extractor, self.feature_layer)
        # Not tracked as a sub-layer: it shares f's weights.
        object.__setattr__(self, "_features", features)

        source_shape = tuple(feature_extractor.inputs[0].shape[1:])
        if data_shape is not None and tuple(data_shape) != source_shape:
            raise GANConfigError(
                f"The feature extractor takes images of shape {source_shape} but "
                f"data_shape={tuple(data_shape)}: f must accept the source images. "
                "Resize the images to f's input (e.g. keras_gans.data.load('usps', "
                f"size={source_shape[0]})) or train f on images of data_shape."
            )
        feature_shape = tuple(features.outputs[0].shape[1:])
        if decoder is None:
            if len(feature_shape) != 1:
                raise GANConfigError(
                    f"f's layer {self.feature_layer!r} gives features of shape "
                    f"{feature_shape}; the default decoder takes a vector. Name a "
                    "flat layer or pass decoder=."
                )
            decoder = dcgan_generator(feature_shape[0], source_shape, self.filters,
                                      name="decoder")
        if discriminator is None:
            discriminator = conv_classifier(source_shape, 3, self.filters,
                                            feature_dim=4 * self.filters,
                                            name="discriminator")
        self.decoder = decoder
        self.discriminator = discriminator
        self._check_networks()
        self.check_augment(self.data_shape_b)
        self.build_ema()
        self.built = True

    @classmethod
    def from_source_data(cls, x_source, y_source, *, epochs=5, seed=0,
                         classifier_options=None, **kwargs):
        """A DTN whose f is a ``conv_classifier`` trained on labelled source
        images (``keras_gans.networks.classifier.train_classifier``)."""
        f = train_classifier(x_source, y_source, epochs=epochs, seed=seed,
                             name="feature_extractor", **(classifier_options or {}))
        seed = kwargs.pop("seed", seed)
        return cls(f, feature_layer=FEATURE_LAYER, seed=seed, **kwargs)

    # ------------------------------------------------------------ networks
    @staticmethod
    def _feature_model(f, layer_name):
        try:
            layer = f.get_layer(layer_name)
        except ValueError:
            names = [layer.name for layer in f.layers]
            raise GANConfigError(
                f"The feature extractor has no layer {layer_name!r}; pass "
                f"feature_layer= one of {names}."
            ) from None
        inputs = f.inputs[0] if len(f.inputs) == 1 else f.inputs
        return keras.Model(inputs, layer.output, name="f_features")

    def _check_networks(self):
        source = self.data_shape_a
        feature_shape = tuple(self._features.outputs[0].shape[1:])
        dec_in = tuple(self.decoder.inputs[0].shape[1:])
        dec_out = tuple(self.decoder.outputs[0].shape[1:])
        d_in = tuple(self.discriminator.inputs[0].shape[1:])
        d_out = self.discriminator.outputs[0].shape[-1]
        if dec_in != feature_shape:
            raise GANConfigError(
                f"The decoder takes {dec_in} but f's layer {self.feature_layer!r} "
                f"gives features of shape {feature_shape}."
            )
        if dec_out != d_in:
            raise GANConfigError(
                f"The decoder makes images of shape {dec_out} but the discriminator "
                f"takes {d_in}."
            )
        if dec_out != source:
            raise GANConfigError(
                f"The decoder makes images of shape {dec_out} but f takes {source}: "
                "the DTN applies f to translated and target images too, so both "
                "domains need f's input shape."
            )
        if d_out != 3:
            raise GANConfigError(
                "The DTN discriminator classifies three ways (from source, from "
                f"target, real target): it needs 3 outputs, it has {d_out}."
            )

    @property
    def data_shape_a(self):
        return tuple(self.feature_extractor.inputs[0].shape[1:])

    @property
    def data_shape_b(self):
        return tuple(self.discriminator.inputs[0].shape[1:])

    def call(self, inputs, training=False):
        return self._g(inputs, training=training)

    def call_spec(self):
        return {
            "takes": "source images", "shape": self.data_shape_a, "labels": False,
            "gives": "their translations to the target domain",
            "instead": "bring the images to f's input shape, then use translate(x_source)",
        }

    def default_optimizer(self, player):
        return keras.optimizers.Adam(3e-4)

    # ------------------------------------------------------------ frozen f
    def _check_frozen(self):
        if self.feature_extractor.trainable_variables:
            raise GANConfigError(
                "The DTN feature extractor f has trainable weights (it was unfrozen "
                "after the model was built, e.g. feature_extractor.trainable = True). "
                "f must stay fixed: set model.feature_extractor.trainable = False."
            )

    def compile(self, *args, **kwargs):
        self._check_frozen()
        super().compile(*args, **kwargs)

    def fit(self, *args, **kwargs):
        self._check_frozen()
        return super().fit(*args, **kwargs)

    # ------------------------------------------------------------ data
    def check_domain(self, x, domain, expected):
        got = tuple(x.shape[1:])
        if got != tuple(expected):
            what = "Source" if domain == "A" else "Target"
            raise GANInputError(
                f"{what} images have shape {got} but the DTN's feature extractor f "
                f"takes {tuple(expected)}; f must accept the source and the target "
                "images. Bring both to f's input, e.g. keras_gans.data.two_domain."
                f"unpaired(x_source, x_target, size={expected[0]}, "
                f"channels={expected[-1]}), or train f on images of shape {got}."
            )
        super().check_domain(x, domain, expected)

    # ------------------------------------------------------------ losses
    def _g(self, x, training=True, network=None):
        network = network or self.decoder
        return network(self._features(x, training=False), training=training)

    def discriminator_loss(self, batch):
        source, target = batch["x_s"], batch["x_t"]
        fake_s = ops.stop_gradient(self._g(source))
        fake_t = ops.stop_gradient(self._g(target))
        aug = self.augment_images
        loss = (
            _class_ce(self.discriminator(aug(fake_s), training=True), FROM_SOURCE)
            + _class_ce(self.discriminator(aug(fake_t), training=True), FROM_TARGET)
            + _class_ce(self.discriminator(aug(target), training=True), REAL_TARGET)
        )
        return loss, {"d_loss": loss}

    def generator_loss(self, batch):
        source, target = batch["x_s"], batch["x_t"]
        f_s = self._features(source, training=False)
        fake_s = self.decoder(f_s, training=True)
        fake_t = self._g(target)
        aug = self.augment_images
        gan = _class_ce(
            self.discriminator(aug(fake_s), training=True), REAL_TARGET
        ) + _class_ce(self.discriminator(aug(fake_t), training=True), REAL_TARGET)
        const = mse(self._features(fake_s, training=False), f_s)
        tid = mse(fake_t, target)
        loss = gan + self.const_weight * const + self.tid_weight * tid
        logs = {"gan_loss": gan, "const_loss": const, "tid_loss": tid}
        if self.tv_weight:
            tv = total_variation(fake_s)
            loss = loss + self.tv_weight * tv
            logs["tv_loss"] = tv
        logs["g_loss"] = loss
        return loss, logs

    def phases(self):
        return [
            Phase("discriminator", ("discriminator",), self.discriminator_loss),
            Phase("generator", ("decoder",), self.generator_loss),
        ]

    def prepare_batch(self, data):
        batch = super().prepare_batch(data)
        return {"x_s": batch["x_a"], "x_t": batch["x_b"]}

    # ------------------------------------------------------------ translation
    def translate(self, x_source, batch_size=256):
        """Source images (N, H, W, C) in [-1, 1] -> target-domain images, numpy."""
        x = np.asarray(x_source)
        if x.ndim == len(self.data_shape_a):
            x = x[None]
        self.check_domain(x, "A", self.data_shape_a)
        out = []
        for start in range(0, len(x), batch_size):
            chunk = ops.convert_to_tensor(x[start : start + batch_size])
            y = self._g(chunk, training=False, network=self.sampler("decoder"))
            out.append(as_float32(y))
        return np.concatenate(out, axis=0)

    # ------------------------------------------------------------ capabilities
    directions = ("a2b",)

    def serving_network(self, *, direction="a2b", truncation_psi=1.0, labels="int"):
        """Source image -> g(f(image)), f's features and the decoder (its moving
        average when there is one) in one graph. One way: ``direction`` is unused."""
        image = keras.Input(self.data_shape_a, name="image")
        out = self._g(image, training=False, network=self.sampler("decoder"))
        return keras.Model(image, out, name="dtn_serving")

    # ------------------------------------------------------------ config
    def get_config(self):
        config = super().get_config()
        config.update(
            feature_layer=self.feature_layer,
            const_weight=self.const_weight,
            tid_weight=self.tid_weight,
            tv_weight=self.tv_weight,
            filters=self.filters,
        )
        return config


def total_variation(images):
    """Mean over pixels of sqrt(dx² + dy²), the paper's L_TV with B = 1."""
    z = ops.cast(images, "float32")
    dx = z[:, :-1, 1:] - z[:, :-1, :-1]
    dy = z[:, 1:, :-1] - z[:, :-1, :-1]
    return ops.mean(ops.sqrt(ops.square(dx) + ops.square(dy) + 1e-8))


def _class_ce(logits, cls):
    """Mean cross-entropy of 3-way logits against one class for the whole batch."""
    logits = ops.cast(logits, "float32")
    return ops.mean(ops.logsumexp(logits, axis=-1) - logits[:, cls])
