"""The AXI DMA (PG021 v7.1, simple "Direct Register Mode") as the board design uses it.

One place for the DMA facts that the block-design generator (``fpgacnn.boards``),
the ``pynq`` driver (``fpgacnn.sw.backends.pynq``) and the emulated board
(``fpgacnn.sim.board_emu``) all need:

- which stream widths a DMA accepts, and the rule that turns a core's stream width
  into its DMA's (:func:`dma_stream_bits`): the block design widens or narrows the
  core's TDATA to that width with an AXI4-Stream subset converter, so the bytes the
  host moves per beat are the DMA's, not the core's (:func:`dma_beat_bytes`);
- the memory-map data width the generator gives each channel (:func:`mm_data_bits`),
  to which a buffer must be aligned when the data realignment engine is off;
- the width of the length registers (:data:`DMA_LENGTH_BITS`);
- the register map and status bits of PG021's Direct Register Mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .errors import ConfigError

#: Stream widths an AXI DMA accepts on its stream ports (PG021 "Feature Summary").
DMA_STREAM_WIDTHS = (8, 16, 32, 64, 128, 256, 512, 1024)
#: Width of the DMAs' buffer length registers (``c_sg_length_width``, 26 at most in
#: PG021): one simple-mode transfer moves at most ``2**26 - 1`` bytes.
DMA_LENGTH_BITS = 26

#: Direct Register Mode register offsets (PG021 "Direct Register Mode Register Address Map").
MM2S_DMACR, MM2S_DMASR, MM2S_SA, MM2S_SA_MSB, MM2S_LENGTH = 0x00, 0x04, 0x18, 0x1C, 0x28
S2MM_DMACR, S2MM_DMASR, S2MM_DA, S2MM_DA_MSB, S2MM_LENGTH = 0x30, 0x34, 0x48, 0x4C, 0x58
#: DMACR bits: run/stop, soft reset (resets both channels, self-clearing).
DMACR_RS, DMACR_RESET = 0x1, 0x4
#: DMASR bits: halted (RS = 0 and stopped), idle (the transfer completed; 0 while halted
#: and before the first transfer).
DMASR_HALTED, DMASR_IDLE = 0x1, 0x2
#: DMASR error bits by mask; each halts the channel (DMACR.RS cleared, then Halted set).
DMASR_ERRORS: Mapping[int, str] = MappingProxyType(
    {0x10: "DMAIntErr", 0x20: "DMASlvErr", 0x40: "DMADecErr"})
#: Every DMASR error bit (what ``_SDMAChannel.error`` tests in PYNQ).
DMASR_ERROR_MASK = 0x70


class DmaWidthError(ConfigError):
    """A stream no AXI DMA can carry."""


def dma_stream_bits(core_bits: int) -> int:
    """The stream width of the DMA that feeds (or drains) a core stream of ``core_bits``:
    the narrowest width of :data:`DMA_STREAM_WIDTHS` that holds it."""
    for width in DMA_STREAM_WIDTHS:
        if width >= core_bits:
            return width
    raise DmaWidthError(f"a stream of {core_bits} bits is wider than an AXI DMA carries "
                        f"(at most {DMA_STREAM_WIDTHS[-1]})")


def dma_beat_bytes(core_bits: int) -> int:
    """Bytes in memory per beat of a core stream of ``core_bits`` (its DMA's width / 8):
    e.g. a 24-bit RGB pixel occupies 4 bytes, the top one padding."""
    return dma_stream_bits(core_bits) // 8


def mm_data_bits(stream_bits: int) -> int:
    """The memory-map data width the board design gives a channel of ``stream_bits``
    (at least 32, PG021's narrowest memory-map width): the buffer alignment in bits when
    the data realignment engine is off."""
    return max(32, stream_bits)


def status_names(status: int) -> str:
    """Names of the error bits set in a DMASR value (``"none"`` if none)."""
    names = [n for bit, n in DMASR_ERRORS.items() if status & bit]
    return ", ".join(names) or "none"
