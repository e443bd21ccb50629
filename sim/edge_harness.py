"""Fast frame harness of the edge core: the Verilated RTL driven from C++, loaded with ctypes.

:class:`EdgeHarness` streams whole numpy frames through ``fcnn_edge_core`` at
Verilator speed (tens of frames per second at 640x480), with optional random
input idle and output backpressure, and returns the output frames together
with cycle counts measured in simulation. It is the RTL backend of the CLI,
the demo, the benchmarks and the ``rtl`` backend; the cocotb testbench in
``sim/fcnn_edge_core`` remains the protocol-level test of the core. The register
offsets, here and in the C++ harness, come from the contracts layer's map
(:data:`fpgacnn.spec.cores.EDGE_REGISTERS`).

Errors: invalid frames raise :class:`~fpgacnn.spec.errors.FrameError` (the one
frame validator, :func:`fpgacnn.spec.frames.check_frame`), invalid settings
:class:`~fpgacnn.spec.edge.EdgeConfigError`; a stream or register access that
stops moving raises :class:`~fpgacnn.spec.errors.StreamTimeoutError`, an output
stream or bus response that breaks the conventions
:class:`~fpgacnn.spec.errors.StreamProtocolError`, a library that does not match
its parameters :class:`~fpgacnn.spec.errors.SimulationError`. After a timeout or a
protocol error the model is reset (``rst``), so it is usable again with reset
register values.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

import numpy as np

from fpgacnn.spec.cores import EDGE_CORE_ID, EDGE_REGISTERS
from fpgacnn.spec.edge import MAX_FRAME_HEIGHT, MAX_FRAME_WIDTH, MAX_THRESHOLD, EdgeConfigError
from fpgacnn.spec.errors import SimulationError, StreamProtocolError
from fpgacnn.spec.frames import check_frame

from .edge_harness_build import HarnessParams, build_harness
from .harness_base import DEFAULT_TIMEOUT_CYCLES, VerilatedHarness

log = logging.getLogger(__name__)

#: Value of the CORE_ID register (ASCII "EDGE").
CORE_ID = EDGE_CORE_ID

#: AXI4-Lite register byte offsets of ``fcnn_edge_core``, by name (from
#: :data:`fpgacnn.spec.cores.EDGE_REGISTERS`, the one register map).
EdgeReg = IntEnum("EdgeReg", dict(EDGE_REGISTERS))


@dataclass(frozen=True)
class EdgeRunResult:
    """Output frames of :meth:`EdgeHarness.run` and the cycle at which each frame moved.

    Cycle numbers count from the first cycle of the run (register accesses included).
    """

    frames: tuple[np.ndarray, ...]
    #: cycles simulated until the last output beat
    cycles: int
    #: per frame: cycle of the first / last input beat accepted
    first_in: tuple[int, ...]
    last_in: tuple[int, ...]
    #: per frame: cycle of the first / last output beat
    first_out: tuple[int, ...]
    last_out: tuple[int, ...]

    @property
    def latency(self) -> tuple[int, ...]:
        """Per frame: cycles from the first input beat accepted to the first output beat."""
        return tuple(o - i for i, o in zip(self.first_in, self.first_out, strict=True))

    @property
    def frame_cycles(self) -> tuple[int, ...]:
        """Per frame: cycles from the first input beat to the last output beat, inclusive."""
        return tuple(o - i + 1 for i, o in zip(self.first_in, self.last_out, strict=True))

    @property
    def steady_state_cycles_per_frame(self) -> float | None:
        """Mean spacing of consecutive frames' last output beats; None for a single frame."""
        if len(self.last_out) < 2:
            return None
        return float(np.mean(np.diff(np.asarray(self.last_out, dtype=np.float64))))


#: Frame-size maxima the CLI and the demo build the core for, smallest first.
STANDARD_MAXIMA: tuple[tuple[int, int], ...] = ((640, 480), (1280, 720), (1920, 1080))


def maxima_for(width: int, height: int) -> tuple[int, int]:
    """Return the (MAX_WIDTH, MAX_HEIGHT) to build for a ``width`` x ``height`` frame.

    The smallest of :data:`STANDARD_MAXIMA` that holds the frame, so that common sizes
    share builds; otherwise the frame size rounded up to a multiple of 64 (capped at the
    largest size the RTL elaborates).
    """
    for mw, mh in STANDARD_MAXIMA:
        if width <= mw and height <= mh:
            return mw, mh
    return (
        min(MAX_FRAME_WIDTH, -(-width // 64) * 64),
        min(MAX_FRAME_HEIGHT, -(-height // 64) * 64),
    )


def _declare(lib: ctypes.CDLL) -> None:
    """Argument types of the edge harness's own C functions."""
    u8p = np.ctypeslib.ndpointer(dtype=np.uint8, flags="C_CONTIGUOUS")
    i32p = np.ctypeslib.ndpointer(dtype=np.int32, flags="C_CONTIGUOUS")
    u64p = np.ctypeslib.ndpointer(dtype=np.uint64, flags="C_CONTIGUOUS")
    u32ref = ctypes.POINTER(ctypes.c_uint32)
    vp = ctypes.c_void_p
    lib.eh_ppc.argtypes, lib.eh_ppc.restype = [], ctypes.c_int
    lib.eh_axil_write.argtypes = [vp, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint64, u32ref]
    lib.eh_axil_write.restype = ctypes.c_int
    lib.eh_axil_read.argtypes = [vp, ctypes.c_uint32, u32ref, ctypes.c_uint64, u32ref]
    lib.eh_axil_read.restype = ctypes.c_int
    lib.eh_run.argtypes = [
        vp, u8p, u8p, ctypes.c_int32, i32p, i32p,
        ctypes.c_double, ctypes.c_double, ctypes.c_uint64, ctypes.c_uint64, u64p,
    ]  # fmt: skip
    lib.eh_run.restype = ctypes.c_int


class EdgeHarness(VerilatedHarness):
    """One simulated ``fcnn_edge_core`` with compile-time ``ppc``, ``max_width``, ``max_height``.

    The shared library is built on first use (see
    :mod:`fpgacnn.sim.edge_harness_build`) and reused afterwards. The model is reset on
    construction and its identification registers are checked against the parameters.
    ``timeout_cycles`` is the default stall watchdog of :meth:`run` and the limit of a
    register access. State the RTL does not reset starts at zero, or at random values
    drawn from ``random_init_seed`` when it is given (which exposes reset bugs).
    Use as a context manager or call :meth:`close`.
    """

    prefix = "eh"
    error = EdgeConfigError

    def __init__(
        self,
        *,
        ppc: int = 1,
        max_width: int = 1920,
        max_height: int = 1080,
        sources: Sequence[Path] | None = None,
        build_root: Path | None = None,
        timeout_cycles: int = DEFAULT_TIMEOUT_CYCLES,
        random_init_seed: int | None = None,
    ) -> None:
        self.params = HarnessParams(ppc=ppc, max_width=max_width, max_height=max_height)
        self.timeout_cycles = self._int("timeout_cycles", timeout_cycles, 1, 2**62)
        if random_init_seed is not None:
            self._int("random_init_seed", random_init_seed, 0, 2**31 - 1)
        library = build_harness(self.params, sources=sources, build_root=build_root)
        self._open(library, _declare, random_init_seed=random_init_seed)
        if self._lib.eh_ppc() != ppc:
            raise SimulationError(f"{self.library} was built for ppc={self._lib.eh_ppc()}")
        self.reset()
        self._check_identity()

    @property
    def ppc(self) -> int:
        """Pixels per clock of the simulated core."""
        return self.params.ppc

    @property
    def max_width(self) -> int:
        """Largest frame width of the simulated core."""
        return self.params.max_width

    @property
    def max_height(self) -> int:
        """Largest frame height of the simulated core."""
        return self.params.max_height

    def _check_identity(self) -> None:
        expected = {
            EdgeReg.CORE_ID: CORE_ID,
            EdgeReg.CFG_PPC: self.ppc,
            EdgeReg.CFG_MAX_WIDTH: self.max_width,
            EdgeReg.CFG_MAX_HEIGHT: self.max_height,
        }
        for reg, value in expected.items():
            got = self.read_register(reg)
            if got != value:
                raise SimulationError(
                    f"register {reg.name} reads 0x{got:08X}, expected 0x{value:08X}"
                )

    # -- registers -----------------------------------------------------------------------
    def _offset(self, reg: EdgeReg | int) -> int:
        off = self._int("register offset", reg, 0, 0xFC)
        if off % 4:
            raise EdgeConfigError(f"expected a register offset that is a multiple of 4, got {off}")
        return off

    def write_register(self, reg: EdgeReg | int, value: int) -> None:
        """Write ``value`` (0..2**32-1) to the register at byte offset ``reg``.

        Raises :class:`StreamProtocolError` unless the core answers OKAY.
        """
        off = self._offset(reg)
        value = self._int("register value", value, 0, 0xFFFFFFFF)
        resp = ctypes.c_uint32(0)
        rc = self._lib.eh_axil_write(
            self._handle(), off, value, self.timeout_cycles, ctypes.byref(resp)
        )
        if rc:
            raise self._fail(rc)
        if resp.value:
            raise StreamProtocolError(
                f"AXI4-Lite write to 0x{off:02X} answered with bresp={resp.value}, expected 0"
            )

    def read_register(self, reg: EdgeReg | int) -> int:
        """Return the 32-bit value of the register at byte offset ``reg``."""
        off = self._offset(reg)
        data, resp = ctypes.c_uint32(0), ctypes.c_uint32(0)
        rc = self._lib.eh_axil_read(
            self._handle(), off, ctypes.byref(data), self.timeout_cycles, ctypes.byref(resp)
        )
        if rc:
            raise self._fail(rc)
        if resp.value:
            raise StreamProtocolError(
                f"AXI4-Lite read of 0x{off:02X} answered with rresp={resp.value}, expected 0"
            )
        return int(data.value)

    # -- frames --------------------------------------------------------------------------
    def _check_frame(self, frame: object, index: int) -> np.ndarray:
        return check_frame(frame, channels=(), max_width=self.max_width,
                           max_height=self.max_height, where=f"frame {index}",
                           limit="the core's maximum")

    def process(self, frame: np.ndarray, threshold: int = 0) -> np.ndarray:
        """Return the core's output frame for one uint8 (height, width) ``frame``."""
        return self.run([frame], threshold=threshold).frames[0]

    def run(
        self,
        frames: Sequence[np.ndarray],
        *,
        threshold: int = 0,
        idle: float = 0.0,
        backpressure: float = 0.0,
        seed: int = 0,
        timeout_cycles: int | None = None,
    ) -> EdgeRunResult:
        """Stream ``frames`` back to back through the core; return outputs and cycle counts.

        ``threshold`` is written to THRESHOLD first; WIDTH/HEIGHT are written whenever the
        frame size changes, while the previous frame streams (the core latches them at
        SOF). ``idle`` is the probability that the source leaves tvalid low in a cycle in
        which it could offer a beat, ``backpressure`` the probability that the sink holds
        tready low in a cycle; both draw from a generator seeded with ``seed``, so a run
        is reproducible. ``timeout_cycles`` (default: the harness's) bounds the number of
        consecutive cycles in which no beat moves.
        """
        if isinstance(frames, np.ndarray):
            frames = list(frames) if frames.ndim == 3 else [frames]
        frames = [self._check_frame(f, i) for i, f in enumerate(frames)]
        if not frames:
            raise EdgeConfigError("expected at least one frame, got none")
        threshold = self._int("threshold", threshold, 0, MAX_THRESHOLD)
        idle, backpressure, seed, timeout = self._run_settings(idle, backpressure, seed,
                                                               timeout_cycles)

        n = len(frames)
        widths = np.array([f.shape[1] for f in frames], dtype=np.int32)
        heights = np.array([f.shape[0] for f in frames], dtype=np.int32)
        flat = np.concatenate([np.ascontiguousarray(f).ravel() for f in frames])
        out = np.zeros_like(flat)
        stats = np.zeros(4 * n + 1, dtype=np.uint64)

        self.write_register(EdgeReg.THRESHOLD, threshold)
        rc = self._lib.eh_run(
            self._handle(), flat, out, n, widths, heights,
            idle, backpressure, seed, timeout, stats,
        )  # fmt: skip
        if rc:
            raise self._fail(rc)
        outs: list[np.ndarray] = []
        pos = 0
        for h, w in zip(heights, widths, strict=True):
            outs.append(out[pos : pos + h * w].reshape(h, w))
            pos += h * w
        s = stats[: 4 * n].reshape(n, 4).astype(np.int64)
        return EdgeRunResult(
            frames=tuple(outs),
            cycles=int(stats[4 * n]),
            first_in=tuple(int(v) for v in s[:, 0]),
            last_in=tuple(int(v) for v in s[:, 1]),
            first_out=tuple(int(v) for v in s[:, 2]),
            last_out=tuple(int(v) for v in s[:, 3]),
        )


__all__ = ["CORE_ID", "STANDARD_MAXIMA", "EdgeHarness", "EdgeReg", "EdgeRunResult", "maxima_for"]
