"""Errors of the hls4ml conversion: the project's typed errors (:mod:`fpgacnn.spec.errors`).

The conversion raises the root's categories directly; the two classes here only
name conversion-specific cases inside them.
"""

from __future__ import annotations

from fpgacnn.spec.errors import ArtifactError, UnsupportedError, UnsupportedLayerError, UsageError


class RangeOverflowError(UnsupportedError):
    """Calibration data exceed the fixed-point type chosen for a layer's output."""


class PredictInputError(UsageError):
    """Input to ``predict`` of the wrong shape or dtype (the message has expected vs actual)."""


class ConversionDirError(ArtifactError):
    """A folder that does not hold a conversion made by :func:`fpgacnn.hw.convert.convert`."""


__all__ = [
    "ConversionDirError",
    "PredictInputError",
    "RangeOverflowError",
    "UnsupportedLayerError",
]
