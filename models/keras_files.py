"""MNIST and CIFAR-10 from the files ``keras.datasets`` uses.

The files are looked up in a directory given by the user (``--data-dir``), or
else in the Keras cache (``$KERAS_HOME/datasets``, default
``~/.keras/datasets``), where Keras would download them to. A download is
attempted only when no directory was given and the cache holds nothing;
offline, the error says what to download and where to put it.

- MNIST: ``mnist.npz`` with arrays ``x_train``, ``y_train``, ``x_test``, ``y_test``.
- CIFAR-10: the extracted ``cifar-10-python.tar.gz``, i.e. a folder
  ``cifar-10-batches-py`` with the pickled ``data_batch_1`` .. ``data_batch_5``
  and ``test_batch`` (only load such files from a source you trust: they are
  Python pickles).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import sys
from pathlib import Path

import numpy as np

from ._raw import RawData
from .errors import DatasetUnavailableError

log = logging.getLogger(__name__)

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_DIR = "cifar-10-batches-py"
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)


def keras_cache_dir() -> Path:
    """Return the folder where Keras keeps downloaded data sets."""
    home = os.environ.get("KERAS_HOME")
    return (Path(home) if home else Path.home() / ".keras") / "datasets"


def _download(fname: str, origin: str, *, untar: bool) -> Path:
    """Download with Keras into its cache; return the path (raises on failure)."""
    from ._keras import keras

    # Keras prints its progress to stdout, which carries the CLI's JSON: send it to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        return Path(keras.utils.get_file(fname, origin=origin, untar=untar))


def _mnist_file(data_dir: Path | None) -> Path:
    if data_dir is not None:
        path = Path(data_dir) / "mnist.npz"
        if not path.is_file():
            raise DatasetUnavailableError(
                f"MNIST not found: {path} does not exist; download {MNIST_URL} and save it there"
            )
        return path
    path = keras_cache_dir() / "mnist.npz"
    if path.is_file():
        return path
    try:
        return _download("mnist.npz", MNIST_URL, untar=False)
    except Exception as exc:  # Keras raises plain Exception on network errors
        log.debug("MNIST download failed: %s", exc)
        raise DatasetUnavailableError(
            f"MNIST could not be downloaded (offline?); download {MNIST_URL} and save it as "
            f"{path}, or pass --data-dir DIR with mnist.npz in it"
        ) from None


def load_mnist(data_dir: Path | None = None) -> RawData:
    """Return MNIST (60,000 train / 10,000 test 28x28 uint8 digits, official split)."""
    path = _mnist_file(data_dir)
    with np.load(path) as npz:
        x_train, y_train = npz["x_train"], npz["y_train"]
        x_test, y_test = npz["x_test"], npz["y_test"]
    return RawData(
        images=x_train,
        labels=y_train.astype(np.int64),
        class_names=tuple(str(i) for i in range(10)),
        full_scale=256.0,
        source=str(path),
        test=(x_test, y_test.astype(np.int64)),
    )


def _cifar_dir(data_dir: Path | None) -> Path:
    if data_dir is not None:
        base = Path(data_dir)
        for candidate in (base / CIFAR10_DIR, base):
            if (candidate / "test_batch").is_file():
                return candidate
        raise DatasetUnavailableError(
            f"CIFAR-10 not found: {base / CIFAR10_DIR} does not exist; download {CIFAR10_URL} "
            f"and extract it into {base}"
        )
    cached = keras_cache_dir() / CIFAR10_DIR
    if (cached / "test_batch").is_file():
        return cached
    try:
        return _download(CIFAR10_DIR, CIFAR10_URL, untar=True)
    except Exception as exc:  # Keras raises plain Exception on network errors
        log.debug("CIFAR-10 download failed: %s", exc)
        raise DatasetUnavailableError(
            f"CIFAR-10 could not be downloaded (offline?); download {CIFAR10_URL} and extract "
            f"it into {cached.parent} (giving {cached}), or pass --data-dir DIR"
        ) from None


def _cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise DatasetUnavailableError(f"CIFAR-10 is incomplete: {path} is missing")
    with path.open("rb") as f:
        batch = pickle.load(f, encoding="bytes")
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data = np.asarray(batch["data"], np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return data, np.asarray(batch["labels"], np.int64)


def load_cifar10(data_dir: Path | None = None) -> RawData:
    """Return CIFAR-10 (50,000 train / 10,000 test 32x32 RGB uint8 images, official split)."""
    folder = _cifar_dir(data_dir)
    parts = [_cifar_batch(folder / f"data_batch_{i}") for i in range(1, 6)]
    x_test, y_test = _cifar_batch(folder / "test_batch")
    return RawData(
        images=np.concatenate([x for x, _ in parts]),
        labels=np.concatenate([y for _, y in parts]),
        class_names=CIFAR10_CLASSES,
        full_scale=256.0,
        source=str(folder),
        test=(x_test, y_test),
    )


__all__ = ["CIFAR10_URL", "MNIST_URL", "keras_cache_dir", "load_cifar10", "load_mnist"]
