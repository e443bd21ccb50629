"""The names of the model zoo and what goes with each (no TensorFlow at import).

:data:`ZOO` maps a model name to a :class:`ZooEntry`: the architecture module,
the default data set, the augmentation that keeps its classes intact, and
where a shipped, trained copy lives. :meth:`ZooEntry.arch` imports the
architecture (and with it TensorFlow) only when asked.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from fpgacnn.spec.preprocess import InputSpec

from .augment import AugmentConfig
from .configs import ModelConfig
from .errors import UnknownModelError

#: Shipped, trained models live in ``zoo/<name>/`` next to this file.
ZOO_DIR = Path(__file__).resolve().parent / "zoo"


@dataclass(frozen=True, kw_only=True)
class ZooEntry:
    """One model of the zoo.

    ``dataset`` is the default data set name, or None when the user must
    give an image folder; ``augment`` is the default augmentation (mirroring
    only where a mirrored image keeps its class).
    """

    name: str
    module: str
    dataset: str | None
    augment: AugmentConfig
    description: str

    def arch(self) -> ModuleType:
        """Import and return the architecture module (imports TensorFlow)."""
        return importlib.import_module(self.module)

    @property
    def config_class(self) -> type[ModelConfig]:
        """The model's config dataclass."""
        return self.arch().Config  # type: ignore[no-any-return]

    @property
    def input_spec(self) -> InputSpec:
        """The model's input (size, colour, resampling)."""
        return self.arch().INPUT  # type: ignore[no-any-return]

    @property
    def shipped_dir(self) -> Path | None:
        """The folder of the shipped trained model, or None if none is shipped."""
        path = ZOO_DIR / self.name
        return path if (path / "model.json").is_file() else None


_ARCH = "fpgacnn.models.arch."

#: Every model of the zoo, by name.
ZOO: dict[str, ZooEntry] = {
    entry.name: entry
    for entry in (
        ZooEntry(
            name="digits",
            module=_ARCH + "digits",
            dataset="digits",
            augment=AugmentConfig(),
            description="scikit-learn load_digits, 8x8x1, 10 classes (the default)",
        ),
        ZooEntry(
            name="mnist",
            module=_ARCH + "mnist",
            dataset="mnist",
            augment=AugmentConfig(shift=2, rotation=10.0, noise=4.0),
            description="LeNet-style 5-layer CNN, MNIST 28x28x1, 10 classes",
        ),
        ZooEntry(
            name="cifar10",
            module=_ARCH + "cifar10",
            dataset="cifar10",
            augment=AugmentConfig(shift=3, rotation=10.0, noise=4.0, mirror=True),
            description="3 conv + 2 dense, CIFAR-10 32x32x3, 10 classes",
        ),
        ZooEntry(
            name="gtsrb",
            module=_ARCH + "gtsrb",
            dataset=None,
            augment=AugmentConfig(shift=2, rotation=10.0, noise=4.0),
            description="traffic signs (image folder, e.g. GTSRB), 32x32x3, 43 classes",
        ),
        ZooEntry(
            name="cnv",
            module=_ARCH + "cnv",
            dataset="cifar10",
            augment=AugmentConfig(shift=3, rotation=10.0, noise=4.0, mirror=True),
            description="FINN's CNV (6 conv + 3 dense, 2-bit weights and activations), "
                        "CIFAR-10 32x32x3, 10 classes",
        ),
        ZooEntry(
            name="faces",
            module=_ARCH + "faces",
            dataset="faces",
            augment=AugmentConfig(shift=2, rotation=10.0, noise=4.0, mirror=True),
            description="face / non-face, scikit-image lfw_subset, 25x25x1, 2 classes",
        ),
    )
}

#: The model used when none is named.
DEFAULT_MODEL = "digits"


def model_names() -> tuple[str, ...]:
    """Return the zoo's model names, sorted."""
    return tuple(sorted(ZOO))


def get_entry(name: str) -> ZooEntry:
    """Return the entry of model ``name``; :class:`UnknownModelError` if there is none."""
    try:
        return ZOO[name]
    except KeyError:
        raise UnknownModelError(
            f"unknown model {name!r}: expected one of {', '.join(model_names())}"
        ) from None


__all__ = ["DEFAULT_MODEL", "ZOO", "ZOO_DIR", "ZooEntry", "get_entry", "model_names"]
