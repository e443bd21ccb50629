"""Data augmentation on input codes (numpy and scipy only).

Augmentation works on the ``uint8`` codes of :mod:`fpgacnn.spec.preprocess`
and returns codes, so augmented images stay on the input quantizer's grid.
Each enabled transform is applied to an image with probability
``probability``: a shift by up to ``shift`` pixels (zero fill), a rotation by
up to ``rotation`` degrees, additive Gaussian noise of ``noise`` codes
standard deviation, and a horizontal mirror (only for classes that allow it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from .errors import ConfigError, DataShapeError


@dataclass(frozen=True, kw_only=True)
class AugmentConfig:
    """Which transforms to apply, and how strongly. All zero / False: none."""

    shift: int = 0
    rotation: float = 0.0
    noise: float = 0.0
    mirror: bool = False
    probability: float = 0.5

    def __post_init__(self) -> None:
        if not isinstance(self.shift, int) or isinstance(self.shift, bool) or self.shift < 0:
            raise ConfigError(f"AugmentConfig.shift must be an int >= 0, got {self.shift!r}")
        if not 0.0 <= self.rotation <= 180.0:
            raise ConfigError(
                f"AugmentConfig.rotation must be in 0..180 degrees, got {self.rotation!r}"
            )
        if not self.noise >= 0.0:
            raise ConfigError(f"AugmentConfig.noise must be >= 0, got {self.noise!r}")
        if not 0.0 <= self.probability <= 1.0:
            raise ConfigError(
                f"AugmentConfig.probability must be in [0, 1], got {self.probability!r}"
            )

    @property
    def enabled(self) -> bool:
        """True when at least one transform can change an image."""
        active = self.shift > 0 or self.rotation > 0 or self.noise > 0 or self.mirror
        return active and self.probability > 0

    def to_dict(self) -> dict[str, Any]:
        """Return the settings, JSON-ready."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AugmentConfig:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            shift=int(data["shift"]),
            rotation=float(data["rotation"]),
            noise=float(data["noise"]),
            mirror=bool(data["mirror"]),
            probability=float(data["probability"]),
        )


def _shift(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    out = np.zeros_like(image)
    h, w = image.shape[:2]
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[yd, xd] = image[ys, xs]
    return out


def augment_codes(codes: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """Return an augmented copy of a batch of ``uint8`` NHWC codes.

    Deterministic for a given ``rng`` state; the input is not modified.
    """
    arr = np.asarray(codes)
    if arr.dtype != np.uint8 or arr.ndim != 4:
        raise DataShapeError(
            f"augment_codes needs uint8 codes of shape (N, H, W, C), got {arr.dtype} {arr.shape}"
        )
    out = arr.copy()
    if not cfg.enabled:
        return out
    for i in range(out.shape[0]):
        image = out[i]
        if cfg.shift > 0 and rng.random() < cfg.probability:
            dy, dx = rng.integers(-cfg.shift, cfg.shift + 1, size=2)
            image = _shift(image, int(dy), int(dx))
        if cfg.rotation > 0 and rng.random() < cfg.probability:
            angle = rng.uniform(-cfg.rotation, cfg.rotation)
            rotated = ndimage.rotate(
                image.astype(np.float64), angle, axes=(0, 1), reshape=False, order=1,
                mode="constant", cval=0.0,
            )
            image = np.clip(np.rint(rotated), 0, 255).astype(np.uint8)
        if cfg.noise > 0 and rng.random() < cfg.probability:
            noisy = image.astype(np.float64) + rng.normal(0.0, cfg.noise, size=image.shape)
            image = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
        if cfg.mirror and rng.random() < cfg.probability:
            image = image[:, ::-1]
        out[i] = image
    return out


__all__ = ["AugmentConfig", "augment_codes"]
