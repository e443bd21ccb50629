"""Fast harness of the frame path's front blocks: colour to gray and the classifier's crop.

:class:`FrameHarness` streams numpy frames through the Verilated ``fcnn_frame_front``
(``sim/harness/fcnn_frame_front.sv``): ``fcnn_rgb2gray`` when the frames are colour
(``color=True``; the integer BT.601 of :func:`fpgacnn.spec.frames.gray_from_bgr`) and
``fcnn_crop_scale`` when a crop rule is given (``rule``/``spec``; the image
:func:`fpgacnn.spec.frames.classifier_codes` cuts), both behind
``fcnn_axis_broadcast`` as on the board. It returns, per frame, the gray video the edge
core receives and the classifier's input codes, with cycle counts. It is the ``rtl``
backend's frame path (:mod:`fpgacnn.sim.engine`); the cocotb testbenches in
``sim/fcnn_rgb2gray``, ``sim/fcnn_crop_scale`` and ``sim/fcnn_frame_path`` remain the
protocol-level tests of the blocks.

Everything about the blocks comes from the contracts layer: the crop block's HDL
parameters from :func:`fpgacnn.spec.crop_scale.hdl_parameters`, its registers
(:data:`fpgacnn.spec.cores.CROP_MAP`) programmed per frame size with
:func:`fpgacnn.spec.crop_scale.frame_registers`, as the pynq backend programs the
board's. One library per parameter set under ``<harness root>/frame/<key>/``
(:func:`fpgacnn.sim.verilator_build.harness_root`), built once by the shared
:class:`~fpgacnn.sim.verilator_build.HarnessLibrary` and reused by every later harness.

Errors: a frame the front cannot take raises :class:`~fpgacnn.spec.errors.FrameError`
(the one validator :func:`fpgacnn.spec.frames.check_frame`; a crop box narrower than
the block takes, as the board's driver), bad settings
:class:`~fpgacnn.spec.errors.ConfigError`, an ERROR bit of the crop block
:class:`~fpgacnn.spec.errors.CoreError`, a stalled or malformed output stream
:class:`~fpgacnn.spec.errors.StreamTimeoutError` /
:class:`~fpgacnn.spec.errors.StreamProtocolError` (the model is reset after those).
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fpgacnn.spec.cores import CROP_CORE_ID, CROP_MAP, CROP_REGISTERS
from fpgacnn.spec.crop_scale import frame_registers, hdl_parameters
from fpgacnn.spec.edge import MAX_FRAME_HEIGHT, MAX_FRAME_WIDTH, SUPPORTED_PPC
from fpgacnn.spec.errors import ConfigError, CoreError, FrameError, StreamProtocolError
from fpgacnn.spec.frames import CropRule, check_frame
from fpgacnn.spec.preprocess import InputSpec

from .harness_base import DEFAULT_TIMEOUT_CYCLES, VerilatedHarness
from .verilator_build import HarnessLibrary, harness_root

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
#: The C++ harness source.
HARNESS_SOURCE: Path = _HERE / "harness" / "frame_harness.cpp"
#: The top-level wrapper (testbench only) and its module name.
TOP_SOURCE: Path = _HERE / "harness" / "fcnn_frame_front.sv"
TOPLEVEL = "fcnn_frame_front"


@dataclass(frozen=True)
class FrameRunResult:
    """What :meth:`FrameHarness.run` returns. Cycle numbers count from the run's first cycle."""

    #: per frame the uint8 (h, w) gray the edge core receives (None without colour input)
    gray: tuple[np.ndarray, ...] | None
    #: per frame the classifier's uint8 (H, W, C) input codes (None without crop block)
    codes: tuple[np.ndarray, ...] | None
    #: per frame: cycle of the first / last input beat accepted
    first_in: tuple[int, ...]
    last_in: tuple[int, ...]
    #: per frame: cycle of the last classifier input pixel (0 without crop block)
    last_code: tuple[int, ...]
    #: cycles simulated in total
    cycles: int


def _declare(lib: ctypes.CDLL) -> None:
    u8p = np.ctypeslib.ndpointer(dtype=np.uint8, flags="C_CONTIGUOUS")
    u64p = np.ctypeslib.ndpointer(dtype=np.uint64, flags="C_CONTIGUOUS")
    i64p = np.ctypeslib.ndpointer(dtype=np.int64, flags="C_CONTIGUOUS")
    u32ref = ctypes.POINTER(ctypes.c_uint32)
    vp, c = ctypes.c_void_p, ctypes
    lib.fr_config.argtypes, lib.fr_config.restype = [i64p], None
    lib.fr_axil_write.argtypes = [vp, c.c_uint32, c.c_uint32, c.c_uint64, u32ref]
    lib.fr_axil_write.restype = c.c_int
    lib.fr_axil_read.argtypes = [vp, c.c_uint32, u32ref, c.c_uint64, u32ref]
    lib.fr_axil_read.restype = c.c_int
    lib.fr_run.argtypes = [vp, u8p, c.c_int32, c.c_int32, c.c_int32, c.c_void_p, c.c_void_p,
                           c.c_double, c.c_double, c.c_uint64, c.c_uint64, u64p]
    lib.fr_run.restype = c.c_int


class FrameHarness(VerilatedHarness):
    """The simulated front of the frame path for frames up to ``max_width`` x ``max_height``.

    ``color``: frames are colour (BGR; gray and BGRA frames are sent as the board's DMA
    sends them, B = G = R and alpha dropped) and go through ``fcnn_rgb2gray``; else
    gray (h, w) frames. ``rule`` and ``spec`` (both or neither): the crop block cuts the
    classifier's input image from every frame (its HDL parameters:
    :func:`~fpgacnn.spec.crop_scale.hdl_parameters`, :class:`ConfigError` when it
    cannot apply the rule). At least one of the two blocks must be asked for.
    """

    prefix = "fr"
    error = ConfigError

    def __init__(
        self,
        *,
        ppc: int,
        max_width: int,
        max_height: int,
        color: bool,
        rule: CropRule | None = None,
        spec: InputSpec | None = None,
        build_root: Path | None = None,
        timeout_cycles: int = DEFAULT_TIMEOUT_CYCLES,
    ) -> None:
        if isinstance(ppc, bool) or ppc not in SUPPORTED_PPC:
            raise ConfigError(f"expected ppc in {SUPPORTED_PPC}, got {ppc!r}")
        self._int("max_width", max_width, 1, MAX_FRAME_WIDTH)
        self._int("max_height", max_height, 1, MAX_FRAME_HEIGHT)
        if (rule is None) != (spec is None):
            raise ConfigError("expected both a crop rule and an input spec, or neither, got "
                              f"rule={rule!r}, spec={spec!r}")
        if not color and rule is None:
            raise ConfigError("a gray frame path without the crop block has no front to "
                              "simulate: expected color=True or a crop rule")
        self.ppc, self.max_width, self.max_height = ppc, max_width, max_height
        self.color = bool(color)
        self._rule, self.spec = rule, spec
        self.timeout_cycles = self._int("timeout_cycles", timeout_cycles, 1, 2**62)
        params = {"PPC": ppc, "IN_CHANNELS": 3 if color else 1, "CROP": int(rule is not None),
                  "MAX_WIDTH": max_width, "MAX_HEIGHT": max_height}
        out_pixels, out_channels = 1, 1
        if rule is not None:
            assert spec is not None
            crop = hdl_parameters(rule, spec, in_channels=params["IN_CHANNELS"],
                                  max_width=max_width, max_height=max_height, ppc=ppc)
            params.update(crop)
            out_pixels, out_channels = spec.width * spec.height, spec.color.channels
        self.hdl_parameters = params
        defines = {"FR_PPC": ppc, "FR_IN_CHANNELS": params["IN_CHANNELS"],
                   "FR_GRAY": int(color), "FR_CROP": params["CROP"],
                   "FR_OUT_CHANNELS": out_channels, "FR_OUT_PIXELS": out_pixels}
        lib = _library(params, {k: str(v) for k, v in defines.items()})
        folder = harness_root(build_root) / "frame" / lib.key
        self._open(lib.build(folder, record={"params": params}), _declare,
                   random_init_seed=None)
        got = np.zeros(6, np.int64)
        self._lib.fr_config(got)
        want = [ppc, params["IN_CHANNELS"], int(color), params["CROP"], out_channels,
                out_pixels]
        if got.tolist() != want:
            raise ConfigError(f"{self.library} was built for {got.tolist()}, expected {want}")
        self.reset()
        self._geometry: tuple[int, int] | None = None
        if rule is not None:
            self._check_identity()

    @property
    def crops(self) -> bool:
        """True when the crop block cuts the classifier's input."""
        return self._rule is not None

    @property
    def rule(self) -> CropRule | None:
        """The crop rule the block applies (None without crop block)."""
        return self._rule

    @rule.setter
    def rule(self, rule: CropRule) -> None:
        """Apply another crop rule from the next frame on (the box and INVERT are
        registers); :class:`ConfigError` when the block cannot apply it."""
        if self._rule is None or self.spec is None:
            raise ConfigError("this harness has no crop block (built without a crop rule)")
        if not isinstance(rule, CropRule):
            raise ConfigError(f"expected a CropRule, got {type(rule).__name__}")
        hdl_parameters(rule, self.spec, in_channels=self.hdl_parameters["IN_CHANNELS"],
                       max_width=self.max_width, max_height=self.max_height, ppc=self.ppc)
        self._rule = rule
        self._geometry = None

    # -- registers -----------------------------------------------------------------------
    def write_register(self, name: str, value: int) -> None:
        """Write the crop block's register ``name`` (:data:`~fpgacnn.spec.cores.CROP_MAP`)."""
        resp = ctypes.c_uint32(0)
        rc = self._lib.fr_axil_write(self._handle(), CROP_REGISTERS[name], int(value),
                                     self.timeout_cycles, ctypes.byref(resp))
        if rc:
            raise self._fail(rc)
        if resp.value:
            raise StreamProtocolError(f"AXI4-Lite write to {name} answered with "
                                      f"bresp={resp.value}, expected 0")

    def read_register(self, name: str) -> int:
        """The crop block's register ``name``."""
        data, resp = ctypes.c_uint32(0), ctypes.c_uint32(0)
        rc = self._lib.fr_axil_read(self._handle(), CROP_REGISTERS[name], ctypes.byref(data),
                                    self.timeout_cycles, ctypes.byref(resp))
        if rc:
            raise self._fail(rc)
        if resp.value:
            raise StreamProtocolError(f"AXI4-Lite read of {name} answered with "
                                      f"rresp={resp.value}, expected 0")
        return int(data.value)

    def _check_identity(self) -> None:
        p = self.hdl_parameters
        expected = {"CORE_ID": CROP_CORE_ID, "CFG_OUT_WIDTH": p["OUT_WIDTH"],
                    "CFG_OUT_HEIGHT": p["OUT_HEIGHT"], "CFG_IN_CHANNELS": p["IN_CHANNELS"],
                    "CFG_OUT_CHANNELS": p["OUT_CHANNELS"], "CFG_MAX_WIDTH": p["MAX_WIDTH"],
                    "CFG_MAX_HEIGHT": p["MAX_HEIGHT"]}
        for name, value in expected.items():
            got = self.read_register(name)
            if got != value:
                raise ConfigError(f"crop block register {name} reads 0x{got:X}, expected "
                                  f"0x{value:X}")

    def _program(self, height: int, width: int) -> None:
        """The crop registers for ``height`` x ``width`` frames, written on a change only
        (the block latches them at each start of frame), as the board's driver does."""
        if self._geometry == (height, width):
            return
        assert self.rule is not None and self.spec is not None
        regs = frame_registers(self.rule, height, width, ppc=self.ppc,
                               out_width=self.spec.width)
        for name, value in regs.items():
            self.write_register(name, value)
        self._geometry = (height, width)

    def _recover(self) -> None:
        ctrl = CROP_MAP["CTRL"]
        self.write_register("CTRL", ctrl.field("SOFT_RESET").mask | ctrl.field("ENABLE").mask)
        self.write_register("ERROR", 0xFFFF_FFFF)
        self._geometry = None

    def reset(self, cycles: int = 4) -> None:
        """Hold ``rst`` for ``cycles`` cycles; the crop registers are written again before
        the next frame."""
        super().reset(cycles)
        self._geometry = None

    # -- frames --------------------------------------------------------------------------
    def _stream_frame(self, frame: object, index: int) -> np.ndarray:
        """The frame as the stream carries it: (h, w, 3) BGR (colour) or (h, w) gray."""
        where = f"frame {index}"
        if not self.color:
            return np.ascontiguousarray(check_frame(
                frame, channels=(), max_width=self.max_width, max_height=self.max_height,
                where=where, limit="the harness's maximum"))
        f = check_frame(frame, max_width=self.max_width, max_height=self.max_height,
                        where=where, limit="the harness's maximum")
        if f.ndim == 2:
            f = f[:, :, None]
        if f.shape[2] == 1:  # the board's DMA sends gray as B = G = R
            return np.ascontiguousarray(np.repeat(f, 3, axis=2))
        return np.ascontiguousarray(f[:, :, :3])

    def run(
        self,
        frames: Sequence[np.ndarray],
        *,
        idle: float = 0.0,
        backpressure: float = 0.0,
        seed: int = 0,
        timeout_cycles: int | None = None,
    ) -> FrameRunResult:
        """Stream ``frames`` (all of one size) back to back; return gray and codes per frame.

        ``idle``/``backpressure`` are the probabilities that the source pauses / that each
        output holds tready low in a cycle (seeded by ``seed``); ``timeout_cycles``
        (default: the harness's) bounds the cycles in which no beat moves.
        """
        if isinstance(frames, np.ndarray):
            raise FrameError("expected a sequence of frames, got one array (wrap it in a list)")
        prepared = [self._stream_frame(f, i) for i, f in enumerate(frames)]
        if not prepared:
            raise FrameError("expected at least one frame, got none")
        h, w = prepared[0].shape[:2]
        for i, f in enumerate(prepared[1:], 1):
            if f.shape[:2] != (h, w):
                raise FrameError(f"frame {i}: expected the size of frame 0, {w}x{h}, got "
                                 f"{f.shape[1]}x{f.shape[0]}")
        idle, backpressure, seed, timeout = self._run_settings(idle, backpressure, seed,
                                                               timeout_cycles)
        if self.crops:
            self._program(h, w)
        n = len(prepared)
        flat = np.concatenate([f.ravel() for f in prepared])
        gray = np.empty((n, h, w), np.uint8) if self.color else None
        codes = None
        if self.crops:
            assert self.spec is not None
            codes = np.empty((n, *self.spec.shape), np.uint8)
        stats = np.zeros(4 * n + 1, np.uint64)
        rc = self._lib.fr_run(self._handle(), flat, n, w, h,
                              None if gray is None else gray.ctypes.data,
                              None if codes is None else codes.ctypes.data,
                              idle, backpressure, seed, timeout, stats)
        if rc:
            self._geometry = None
            raise self._fail(rc)
        if self.crops:
            errors = self.read_register("ERROR")
            if errors:
                self._recover()
                raise CoreError(f"crop block reported ERROR=0x{errors:02X} for a {w}x{h} "
                                f"frame")
        s = stats[: 4 * n].reshape(n, 4).astype(np.int64)
        return FrameRunResult(
            gray=None if gray is None else tuple(gray),
            codes=None if codes is None else tuple(codes),
            first_in=tuple(int(v) for v in s[:, 0]), last_in=tuple(int(v) for v in s[:, 1]),
            last_code=tuple(int(v) for v in s[:, 3]), cycles=int(stats[4 * n]))


def front_sources() -> list[Path]:
    """The RTL of ``fcnn_frame_front``: the blocks' file lists (``hw/rtl/*.f``), then the
    wrapper."""
    from fpgacnn.hw import rtl_sources

    out: list[Path] = []
    for top in ("fcnn_axis_broadcast", "fcnn_rgb2gray", "fcnn_crop_scale"):
        out += [p for p in rtl_sources(top) if p not in out]
    return [*out, TOP_SOURCE]


def _library(params: dict[str, int], defines: dict[str, str]) -> HarnessLibrary:
    return HarnessLibrary(top=TOPLEVEL, sources=tuple(p.resolve() for p in front_sources()),
                          harness=HARNESS_SOURCE, defines=defines, parameters=params)


__all__ = ["HARNESS_SOURCE", "TOPLEVEL", "TOP_SOURCE", "FrameHarness", "FrameRunResult",
           "front_sources"]
