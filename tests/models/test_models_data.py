"""Data loaders (digits, faces, MNIST/CIFAR-10 files, image folders) and augmentation."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import numpy as np
import pytest
from skimage import io

from fpgacnn.models.augment import AugmentConfig, augment_codes
from fpgacnn.models.data import Dataset, load_dataset
from fpgacnn.models.errors import (
    ConfigError,
    DatasetUnavailableError,
    DataShapeError,
    UnknownDatasetError,
)
from fpgacnn.models.keras_files import CIFAR10_URL, MNIST_URL
from fpgacnn.spec.preprocess import ColorMode, InputSpec

DIGITS = InputSpec(height=8, width=8)
MNIST = InputSpec(height=28, width=28)
RGB32 = InputSpec(height=32, width=32, color=ColorMode.RGB)


def test_digits_split_is_a_stratified_quarter_on_the_grid() -> None:
    data = load_dataset("digits", DIGITS)
    assert (data.x_train.shape, data.x_test.shape) == ((1347, 8, 8, 1), (450, 8, 8, 1))
    assert data.class_names == tuple(str(i) for i in range(10))
    per_class = np.bincount(np.concatenate([data.y_train, data.y_test]))
    assert np.all(np.abs(np.bincount(data.y_test) - per_class * 0.25) <= 1)  # stratified
    values = np.unique(np.concatenate([data.x_train, data.x_test]))
    assert set(values.tolist()) <= {16 * p for p in range(16)} | {255}
    assert data.summary()["split"] == {"method": "stratified random", "test_fraction": 0.25,
                                       "seed": 0}
    other = load_dataset("digits", DIGITS, seed=1)
    assert not np.array_equal(other.y_test, data.y_test)


def test_digits_resize_to_a_larger_model_input() -> None:
    data = load_dataset("digits", MNIST)
    assert data.x_train.shape[1:] == (28, 28, 1)


def test_faces_are_lfw_subset_two_classes() -> None:
    data = load_dataset("faces", InputSpec(height=25, width=25))
    assert (len(data.y_train), len(data.y_test)) == (150, 50)
    assert data.class_names == ("non-face", "face")
    assert np.bincount(data.y_test).tolist() == [25, 25]
    assert data.x_train.max() > 200 and data.x_train.dtype == np.uint8


def _write_mnist(folder: Path) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8),
        "y_train": np.arange(20, dtype=np.uint8) % 10,
        "x_test": rng.integers(0, 256, size=(10, 28, 28), dtype=np.uint8),
        "y_test": np.arange(10, dtype=np.uint8),
    }
    np.savez(folder / "mnist.npz", **arrays)
    return arrays


def test_mnist_file_in_data_dir_keeps_the_official_split(tmp_path: Path) -> None:
    arrays = _write_mnist(tmp_path)
    data = load_dataset("mnist", MNIST, data_dir=tmp_path)
    assert np.array_equal(data.x_train[..., 0], arrays["x_train"])
    assert np.array_equal(data.y_test, arrays["y_test"])
    assert data.split == {"method": "official"}
    small = load_dataset("mnist", DIGITS, data_dir=tmp_path)
    assert small.x_test.shape == (10, 8, 8, 1)


def test_missing_mnist_says_what_to_download_and_where(tmp_path: Path) -> None:
    message = (f"MNIST not found: {tmp_path / 'mnist.npz'} does not exist; download {MNIST_URL} "
               "and save it there")
    with pytest.raises(DatasetUnavailableError, match=rf"^{re.escape(message)}$"):
        load_dataset("mnist", MNIST, data_dir=tmp_path)


def _write_cifar(folder: Path) -> np.ndarray:
    folder.mkdir()
    rng = np.random.default_rng(1)
    planar = rng.integers(0, 256, size=(6, 3, 32, 32), dtype=np.uint8)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": planar.reshape(6, 3072), b"labels": [0, 1, 2, 3, 4, 9]}
        (folder / name).write_bytes(pickle.dumps(batch))
    return planar


def test_cifar10_batches_are_read_as_rgb(tmp_path: Path) -> None:
    planar = _write_cifar(tmp_path / "cifar-10-batches-py")
    data = load_dataset("cifar10", RGB32, data_dir=tmp_path)
    assert data.x_train.shape == (30, 32, 32, 3) and data.x_test.shape == (6, 32, 32, 3)
    assert np.array_equal(data.x_test[2, 5, 7], planar[2, :, 5, 7])  # R, G, B of one pixel
    assert data.y_test.tolist() == [0, 1, 2, 3, 4, 9]
    assert data.class_names[9] == "truck"


def test_missing_cifar10_says_what_to_download_and_where(tmp_path: Path) -> None:
    message = (f"CIFAR-10 not found: {tmp_path / 'cifar-10-batches-py'} does not exist; "
               f"download {CIFAR10_URL} and extract it into {tmp_path}")
    with pytest.raises(DatasetUnavailableError, match=rf"^{re.escape(message)}$"):
        load_dataset("cifar10", RGB32, data_dir=tmp_path)


def _write_folder(root: Path, classes: dict[str, int], size: tuple[int, int] = (40, 30)) -> None:
    rng = np.random.default_rng(2)
    for name, count in classes.items():
        (root / name).mkdir(parents=True)
        for i in range(count):
            image = rng.integers(0, 256, size=(*size, 3), dtype=np.uint8)
            io.imsave(root / name / f"{i}.png", image, check_contrast=False)
    (root / "notes.txt").write_text("not an image folder entry")


def test_image_folder_classes_are_sorted_sub_folders(tmp_path: Path) -> None:
    _write_folder(tmp_path, {"00001": 8, "00000": 8, "00002": 4})
    data = load_dataset(str(tmp_path), RGB32, seed=3)
    assert data.name == "folder" and data.class_names == ("00000", "00001", "00002")
    assert len(data.y_train) + len(data.y_test) == 20 and data.x_train.shape[1:] == (32, 32, 3)
    assert set(data.y_test.tolist()) == {0, 1, 2}


def test_image_folder_with_train_and_test_uses_that_split(tmp_path: Path) -> None:
    _write_folder(tmp_path / "train", {"cat": 3, "dog": 2})
    _write_folder(tmp_path / "test", {"cat": 1, "dog": 1}, size=(16, 16))
    data = load_dataset(str(tmp_path), InputSpec(height=12, width=12))
    assert (len(data.y_train), len(data.y_test)) == (5, 2)
    assert data.y_test.tolist() == [0, 1] and data.split == {"method": "official"}


def test_image_folder_errors(tmp_path: Path) -> None:
    _write_folder(tmp_path / "one", {"only": 2})
    message = (f"image folder {tmp_path / 'one'} needs at least 2 class sub-folders with images "
               "(.png, .jpg, .jpeg, .ppm, .pgm, .bmp), found 1")
    with pytest.raises(DatasetUnavailableError, match=rf"^{re.escape(message)}$"):
        load_dataset(str(tmp_path / "one"), RGB32)
    _write_folder(tmp_path / "two" / "train", {"a": 2, "b": 2})
    _write_folder(tmp_path / "two" / "test", {"a": 1, "c": 1})
    message = (f"image folder {tmp_path / 'two' / 'test'} has class 'c' that the training "
               "folder does not have")
    with pytest.raises(DataShapeError, match=rf"^{re.escape(message)}$"):
        load_dataset(str(tmp_path / "two"), RGB32)


def test_unknown_data_set_name() -> None:
    with pytest.raises(UnknownDatasetError, match=r"^unknown data set 'imagenet': expected one "
                       r"of cifar10, digits, faces, mnist or the path of an image folder$"):
        load_dataset("imagenet", DIGITS)


def test_dataset_rejects_labels_outside_the_classes() -> None:
    codes = np.zeros((2, 8, 8, 1), np.uint8)
    with pytest.raises(DataShapeError, match=r"^train labels must be in 0\.\.1, got 0\.\.2$"):
        Dataset(name="x", source="x", x_train=codes, y_train=np.array([0, 2]), x_test=codes,
                y_test=np.array([0, 1]), class_names=("a", "b"))


def test_augmentation_shift_mirror_noise() -> None:
    image = np.zeros((1, 5, 5, 1), np.uint8)
    image[0, 2, 2, 0] = 200
    rng = np.random.default_rng(0)
    shifted = augment_codes(image, AugmentConfig(shift=1, probability=1.0), rng)
    assert shifted.sum() in (0, 200)  # moved by at most one pixel, possibly not at all
    y, x = np.argwhere(shifted[0, :, :, 0] == 200)[0]
    assert abs(y - 2) <= 1 and abs(x - 2) <= 1
    ramp = np.arange(25, dtype=np.uint8).reshape(1, 5, 5, 1)
    mirrored = augment_codes(ramp, AugmentConfig(mirror=True, probability=1.0), rng)
    assert np.array_equal(mirrored, ramp[:, :, ::-1])
    noisy = augment_codes(np.full((4, 8, 8, 1), 128, np.uint8), AugmentConfig(noise=5.0,
                          probability=1.0), rng)
    assert noisy.dtype == np.uint8 and 0 < np.abs(noisy.astype(int) - 128).mean() < 10
    rotated = augment_codes(ramp, AugmentConfig(rotation=90.0, probability=1.0), rng)
    assert rotated.dtype == np.uint8 and not np.array_equal(rotated, ramp)


def test_augmentation_is_reproducible_and_off_by_default() -> None:
    codes = np.random.default_rng(5).integers(0, 256, size=(6, 8, 8, 1), dtype=np.uint8)
    cfg = AugmentConfig(shift=2, rotation=15.0, noise=3.0)
    first = augment_codes(codes, cfg, np.random.default_rng(9))
    again = augment_codes(codes, cfg, np.random.default_rng(9))
    assert np.array_equal(first, again) and not np.array_equal(first, codes)
    assert not AugmentConfig().enabled
    assert np.array_equal(augment_codes(codes, AugmentConfig(), np.random.default_rng(0)), codes)


def test_augmentation_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"^AugmentConfig.shift must be an int >= 0, got -1$"):
        AugmentConfig(shift=-1)
    with pytest.raises(ConfigError,
                       match=r"^AugmentConfig.probability must be in \[0, 1\], got 1.5$"):
        AugmentConfig(probability=1.5)
    with pytest.raises(DataShapeError, match=r"^augment_codes needs uint8 codes of shape "
                       r"\(N, H, W, C\), got float64 \(8, 8\)$"):
        augment_codes(np.zeros((8, 8)), AugmentConfig(), np.random.default_rng(0))
