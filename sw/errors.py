"""Typed errors of the host runtime (numpy/stdlib only).

:class:`FrameError` and the source errors are raised before any hardware is touched;
the hardware errors carry what was expected and what happened.
"""

from __future__ import annotations


class FrameError(ValueError):
    """A frame the pipeline cannot take: type, dtype, shape, channels, size or NaN."""


class SourceError(RuntimeError):
    """A frame source failed (cannot open, read error after all reconnects)."""


class SourceClosedError(SourceError):
    """A read from a source that is closed or has reached its end."""


class SourceTimeoutError(SourceError):
    """A read did not deliver a frame before its deadline."""


class BackendError(RuntimeError):
    """A backend cannot be opened or used as asked (missing extra, missing package file)."""


class ClassifierUnavailableError(BackendError):
    """The backend has no classifier for this package (e.g. a package without the generated RTL)."""


class HardwareError(RuntimeError):
    """The board's hardware misbehaved (base class of the pynq backend's runtime errors)."""


class OverlayError(HardwareError):
    """The overlay lacks an IP the package names, or an IP reports the wrong identity."""


class DmaTimeoutError(HardwareError):
    """A DMA transfer did not complete before its deadline (the channel was reset)."""


class DmaTransferError(HardwareError):
    """A DMA transfer completed with error bits or moved a different number of bytes."""


class CoreError(HardwareError):
    """A core reported sticky error bits for a frame (the frame's output is not trusted)."""


__all__ = [
    "BackendError",
    "ClassifierUnavailableError",
    "CoreError",
    "DmaTimeoutError",
    "DmaTransferError",
    "FrameError",
    "HardwareError",
    "OverlayError",
    "SourceClosedError",
    "SourceError",
    "SourceTimeoutError",
]
