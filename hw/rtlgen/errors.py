"""Errors of the RTL generator."""

from __future__ import annotations

from fpgacnn.spec.errors import UnsupportedLayerError


class RtlGenError(UnsupportedLayerError):
    """The model cannot be generated as RTL (the message names the layer and why).

    Only refusals raise it; a bug inside the generator propagates as what it is.
    """
