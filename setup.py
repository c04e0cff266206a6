import os

from setuptools import find_packages, setup


def _readme():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "README.md")
    with open(path, encoding="utf-8") as f:
        return f.read()


# Pinned to what the test suite runs on (see .ci/run). tensorflow-cpu brings
# neither tensorboard (keras.callbacks.TensorBoard needs it) nor
# importlib_resources, which tensorflow-datasets imports (through etils) as soon
# as it prepares a dataset.
TENSORFLOW = ["tensorflow-cpu==2.21.0", "tensorflow-datasets==4.9.10", "tensorboard==2.21.0",
              "importlib_resources==7.1.0"]
JAX = ["jax[cpu]==0.10.2"]
# Exactly 2.13.0: its CPU wheel is the one these machines hold; other versions
# pull several GB of CUDA packages.
TORCH = ["torch==2.13.0"]
# GPU builds (Linux x86-64, NVIDIA), the versions the CPU tests run on; stated,
# not yet tested on a GPU (docs/gpu.md): TensorFlow's own CUDA extra, JAX's CUDA
# 12 wheels (jax[cuda13] for a CUDA 13 driver), and torch 2.13.0 as PyPI serves
# it on Linux, which is its CUDA build: the same pin as the CPU extra, which gets
# the CPU build only from the CPU index these machines use
# (--index-url https://download.pytorch.org/whl/cpu). Install a GPU extra in an
# environment of its own: tensorflow-cpu and jax[cpu] are other builds.
TENSORFLOW_CUDA = ["tensorflow[and-cuda]==2.21.0", "tensorflow-datasets==4.9.10",
                   "tensorboard==2.21.0", "importlib_resources==7.1.0"]
JAX_CUDA = ["jax[cuda12]==0.10.2"]
TORCH_CUDA = ["torch==2.13.0"]
# keras_gans.export_generator(format="onnx"): the converters Keras' exporter
# calls on TensorFlow (tf2onnx) and torch (onnxscript for torch.onnx), and
# onnxruntime to run the artifact. About 39 MB of wheels; they change no
# pinned version above. Pinned to the versions the tests ran on.
EXPORT = ["onnx==1.23.2", "onnxruntime==1.32.0", "onnxscript==0.7.2", "tf2onnx==1.17.0"]
# ONNX from the JAX backend: jax2onnx pulls flax, optax, orbax, tensorstore
# and huggingface_hub (about 41 MB more, 30 packages), so it is kept out of "all".
EXPORT_JAX = ["jax2onnx==0.17.1"]

setup(
    name="keras-gans",
    version="0.1.0",
    description="GANs for Keras 3 that train with model.fit on TensorFlow, JAX and PyTorch",
    long_description=_readme(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["keras_gans", "keras_gans.*"]) + ["keras_gans.zoo"],
    # The evaluation classifiers' weights and reference statistics ship with
    # the package, so evaluation runs offline.
    # The zoo (zoo/<preset>/...) installs as keras_gans/zoo, so presets load
    # offline from the installed package, not from a source tree.
    package_dir={"keras_gans.zoo": "zoo"},
    package_data={
        "keras_gans.metrics": ["assets/*.h5", "assets/*.npz", "assets/*.json"],
        "keras_gans.zoo": ["*/metadata.json", "*/config.json", "*/model.weights.h5",
                           "*/samples.png", "README.md"],
    },
    install_requires=["keras>=3.15,<3.16", "numpy", "scikit-learn", "h5py"],
    extras_require={
        "tensorflow": TENSORFLOW,
        "jax": JAX,
        "torch": TORCH,
        "export": EXPORT,
        "export-jax": EXPORT + EXPORT_JAX,
        "all": TENSORFLOW + JAX + TORCH + EXPORT,
        "tensorflow-cuda": TENSORFLOW_CUDA,
        "jax-cuda": JAX_CUDA,
        "torch-cuda": TORCH_CUDA,
        # JAX and torch with CUDA in one environment, as on the GPU machines we
        # test on. TensorFlow stays in its own extra: its and torch's CUDA
        # wheels pin exact versions of the same nvidia-* packages, which need
        # not agree (not checked).
        "cuda": JAX_CUDA + TORCH_CUDA,
        "dev": ["pytest>=8", "pytest-xdist>=3", "ruff"],
        # benchmarks/plot.py draws with matplotlib; keras_gans.bench samples
        # peak memory with psutil (and falls back to the process' max RSS).
        "bench": ["matplotlib", "psutil"],
    },
    entry_points={"console_scripts": ["keras-gans=keras_gans.cli:main"]},
)
