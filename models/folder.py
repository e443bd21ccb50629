"""Image-folder data sets: one sub-folder per class (GTSRB or a user's own classes).

Layouts accepted, with images ``*.png``, ``*.jpg``, ``*.jpeg``, ``*.ppm``,
``*.pgm`` or ``*.bmp`` of any size (8-bit gray, RGB or RGBA):

- ``ROOT/<class>/<image>``: the loader splits train/test itself;
- ``ROOT/train/<class>/<image>`` and ``ROOT/test/<class>/<image>``: that split is used.

Class names are the sub-folder names in sorted order (GTSRB's
``Final_Training/Images`` has ``00000`` .. ``00042``, so the labels are the
official class ids).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._raw import RawData
from .errors import DatasetUnavailableError, DataShapeError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".ppm", ".pgm", ".bmp")


def _read(path: Path) -> np.ndarray:
    from skimage import io

    image = np.asarray(io.imread(path))
    if image.dtype != np.uint8:
        raise DataShapeError(f"{path}: only 8-bit images are supported, got {image.dtype}")
    if image.ndim == 3 and image.shape[-1] == 4:  # drop alpha
        image = image[..., :3]
    if image.ndim == 3 and image.shape[-1] == 2:  # gray + alpha
        image = image[..., :1]
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[-1] not in (1, 3):
        raise DataShapeError(f"{path}: unsupported image shape {image.shape}")
    return image


def _classes(root: Path) -> list[tuple[str, list[Path]]]:
    out = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(p for p in sub.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if files:
            out.append((sub.name, files))
    return out


def _read_split(
    root: Path, class_names: tuple[str, ...]
) -> tuple[list[np.ndarray], np.ndarray]:
    index = {name: i for i, name in enumerate(class_names)}
    images: list[np.ndarray] = []
    labels: list[int] = []
    for name, files in _classes(root):
        if name not in index:
            raise DataShapeError(
                f"image folder {root} has class {name!r} that the training folder does not have"
            )
        images.extend(_read(f) for f in files)
        labels.extend([index[name]] * len(files))
    return images, np.asarray(labels, np.int64)


def load_image_folder(root: Path) -> RawData:
    """Read an image folder (layouts in the module docstring) as 8-bit images.

    Raises :class:`DatasetUnavailableError` when fewer than two class folders
    with images are found.
    """
    root = Path(root)
    train_root = root / "train" if (root / "train").is_dir() and (root / "test").is_dir() else root
    classes = _classes(train_root)
    if len(classes) < 2:
        raise DatasetUnavailableError(
            f"image folder {train_root} needs at least 2 class sub-folders with images "
            f"({', '.join(IMAGE_SUFFIXES)}), found {len(classes)}"
        )
    class_names = tuple(name for name, _ in classes)
    images, labels = _read_split(train_root, class_names)
    test = _read_split(root / "test", class_names) if train_root != root else None
    return RawData(
        images=images,
        labels=labels,
        class_names=class_names,
        full_scale=256.0,
        source=str(root),
        test=test,
    )


__all__ = ["IMAGE_SUFFIXES", "load_image_folder"]
