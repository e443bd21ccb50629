"""A fake of the parts of the ``pynq`` API the board backend uses, for off-board tests.

It behaves like PYNQ 3 on a Zynq with an AXI DMA (simple mode) per core:

- ``allocate`` returns numpy arrays with ``physical_address``, ``flush``,
  ``invalidate`` and ``freebuffer``. The device sees *its own copy* of the
  memory: a buffer the CPU wrote reaches the device only through ``flush``, and
  what the device wrote reaches the CPU only through ``invalidate`` (so a
  driver that forgets either gets stale data, as on the board);
- ``Overlay(bitfile)`` has ``ip_dict`` (type = VLNV, ``phys_addr``, ``registers``
  with ``address_offset`` as parsed from a .hwh) and one attribute per IP;
  a core IP has ``read``/``write``; the DMA IP has ``read``/``write`` on the
  PG021 register file plus ``sendchannel``/``recvchannel`` with ``transfer``,
  ``wait``, ``idle``, ``running``, ``error``, ``start``, ``stop`` and
  ``transferred``, with PYNQ's checks (not started, not idle, size, alignment).
  ``wait`` spins with no deadline, as PYNQ's does (the fake raises after a
  million polls instead of hanging the test run);
- time passes when the driver polls a DMA register (one tick per read): a
  send moves at the next tick when the core can take it, a core's output can be
  received ``latency`` ticks after its input arrived, and the edge core holds one
  output frame when nobody receives it, then stops accepting input.

Faults (set on :class:`FakeBoard`): ``hang_send`` / ``hang_recv`` (a channel
never finishes), ``short_by`` (the next output frame is that many bytes short:
an early TLAST), ``error_bits`` (the next recv transfer stops with these DMASR
error bits, e.g. 0x20 DMASlvErr), ``core_error`` (the core sets these ERROR
bits on the next frame), ``identity`` overrides of the ID registers.
"""

from __future__ import annotations

import types
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from fpgacnn.boards.board import load_board
from fpgacnn.boards.design import address_map
from fpgacnn.spec.build_id import BUILD_ID_CELL, BUILD_ID_MAP, BUILD_ID_VLNV, id_params
from fpgacnn.spec.cores import (
    CLASSIFIER_VLNV,
    CTRL_ENABLE,
    CTRL_SOFT_RESET,
    EDGE_MAP,
    EDGE_VLNV,
    Access,
)
from fpgacnn.spec.edge import sobel_edges

#: error bit masks of the edge core (the contracts layer's map)
_ERR = {f.name: f.mask for f in EDGE_MAP["ERROR"].fields}
_STATUS = {f.name: f.mask for f in EDGE_MAP["STATUS"].fields}

DMA_VLNV = "xilinx.com:ip:axi_dma:7.1"


class FakeBuffer(np.ndarray):
    """A contiguous buffer: the CPU view (this array) and the device copy (``board.mem``)."""

    board: FakeBoard
    physical_address: int
    freed: bool

    def flush(self) -> None:
        self.board.mem[self.physical_address][:] = np.asarray(self).view(np.uint8).reshape(-1)

    def invalidate(self) -> None:
        np.asarray(self).view(np.uint8).reshape(-1)[:] = self.board.mem[self.physical_address]

    def freebuffer(self) -> None:
        if self.freed:
            raise RuntimeError("buffer freed twice")
        self.freed = True
        self.board.freed.append(self.physical_address)

    def close(self) -> None:
        self.freebuffer()


class FakeEdgeCore:
    """``fcnn_edge_core`` seen through its registers and streams (golden model inside).

    The registers are the contracts layer's map (``EDGE_MAP``): offsets, reset values
    (for these HDL parameters) and what a write does (the register's access).
    """

    def __init__(self, board: FakeBoard, *, ppc: int, max_width: int, max_height: int) -> None:
        self.board = board
        self.ppc, self.max_width, self.max_height = ppc, max_width, max_height
        #: register name -> value, as after ``rst``
        self.regs = EDGE_MAP.reset_values({"PPC": ppc, "MAX_WIDTH": max_width,
                                           "MAX_HEIGHT": max_height})
        self.outputs: deque[bytes] = deque()
        self.ready: deque[int] = deque()  # board tick at which each output can move
        self.soft_resets = 0

    def read(self, offset: int) -> int:
        if offset in self.board.identity:
            return self.board.identity[offset]
        reg = EDGE_MAP.at(offset)
        if reg is None:
            return 0  # unmapped addresses read 0
        if reg.name == "STATUS":
            return _STATUS["BUSY"] if self.outputs else _STATUS["WAIT_SOF"]
        return self.regs[reg.name]

    def write(self, offset: int, value: int) -> None:
        self.board.register_writes.append((offset, value))
        reg = EDGE_MAP.at(offset)
        if reg is None or reg.access is Access.RO:
            return
        if reg.name == "CTRL":
            if value & CTRL_SOFT_RESET:
                self.outputs.clear()
                self.ready.clear()
                self.soft_resets += 1
            self.regs["CTRL"] = value & CTRL_ENABLE  # SOFT_RESET self-clears
        elif reg.access is Access.W1C:
            self.regs[reg.name] &= ~value
        elif reg.access is Access.RO_WC:
            self.regs[reg.name] = 0
        else:
            self.regs[reg.name] = value & reg.mask

    def can_accept(self) -> bool:
        return bool(self.regs["CTRL"] & CTRL_ENABLE) and len(self.outputs) < 1

    def consume(self, data: bytes) -> None:
        w, h, thr = self.regs["WIDTH"], self.regs["HEIGHT"], self.regs["THRESHOLD"]
        line = -(-w // self.ppc) * self.ppc
        pixels = np.zeros(h * line, np.uint8)
        n = min(len(data), pixels.size)
        pixels[:n] = np.frombuffer(data[:n], np.uint8)
        if len(data) != pixels.size:
            short = len(data) < pixels.size
            self.regs["ERROR"] |= _ERR["EOL_EARLY" if short else "FRAME_LONG"]
        frame = pixels.reshape(h, line)[:, :w]
        out = np.zeros((h, line), np.uint8)
        out[:, :w] = sobel_edges(np.ascontiguousarray(frame), thr)
        if self.board.core_error:
            self.regs["ERROR"] |= self.board.core_error
            self.board.core_error = 0
        payload = out.tobytes()
        if self.board.short_by:
            payload = payload[: -self.board.short_by]
            self.board.short_by = 0
        self.regs["FRAME_COUNT"] += 1
        self.outputs.append(payload)
        self.ready.append(self.board.now + self.board.latency)


class FakeClassifierCore:
    """The classifier core: one image of codes in, one beat of raw scores + label out."""

    def __init__(self, board: FakeBoard, *, scores: Callable[[np.ndarray], np.ndarray],
                 input_shape: tuple[int, int, int], score_bits: int, out_bytes: int) -> None:
        self.board, self.scores_of, self.shape = board, scores, input_shape
        self.bits, self.out_bytes = score_bits, out_bytes
        self.outputs: deque[bytes] = deque()
        self.ready: deque[int] = deque()

    def read(self, offset: int) -> int:
        return 0

    def write(self, offset: int, value: int) -> None:
        pass

    def can_accept(self) -> bool:
        return len(self.outputs) < 1

    def consume(self, data: bytes) -> None:
        codes = np.frombuffer(data, np.uint8).reshape(self.shape)
        raw = np.asarray(self.scores_of(codes), np.int64)
        beat = 0
        for k, s in enumerate(raw):
            beat |= (int(s) & ((1 << self.bits) - 1)) << (k * self.bits)
        beat |= int(np.argmax(raw)) << (len(raw) * self.bits)
        self.outputs.append(beat.to_bytes(self.out_bytes, "little"))
        self.ready.append(self.board.now + self.board.latency)


class FakeChannel:
    """One simple-mode AXI DMA channel, driven through the DMA's register file."""

    def __init__(self, dma: FakeAxiDMA, tx: bool) -> None:
        self._dma, self._tx = dma, tx
        self._off = 0x00 if tx else 0x30
        self._first = True
        self._active: FakeBuffer | None = None
        self.transferred = 0

    # the same status decoding as PYNQ's _SDMAChannel
    @property
    def running(self) -> bool:
        return self._dma.read(self._off + 4) & 0x01 == 0

    @property
    def idle(self) -> bool:
        return self._dma.read(self._off + 4) & 0x02 == 0x02

    @property
    def error(self) -> bool:
        return self._dma.read(self._off + 4) & 0x70 != 0

    def start(self) -> None:
        self._dma.write(self._off, 0x1)
        self._first = True

    def stop(self) -> None:
        self._dma.write(self._off, 0x0)

    def transfer(self, array: FakeBuffer, start: int = 0, nbytes: int = 0) -> None:
        if not self.running:
            raise RuntimeError("DMA channel not started")
        if not self.idle and not self._first:
            raise RuntimeError("DMA channel not idle")
        if array.freed:
            raise RuntimeError("transfer from a freed buffer")
        if nbytes == 0:
            nbytes = array.nbytes - start
        if nbytes > self._dma.max_size or start + nbytes > array.nbytes:
            raise ValueError(f"Transfer size is {nbytes} bytes, which exceeds the maximum DMA "
                             f"buffer size {self._dma.max_size}.")
        if (array.physical_address + start) % 8:
            raise RuntimeError("DMA does not support unaligned transfers")
        if self._tx:
            array.flush()
        self.transferred = 0
        self._active = array
        self._first = False
        self._dma.start_transfer(self._tx, array.physical_address + start, nbytes)

    def wait(self) -> None:
        if not self.running:
            raise RuntimeError("DMA channel not started")
        for _ in range(1_000_000):
            status = self._dma.read(self._off + 4)
            if status & 0x70:
                raise RuntimeError(f"DMA error 0x{status & 0x70:02X}")
            if status & 0x02:
                break
        else:
            raise AssertionError("fake pynq: wait() would hang forever on the board")
        if not self._tx and self._active is not None:
            self._active.invalidate()
        self.transferred = self._dma.read(self._off + 0x28)


class FakeAxiDMA:
    """An AXI DMA (PG021 simple mode) connected to one core."""

    def __init__(self, board: FakeBoard, core: Any, max_size: int = 1 << 26) -> None:
        self.board, self.core, self.max_size = board, core, max_size
        # per channel: control, status (halted at reset), address, length
        self.cr = {0x00: 0, 0x30: 0}
        self.sr = {0x00: 0x1, 0x30: 0x1}
        self.job: dict[int, tuple[int, int] | None] = {0x00: None, 0x30: None}
        self.length = {0x00: 0, 0x30: 0}
        self.resets = 0
        self.sendchannel = FakeChannel(self, True)
        self.recvchannel = FakeChannel(self, False)
        self.sendchannel.start()
        self.recvchannel.start()

    def read(self, offset: int) -> int:
        self.board.tick()
        if offset in (0x00, 0x30):
            return self.cr[offset]
        if offset in (0x04, 0x34):
            return self.sr[offset - 4]
        if offset in (0x28, 0x58):
            return self.length[offset - 0x28]
        return 0

    def write(self, offset: int, value: int) -> None:
        if offset in (0x00, 0x30):
            if value & 0x4:  # soft reset: both channels halt, errors clear, jobs dropped
                self.resets += 1
                for off in (0x00, 0x30):
                    self.cr[off], self.sr[off], self.job[off] = 0, 0x1, None
                return
            self.cr[offset] = value & 0x1
            if value & 0x1:
                self.sr[offset] &= ~0x1  # running
            else:
                self.sr[offset] |= 0x1

    def start_transfer(self, tx: bool, addr: int, nbytes: int) -> None:
        off = 0x00 if tx else 0x30
        self.board.events.append(("send" if tx else "recv", "start", addr))
        self.sr[off] &= ~0x2  # busy
        self.job[off] = (addr, nbytes)

    def step(self) -> None:
        b = self.board
        send = self.job[0x00]
        if send is not None and not b.hang_send and self.core.can_accept():
            addr, n = send
            self.core.consume(bytes(b.device_bytes(addr, n)))
            self.job[0x00], self.length[0x00] = None, n
            self.sr[0x00] |= 0x2
            b.events.append(("send", "done", addr))
        recv = self.job[0x30]
        if recv is not None and b.error_bits:
            self.sr[0x30] |= b.error_bits | 0x1  # error: the channel halts
            b.error_bits = 0
            self.job[0x30] = None
            return
        if recv is not None and not b.hang_recv and self.core.outputs and \
                self.core.ready[0] <= b.now:
            addr, n = recv
            packet = self.core.outputs.popleft()
            self.core.ready.popleft()
            if len(packet) > n:  # the stream did not end within the buffer
                self.sr[0x30] |= 0x10 | 0x1
                self.job[0x30] = None
                return
            b.device_bytes(addr, len(packet))[:] = np.frombuffer(packet, np.uint8)
            self.job[0x30], self.length[0x30] = None, len(packet)
            self.sr[0x30] |= 0x2
            b.events.append(("recv", "done", addr))


#: The board the fake stands for, and the build-id block's segment in the address map
#: its generated block design assigns (fpgacnn.boards.design.address_map).
FAKE_BOARD = "pynq-z2"
_BUILD_ID_SEGMENT = next(s for s in address_map(load_board(FAKE_BOARD))
                         if s.cell == BUILD_ID_CELL)
BUILD_ID_BASE = _BUILD_ID_SEGMENT.offset


class FakeBuildId:
    """The block design's ``fcnn_build_id`` (hw/rtl/fcnn_build_id.sv) built for
    ``hardware_id``: its registers are the contracts layer's map (BUILD_ID_MAP) with the
    reset values of those parameters; unmapped words read 0; writes change nothing (the
    RTL answers SLVERR). ``core_id`` overrides CORE_ID (another IP at that address)."""

    def __init__(self, hardware_id: str, core_id: int | None = None) -> None:
        self.hardware_id, self.core_id = hardware_id, core_id
        self.writes: list[tuple[int, int]] = []

    def read(self, offset: int) -> int:
        reg = BUILD_ID_MAP.at(offset)
        if reg is None:
            return 0
        if reg.name == "CORE_ID" and self.core_id is not None:
            return self.core_id
        return BUILD_ID_MAP.reset_values(id_params(self.hardware_id))[reg.name]

    def write(self, offset: int, value: int) -> None:
        self.writes.append((offset, value))


class FakeOverlay:
    """``pynq.Overlay`` for the bitstream the board was made for."""

    def __init__(self, board: FakeBoard, bitfile: str) -> None:
        if not bitfile.endswith(".bit"):
            raise ValueError(f"not a bitstream: {bitfile}")
        board.loaded.append(bitfile)
        self.ip_dict = board.ip_dict
        for name, ip in board.ips.items():
            setattr(self, name, ip)


class FakeBoard:
    """The fake board: memory, IPs, fault switches and a record of what the driver did."""

    def __init__(self, *, ppc: int = 4, max_width: int = 640, max_height: int = 480,
                 edge_base: int = 0x43C0_0000, classifier: dict[str, Any] | None = None,
                 hwh_registers: dict[str, int] | None = None,
                 hardware_id: str | None = None) -> None:
        self.mem: dict[int, np.ndarray] = {}
        self.freed: list[int] = []
        self.loaded: list[str] = []
        self.register_writes: list[tuple[int, int]] = []
        #: DMA activity in order: (channel, "start" | "done", physical address)
        self.events: list[tuple[str, str, int]] = []
        self.identity: dict[int, int] = {}
        #: status polls so far (the fake's clock) and polls from a core's input to its output
        self.now, self.latency = 0, 50
        self.hang_send = self.hang_recv = False
        self.short_by = self.error_bits = self.core_error = 0
        self._next_addr = 0x1000_0000
        self.edge = FakeEdgeCore(self, ppc=ppc, max_width=max_width, max_height=max_height)
        self.dma_edge = FakeAxiDMA(self, self.edge)
        regs = hwh_registers or EDGE_MAP.offsets()
        self.ip_dict: dict[str, dict[str, Any]] = {
            "fcnn_edge_core_0": {
                "type": EDGE_VLNV, "phys_addr": edge_base,
                "addr_range": 0x10000,
                "registers": {k: {"address_offset": v, "size": 32} for k, v in regs.items()}},
            "axi_dma_edge": {"type": DMA_VLNV, "phys_addr": 0x4040_0000, "addr_range": 0x10000},
        }
        self.ips: dict[str, Any] = {"fcnn_edge_core_0": self.edge, "axi_dma_edge": self.dma_edge}
        if hardware_id is not None:
            # the generated block design's build-id block (boards/templates/block_design)
            self.build_id = FakeBuildId(hardware_id)
            self.ip_dict[BUILD_ID_CELL] = {"type": BUILD_ID_VLNV, "phys_addr": BUILD_ID_BASE,
                                           "addr_range": _BUILD_ID_SEGMENT.size}
            self.ips[BUILD_ID_CELL] = self.build_id
        self.dmas = [self.dma_edge]
        if classifier is not None:
            self.cls = FakeClassifierCore(self, **classifier)
            self.dma_cls = FakeAxiDMA(self, self.cls)
            self.ip_dict["fcnn_axis_top_0"] = {"type": CLASSIFIER_VLNV,
                                               "phys_addr": 0x43C1_0000, "addr_range": 0x10000}
            self.ip_dict["axi_dma_cls"] = {"type": DMA_VLNV, "phys_addr": 0x4041_0000,
                                           "addr_range": 0x10000}
            self.ips.update(fcnn_axis_top_0=self.cls, axi_dma_cls=self.dma_cls)
            self.dmas.append(self.dma_cls)

    def tick(self) -> None:
        self.now += 1
        for dma in self.dmas:
            dma.step()

    def device_bytes(self, addr: int, n: int) -> np.ndarray:
        for base, arr in self.mem.items():
            if base <= addr and addr + n <= base + arr.size:
                return arr[addr - base: addr - base + n]
        raise RuntimeError(f"DMA decode error: 0x{addr:X}+{n} is not allocated memory")

    def allocate(self, shape: Any, dtype: Any = np.uint32, **_: Any) -> FakeBuffer:
        buf = np.zeros(shape, dtype).view(FakeBuffer)
        buf.board, buf.physical_address, buf.freed = self, self._next_addr, False
        self.mem[self._next_addr] = np.zeros(buf.nbytes, np.uint8)
        self._next_addr += -(-buf.nbytes // 4096) * 4096 + 4096
        return buf

    @property
    def live_buffers(self) -> int:
        return len(self.mem) - len(self.freed)

    def module(self) -> types.ModuleType:
        """A ``pynq`` module bound to this board (install with monkeypatch.setitem)."""
        mod = types.ModuleType("pynq")
        mod.Overlay = lambda bitfile, download=True: FakeOverlay(self, bitfile)  # type: ignore[attr-defined]
        mod.allocate = self.allocate  # type: ignore[attr-defined]
        return mod
