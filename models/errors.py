"""Typed errors of the model zoo.

All derive from :class:`ModelZooError` (a :class:`ValueError`), so a caller can
catch one type; the command line turns them into clean ``fpgacnn: error:``
messages. This module imports nothing heavy.
"""

from __future__ import annotations


class ModelZooError(ValueError):
    """Base class of every error the model zoo raises on bad input."""


class UnknownModelError(ModelZooError):
    """A model name that is not in the zoo."""


class UnknownDatasetError(ModelZooError):
    """A data-set name that is neither a known data set nor an image folder."""


class DatasetUnavailableError(ModelZooError):
    """A data set that must be downloaded first (the message says what and where)."""


class DataShapeError(ModelZooError):
    """Data (images, labels or classes) that do not fit the model."""


class UnsupportedLayerError(ModelZooError):
    """A model or layer choice the hardware flow cannot implement."""


class ConfigError(ModelZooError):
    """An invalid configuration value (the message names the field)."""


__all__ = [
    "ConfigError",
    "DataShapeError",
    "DatasetUnavailableError",
    "ModelZooError",
    "UnknownDatasetError",
    "UnknownModelError",
    "UnsupportedLayerError",
]
