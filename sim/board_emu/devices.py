"""The programmable logic of the emulated board: AXI DMAs, stream pads and the cores.

Each device answers AXI4-Lite reads and writes at its offset and moves AXI4-Stream
packets frame by frame (one DMA transfer = one packet; a packet's beats are the
DMA's stream width wide). Time advances by one tick at every read of a DMA
register (what a polling driver does), so a channel that waits for a core, a core
that waits for a free output and a hang all look as they do on the board.

:class:`AxiDma` is PG021 v7.1 in Direct Register Mode (no scatter-gather), as the
generated Tcl configures it (``c_sg_length_width``, the stream and memory-map data
widths, no DRE):

- ``DMACR.RS`` starts a channel (``DMASR.Halted`` clears); ``DMASR.Idle`` is 0 while
  halted and before the first transfer, 1 once a transfer completed;
- writing ``LENGTH`` while running starts a transfer (while halted it has no effect);
  only ``c_sg_length_width`` bits of it exist;
- S2MM: at the end of a packet (``tlast``) ``LENGTH`` reads the bytes written; a
  packet longer than ``LENGTH`` is undefined behaviour in PG021's S2MM_LENGTH and is
  flagged ``DMAIntErr`` in its S2MM_DMASR description (Direct Register Mode): the
  emulation flags it, so a driver that under-sizes a receive fails loudly;
- an error bit (``DMAIntErr``/``DMASlvErr``/``DMADecErr``) halts the channel gracefully:
  ``DMACR.RS`` is set to 0 and ``DMASR.Halted`` to 1, ``Idle`` reads 0; only a reset
  (``DMACR.Reset``, both channels, self-clearing) clears the error bits;
- a transfer into memory that is not allocated ends with ``DMADecErr``; a zero length
  with ``DMAIntErr``; a buffer address that is not a multiple of the memory-map data
  width (no DRE) gives undefined results in PG021 (PYNQ's ``transfer`` refuses it
  first): the emulation ends it with ``DMADecErr`` so that it cannot pass unnoticed.

Fault switches (:class:`DmaFaults`, one per DMA): ``hang_send`` / ``hang_recv`` (the
channel never completes), ``short_by`` (the next received packet ends that many bytes
early: an early ``tlast``), ``error_bits`` (the next transfer of ``error_channel``
stops with these DMASR bits).
"""

from __future__ import annotations

import logging
import re
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from fpgacnn.spec.build_id import BUILD_ID_MAP, id_params
from fpgacnn.spec.cnn_framing import FramingModel
from fpgacnn.spec.cores import (
    CROP_MAP,
    CTRL_SOFT_RESET,
    EDGE_MAP,
    EDGE_REGISTERS,
    ClassifierOutputLayout,
)
from fpgacnn.spec.dma import (
    DMACR_RESET,
    DMACR_RS,
    DMASR_ERROR_MASK,
    DMASR_HALTED,
    DMASR_IDLE,
    MM2S_DMACR,
    MM2S_LENGTH,
    MM2S_SA,
    MM2S_SA_MSB,
    S2MM_DA,
    S2MM_DA_MSB,
    S2MM_DMACR,
    S2MM_LENGTH,
)
from fpgacnn.spec.errors import SimulationError
from fpgacnn.spec.frames import gray_from_bgr

from .tree import BuildTreeError, Cell

if TYPE_CHECKING:
    from .board import EmulatedBoard

log = logging.getLogger(__name__)


class StreamSink(Protocol):
    """A core behind a DMA: takes packets from MM2S, offers packets to S2MM."""

    def can_accept(self) -> bool: ...
    def consume(self, packet: bytes) -> None: ...
    def output_ready(self, now: int) -> bool: ...
    def pop_output(self) -> bytes: ...
    def reset_stream(self) -> None: ...


class Pad:
    """An ``axis_subset_converter`` as the Tcl configures it (``TDATA_REMAP``): each beat's
    output is the concatenation, most significant first, of zero fields ``N'b0`` and
    input bit ranges ``tdata[h:l]``."""

    def __init__(self, cell: Cell) -> None:
        self.name = cell.name
        self.in_bytes = cell.int("S_TDATA_NUM_BYTES")
        self.out_bytes = cell.int("M_TDATA_NUM_BYTES")
        self.fields: list[tuple[int, int | None]] = []  # (width, input lsb or None for 0)
        for part in cell.config.get("TDATA_REMAP", "").split(","):
            part = part.strip()
            if m := re.fullmatch(r"(\d+)'b0", part):
                self.fields.append((int(m.group(1)), None))
            elif m := re.fullmatch(r"tdata\[(\d+):(\d+)\]", part):
                hi, lo = int(m.group(1)), int(m.group(2))
                self.fields.append((hi - lo + 1, lo))
            else:
                raise BuildTreeError(f"{cell.name}: TDATA_REMAP field {part!r} is not "
                                     "N'b0 or tdata[h:l]")
        if sum(w for w, _ in self.fields) != 8 * self.out_bytes:
            raise BuildTreeError(f"{cell.name}: TDATA_REMAP covers "
                                 f"{sum(w for w, _ in self.fields)} bits, M_TDATA is "
                                 f"{8 * self.out_bytes}")

    def apply(self, beats: list[int]) -> list[int]:
        """The output beats (ints) of input beats (ints)."""
        out = []
        for beat in beats:
            word, pos = 0, 8 * self.out_bytes
            for width, lsb in self.fields:
                pos -= width
                if lsb is not None:
                    word |= ((beat >> lsb) & ((1 << width) - 1)) << pos
            out.append(word)
        return out


    def apply_array(self, beats: np.ndarray) -> np.ndarray:
        """The output beats of input beats as (n, bytes) uint8 arrays (byte-aligned fields
        are gathered with numpy; others go through :meth:`apply`)."""
        if all(w % 8 == 0 and (lsb is None or lsb % 8 == 0) for w, lsb in self.fields):
            parts = []
            for width, lsb in reversed(self.fields):  # least significant first
                if lsb is None:
                    parts.append(np.zeros((len(beats), width // 8), np.uint8))
                else:
                    parts.append(beats[:, lsb // 8:(lsb + width) // 8])
            return np.ascontiguousarray(np.concatenate(parts, axis=1))
        ints = [int.from_bytes(b.tobytes(), "little") for b in beats]
        return np.frombuffer(from_beats(self.apply(ints), self.out_bytes),
                             np.uint8).reshape(-1, self.out_bytes)


class Rgb2Gray:
    """``fcnn_rgb2gray`` as the Tcl configures it (``PPC``, ``BGR``): each of a beat's
    PPC 24-bit pixels becomes its 8-bit gray, by the contracts layer's integer BT.601
    rule (:func:`fpgacnn.spec.frames.gray_from_bgr`, which the block's testbench holds
    it to bit for bit)."""

    def __init__(self, cell: Cell) -> None:
        self.name = cell.name
        self.ppc = cell.int("PPC")
        self.bgr = bool(cell.int("BGR", 1))
        self.in_bytes, self.out_bytes = 3 * self.ppc, self.ppc

    def apply_array(self, beats: np.ndarray) -> np.ndarray:
        """(n, 3 PPC) uint8 beats -> (n, PPC) gray beats."""
        px = beats.reshape(-1, self.ppc, 3)
        if not self.bgr:
            px = px[:, :, ::-1]
        return gray_from_bgr(np.ascontiguousarray(px)).reshape(-1, self.ppc)


def stream_stage(cell: Cell) -> Pad | Rgb2Gray:
    """The model of a per-beat stream stage (``tree.STREAM_STAGES``) of the design."""
    return Rgb2Gray(cell) if cell.vlnv.split(":")[2] == "fcnn_rgb2gray" else Pad(cell)


def to_beats(packet: bytes, nbytes: int) -> list[int]:
    """Little-endian beats of ``nbytes`` (a short last beat is zero-filled: tkeep)."""
    return [int.from_bytes(packet[k:k + nbytes], "little") for k in range(0, len(packet), nbytes)]


def from_beats(beats: list[int], nbytes: int) -> bytes:
    """Inverse of :func:`to_beats`."""
    return b"".join(b.to_bytes(nbytes, "little") for b in beats)


@dataclass
class DmaFaults:
    """Fault switches of one DMA (see the module docstring)."""

    hang_send: bool = False
    hang_recv: bool = False
    short_by: int = 0
    error_bits: int = 0
    error_channel: str = "recv"


@dataclass
class _Channel:
    tx: bool
    cr: int = 0
    sr: int = DMASR_HALTED
    addr: int = 0
    length: int = 0
    job: tuple[int, int] | None = None  # (address, bytes)


@dataclass
class AxiDma:
    """One AXI DMA (see the module docstring) between memory and ``core``."""

    board: EmulatedBoard
    cell: Cell
    core: StreamSink
    #: subset converters on the MM2S path (DMA -> core) and the S2MM path (core -> DMA)
    pads_in: list[Pad | Rgb2Gray]
    pads_out: list[Pad]
    faults: DmaFaults = field(default_factory=DmaFaults)
    resets: int = 0

    def __post_init__(self) -> None:
        c = self.cell
        if c.int("c_include_sg", 0):
            raise BuildTreeError(f"{c.name} is configured for scatter-gather; the emulation "
                                 "models Direct Register Mode")
        self.length_bits = c.int("c_sg_length_width", 14)
        self.mm2s_bytes = c.int("c_m_axis_mm2s_tdata_width") // 8
        self.s2mm_bytes = c.int("c_s_axis_s2mm_tdata_width") // 8
        self.align = {True: c.int("c_m_axi_mm2s_data_width") // 8,
                      False: c.int("c_m_axi_s2mm_data_width") // 8}
        self.dre = {True: bool(c.int("c_include_mm2s_dre", 0)),
                    False: bool(c.int("c_include_s2mm_dre", 0))}
        self.ch = {MM2S_DMACR: _Channel(tx=True), S2MM_DMACR: _Channel(tx=False)}

    # -- AXI4-Lite ------------------------------------------------------------------------
    def read(self, offset: int) -> int:
        """A register read (advances time by one tick)."""
        self.board.tick()
        base, reg = offset - offset % S2MM_DMACR, offset % S2MM_DMACR
        ch = self.ch.get(base)
        if ch is None:
            return 0
        return {0x00: ch.cr, 0x04: ch.sr, 0x18: ch.addr & 0xFFFF_FFFF, 0x1C: ch.addr >> 32,
                0x28: ch.length}.get(reg, 0)

    def write(self, offset: int, value: int) -> None:
        """A register write."""
        base, reg = offset - offset % S2MM_DMACR, offset % S2MM_DMACR
        ch = self.ch.get(base)
        if ch is None:
            return
        if reg == 0x00:
            if value & DMACR_RESET:
                self._reset()
                return
            ch.cr = value & 0xFFFF_FFFB
            if value & DMACR_RS and not ch.sr & DMASR_ERROR_MASK:
                ch.sr &= ~DMASR_HALTED
            elif not value & DMACR_RS:
                ch.job = None
                ch.sr = (ch.sr | DMASR_HALTED) & ~DMASR_IDLE
        elif reg == 0x04:
            ch.sr &= ~(value & 0x7000)  # IRQ bits are write-1-to-clear
        elif reg in (MM2S_SA, S2MM_DA - S2MM_DMACR):
            ch.addr = (ch.addr & ~0xFFFF_FFFF) | value
        elif reg in (MM2S_SA_MSB, S2MM_DA_MSB - S2MM_DMACR):
            ch.addr = (ch.addr & 0xFFFF_FFFF) | (value << 32)
        elif reg in (MM2S_LENGTH, S2MM_LENGTH - S2MM_DMACR):
            if ch.sr & DMASR_HALTED:
                return  # PG021: writing LENGTH while halted has no effect
            n = value & ((1 << self.length_bits) - 1)
            ch.length = n
            ch.sr &= ~DMASR_IDLE
            ch.job = (ch.addr, n)
            self.board.events.append((self.cell.name, "send" if ch.tx else "recv", "start",
                                      ch.addr))
            if n == 0 or (not self.dre[ch.tx] and ch.addr % self.align[ch.tx]):
                self._error(ch, 0x10 if n == 0 else 0x40)

    def _reset(self) -> None:
        self.resets += 1
        for ch in self.ch.values():
            ch.cr, ch.sr, ch.job, ch.length = 0, DMASR_HALTED, None, 0
        self.core.reset_stream()  # the stream between DMA and core is flushed too

    def _error(self, ch: _Channel, bits: int) -> None:
        ch.sr = (ch.sr | bits | DMASR_HALTED) & ~DMASR_IDLE
        ch.cr &= ~DMACR_RS
        ch.job = None
        self.board.events.append((self.cell.name, "send" if ch.tx else "recv", "error", bits))

    def _done(self, ch: _Channel, nbytes: int) -> None:
        ch.job, ch.length = None, nbytes
        ch.sr |= DMASR_IDLE | 0x1000  # IOC_Irq
        self.board.events.append((self.cell.name, "send" if ch.tx else "recv", "done", ch.addr))

    # -- streams --------------------------------------------------------------------------
    def step(self) -> None:
        """One tick: move the MM2S packet into the core, a finished packet into memory."""
        f = self.faults
        send, recv = self.ch[MM2S_DMACR], self.ch[S2MM_DMACR]
        if send.job is not None and f.error_bits and f.error_channel == "send":
            self._error(send, f.error_bits)
            f.error_bits = 0
        if send.job is not None and not f.hang_send and self.core.can_accept():
            addr, n = send.job
            data = self.board.memory.device_read(addr, n)
            if data is None:
                self._error(send, 0x40)  # DMADecErr: no memory there
            else:
                nb = self.mm2s_bytes
                arr = np.zeros(-(-len(data) // nb) * nb, np.uint8)  # a short last beat: 0s
                arr[: len(data)] = np.frombuffer(data, np.uint8)
                arr = arr.reshape(-1, nb)
                for pad in self.pads_in:
                    arr = pad.apply_array(arr)
                self.core.consume(arr.tobytes())
                self._done(send, n)
        if recv.job is None:
            return
        if f.error_bits and f.error_channel == "recv":
            self._error(recv, f.error_bits)
            f.error_bits = 0
            return
        if f.hang_recv or not self.core.output_ready(self.board.now):
            return
        packet = self.core.pop_output()
        beats, nbytes = to_beats(packet, self.core.out_bytes), self.core.out_bytes
        for pad in self.pads_out:
            beats, nbytes = pad.apply(beats), pad.out_bytes
        if nbytes != self.s2mm_bytes:
            raise BuildTreeError(f"{self.cell.name}: S2MM stream is {self.s2mm_bytes} bytes, "
                                 f"the core's stream arrives {nbytes} bytes wide")
        data = from_beats(beats, nbytes)
        if f.short_by:
            data, f.short_by = data[: max(0, len(data) - f.short_by)], 0
        addr, n = recv.job
        if len(data) > n:
            self._error(recv, 0x10)  # DMAIntErr: the packet is longer than LENGTH
            return
        if not self.board.memory.device_write(addr, data):
            self._error(recv, 0x40)
            return
        self._done(recv, len(data))


class EdgeCore:
    """``fcnn_edge_dma`` (the packaged edge IP) with the Verilated ``fcnn_edge_core`` inside.

    Registers are the real core's (AXI4-Lite into the Verilated RTL through
    :class:`~fpgacnn.sim.edge_harness.EdgeHarness`). A packet from the DMA is framed as
    the wrapper frames it: HEIGHT lines of ceil(WIDTH/PPC) beats (WIDTH, HEIGHT and
    THRESHOLD as the registers hold them); the frame runs through the core and its
    output, HEIGHT lines of ceil(WIDTH/PPC) beats (padding lanes zero), becomes one
    packet. The core takes the next frame only when its output has gone (one frame in
    its line buffers). ``latency`` ticks pass from a frame's input to its output. A
    packet that ends early (the wrapper's policy, hw/rtl/fcnn_edge_dma.sv) yields a
    padded frame (zero pixels here) and ``SOF_EARLY`` on the next frame; a packet longer
    than the frame is not modelled (its tail is dropped, with a warning).

    Fault switches: ``identity`` (offset -> value read instead: a core of another
    version or build), ``inject_error`` (ERROR bits the next frame raises, as a frame
    the core found malformed would: the frame-level emulation cannot misframe one).
    """

    def __init__(self, board: EmulatedBoard, cell: Cell, harness: Any, latency: int = 20) -> None:
        self.board, self.cell, self.h = board, cell, harness
        self.ppc = cell.int("PPC")
        self.out_bytes = self.ppc
        self.latency = latency
        self.outputs: deque[tuple[int, bytes]] = deque()
        self.identity: dict[int, int] = {}
        self.inject_error = 0
        self._pending_error = 0
        self._short = False

    def read(self, offset: int) -> int:
        if offset in self.identity:
            return self.identity[offset]
        value = self.h.read_register(offset)
        if offset == EDGE_REGISTERS["ERROR"]:
            value |= self._pending_error
        return value

    def write(self, offset: int, value: int) -> None:
        self.board.register_writes.append((self.cell.name, offset, value))
        self.h.write_register(offset, value)
        if offset == EDGE_REGISTERS["CTRL"] and value & CTRL_SOFT_RESET:
            self.outputs.clear()  # the soft reset drops the frame in flight
            self._pending_error, self._short = 0, False
        if offset == EDGE_REGISTERS["ERROR"]:
            self._pending_error &= ~value  # write-1-to-clear, as the RTL's

    def can_accept(self) -> bool:
        return not self.outputs

    def consume(self, packet: bytes) -> None:
        w, h = self.h.read_register(EDGE_REGISTERS["WIDTH"]), \
            self.h.read_register(EDGE_REGISTERS["HEIGHT"])
        thr = self.h.read_register(EDGE_REGISTERS["THRESHOLD"])
        line = -(-w // self.ppc) * self.ppc
        pixels = np.zeros(h * line, np.uint8)
        n = min(len(packet), pixels.size)
        pixels[:n] = np.frombuffer(packet[:n], np.uint8)
        if len(packet) != pixels.size:
            log.warning("%s: a %d-byte packet for a %dx%d frame (%d bytes)", self.cell.name,
                        len(packet), w, h, pixels.size)
        if self._short:  # the previous frame ended early: this SOF comes too soon
            self._pending_error |= EDGE_MAP["ERROR"].field("SOF_EARLY").mask
        self._short = len(packet) < pixels.size
        frame = np.ascontiguousarray(pixels.reshape(h, line)[:, :w])
        edges = self.h.run([frame], threshold=thr).frames[0]
        self._pending_error |= self.inject_error
        self.inject_error = 0
        out = np.zeros((h, line), np.uint8)
        out[:, :w] = edges
        self.outputs.append((self.board.now + self.latency, out.tobytes()))

    def output_ready(self, now: int) -> bool:
        return bool(self.outputs) and self.outputs[0][0] <= now

    def pop_output(self) -> bytes:
        return self.outputs.popleft()[1]

    def reset_stream(self) -> None:
        """The DMA reset: nothing of the core's state changes (its soft reset is separate)."""


class ClassifierCore:
    """The classifier core (stream only): a packet of pixels in, one result beat out.

    A packet of exactly H*W pixels (one per beat, channel 0 in the low byte, ``tlast``
    on its last beat) is one image: it runs through ``classify(codes) -> (scores,
    label)`` (the Verilated RTL core, or the C simulation of the HLS flow) and leaves
    as one beat laid out by :class:`~fpgacnn.spec.cores.ClassifierOutputLayout`. Beats
    are framed by the core's policy (:class:`~fpgacnn.spec.cnn_framing.FramingModel`,
    kept across packets as the core keeps it): a packet of another length gives a
    result for the damaged image with its status bits, and the next image is framed
    afresh (DESIGN.md "Classifier core"). :attr:`dropped` counts the beats the policy
    dropped.
    """

    def __init__(self, board: EmulatedBoard, cell: Cell, *, shape: tuple[int, int, int],
                 layout: ClassifierOutputLayout, classify: Any, in_bytes: int,
                 latency: int = 20) -> None:
        self.board, self.cell, self.shape, self.layout = board, cell, shape, layout
        self.classify, self.in_bytes, self.latency = classify, in_bytes, latency
        self.out_bytes = layout.tdata_bits // 8
        self.outputs: deque[tuple[int, bytes]] = deque()
        self.framing = FramingModel(pixels=shape[0] * shape[1])

    @property
    def dropped(self) -> int:
        """Input beats the framing policy dropped (after a late or missing ``tlast``)."""
        return self.framing.dropped

    def can_accept(self) -> bool:
        return not self.outputs

    def consume(self, packet: bytes) -> None:
        h, w, c = self.shape
        if len(packet) != h * w * self.in_bytes:
            log.warning("%s: a packet of %d pixels, an image has %d", self.cell.name,
                        len(packet) // self.in_bytes, h * w)
        rows = np.frombuffer(packet[: len(packet) // self.in_bytes * self.in_bytes],
                             np.uint8).reshape(-1, self.in_bytes)
        words = [int.from_bytes(r[:c].tobytes(), "little") for r in rows]
        lasts = [i == len(words) - 1 for i in range(len(words))]
        for image in self.framing.feed(zip(words, lasts, strict=True)):
            px = (image.pixels[:, None] >> (8 * np.arange(c))) & 0xFF
            scores, label = self.classify(px.reshape(h, w, c).astype(np.int64))
            word = self.layout.encode(scores, label, image.status)
            self.outputs.append((self.board.now + self.latency,
                                 word.to_bytes(self.out_bytes, "little")))

    def output_ready(self, now: int) -> bool:
        return bool(self.outputs) and self.outputs[0][0] <= now

    def pop_output(self) -> bytes:
        return self.outputs.popleft()[1]

    def reset_stream(self) -> None:
        """The DMA reset does not reach the core: a result beat it has made stays in its
        output (the core has no reset the host can reach), and the next receive gets it."""


class CropScale:
    """``fcnn_crop_scale_dma`` (the fabric classifier input) by its golden model.

    Registers: :data:`fpgacnn.spec.cores.CROP_MAP` (RW registers hold what was written,
    ``CTRL.SOFT_RESET`` reads 0, ``ERROR`` is write-1-to-clear, the ``CFG_*`` and identity
    registers are the reset values of the Tcl's CONFIG). A packet (the edge DMA's
    transfer, ``3*PPC`` or ``PPC`` bytes per beat as the broadcast carries it) is framed as
    the RTL frames it: FRAME_HEIGHT lines of ceil(FRAME_WIDTH/PPC) beats, padding lanes
    skipped; the image is :func:`fpgacnn.spec.crop_scale.golden` of the crop box the
    registers hold (the RTL is bit-exact with it: sim/fcnn_crop_scale_dma), one pixel
    per beat. A crop box narrower than :func:`~fpgacnn.spec.crop_scale.min_crop_width`
    is refused (``BAD_SIZE``), as the RTL refuses it. A short packet raises
    ``ERROR.EOL_EARLY`` and yields an image of the frame
    completed with zero pixels (the RTL completes the damaged image, so the classifier
    stays in step; its codes are not modelled bit for bit). A geometry the block refuses
    (``BAD_SIZE``) yields no image; ``CTRL.ENABLE`` 0 holds the frame's start (the RTL
    takes no SOF then), which holds the broadcast and the edge path.
    """

    def __init__(self, board: EmulatedBoard, cell: Cell) -> None:
        from fpgacnn.spec.preprocess import ColorMode, InputSpec

        self.board, self.cell = board, cell
        self.params = {k: cell.int(k) for k in ("PPC", "IN_CHANNELS", "BGR", "OUT_CHANNELS",
                                                  "OUT_WIDTH", "OUT_HEIGHT", "MAX_WIDTH",
                                                  "MAX_HEIGHT")}
        self.ppc, self.in_ch = self.params["PPC"], self.params["IN_CHANNELS"]
        self.out_bytes = self.params["OUT_CHANNELS"]
        self.spec = InputSpec(height=self.params["OUT_HEIGHT"], width=self.params["OUT_WIDTH"],
                              color=ColorMode.GRAY if self.out_bytes == 1 else ColorMode.RGB)
        self.regs = CROP_MAP.reset_values(self.params)
        self.regs.setdefault("FRAME_COUNT", 0)
        self.regs.setdefault("DROP_COUNT", 0)
        self._err = {f.name: f.mask for f in CROP_MAP["ERROR"].fields}

    def read(self, offset: int) -> int:
        reg = CROP_MAP.at(offset)
        return 0 if reg is None else int(self.regs.get(reg.name, 0))

    def write(self, offset: int, value: int) -> None:
        self.board.register_writes.append((self.cell.name, offset, value))
        reg = CROP_MAP.at(offset)
        if reg is None:
            return
        if reg.name == "CTRL":
            self.regs["CTRL"] = value & ~CROP_MAP["CTRL"].field("SOFT_RESET").mask
        elif reg.name == "ERROR":
            self.regs["ERROR"] &= ~value
        elif reg.access.name == "RW":
            self.regs[reg.name] = value

    @property
    def enabled(self) -> bool:
        """``CTRL.ENABLE``: the block takes a frame's start."""
        return bool(self.regs["CTRL"] & CROP_MAP["CTRL"].field("ENABLE").mask)

    def image(self, packet: bytes) -> bytes | None:
        """The classifier's image (one pixel per beat) of one DMA transfer, or None."""
        from fpgacnn.spec.crop_scale import golden, min_crop_width

        r, p = self.regs, self.params
        w, h = r["FRAME_WIDTH"], r["FRAME_HEIGHT"]
        box = (r["CROP_Y"], r["CROP_X"], r["CROP_HEIGHT"], r["CROP_WIDTH"])
        if not (1 <= w <= p["MAX_WIDTH"] and 1 <= h <= p["MAX_HEIGHT"]
                and p["OUT_HEIGHT"] <= box[2] <= h - box[0]
                and min_crop_width(self.ppc, p["OUT_WIDTH"]) <= box[3] <= w - box[1]):
            self.regs["ERROR"] |= self._err["BAD_SIZE"]
            return None
        line = -(-w // self.ppc) * self.ppc
        pixels = np.zeros(h * line * self.in_ch, np.uint8)
        n = min(len(packet), pixels.size)
        pixels[:n] = np.frombuffer(packet[:n], np.uint8)
        if len(packet) < pixels.size:
            self.regs["ERROR"] |= self._err["EOL_EARLY"]
        frame = pixels.reshape(h, line, self.in_ch)[:, :w]
        frame = frame[:, :, 0] if self.in_ch == 1 else frame
        img = golden(frame, box, self.spec, invert=bool(r["CTRL"] & CROP_MAP["CTRL"].field(
            "INVERT").mask), bgr=bool(p["BGR"]))
        self.regs["FRAME_COUNT"] = (self.regs["FRAME_COUNT"] + 1) & 0xFFFF_FFFF
        return np.ascontiguousarray(img, np.uint8).tobytes()


class FrameBroadcast:
    """``fcnn_axis_broadcast`` between the edge DMA and its two consumers: the edge path
    (``stages`` then ``edge``) and the crop block feeding the classifier (``crop_pads``
    between them). A transfer moves when both sides can take it (the broadcast holds its
    input while either output stalls); the edge DMA's S2MM receives the edge core's
    output, the classifier DMA's the classifier's."""

    def __init__(self, edge: Any, stages: list[Any], crop: CropScale, classifier: Any,
                 crop_pads: list[Any]) -> None:
        self.edge, self.stages, self.crop = edge, stages, crop
        self.classifier, self.crop_pads = classifier, crop_pads
        self.out_bytes = edge.out_bytes

    def can_accept(self) -> bool:
        return self.edge.can_accept() and self.classifier.can_accept() and self.crop.enabled

    def consume(self, packet: bytes) -> None:
        image = self.crop.image(packet)
        if image is not None:
            arr = np.frombuffer(image, np.uint8).reshape(-1, self.crop.out_bytes)
            for pad in self.crop_pads:
                arr = pad.apply_array(arr)
            self.classifier.consume(arr.tobytes())
        arr = np.frombuffer(packet, np.uint8)
        if self.stages:
            arr = arr.reshape(-1, self.stages[0].in_bytes)
            for stage in self.stages:
                arr = stage.apply_array(arr)
        self.edge.consume(np.ascontiguousarray(arr).tobytes())

    def output_ready(self, now: int) -> bool:
        return self.edge.output_ready(now)

    def pop_output(self) -> bytes:
        return self.edge.pop_output()

    def reset_stream(self) -> None:
        self.edge.reset_stream()


class BuildIdBlock:
    """``fcnn_build_id`` with the parameters the Tcl gives it: the contracts layer's map
    (tied to hw/rtl/fcnn_build_id.sv by tests); unmapped words read 0; writes change
    nothing (the RTL answers SLVERR). ``hardware_id`` overrides the id words (a bitstream
    of another build), ``core_id`` the CORE_ID (another IP at that address)."""

    def __init__(self, cell: Cell) -> None:
        self.cell = cell
        self.params = {k: cell.int(k) for k in ("BUILD_ID_LO", "BUILD_ID_HI")}
        self.core_id: int | None = None
        self.writes: list[tuple[int, int]] = []

    def set_hardware_id(self, hw_id: str) -> None:
        """Report ``hw_id`` instead (the fault "wrong build id")."""
        self.params = id_params(hw_id)

    def read(self, offset: int) -> int:
        reg = BUILD_ID_MAP.at(offset)
        if reg is None:
            return 0
        if reg.name == "CORE_ID" and self.core_id is not None:
            return self.core_id
        return BUILD_ID_MAP.reset_values(self.params)[reg.name]

    def write(self, offset: int, value: int) -> None:
        self.writes.append((offset, value))


class Unmodelled:
    """An address-mapped IP the emulation has no model of (e.g. the ``axi_intc``, which a
    polling driver never touches): any access is a :class:`SimulationError`."""

    def __init__(self, cell: Cell) -> None:
        self.cell = cell

    def read(self, offset: int) -> int:
        raise SimulationError(f"{self.cell.name} ({self.cell.vlnv}) is not modelled by the "
                              f"emulated board (read of 0x{offset:X})")

    def write(self, offset: int, value: int) -> None:
        raise SimulationError(f"{self.cell.name} ({self.cell.vlnv}) is not modelled by the "
                              f"emulated board (write of 0x{offset:X})")
