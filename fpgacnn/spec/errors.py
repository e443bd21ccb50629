"""The errors of fpgacnn: one root, subclasses by what the caller can do (stdlib only).

Every error fpgacnn raises on purpose derives from :class:`FpgacnnError`; its
message is one line naming what was expected and what came. The command line
prints it as ``fpgacnn COMMAND: error: <message>`` and exits with status 2. An
exception that is not an :class:`FpgacnnError` is an internal fault (a bug) and
propagates as one.

==========================  ==================================================
class                       what the caller can do
==========================  ==================================================
:class:`UsageError`         fix the argument, option, file or frame it gave
:class:`UnsupportedError`   change the model (a layer or quantizer the flow
                            cannot implement exactly)
:class:`ArtifactError`      rebuild a file fpgacnn wrote (package, conversion
                            folder, build tree) that is missing or damaged
:class:`ToolError`          install or fix an external tool or a pip extra
:class:`BackendError`       open another backend or package
:class:`SourceError`        check the camera, video or image folder
:class:`HardwareError`      reset or report the hardware (board or simulated
                            core) that misbehaved
==========================  ==================================================

Each class also derives from the builtin that matches its nature
(:class:`ValueError` for bad input, :class:`RuntimeError` for failures at run
time), so ``except ValueError`` keeps working for callers that used it.
"""

from __future__ import annotations


class FpgacnnError(Exception):
    """The root of every error fpgacnn raises on purpose."""


# --- the caller gave something that cannot be taken -------------------------------------


class UsageError(FpgacnnError, ValueError):
    """An argument, option, file or value the call cannot take (fix the input)."""


class ConfigError(UsageError):
    """An invalid configuration value (the message names the field)."""


class FrameError(UsageError):
    """A frame that cannot be processed: type, dtype, shape, channels, size or NaN."""


class DataShapeError(UsageError):
    """Data (images, labels, classes or a batch) that do not fit the model."""


# --- the model asks for something the flow cannot build ---------------------------------


class UnsupportedError(FpgacnnError, ValueError):
    """A model, layer or quantizer the hardware flow cannot implement exactly."""


class UnsupportedLayerError(UnsupportedError):
    """A layer (or a quantizer of one) that the flow refuses; the message names it."""


# --- something fpgacnn wrote earlier is missing or damaged ------------------------------


class ArtifactError(FpgacnnError, ValueError):
    """A package, conversion folder or build tree that is missing, incomplete or altered."""


# --- two implementations that must agree did not ---------------------------------------


class VerificationError(FpgacnnError, RuntimeError):
    """Two models of the same arithmetic disagreed (e.g. C-sim vs QKeras): report it."""


# --- the environment --------------------------------------------------------------------


class ToolError(FpgacnnError, RuntimeError):
    """An external tool (Verilator, yosys, Vivado, a C++ compiler) failed."""


class ToolNotFoundError(ToolError):
    """An external tool or a pip extra that the step needs is not installed."""


# --- running -----------------------------------------------------------------------------


class BackendError(FpgacnnError, RuntimeError):
    """A backend cannot be opened or used as asked (missing extra, missing package file)."""


class ClassifierUnavailableError(BackendError):
    """The backend has no classifier for this package (e.g. no generated RTL)."""


class SourceError(FpgacnnError, RuntimeError):
    """A frame source failed (cannot open, read error after all reconnects)."""


class SourceClosedError(SourceError):
    """A read from a source that is closed or has reached its end."""


class SourceTimeoutError(SourceError):
    """A read did not deliver a frame before its deadline."""


class SourceDamagedError(SourceError):
    """A video ended before the frame count its container declares (damaged or truncated)."""


class HardwareError(FpgacnnError, RuntimeError):
    """The hardware misbehaved: the board's cores and DMAs, or a simulated core."""


class OverlayError(HardwareError):
    """The overlay lacks an IP the package names, or an IP reports the wrong identity."""


class DmaTimeoutError(HardwareError):
    """A DMA transfer did not complete before its deadline (the channel was reset)."""


class DmaTransferError(HardwareError):
    """A DMA transfer completed with error bits or moved a different number of bytes."""


class CoreError(HardwareError):
    """A core reported sticky error bits for a frame (the frame's output is not trusted)."""


class SimulationError(HardwareError):
    """A simulated core misbehaved (base of the Verilator harnesses' run-time errors)."""


class StreamTimeoutError(SimulationError):
    """A simulated stream stopped moving (stall watchdog or cycle limit)."""


class StreamProtocolError(SimulationError):
    """A simulated core broke its stream protocol (framing, sideband, beat count)."""


__all__ = [
    "ArtifactError",
    "BackendError",
    "ClassifierUnavailableError",
    "ConfigError",
    "CoreError",
    "DataShapeError",
    "DmaTimeoutError",
    "DmaTransferError",
    "FpgacnnError",
    "FrameError",
    "HardwareError",
    "OverlayError",
    "SimulationError",
    "SourceClosedError",
    "SourceError",
    "SourceTimeoutError",
    "StreamProtocolError",
    "StreamTimeoutError",
    "ToolError",
    "ToolNotFoundError",
    "UnsupportedError",
    "UnsupportedLayerError",
    "UsageError",
    "VerificationError",
]
