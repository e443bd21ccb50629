"""Errors of the RTL generator."""

from __future__ import annotations

from ..convert.errors import UnsupportedLayerError


class RtlGenError(UnsupportedLayerError):
    """The model cannot be generated as RTL (the message names the layer and why)."""
