"""Typed errors of the model zoo (under :class:`fpgacnn.spec.errors.FpgacnnError`).

The configuration, data-shape and unsupported-layer errors are the project's own
(:mod:`fpgacnn.spec.errors`), re-exported here; the zoo adds the ones about
model and data-set names. This module imports nothing heavy.
"""

from __future__ import annotations

from fpgacnn.spec.errors import ConfigError, DataShapeError, UnsupportedLayerError, UsageError


class ModelZooError(UsageError):
    """A model or data-set name or file the zoo cannot take."""


class UnknownModelError(ModelZooError):
    """A model name that is not in the zoo."""


class UnknownDatasetError(ModelZooError):
    """A data-set name that is neither a known data set nor an image folder."""


class DatasetUnavailableError(ModelZooError):
    """A data set that must be downloaded first (the message says what and where)."""


__all__ = [
    "ConfigError",
    "DataShapeError",
    "DatasetUnavailableError",
    "ModelZooError",
    "UnknownDatasetError",
    "UnknownModelError",
    "UnsupportedLayerError",
]
