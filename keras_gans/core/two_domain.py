"""TwoDomainGAN: the players, data handling and ``translate`` shared by the
unpaired two-domain translators (CycleGAN, DiscoGAN).

Players: ``generator_ab`` (A -> B), ``generator_ba`` (B -> A),
``discriminator_a`` and ``discriminator_b``. ``fit`` takes unpaired batches of
both domains, as ``fit((x_a, x_b))``, ``fit(x_a, x_b)`` or a dataset yielding
``(x_a, x_b)`` batches (``keras_gans.data.two_domain.UnpairedBatches``).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from keras_gans.core.batches import check_training_array, is_torch_loader, split_element
from keras_gans.core.gan_model import GANModel, as_float32
from keras_gans.errors import GANConfigError, GANInputError


class TwoDomainGAN(GANModel):
    """Base class of unpaired translators between domains A and B.

    Args:
        generator_ab, generator_ba, discriminator_a, discriminator_b: Keras
            models; those left out are built by ``build_networks``.
        data_shape_a, data_shape_b: image shape of each domain, e.g.
            ``(28, 28, 1)``; ``data_shape`` sets both.
        augment: a DiffAugment policy (``"color,translation,cutout"``) applied
            with fresh parameters to every real and translated image on its way
            into a discriminator, in both phases (never to the generators'
            inputs, their cycle/identity terms or ``translate``); None = off.
        seed: seed of the model's ``keras.random.SeedGenerator``.
    """

    sampling_networks = ("generator_ab", "generator_ba")

    players = ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b")

    def __init__(
        self,
        generator_ab=None,
        generator_ba=None,
        discriminator_a=None,
        discriminator_b=None,
        *,
        data_shape=None,
        data_shape_a=None,
        data_shape_b=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        nets = [generator_ab, generator_ba, discriminator_a, discriminator_b]
        shape_a = data_shape_a or data_shape
        shape_b = data_shape_b or data_shape
        if shape_a is None and generator_ab is not None:
            shape_a = tuple(generator_ab.inputs[0].shape[1:])
        if shape_b is None and generator_ba is not None:
            shape_b = tuple(generator_ba.inputs[0].shape[1:])
        if any(net is None for net in nets):
            if shape_a is None or shape_b is None:
                raise GANConfigError(
                    f"{type(self).__name__} needs data_shape= (both domains) or "
                    "data_shape_a= and data_shape_b= (e.g. (28, 28, 1)) to build its "
                    "networks, or all four networks."
                )
            shape_a, shape_b = tuple(shape_a), tuple(shape_b)
            self._check_domain_shapes(shape_a, shape_b)
            built = self.build_networks(shape_a, shape_b)
            nets = [net or b for net, b in zip(nets, built)]
        self.generator_ab, self.generator_ba, self.discriminator_a, self.discriminator_b = nets
        self._check_networks()
        self.check_augment(self.data_shape_a)
        self.check_augment(self.data_shape_b)
        self.build_ema()

    # ------------------------------------------------------------ networks
    def build_networks(self, shape_a, shape_b):
        """-> (generator_ab, generator_ba, discriminator_a, discriminator_b)."""
        raise NotImplementedError

    def _check_domain_shapes(self, shape_a, shape_b):
        if len(shape_a) != 3 or len(shape_b) != 3:
            raise GANConfigError(
                f"{type(self).__name__} translates images (H, W, C); got domain shapes "
                f"{shape_a} and {shape_b}."
            )
        if shape_a[:2] != shape_b[:2]:
            raise GANConfigError(
                f"{type(self).__name__}'s generators keep the image size, but domain A "
                f"is {shape_a[0]}x{shape_a[1]} and domain B {shape_b[0]}x{shape_b[1]}. "
                "Bring both to one size, e.g. keras_gans.data.two_domain.unpaired("
                f"x_a, x_b, size={max(shape_a[0], shape_b[0])})."
            )

    def _check_networks(self):
        a, b = self.data_shape_a, self.data_shape_b
        pairs = [
            ("generator_ab", self.generator_ab, a, b),
            ("generator_ba", self.generator_ba, b, a),
        ]
        for name, net, src, dst in pairs:
            got_in = tuple(net.inputs[0].shape[1:])
            got_out = tuple(_first(net.outputs).shape[1:])
            if got_in != src or got_out != dst:
                raise GANConfigError(
                    f"{name} must map images {src} to {dst}; it maps {got_in} to {got_out}."
                )
        if tuple(self.discriminator_b.inputs[0].shape[1:]) != b:
            raise GANConfigError(
                f"discriminator_b takes {tuple(self.discriminator_b.inputs[0].shape[1:])} "
                f"but domain B images are {b}."
            )

    @property
    def data_shape_a(self):
        return tuple(self.discriminator_a.inputs[0].shape[1:])

    @property
    def data_shape_b(self):
        return tuple(self.discriminator_b.inputs[0].shape[1:])

    @property
    def data_shape(self):
        return self.data_shape_a

    @property
    def data_range(self):
        return (-1.0, 1.0)

    def call(self, inputs, training=False):
        return self.generator_ab(inputs, training=training)

    def call_spec(self):
        return {
            "takes": "domain A images", "shape": self.data_shape_a, "labels": False,
            "gives": "their translations to domain B",
            "instead": "for domain B images use translate(x, direction='b2a')",
        }

    # ------------------------------------------------------------ data
    def prepare_batch(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(x, (list, tuple)) and len(x) == 2:
            if y is not None:
                raise self._labels_error()
            x_a, x_b = x
        elif y is not None:
            x_a, x_b = x, y
        else:
            raise self._single_domain_error(getattr(x, "shape", None))
        if sample_weight is not None:
            raise self._labels_error()
        return {
            "x_a": ops.cast(x_a, self.compute_dtype),
            "x_b": ops.cast(x_b, self.compute_dtype),
        }

    def validate_data(self, x, y=None):
        if isinstance(x, (list, tuple)) and len(x) == 2:
            if y is not None or _is_labels(x[1]):
                raise self._labels_error()
            x, y = x
        elif isinstance(x, (list, tuple)) and len(x) > 2:
            raise self._labels_error()
        if isinstance(x, keras.utils.PyDataset):
            if len(x) == 0:
                raise GANInputError("The dataset is empty: fit() got no batches.")
            x, y = self._unpack_element(x[0])
        elif hasattr(x, "element_spec") or is_torch_loader(x):
            for element in x.take(1) if hasattr(x, "take") else x:
                x, y = self._unpack_element(element)
                break
            else:
                raise GANInputError("The dataset is empty: fit() got no batches.")
        elif not hasattr(x, "__array__"):
            return  # a Python generator: peeking would consume it
        x = np.asarray(x)
        if y is None:
            raise self._single_domain_error(x.shape)
        y = np.asarray(y)
        if _is_labels(y) and x.ndim > 2:
            raise self._labels_error(y.shape)
        if len(x) != len(y):
            raise GANInputError(
                f"Domain A has {len(x)} images and domain B {len(y)}: fit() needs one "
                "B image per A image. Pair them with "
                "keras_gans.data.two_domain.unpaired(x_a, x_b) (shuffles each domain "
                "and repeats the shorter one) or use UnpairedBatches."
            )
        self.check_domain(x, "A", self.data_shape_a)
        self.check_domain(y, "B", self.data_shape_b)

    def _unpack_element(self, element):
        if isinstance(element, dict):
            return element.get("x_a"), element.get("x_b")
        if isinstance(element, (list, tuple)):
            if len(element) == 1 and isinstance(element[0], (list, tuple)):
                element = element[0]
            if len(element) >= 2 and isinstance(element[0], (list, tuple)):
                raise self._labels_error()
            if len(element) > 2:
                raise self._labels_error()
            if len(element) == 2:
                return split_element(tuple(element))
        x, _ = split_element(element)
        return x, None

    def check_domain(self, x, domain, expected):
        """Raise ``GANInputError`` if ``x`` (numpy) cannot be domain ``domain``."""
        def hint(got, expected):
            if len(got) == 2 and expected[-1] == 1:
                return " Add a channel axis: x[..., None]."
            if len(got) == 3 and got[:2] == expected[:2]:
                return (f" The model takes {expected[-1]} channel(s), the images have "
                        f"{got[-1]}: convert them with keras_gans.data.two_domain.unpaired"
                        f"(x_a, x_b, channels={expected[-1]}) or build the model with "
                        f"data_shape_{domain.lower()}={got}.")
            return (" Bring them to the model's size with keras_gans.data.two_domain."
                    f"unpaired(x_a, x_b, size={expected[0]}, channels={expected[-1]}) or "
                    f"build the model with data_shape_{domain.lower()}={got}.")

        check_training_array(x, expected, model=type(self).__name__,
                             items=f"Domain {domain} images", subject=f"Domain {domain}",
                             shape_hint=hint, value_range=(-1.0, 1.0))

    def _single_domain_error(self, shape=None):
        got = f" (one array of shape {tuple(shape)})" if shape is not None else ""
        return GANInputError(
            f"{type(self).__name__} translates between two domains, but fit() got a "
            f"single-domain dataset{got}. Pass unpaired images of both domains: "
            "fit((x_a, x_b)) with x_a, x_b = keras_gans.data.two_domain.unpaired(...), "
            "or a dataset of (x_a, x_b) batches (UnpairedBatches)."
        )

    def _labels_error(self, shape=None):
        got = f" (an array of shape {tuple(shape)})" if shape is not None else ""
        return GANInputError(
            f"{type(self).__name__} is unsupervised and takes no labels, but fit() got "
            f"labels{got}. Pass only the images of both domains, fit((x_a, x_b)); keep "
            "the labels for evaluating translations (keras_gans.metrics)."
        )

    # ------------------------------------------------------------ translation
    def translate(self, x, direction="a2b", batch_size=256):
        """Translate images of one domain into the other, as a numpy array.

        Args:
            x: images in [-1, 1], ``(N, H, W, C)`` of the source domain.
            direction: ``"a2b"`` (``generator_ab``) or ``"b2a"`` (``generator_ba``).
        """
        if direction not in ("a2b", "b2a"):
            raise GANConfigError(f"direction must be 'a2b' or 'b2a'; got {direction!r}.")
        net = self.sampler("generator_ab" if direction == "a2b" else "generator_ba")
        domain, shape = ("A", self.data_shape_a) if direction == "a2b" else (
            "B", self.data_shape_b)
        x = np.asarray(x)
        if x.ndim == len(shape):
            x = x[None]
        self.check_domain(x, domain, shape)
        out = []
        for start in range(0, len(x), batch_size):
            y = net(ops.convert_to_tensor(x[start : start + batch_size]), training=False)
            out.append(as_float32(_first(y)))
        return np.concatenate(out, axis=0)

    def generate(self, *args, **kwargs):
        raise GANConfigError(
            f"{type(self).__name__} translates images, it does not sample from noise: "
            "use translate(x, direction='a2b' or 'b2a')."
        )

    # ------------------------------------------------------------ capabilities
    directions = ("a2b", "b2a")

    def sample_inputs(self, direction="a2b"):
        direction = self.check_direction(direction or self.directions[0])
        return {"image": self.data_shape_a if direction == "a2b" else self.data_shape_b}

    def serving_network(self, *, direction="a2b", truncation_psi=1.0, labels="int"):
        """image -> its translation by ``direction``'s generator (its moving
        average when there is one)."""
        direction = self.check_direction(direction)
        net = self.sampler("generator_ab" if direction == "a2b" else "generator_ba")
        image = keras.Input(self.sample_inputs(direction)["image"], name="image")
        out = _first(net(image, training=False))
        return keras.Model(image, out, name=f"{net.name}_serving")

    def inversion_target(self):
        raise GANInputError(
            f"{type(self).__name__} translates images; it has no latent code to "
            "project into. Use model.translate(images) (keras-gans translate).")

    def output_check_sample(self, n=2, seed=0):
        """``translate`` of ``n`` seeded uniform(-1, 1) images of domain A."""
        x = np.random.default_rng(seed).uniform(-1, 1, (n, *self.data_shape_a))
        out = self.translate(x.astype("float32"))
        return out, {"method": "translate", "seed": seed, "n": n, "input": "uniform(-1, 1)"}

    # ------------------------------------------------------------ config


def _first(outputs):
    return outputs[0] if isinstance(outputs, (list, tuple)) else outputs


def _is_labels(y):
    """Class ids (N,) or one-hot (N, K), as opposed to images."""
    shape = getattr(y, "shape", None)
    return shape is not None and len(shape) <= 2
