"""The parts of PYNQ's API the ``pynq`` backend uses, on the emulated board.

Modelled on PYNQ's own source at the tags of the board images (v3.0.1 and v3.1;
``git show v3.1:<path>`` in github.com/Xilinx/PYNQ), with the same names,
attributes, checks and exception types:

- :func:`allocate` / :class:`PynqBuffer` (``pynq/buffer.py``): an ``np.ndarray``
  subclass with ``physical_address``, ``coherent`` (False: the buffer is cacheable,
  so the device sees the CPU's writes only after ``flush`` and the CPU sees the
  device's only after ``invalidate``), ``freebuffer`` (idempotent: ``if not
  self.freed``), ``close`` (v3.x: *not* functional, it only warns
  ``DeprecationWarning``), a context manager that frees;
- :class:`MMIO` (``pynq/mmio.py``): ``read``/``write`` with its offset checks;
- :class:`DefaultIP` (``pynq/overlay.py``): ``read``/``write`` through ``mmio``;
- :class:`DMA` and :class:`_SDMAChannel` (``pynq/lib/dma.py``): the channel sizes and
  alignments from the IP's parameters (``c_sg_length_width``,
  ``c_m_axi_*_data_width``, ``c_include_*_dre``), ``transfer`` (not started / not
  idle / too large / unaligned checks, flush before a send), ``wait`` (polls DMASR
  with no timeout, raises ``RuntimeError`` naming the error bit, invalidates after a
  receive, reads ``transferred`` from LENGTH), ``idle``, ``running``, ``error``,
  ``start``, ``stop``. One switch differs: PYNQ's ``wait`` spins forever on a channel
  that never finishes; with ``EmulatedBoard(wait_limit=N)`` it raises
  :class:`EmulatedHangError` after N polls, so a hang fails a test instead of
  hanging the run (the default, None, spins as PYNQ does);
- :class:`Overlay` (``pynq/overlay.py``): ``ip_dict`` as ``IpDictView`` derives it
  (:func:`fpgacnn.sim.board_emu.tree.ip_dict`), one attribute per IP of it (the DMA
  driver for ``xilinx.com:ip:axi_dma:7.1``, ``DefaultIP`` otherwise), ``AttributeError``
  for a name it does not have.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from fpgacnn.spec.errors import SimulationError

if TYPE_CHECKING:
    from .board import EmulatedBoard

DMA_TYPE_TX, DMA_TYPE_RX = 1, 0
MAX_C_SG_LENGTH_WIDTH = 26


class EmulatedHangError(SimulationError):
    """``_SDMAChannel.wait`` polled ``wait_limit`` times without the channel finishing:
    on the board it would spin forever."""


class PynqBuffer(np.ndarray):
    """A physically contiguous buffer (``pynq/buffer.py``), see the module docstring."""

    board: EmulatedBoard
    device_address: int
    coherent: bool
    freed: bool

    @property
    def physical_address(self) -> int:
        """The buffer's address as the DMA sees it."""
        return self.device_address

    def flush(self) -> None:
        """Write the CPU's view back to memory (what the device reads)."""
        if self.freed:
            raise SimulationError(f"flush of buffer 0x{self.device_address:X} after "
                                  "freebuffer (on the board: a use after munmap)")
        self.board.memory.device_write(self.device_address,
                                       np.asarray(self).view(np.uint8).tobytes())

    def invalidate(self) -> None:
        """Read memory (what the device wrote) into the CPU's view."""
        if self.freed:
            raise SimulationError(f"invalidate of buffer 0x{self.device_address:X} after "
                                  "freebuffer (on the board: a use after munmap)")
        data = self.board.memory.device_read(self.device_address, self.nbytes)
        assert data is not None
        np.asarray(self).view(np.uint8).reshape(-1)[:] = np.frombuffer(data, np.uint8)

    def sync_to_device(self) -> None:
        """Alias of :meth:`flush`."""
        self.flush()

    def sync_from_device(self) -> None:
        """Alias of :meth:`invalidate`."""
        self.invalidate()

    def freebuffer(self) -> None:
        """Free the memory (a second call does nothing, as in PYNQ)."""
        if not self.freed:
            self.freed = True
            self.board.memory.free(self.device_address)

    def close(self) -> None:
        """Unused in PYNQ 3.x: warns and frees nothing."""
        warnings.warn(".close no longer functional - use scopes to manage buffers",
                      DeprecationWarning, stacklevel=2)

    def __enter__(self) -> PynqBuffer:
        return self

    def __exit__(self, *exc: object) -> int:
        self.freebuffer()
        return 0


class MMIO:
    """Register access to ``length`` bytes at ``base_addr`` (``pynq/mmio.py``)."""

    def __init__(self, board: EmulatedBoard, base_addr: int, length: int = 4) -> None:
        if base_addr < 0 or length < 0:
            raise ValueError("Base address or length cannot be negative.")
        self.board, self.base_addr, self.length = board, base_addr, length

    def read(self, offset: int = 0, length: int = 4, word_order: str = "little") -> int:
        """The 32-bit word at ``offset``."""
        if length != 4:
            raise ValueError("MMIO currently only supports 4 and 8-byte reads.")
        if offset < 0:
            raise ValueError("Offset cannot be negative.")
        if offset % 4:
            raise MemoryError("Unaligned read: offset must be multiple of 4.")
        return self.board.bus_read(self.base_addr + offset)

    def write(self, offset: int, data: int) -> None:
        """Write the 32-bit ``data`` at ``offset``."""
        if offset < 0:
            raise ValueError("Offset cannot be negative.")
        if offset % 4:
            raise MemoryError("Unaligned write: offset must be multiple of 4.")
        if not isinstance(data, (int, np.integer)):
            raise ValueError("Data type must be int or bytes.")
        self.board.bus_write(self.base_addr + offset, int(data) & 0xFFFF_FFFF)


class DefaultIP:
    """Driver of an IP without a more specific one (``pynq/overlay.py``)."""

    def __init__(self, board: EmulatedBoard, description: dict[str, Any]) -> None:
        self.description = description
        self.mmio = MMIO(board, description["phys_addr"], description["addr_range"])
        self._interrupts = description.get("interrupts", {})
        self._gpio = description.get("gpio", {})

    def read(self, offset: int = 0) -> int:
        """Read the register at ``offset``."""
        return self.mmio.read(offset)

    def write(self, offset: int, value: int) -> None:
        """Write ``value`` to the register at ``offset``."""
        self.mmio.write(offset, value)


class _SDMAChannel:
    """One channel of an AXI DMA in simple mode (``pynq/lib/dma.py``)."""

    def __init__(self, board: EmulatedBoard, mmio: MMIO, max_size: int, width: int,
                 tx_rx: int, dre: bool, interrupt: Any = None) -> None:
        self._board, self._mmio, self._interrupt = board, mmio, interrupt
        self._max_size, self._align, self._dre = max_size, width, dre
        self._tx_rx = tx_rx
        self._active_buffer: PynqBuffer | None = None
        self._first_transfer = True
        self._offset = 0x0 if tx_rx == DMA_TYPE_TX else 0x30
        self._flush_before = tx_rx == DMA_TYPE_TX
        self.transferred = 0
        self.start()

    @property
    def running(self) -> bool:
        """True if the channel is running (DMASR.Halted is 0)."""
        return self._mmio.read(self._offset + 4) & 0x01 == 0x00

    @property
    def idle(self) -> bool:
        """True once the transfer has completed (DMASR.Idle)."""
        return self._mmio.read(self._offset + 4) & 0x02 == 0x02

    @property
    def error(self) -> bool:
        """True if an error bit of DMASR is set."""
        return self._mmio.read(self._offset + 4) & 0x70 != 0x0

    def start(self) -> None:
        """Start the channel (DMACR.RS) and wait until it runs."""
        self._mmio.write(self._offset, 0x1001 if self._interrupt else 0x0001)
        self._spin(lambda: self.running, "start")
        self._first_transfer = True

    def stop(self) -> None:
        """Stop the channel and wait until it halts."""
        self._mmio.write(self._offset, 0x0000)
        self._spin(lambda: not self.running, "stop")

    def _spin(self, done: Any, what: str) -> None:
        limit = self._board.wait_limit
        polls = 0
        while not done():
            polls += 1
            if limit is not None and polls >= limit:
                raise EmulatedHangError(f"{what} of a DMA channel did not finish within "
                                        f"{limit} polls (PYNQ would spin forever)")

    def transfer(self, array: PynqBuffer, start: int = 0, nbytes: int = 0) -> None:
        """Start moving ``nbytes`` (0: to the end) of ``array`` from ``start``.

        Its register reads take no emulated time (:meth:`EmulatedBoard.paused`): the
        emulated cores run only while a driver waits (polls), so the time a transfer's
        set-up takes on the host is the host's, as on a board where the PL runs beside
        the CPU (the driver's ``timings.host`` excludes only its waits).
        """
        with self._board.paused():
            self._transfer(array, start, nbytes)

    def _transfer(self, array: PynqBuffer, start: int, nbytes: int) -> None:
        if not self.running:
            raise RuntimeError("DMA channel not started")
        if not self.idle and not self._first_transfer:
            raise RuntimeError("DMA channel not idle")
        if nbytes == 0:
            nbytes = array.nbytes - start
        if nbytes > self._max_size:
            raise ValueError(f"Transfer size is {nbytes} bytes, which exceeds the maximum "
                             f"DMA buffer size {self._max_size}.")
        if not self._dre and (array.physical_address + start) % self._align != 0:
            raise RuntimeError("DMA does not support unaligned transfers; Starting address "
                               f"must be aligned to {self._align} bytes.")
        if self._flush_before:
            array.flush()
        self.transferred = 0
        addr = array.physical_address + start
        self._mmio.write(self._offset + 0x18, addr & 0xFFFF_FFFF)
        self._mmio.write(self._offset + 0x1C, (addr >> 32) & 0xFFFF_FFFF)
        self._mmio.write(self._offset + 0x28, nbytes)
        self._active_buffer = array
        self._first_transfer = False

    def wait(self) -> None:
        """Poll until the transfer completes (no timeout, as in PYNQ)."""
        if not self.running:
            raise RuntimeError("DMA channel not started")
        limit = self._board.wait_limit
        polls = 0
        while True:
            error = self._mmio.read(self._offset + 4)
            if self.error:
                if error & 0x10:
                    raise RuntimeError("DMA Internal Error (transfer length 0?)")
                if error & 0x20:
                    raise RuntimeError("DMA Slave Error (cannot access memory map interface)")
                if error & 0x40:
                    raise RuntimeError("DMA Decode Error (invalid address)")
            if self.idle:
                break
            polls += 1
            if limit is not None and polls >= limit:
                raise EmulatedHangError(f"wait() on a DMA channel polled {limit} times without "
                                        "the transfer finishing (PYNQ would spin forever)")
        if not self._flush_before:
            assert self._active_buffer is not None
            self._active_buffer.invalidate()
        self.transferred = self._mmio.read(self._offset + 0x28)
        self._active_buffer = None  # v3.1


class DMA(DefaultIP):
    """The AXI DMA driver (``pynq/lib/dma.py``, ``bindto`` axi_dma 7.1), simple mode."""

    bindto = ["xilinx.com:ip:axi_dma:7.1"]

    def __init__(self, board: EmulatedBoard, description: dict[str, Any]) -> None:
        super().__init__(board, description)
        p = description["parameters"]
        if bool(int(p.get("c_include_sg", 0))):
            raise SimulationError(f"{description['fullpath']}: the emulation drives simple-mode "
                                  "DMAs only (c_include_sg=0)")
        width = int(p.get("c_sg_length_width", MAX_C_SG_LENGTH_WIDTH))
        self.buffer_max_size = (1 << width) - 1
        self.sendchannel = self.recvchannel = None
        # with interrupts recorded (behind an axi_intc) PYNQ enables IOC_IrqEn; the
        # emulation raises no interrupts (the driver polls), it only records the setting
        irq = self._interrupts
        if bool(int(p.get("c_include_mm2s", 1))):
            self.sendchannel = _SDMAChannel(
                board, self.mmio, self.buffer_max_size, int(p["c_m_axi_mm2s_data_width"]) >> 3,
                DMA_TYPE_TX, bool(int(p.get("c_include_mm2s_dre", 0))),
                irq.get("mm2s_introut"))
        if bool(int(p.get("c_include_s2mm", 1))):
            self.recvchannel = _SDMAChannel(
                board, self.mmio, self.buffer_max_size, int(p["c_m_axi_s2mm_data_width"]) >> 3,
                DMA_TYPE_RX, bool(int(p.get("c_include_s2mm_dre", 0))),
                irq.get("s2mm_introut"))


class Overlay:
    """``pynq.Overlay(bitfile)`` of the emulated board's design (see the module docstring).

    The bitstream must exist with its ``.hwh`` beside it (same base name), as PYNQ
    requires; their contents are not read (the design comes from the build tree).
    """

    def __init__(self, board: EmulatedBoard, bitfile_name: str, dtbo: Any = None,
                 download: bool = True, ignore_version: bool = False, device: Any = None,
                 gen_cache: bool = False) -> None:
        from pathlib import Path

        bit = Path(bitfile_name)
        if not bit.is_file():
            raise OSError(f"Bitstream file {bitfile_name} does not exist.")
        if not bit.with_suffix(".hwh").is_file():
            raise RuntimeError(f"Cannot find HWH file for {bitfile_name}.")
        self.bitfile_name = str(bit)
        self._board = board
        board.loaded.append(str(bit))
        self.ip_dict = board.ip_dict()
        self._drivers: dict[str, Any] = {}

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        if key not in self.ip_dict or "phys_addr" not in self.ip_dict[key]:
            raise AttributeError(f"Could not find IP or hierarchy {key} in overlay")
        if key not in self._drivers:
            entry = self.ip_dict[key]
            cls = DMA if entry["type"] in DMA.bindto else DefaultIP
            self._drivers[key] = cls(self._board, entry)
        return self._drivers[key]
