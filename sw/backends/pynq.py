"""The ``pynq`` backend: the board's edge and classifier cores behind AXI DMAs.

``pynq`` is imported when the backend is opened (it exists only on the board
image); the option ``pynq`` passes a module object to use instead, e.g. the
emulated board of a generated build tree (``fpgacnn.sim.board_emu``, opened by
``fpgacnn stream --backend pynq --emulate BUILD_DIR`` or
:func:`fpgacnn.apps.emulate.open_emulated`). The overlay is the package's bitstream
(its ``.hwh`` beside it). ``Overlay.ip_dict`` lists only IP with an address segment
on the PS's map (PYNQ 3.x, ``pynq/metadata/ip_dict_view.py``): a core with AXI4-Lite
registers is found there by VLNV, its register offsets are checked against the
``.hwh`` register map and its identification registers against the manifest
(``VERSION``'s major against this driver's); a stream-only core (the classifier) is
not in it and is reached through the DMA the manifest names. Registers are used by
name (``fpgacnn.spec.cores.EDGE_MAP``); their offsets come from the manifest.

Byte counts are the DMA's, not the core's: each beat occupies the DMA's stream width
in memory (:func:`fpgacnn.spec.dma.dma_beat_bytes`, the rule the block design follows
when it pads a core stream to a DMA width), e.g. a 24-bit RGB pixel is 4 bytes and
the classifier's result beat is received as one whole DMA beat.

Robustness contract:

- every DMA wait polls ``idle``/``error`` against a deadline (``timeout_s``);
  ``transferred`` must equal the bytes expected; PYNQ's own ``wait`` (no deadline) is
  called only once the channel is idle;
- an error bit halts the channel (PG021: ``DMACR.RS`` cleared, ``Halted`` set), so a
  channel is restarted only through the reset below; a refusal of PYNQ's
  ``transfer`` (channel not started or not idle, size, alignment) is a
  :class:`~fpgacnn.spec.errors.DmaTransferError` too;
- after a timeout, an error bit or a short transfer, both channels of the DMA are
  reset and restarted and the core is soft-reset (``CTRL.SOFT_RESET``, ``ERROR``
  cleared); every frame in flight is dropped and a typed error is raised
  (:class:`~fpgacnn.spec.errors.DmaTimeoutError`,
  :class:`~fpgacnn.spec.errors.DmaTransferError`); the next frame works again;
- the classifier has no reset the host reaches: after its DMA recovered, the next
  image first receives and drops a result the core may still hold for the lost one;
- sticky core ``ERROR`` bits after a frame raise :class:`~fpgacnn.spec.errors.CoreError`;
- DMA buffers are allocated once at open (two input and two output frame buffers,
  for double buffering) and freed by ``close`` (the pipeline's context manager,
  also on exceptions); results are fresh arrays, never the DMA buffers.

Board design assumption (see ``boards/``): the DMA's MM2S stream reaches the edge
core through an adapter that adds SOF (``tuser``) and end-of-line ``tlast`` from
WIDTH/HEIGHT, and the core's output reaches the S2MM channel with one ``tlast``
per frame, so one DMA transfer carries one frame each way.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from fpgacnn.spec import engines as eng
from fpgacnn.spec.build_id import check_build_id
from fpgacnn.spec.cores import (
    CROP_CORE_ID,
    CROP_MAP,
    CROP_REGISTERS,
    CTRL_ENABLE,
    CTRL_SOFT_RESET,
    EDGE_CORE_ID,
    EDGE_ERROR_MASK,
    EDGE_MAP,
    EDGE_VERSION,
    STATUS_DAMAGED,
    ClassifierOutputLayout,
    ClassifierStatus,
    edge_error_names,
)
from fpgacnn.spec.crop_scale import frame_registers, hdl_parameters
from fpgacnn.spec.dma import (
    DMACR_RESET,
    DMASR_ERROR_MASK,
    MM2S_DMACR,
    MM2S_DMASR,
    S2MM_DMASR,
    dma_beat_bytes,
    status_names,
)
from fpgacnn.spec.errors import (
    ArtifactError,
    BackendError,
    ConfigError,
    CoreError,
    DmaTimeoutError,
    DmaTransferError,
    OverlayError,
)
from fpgacnn.spec.frames import CropRule
from fpgacnn.spec.package import CoreKind, CoreSpec, Package
from fpgacnn.spec.preprocess import InputSpec

log = logging.getLogger(__name__)

#: Default deadline of every wait on the board (seconds).
DEFAULT_TIMEOUT_S = 1.0
#: How long a stale classifier result is waited for after a recovery (it is there at once
#: if the core made one; seconds, at most the deadline).
DRAIN_S = 0.05


def _import_pynq() -> Any:
    try:
        return importlib.import_module("pynq")
    except ImportError as exc:
        raise BackendError("the pynq backend needs the pynq package (part of the PYNQ board "
                           "image); off the board use backend 'rtl', 'csim' or 'reference'"
                           ) from exc


class _Dma:
    """One AXI DMA with deadline-bounded waits and reset recovery."""

    def __init__(self, ip: Any, name: str, timeout_s: float) -> None:
        self.ip, self.name, self.timeout_s = ip, name, timeout_s
        #: seconds spent so far waiting on the hardware (polling for completion)
        self.waited = 0.0

    def poll(self, channel_name: str, seconds: float) -> bool:
        """Whether ``channel_name`` ("send"/"recv") goes idle within ``seconds``; an error
        bit raises :class:`DmaTransferError` naming it."""
        t0 = time.perf_counter()
        try:
            return self._poll(channel_name, seconds)
        finally:
            self.waited += time.perf_counter() - t0

    def _poll(self, channel_name: str, seconds: float) -> bool:
        channel = getattr(self.ip, f"{channel_name}channel")
        status_reg = MM2S_DMASR if channel_name == "send" else S2MM_DMASR
        deadline = time.monotonic() + seconds
        polls = 0
        while True:
            if channel.error:
                status = int(self.ip.read(status_reg))
                raise DmaTransferError(
                    f"{self.name} {channel_name} channel stopped with error bits "
                    f"0x{status & DMASR_ERROR_MASK:02X} ({status_names(status)})")
            if channel.idle:
                return True
            if time.monotonic() > deadline:
                return False
            polls += 1
            if polls > 64:
                time.sleep(50e-6)

    def wait(self, channel_name: str, expected: int) -> None:
        """Wait for ``channel_name`` ("send"/"recv") to finish moving ``expected`` bytes."""
        channel = getattr(self.ip, f"{channel_name}channel")
        if not self.poll(channel_name, self.timeout_s):
            raise DmaTimeoutError(
                f"{self.name} {channel_name} transfer of {expected} bytes did not complete "
                f"within {self.timeout_s:g} s")
        t0 = time.perf_counter()  # PYNQ's wait polls too: counted as waiting on the hardware
        channel.wait()  # idle: returns at once, sets `transferred`, invalidates a recv buffer
        self.waited += time.perf_counter() - t0
        if int(channel.transferred) != expected:
            raise DmaTransferError(
                f"{self.name} {channel_name} channel moved {int(channel.transferred)} bytes, "
                f"expected {expected}")

    def transfer(self, channel_name: str, buffer: Any, nbytes: int) -> None:
        """Start ``channel_name`` ("send"/"recv") on ``nbytes`` of ``buffer``.

        PYNQ's ``transfer`` refuses with ``RuntimeError``/``ValueError`` (channel not
        started or not idle, too large, unaligned); that is a :class:`DmaTransferError`.
        """
        channel = getattr(self.ip, f"{channel_name}channel")
        try:
            channel.transfer(buffer, nbytes=nbytes)
        except (RuntimeError, ValueError) as exc:
            raise DmaTransferError(f"{self.name} {channel_name} channel refused a transfer of "
                                   f"{nbytes} bytes: {exc}") from None

    def reset(self) -> None:
        """Reset both channels (PG021 soft reset), then restart them; bounded by the deadline."""
        self.ip.write(MM2S_DMACR, DMACR_RESET)
        deadline = time.monotonic() + self.timeout_s
        while int(self.ip.read(MM2S_DMACR)) & DMACR_RESET:
            if time.monotonic() > deadline:
                raise DmaTimeoutError(f"{self.name} did not leave reset within "
                                      f"{self.timeout_s:g} s")
            time.sleep(50e-6)
        for channel in (self.ip.sendchannel, self.ip.recvchannel):
            if channel is not None:  # a receive-only DMA (fabric classifier input) has no MM2S
                channel.start()
        log.warning("reset DMA %s", self.name)


class _Board:
    """The overlay, the bound IPs and every buffer allocated for them (freed by close)."""

    def __init__(self, package: Package, timeout_s: float, pynq_module: Any = None) -> None:
        if package.manifest.bitstream is None:
            raise BackendError(f"package {str(package.path)!r} is a simulation package (no "
                               "bitstream); use backend 'rtl', 'csim' or 'reference'")
        if not (isinstance(timeout_s, (int, float)) and timeout_s > 0):
            raise BackendError(f"timeout_s must be a positive number, got {timeout_s!r}")
        self.pynq = _import_pynq() if pynq_module is None else pynq_module
        self.timeout_s = float(timeout_s)
        self.package = package
        self.overlay = self.pynq.Overlay(str(package.file(package.manifest.bitstream)))
        self._buffers: list[Any] = []
        self._users = 0
        self.check_hardware_id()

    def check_hardware_id(self) -> None:
        """Refuse a bitstream that is not the one the package describes.

        A board package's ``manifest.hardware`` names the IP (``fcnn_build_id`` in the
        generated block design, map in :mod:`fpgacnn.spec.build_id`) whose two id words
        report the 64-bit hardware id of the build tree the bitstream came from; its
        CORE_ID must be the block's and the id the package's (:class:`OverlayError`
        naming expected and found otherwise).
        """
        hw = self.package.manifest.hardware
        if hw is None:
            return
        ip_dict = self.overlay.ip_dict
        if hw["ip"] not in ip_dict:
            raise OverlayError(f"overlay has no IP {hw['ip']!r} reporting the hardware id; "
                               f"expected one with id {hw['id']} (is this fpgacnn's bitstream?)")
        if int(ip_dict[hw["ip"]]["phys_addr"]) != hw["base_address"]:
            raise OverlayError(f"{hw['ip']} is at 0x{int(ip_dict[hw['ip']]['phys_addr']):X}, "
                               f"the package expects 0x{hw['base_address']:X}")
        ip = getattr(self.overlay, hw["ip"])
        check_build_id(lambda offset: int(ip.read(offset)), hw)

    def bind(self, core: CoreSpec) -> tuple[Any, _Dma, dict[str, int]]:
        """The core's IP (None for a stream-only core), its DMA and its register offsets.

        A core with registers (a base address in the manifest) must be in ``ip_dict``
        by VLNV, at that address, with the ``.hwh``'s offsets; a stream-only core has no
        address segment, so PYNQ does not list it, and is reached through its DMA.
        """
        ip_dict = self.overlay.ip_dict
        dma = self._dma_of(core)
        if core.base_address is None and not core.registers:
            return None, dma, {}
        names = [n for n, d in ip_dict.items() if d.get("type") == core.vlnv]
        if len(names) != 1:
            raise OverlayError(f"overlay has {len(names)} IPs of type {core.vlnv} for core "
                               f"{core.name!r}, expected 1")
        name = names[0]
        entry = ip_dict[name]
        if core.base_address is not None and int(entry["phys_addr"]) != core.base_address:
            raise OverlayError(f"core {core.name!r} ({name}) is at 0x{int(entry['phys_addr']):X}"
                               f", the package expects 0x{core.base_address:X}")
        regs = dict(core.registers)
        hwh_regs = entry.get("registers") or {}
        for reg, offset in regs.items():
            if reg in hwh_regs and int(hwh_regs[reg]["address_offset"]) != offset:
                raise OverlayError(
                    f"register {reg} of {name}: the .hwh says offset "
                    f"0x{int(hwh_regs[reg]['address_offset']):X}, the package 0x{offset:X}")
        return getattr(self.overlay, name), dma, regs

    def _dma_of(self, core: CoreSpec) -> _Dma:
        ip_dict = self.overlay.ip_dict
        if core.dma is None or core.dma not in ip_dict:
            raise OverlayError(f"core {core.name!r} names DMA {core.dma!r}, which the overlay "
                               f"does not have")
        dma_type = str(ip_dict[core.dma].get("type", ""))
        if not dma_type.startswith("xilinx.com:ip:axi_dma:"):
            raise OverlayError(f"{core.dma} is a {dma_type}, expected an AXI DMA "
                               "(xilinx.com:ip:axi_dma)")
        return _Dma(getattr(self.overlay, core.dma), core.dma, self.timeout_s)

    def allocate(self, nbytes: int) -> Any:
        """A DMA buffer of ``nbytes`` uint8, freed by :meth:`close`."""
        buf = self.pynq.allocate(shape=(nbytes,), dtype=np.uint8)
        self._buffers.append(buf)
        return buf

    def acquire(self) -> None:
        self._users += 1

    def release(self) -> None:
        """Drop one user; the last one frees every buffer."""
        self._users -= 1
        if self._users > 0:
            return
        while self._buffers:
            buf = self._buffers.pop()
            try:
                buf.freebuffer()
            except Exception:  # noqa: BLE001 - free the others anyway
                log.warning("freeing a DMA buffer failed", exc_info=True)


class _Split:
    """One frame's host time split by :data:`~fpgacnn.spec.engines.HOST_TIMING_KEYS`: each
    :meth:`mark` books the time since the previous mark to a key, less the time ``dma``
    waited on the hardware meanwhile, which goes to ``wait``."""

    def __init__(self, dma: _Dma) -> None:
        self.dma = dma
        self.times = dict.fromkeys(eng.HOST_TIMING_KEYS, 0.0)
        self.restart()

    def restart(self) -> None:
        self._t, self._w = time.perf_counter(), self.dma.waited

    def mark(self, key: str) -> None:
        t, w = time.perf_counter(), self.dma.waited
        self.times["wait"] += w - self._w
        self.times[key] += (t - self._t) - (w - self._w)
        self._t, self._w = t, w


@dataclass
class _Ticket:
    slot: int
    width: int
    height: int
    nbytes: int  # received
    sent: int
    t_sent: float
    split: _Split
    recv_armed: bool = False


def _line_bytes(width: int, ppc: int, pixel_bits: int = 8) -> int:
    """Bytes of one line in a DMA buffer: ceil(width/ppc) beats of the DMA's width (a beat
    of ppc ``pixel_bits`` pixels padded to it, :func:`fpgacnn.spec.dma.dma_beat_bytes`)."""
    return -(-width // ppc) * dma_beat_bytes(pixel_bits * ppc)


#: The edge core's registers the driver uses, by name (offsets: the package manifest,
#: which the board build fills from fpgacnn.spec.cores.EDGE_MAP).
_EDGE_USED = ("CTRL", "ERROR", "WIDTH", "HEIGHT", "THRESHOLD", "CORE_ID", "VERSION",
              "CFG_PPC", "CFG_MAX_WIDTH", "CFG_MAX_HEIGHT")


#: The crop block of the fabric classifier input (``fcnn build --classifier-input fabric``),
#: by the IP name in its VLNV (the overlay's ``.hwh`` lists it at its address segment).
CROP_IP = "fcnn_crop_scale_dma"


class _FabricCrop:
    """The fabric classifier input: the crop block's registers (programmed once per frame
    geometry from the package's crop rule) and the classifier DMA, which only receives.

    Every frame the edge DMA sends reaches the crop block and the classifier, so every
    frame has a score beat that must be received (a classifier result left in the core
    would hold the crop block, the broadcast and so the edge path): the edge engine arms
    the receive with the frame's edge map and :meth:`collect` decodes it.
    """

    def __init__(self, board: _Board, name: str, core: CoreSpec, *, rule: CropRule,
                 spec: InputSpec, n_classes: int, score_bits: int) -> None:
        self.ip = getattr(board.overlay, name)
        self.name = name
        self.dma = board._dma_of(core)  # noqa: SLF001 - the same board object
        self.rule = rule
        self.layout = ClassifierOutputLayout(n_classes=n_classes, score_bits=score_bits)
        self.out_bytes = dma_beat_bytes(core.stream_out_bits)
        self.out = board.allocate(self.out_bytes)
        self.results: deque[tuple[np.ndarray, float]] = deque()
        self._geometry: tuple[int, int] | None = None
        self._fault_seen = False
        self._stale = False
        params = board.overlay.ip_dict[name].get("parameters", {})
        self._ppc, self._out_width = int(params.get("PPC", 1)), spec.width
        try:
            hdl_parameters(rule, spec, in_channels=int(params.get("IN_CHANNELS", 1)),
                           max_width=int(params.get("MAX_WIDTH", 65535)),
                           max_height=int(params.get("MAX_HEIGHT", 65535)),
                           ppc=int(params.get("PPC", 1)))
        except ConfigError as exc:
            raise BackendError(f"the overlay crops the classifier input in the fabric, "
                               f"which cannot apply the package's rule: {exc}") from None
        got = int(self.ip.read(CROP_REGISTERS["CORE_ID"]))
        if got != CROP_CORE_ID:
            raise OverlayError(f"{name} CORE_ID reads 0x{got:08X}, expected the crop block's "
                               f"0x{CROP_CORE_ID:08X}")
        self.reset()

    def reset(self) -> None:
        """Soft-reset the crop block's stream, clear its errors, forget the geometry."""
        ctrl = CROP_MAP["CTRL"]
        self.ip.write(CROP_REGISTERS["CTRL"], ctrl.field("SOFT_RESET").mask
                      | ctrl.field("ENABLE").mask)
        self.ip.write(CROP_REGISTERS["ERROR"], 0xFFFF_FFFF)
        self._geometry = None
        self.results.clear()

    def program(self, height: int, width: int) -> None:
        """Write the crop registers for ``height`` x ``width`` frames (only on a change:
        the block latches them at each frame's start)."""
        if self._geometry == (height, width):
            return
        regs = frame_registers(self.rule, height, width, ppc=self._ppc,
                               out_width=self._out_width)  # FrameError: BAD_SIZE ahead
        for reg, value in regs.items():
            self.ip.write(CROP_REGISTERS[reg], value)
        self._geometry = (height, width)

    def arm(self) -> None:
        """Start receiving the next score beat (first dropping a stale one after a
        recovery, as :meth:`PynqClassifierEngine._drain`)."""
        if self._stale:
            self._stale = False
            self.dma.transfer("recv", self.out, self.out_bytes)
            if self.dma.poll("recv", min(self.dma.timeout_s, DRAIN_S)):
                self.dma.ip.recvchannel.wait()
                log.warning("%s: dropped a stale classifier result", self.dma.name)
            else:
                self.dma.reset()
                self.dma.transfer("recv", self.out, self.out_bytes)
                return
        self.dma.transfer("recv", self.out, self.out_bytes)

    def collect(self, t_sent: float, split: _Split) -> None:
        """Wait for the armed score beat, decode and check it, queue it for the pipeline."""
        self.dma.wait("recv", self.out_bytes)
        hw = time.perf_counter() - t_sent
        split.mark("dma")
        beat = int.from_bytes(np.asarray(self.out).tobytes(), "little")
        scores, label, status = self.layout.decode(beat, signed=True)
        raw = np.array(scores, np.int64)
        errors = int(self.ip.read(CROP_REGISTERS["ERROR"]))
        if errors:
            self.ip.write(CROP_REGISTERS["ERROR"], errors)
            raise CoreError(f"crop block {self.name} reported ERROR=0x{errors:02X} for a "
                            f"frame")
        if status & STATUS_DAMAGED:
            raise CoreError(f"classifier reported framing status 0x{status:02X} "
                            f"({ClassifierStatus(status & 0x07).name}) for an image")
        if status and not self._fault_seen:
            self._fault_seen = True
            log.warning("classifier: framing status 0x%02X: an earlier image was damaged",
                        status)
        if label != int(np.argmax(raw)):
            raise CoreError(f"classifier label {label} is not the arg-max "
                            f"{int(np.argmax(raw))} of its scores")
        self.results.append((raw, hw))
        split.mark("decode")

    def recover(self) -> None:
        """After a fault: reset the classifier DMA and the crop block; a score the core
        made for a lost frame is dropped before the next receive."""
        self._stale = True
        try:
            self.dma.reset()
            self.reset()
        except Exception as exc:  # noqa: BLE001
            log.error("recovery of the fabric crop failed: %s", exc)


class PynqEdgeEngine(eng.EdgeEngine):
    """The board's edge core: two frames in flight (double buffering).

    On a board with the colour frame path (the edge core's ``stream_in_bits`` is 24 *
    PPC: ``fcnn_rgb2gray`` before it) the engine :attr:`takes_color`: it sends the frame
    as it came, PPC BGR pixels per beat, each beat padded to the DMA's width (a gray
    frame is sent as B = G = R, whose BT.601 gray is itself; BGRA drops alpha).
    """

    name = "pynq"
    max_in_flight = 2

    def __init__(self, board: _Board, core: CoreSpec, fabric: _FabricCrop | None = None
                 ) -> None:
        self._board = board
        #: the fabric classifier input, when the overlay has one (every frame's score beat
        #: is received with its edge map)
        self.fabric = fabric
        board.acquire()
        try:
            self._ip, self._dma, self._regs = board.bind(core)
            missing = [r for r in _EDGE_USED if r not in self._regs]
            if missing:
                raise ArtifactError(f"core {core.name!r} of the package lists no offset for "
                                    f"registers {missing}; expected the {EDGE_MAP.core} map")
            self._core = core
            self._check_identity()
            self.takes_color = core.stream_in_bits == 24 * core.ppc
            self._in_bits = 24 if self.takes_color else 8
            line = _line_bytes(core.max_width, core.ppc)
            line_in = _line_bytes(core.max_width, core.ppc, self._in_bits)
            self._in = [board.allocate(line_in * core.max_height) for _ in range(2)]
            self._out = [board.allocate(line * core.max_height) for _ in range(2)]
        except BaseException:
            board.release()
            raise
        self._queue: deque[_Ticket] = deque()
        self._send_pending: _Ticket | None = None
        self._config: tuple[int, int, int] | None = None
        self._slot = 0
        self._closed = False
        self._write("CTRL", CTRL_ENABLE | CTRL_SOFT_RESET)
        self._write("ERROR", EDGE_ERROR_MASK)

    def _read(self, reg: str) -> int:
        return int(self._ip.read(self._regs[reg]))

    def _write(self, reg: str, value: int) -> None:
        self._ip.write(self._regs[reg], value)

    def _check_identity(self) -> None:
        expected = {"CORE_ID": EDGE_CORE_ID, "CFG_PPC": self._core.ppc,
                    "CFG_MAX_WIDTH": self._core.max_width,
                    "CFG_MAX_HEIGHT": self._core.max_height}
        for reg, value in expected.items():
            got = self._read(reg)
            if got != value:
                raise OverlayError(f"edge core register {reg} reads 0x{got:X}, the package "
                                   f"expects 0x{value:X}")
        major = EDGE_MAP["VERSION"].field("MAJOR")
        got = self._read("VERSION")
        if got & major.mask != EDGE_VERSION & major.mask:
            raise OverlayError(f"edge core VERSION reads 0x{got:08X}, expected major version "
                               f"{EDGE_VERSION >> major.lsb} (this driver: 0x{EDGE_VERSION:08X})")

    def _recover(self, exc: Exception) -> Exception:
        """Reset the DMA and the core, drop frames in flight; return ``exc`` to raise."""
        self._queue.clear()
        self._send_pending = None
        self._config = None
        try:
            self._dma.reset()
            self._write("CTRL", CTRL_ENABLE | CTRL_SOFT_RESET)
            self._write("ERROR", EDGE_ERROR_MASK)
        except Exception as reset_exc:  # noqa: BLE001
            log.error("recovery failed: %s", reset_exc)
        if self.fabric is not None:
            self.fabric.recover()
        return exc

    def _arm_recv(self, ticket: _Ticket) -> None:
        self._dma.transfer("recv", self._out[ticket.slot], ticket.nbytes)
        if self.fabric is not None:
            self.fabric.arm()
        ticket.recv_armed = True

    def _fill(self, buf: Any, frame: np.ndarray) -> int:
        """Lay ``frame`` out in ``buf`` as the DMA sends it; return the bytes to send."""
        h, w = frame.shape[:2]
        ppc = self._core.ppc
        if not self.takes_color:
            line = _line_bytes(w, ppc)
            view = np.asarray(buf)[: h * line].reshape(h, line)
            view[:, :w] = frame
            if line != w:
                view[:, w:] = 0
            return h * line
        beat = dma_beat_bytes(24 * ppc)
        beats, full, rest = -(-w // ppc), w // ppc, w % ppc
        if not rest and frame.ndim == 3 and frame.shape[2] == 3 and frame.flags.c_contiguous:
            # the common camera frame: each beat's 3*PPC pixel bytes moved as one element
            # (a void view: one memcpy per beat, about 4x faster than byte-wise copies)
            whole = np.dtype((np.void, 3 * ppc))
            rows = np.asarray(buf)[: h * beats * beat].reshape(h * beats, beat)[:, : 3 * ppc]
            try:
                rows.view(whole)[:, 0] = frame.reshape(h * beats, 3 * ppc).view(whole)[:, 0]
                return h * beats * beat
            except ValueError:  # numpy < 1.23 views only contiguous arrays as wider items
                pass
        px = np.asarray(buf)[: h * beats * beat].reshape(h, beats, beat)[:, :, : 3 * ppc] \
            .reshape(h, beats, ppc, 3)  # a view: the beats' pixel bytes, pads skipped
        src = frame[:, :, :3] if frame.ndim == 3 else frame[:, :, None]  # gray: B = G = R
        px[:, :full] = src[:, : full * ppc].reshape(h, full, ppc, src.shape[2])
        if rest:
            px[:, full, :rest] = src[:, full * ppc:]
            px[:, full, rest:] = 0
        return h * beats * beat

    def submit(self, frame: np.ndarray, threshold: int) -> object:
        """Copy the frame (gray; or as checked, when :attr:`takes_color`) into a free
        input buffer and start its DMA transfers."""
        if self._closed:
            raise BackendError("the pynq edge engine is closed")
        if len(self._queue) >= self.max_in_flight:
            raise BackendError("two frames are in flight; collect one first")
        split = _Split(self._dma)
        h, w = frame.shape[:2]
        out_line = _line_bytes(w, self._core.ppc)
        try:
            if self._send_pending is not None:  # the previous frame must be fully sent
                self._dma.wait("send", self._send_pending.sent)
                self._send_pending = None
            if self.fabric is not None:  # first: it may refuse the frame (FrameError)
                self.fabric.program(h, w)
            if self._config != (w, h, threshold):  # latched at the next SOF
                self._write("WIDTH", w)
                self._write("HEIGHT", h)
                self._write("THRESHOLD", threshold)
                self._config = (w, h, threshold)
            split.mark("dma")
            slot = self._slot
            self._slot ^= 1
            buf = self._in[slot]
            sent = self._fill(buf, frame)
            split.mark("submit")
            ticket = _Ticket(slot=slot, width=w, height=h, nbytes=h * out_line, sent=sent,
                             t_sent=time.perf_counter(), split=split)
            if not self._queue:
                self._arm_recv(ticket)
            self._dma.transfer("send", buf, sent)  # flushes the buffer
            split.mark("dma")
        except (DmaTimeoutError, DmaTransferError) as exc:
            raise self._recover(exc) from None
        self._send_pending = ticket
        self._queue.append(ticket)
        return ticket

    def collect(self, ticket: object) -> eng.EdgeOutput:
        """Wait for the frame's edge map (deadline), check it, return a copy."""
        if not self._queue or self._queue[0] is not ticket:
            raise BackendError("frames must be collected in the order they were submitted "
                               "(or the frame was dropped by a recovery)")
        assert isinstance(ticket, _Ticket)
        split = ticket.split
        split.restart()
        try:
            if not ticket.recv_armed:
                self._arm_recv(ticket)
            self._dma.wait("recv", ticket.nbytes)
            split.mark("dma")
            if self.fabric is not None:
                self.fabric.collect(ticket.t_sent, split)
        except (DmaTimeoutError, DmaTransferError, CoreError) as exc:
            raise self._recover(exc) from None
        t_done = time.perf_counter()
        self._queue.popleft()
        if self._send_pending is ticket:
            self._send_pending = None
        errors = self._read("ERROR")
        if errors:
            self._write("ERROR", errors)
            exc = CoreError(f"edge core reported {', '.join(edge_error_names(errors))} "
                            f"(ERROR=0x{errors:02X}) for a {ticket.width}x{ticket.height} frame")
            raise self._recover(exc)
        split.mark("collect")
        if self._queue and not self._queue[0].recv_armed:
            self._arm_recv(self._queue[0])
        split.mark("dma")
        line = _line_bytes(ticket.width, self._core.ppc)
        out = np.asarray(self._out[ticket.slot])[: ticket.nbytes].reshape(ticket.height, line)
        edges = out[:, : ticket.width].copy()
        split.mark("collect")
        return eng.EdgeOutput(edges=edges, hw_seconds=t_done - ticket.t_sent,
                              host_timings=split.times)

    def close(self) -> None:
        """Drain nothing, free the buffers (idempotent)."""
        if not self._closed:
            self._closed = True
            self._queue.clear()
            self._board.release()


class PynqClassifierEngine(eng.ClassifierEngine):
    """The board's classifier core: one image in, one score beat out."""

    name = "pynq"

    def __init__(self, board: _Board, core: CoreSpec, *, n_classes: int, score_bits: int,
                 input_shape: tuple[int, int, int]) -> None:
        self._board = board
        board.acquire()
        try:
            self._ip, self._dma, _ = board.bind(core)
            self._n, self._bits = n_classes, score_bits
            self._layout = ClassifierOutputLayout(n_classes=n_classes, score_bits=score_bits)
            self._fault_seen = False
            h, w, c = input_shape
            # one pixel per beat, each beat the DMA's width (the block design pads e.g.
            # 24-bit pixels to 32); one result beat, received whole at the DMA's width
            self._beat = dma_beat_bytes(core.stream_in_bits)
            self._in_bytes = h * w * self._beat
            self._out_bytes = dma_beat_bytes(core.stream_out_bits)
            self._in = board.allocate(self._in_bytes)
            self._out = board.allocate(self._out_bytes)
            self._channels = c
        except BaseException:
            board.release()
            raise
        self._closed = False
        self._stale = False

    def _drain(self) -> None:
        """After a recovery, drop a result beat the core made for the lost image.

        The classifier has no reset the host reaches, and a DMA reset does not empty
        the core's output: a result it finished for the image whose transfer failed is
        still waiting, and would come back as the next image's. Receive it (it is there
        at once if it exists) and drop it; if none comes, reset the DMA again to cancel
        the receive.
        """
        self._stale = False
        try:
            self._dma.transfer("recv", self._out, self._out_bytes)
            if self._dma.poll("recv", min(self._dma.timeout_s, DRAIN_S)):
                self._dma.ip.recvchannel.wait()
                log.warning("%s: dropped a stale classifier result", self._dma.name)
                return
        except DmaTransferError as exc:
            log.warning("%s: %s while draining", self._dma.name, exc)
        self._dma.reset()

    def scores(self, codes: np.ndarray) -> tuple[np.ndarray, float | None]:
        """Send the code image, receive the score beat, decode it."""
        if self._closed:
            raise BackendError("the pynq classifier engine is closed")
        split = _Split(self._dma)
        self.last_host_timings = split.times
        beats = np.asarray(self._in).reshape(-1, self._beat)
        # channels of a pixel in one beat, channel 0 lowest; the pad bytes stay zero
        beats[:, : self._channels] = codes.reshape(-1, self._channels)
        split.mark("submit")
        t0 = time.perf_counter()
        try:
            if self._stale:
                self._drain()
            self._dma.transfer("recv", self._out, self._out_bytes)
            self._dma.transfer("send", self._in, self._in_bytes)
            self._dma.wait("send", self._in_bytes)
            self._dma.wait("recv", self._out_bytes)
        except (DmaTimeoutError, DmaTransferError) as exc:
            self._stale = True
            try:
                self._dma.reset()
            except Exception as reset_exc:  # noqa: BLE001
                log.error("recovery failed: %s", reset_exc)
            raise exc from None
        hw = time.perf_counter() - t0
        split.mark("dma")
        beat = int.from_bytes(np.asarray(self._out).tobytes(), "little")
        scores, label, status = self._layout.decode(beat, signed=True)
        raw = np.array(scores, np.int64)
        if status & STATUS_DAMAGED:  # this image was framed short or long: not its result
            raise CoreError(f"classifier reported framing status 0x{status:02X} "
                            f"({ClassifierStatus(status & 0x07).name}) for an image")
        if status and not self._fault_seen:  # sticky: an earlier image was damaged
            self._fault_seen = True
            log.warning("classifier: framing status 0x%02X: an earlier image was damaged "
                        "(FAULT_SEEN stays set until the core is reset)", status)
        if label != int(np.argmax(raw)):
            raise CoreError(f"classifier label {label} is not the arg-max "
                            f"{int(np.argmax(raw))} of its scores")
        split.mark("decode")
        return raw, hw

    def close(self) -> None:
        """Free the buffers (idempotent)."""
        if not self._closed:
            self._closed = True
            self._board.release()


class PynqFabricClassifierEngine(eng.ClassifierEngine):
    """The classifier of an overlay that crops its input in the fabric: the image never
    passes the host. :attr:`crops_frames` tells the pipeline to take each frame's scores
    with :meth:`frame_scores` (received and decoded with the frame's edge map by the edge
    engine) instead of cropping on the host and calling :meth:`scores`."""

    name = "pynq"
    crops_frames = True

    def __init__(self, fabric: _FabricCrop) -> None:
        self._fabric = fabric
        self.last_host_timings = None  # booked in the edge engine's split of the frame

    def scores(self, codes: np.ndarray) -> tuple[np.ndarray, float | None]:
        """Not available: the image is cut in the fabric from the frame the edge DMA sent."""
        raise BackendError("this overlay crops the classifier input in the fabric: its "
                           "scores come with each frame (Pipeline.process/stream)")

    def frame_scores(self) -> tuple[np.ndarray, float | None]:
        """The raw scores of the oldest collected frame and the hardware time."""
        if not self._fabric.results:
            raise BackendError("no frame's scores are waiting (collect its edge map first)")
        return self._fabric.results.popleft()

    def close(self) -> None:
        """Nothing of its own to free (the board's buffers go with the edge engine)."""


def _fabric_crop(board: _Board, package: Package) -> _FabricCrop | None:
    """The fabric classifier input of the overlay, if its ``.hwh`` lists the crop block."""
    names = [n for n, d in board.overlay.ip_dict.items()
             if str(d.get("type", "")).split(":")[2:3] == [CROP_IP]]
    if not names:
        return None
    core, model = package.core(CoreKind.CLASSIFIER), package.manifest.model
    if core is None or model is None:
        raise BackendError(f"the overlay crops a classifier input in the fabric, package "
                           f"{str(package.path)!r} has no classifier (model) to read it")
    return _FabricCrop(board, names[0], core, rule=CropRule.from_dict(model.preprocessing),
                       spec=InputSpec.from_dict(model.preprocessing["input"]),
                       n_classes=len(model.classes), score_bits=int(model.scores["bits"]))


def open_pynq(package: Package, *, classify: bool, timeout_s: float = DEFAULT_TIMEOUT_S,
              pynq: Any = None
              ) -> tuple[PynqEdgeEngine, PynqClassifierEngine | PynqFabricClassifierEngine | None]:
    """Load the overlay and bind the cores of ``package``.

    ``pynq`` is a module object used instead of ``import pynq`` (e.g.
    ``fpgacnn.sim.board_emu.EmulatedBoard(tree).module()``).
    """
    board = _Board(package, timeout_s, pynq)
    edge_core = package.core(CoreKind.EDGE)
    assert edge_core is not None
    board.acquire()  # held until both engines exist, so a failure frees everything
    try:
        fabric = _fabric_crop(board, package)
        edge = PynqEdgeEngine(board, edge_core, fabric)
        classifier: PynqClassifierEngine | PynqFabricClassifierEngine | None = None
        if classify and fabric is not None:
            classifier = PynqFabricClassifierEngine(fabric)
        elif classify:
            core = package.core(CoreKind.CLASSIFIER)
            model = package.manifest.model
            if core is None or model is None:
                edge.close()
                raise BackendError(f"package {str(package.path)!r} has no classifier core; "
                                   "open it with classify=False")
            try:
                classifier = PynqClassifierEngine(
                    board, core, n_classes=len(model.classes),
                    score_bits=int(model.scores["bits"]), input_shape=model.input_shape)
            except BaseException:
                edge.close()
                raise
    finally:
        board.release()
    return edge, classifier


class PynqBackend(eng.Backend):
    """The board: both cores behind AXI DMAs of one overlay.

    Options: ``timeout_s`` (the deadline of every wait) and ``pynq`` (a module object
    standing in for ``pynq``, e.g. the emulated board's).
    """

    kind = eng.BackendKind.PYNQ

    def open_edge(self, core: CoreSpec, *, clock_hz: int) -> eng.EdgeEngine:
        """Not used alone: the board opens its engines together (:meth:`open`)."""
        raise BackendError("the pynq backend opens a whole package: use Pipeline.open")

    def open_classifier(self, files: eng.ClassifierFiles) -> eng.ClassifierEngine:
        """The board's classifier runs only inside its package's overlay."""
        raise BackendError("the pynq classifier runs only with the pynq edge engine "
                           "(classifier_backend cannot be 'pynq' for another backend)")

    def open(self, package: Package, *, classify: bool, options: Mapping[str, Any]
             ) -> tuple[eng.EdgeEngine, eng.ClassifierEngine | None]:
        """Load the overlay and bind the cores of ``package``."""
        unknown = sorted(set(options) - {"timeout_s", "pynq"})
        if unknown:
            raise BackendError(f"backend 'pynq' takes the options timeout_s and pynq, got "
                               f"{unknown}")
        return open_pynq(package, classify=classify, **options)


#: The registered ``pynq`` backend.
BACKEND = PynqBackend()
