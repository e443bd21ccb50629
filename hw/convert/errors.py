"""Typed errors of the hls4ml conversion (all :class:`ValueError`, no heavy imports)."""

from __future__ import annotations


class ConversionError(ValueError):
    """Base class of every error :mod:`fpgacnn.hw.convert` raises on bad input."""


class UnsupportedLayerError(ConversionError):
    """A layer, or a quantizer of a layer, that the firmware flow cannot implement exactly."""


class RangeOverflowError(ConversionError):
    """Calibration data exceed the fixed-point type chosen for a layer's output."""


class PredictInputError(ConversionError):
    """Input to ``predict`` of the wrong shape or dtype (the message has expected vs actual)."""


class ConversionDirError(ConversionError):
    """A folder that does not hold a conversion made by :func:`fpgacnn.hw.convert.convert`."""


__all__ = [
    "ConversionDirError",
    "ConversionError",
    "PredictInputError",
    "RangeOverflowError",
    "UnsupportedLayerError",
]
