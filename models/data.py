"""Data sets of the model zoo, delivered as input codes on the model's grid.

:func:`load_dataset` returns a :class:`Dataset` whose images are ``uint8``
codes already preprocessed for a model's :class:`InputSpec` (resized, gray or
RGB, on the input quantizer's grid; see :mod:`fpgacnn.spec.preprocess`).

Known names: ``digits`` (scikit-learn ``load_digits``), ``faces``
(scikit-image ``lfw_subset``), ``mnist`` and ``cifar10`` (the files
``keras.datasets`` uses, looked up in ``--data-dir`` or the Keras cache and
downloaded only when no directory is given). Any existing directory is read as
an image folder (:mod:`fpgacnn.models.folder`). No TensorFlow is imported
unless a download is attempted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fpgacnn.spec.preprocess import InputSpec, to_codes

from ._raw import RawData
from .errors import DataShapeError, UnknownDatasetError
from .folder import load_image_folder
from .keras_files import load_cifar10, load_mnist

log = logging.getLogger(__name__)

#: The data sets known by name.
DATASET_NAMES = ("cifar10", "digits", "faces", "mnist")


@dataclass(frozen=True, kw_only=True)
class Dataset:
    """A train/test split of input codes with integer labels.

    ``x_*`` are ``uint8`` arrays ``(N, H, W, C)``; ``y_*`` are ``int64``
    class indices into ``class_names``; ``full_scale`` is the source value
    that was mapped to input 1.0; ``split`` describes how the split was made
    (recorded in every metrics file).
    """

    name: str
    source: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    full_scale: float = 256.0
    split: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for part in ("train", "test"):
            x, y = getattr(self, f"x_{part}"), getattr(self, f"y_{part}")
            if x.dtype != np.uint8 or x.ndim != 4 or y.shape != (x.shape[0],):
                raise DataShapeError(
                    f"{part} split must be uint8 codes (N, H, W, C) with N labels, got "
                    f"{x.dtype} {x.shape} and labels {y.shape}"
                )
            if y.size and (y.min() < 0 or y.max() >= len(self.class_names)):
                raise DataShapeError(
                    f"{part} labels must be in 0..{len(self.class_names) - 1}, "
                    f"got {int(y.min())}..{int(y.max())}"
                )

    @property
    def num_classes(self) -> int:
        """The number of classes."""
        return len(self.class_names)

    def summary(self) -> dict[str, Any]:
        """Return name, source, sizes, classes and split, JSON-ready."""
        return {
            "name": self.name,
            "source": self.source,
            "n_train": int(self.x_train.shape[0]),
            "n_test": int(self.x_test.shape[0]),
            "input_shape": list(self.x_train.shape[1:]),
            "classes": list(self.class_names),
            "full_scale": self.full_scale,
            "split": dict(self.split),
        }


def _digits() -> RawData:
    from sklearn.datasets import load_digits

    digits = load_digits()
    return RawData(
        images=digits.images.astype(np.uint8),  # integers 0..16: the exact path
        labels=digits.target.astype(np.int64),
        class_names=tuple(str(i) for i in range(10)),
        full_scale=16.0,
        source="sklearn.datasets.load_digits",
    )


def _faces() -> RawData:
    from skimage.data import lfw_subset

    images = lfw_subset()  # 100 faces, then 100 non-faces, floats in [0, 1]
    labels = np.r_[np.ones(100, np.int64), np.zeros(len(images) - 100, np.int64)]
    return RawData(
        images=images,
        labels=labels,
        class_names=("non-face", "face"),
        full_scale=1.0,
        source="skimage.data.lfw_subset",
    )


def _codes(images: np.ndarray | list[np.ndarray], spec: InputSpec, full_scale: float) -> np.ndarray:
    if isinstance(images, list):  # an image folder: sizes may differ
        return np.concatenate(
            [to_codes(img[None], spec, full_scale=full_scale) for img in images]
        ) if images else np.zeros((0, *spec.shape), np.uint8)
    return to_codes(images, spec, full_scale=full_scale)


def _split(
    raw: RawData, spec: InputSpec, seed: int, test_fraction: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    if raw.test is not None:
        x_test, y_test = raw.test
        split = {"method": "official"}
        return (
            _codes(raw.images, spec, raw.full_scale),
            raw.labels,
            _codes(x_test, spec, raw.full_scale),
            y_test,
            split,
        )
    if not 0.0 < test_fraction < 1.0:
        raise DataShapeError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    from sklearn.model_selection import train_test_split

    codes = _codes(raw.images, spec, raw.full_scale)
    index = np.arange(len(raw.labels))
    train_idx, test_idx = train_test_split(
        index, test_size=test_fraction, random_state=seed, stratify=raw.labels
    )
    split = {"method": "stratified random", "test_fraction": test_fraction, "seed": seed}
    return codes[train_idx], raw.labels[train_idx], codes[test_idx], raw.labels[test_idx], split


def load_dataset(
    data: str,
    spec: InputSpec,
    *,
    data_dir: Path | None = None,
    seed: int = 0,
    test_fraction: float = 0.25,
) -> Dataset:
    """Load data set ``data`` (a name of :data:`DATASET_NAMES` or an image folder).

    Images are preprocessed for ``spec``. Sources without an official test
    split are split stratified at random (``test_fraction``, ``seed``).
    ``data_dir`` is where ``mnist`` / ``cifar10`` files are looked up.
    Raises :class:`UnknownDatasetError` for an unknown name and
    :class:`DatasetUnavailableError` for files that must be downloaded first.
    """
    if data == "digits":
        raw = _digits()
    elif data == "faces":
        raw = _faces()
    elif data == "mnist":
        raw = load_mnist(data_dir)
    elif data == "cifar10":
        raw = load_cifar10(data_dir)
    elif Path(data).is_dir():
        raw = load_image_folder(Path(data))
        data = "folder"
    else:
        raise UnknownDatasetError(
            f"unknown data set {data!r}: expected one of {', '.join(DATASET_NAMES)} "
            "or the path of an image folder"
        )
    x_train, y_train, x_test, y_test, split = _split(raw, spec, seed, test_fraction)
    dataset = Dataset(
        name=data,
        source=raw.source,
        x_train=x_train,
        y_train=np.asarray(y_train, np.int64),
        x_test=x_test,
        y_test=np.asarray(y_test, np.int64),
        class_names=raw.class_names,
        full_scale=raw.full_scale,
        split=split,
    )
    log.info(
        "data set %s: %d train, %d test, %d classes, input %s",
        data, len(y_train), len(y_test), dataset.num_classes, spec.shape,
    )
    return dataset


__all__ = ["DATASET_NAMES", "Dataset", "RawData", "load_dataset"]
