"""Raw images as a source stores them (shared by the data loaders)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, kw_only=True)
class RawData:
    """Images as the source stores them, before preprocessing.

    ``full_scale`` is the source value that maps to input 1.0; ``test`` is the
    official test split if the source has one (else the loader splits).
    """

    images: np.ndarray | list[np.ndarray]
    labels: np.ndarray
    class_names: tuple[str, ...]
    full_scale: float
    source: str
    test: tuple[np.ndarray | list[np.ndarray], np.ndarray] | None = None
