"""The AXI4-Lite address map of a board design: placement and overlap checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpgacnn.spec.errors import ArtifactError

from .board import MasterPort

#: Every peripheral gets a 64 KiB window (PYNQ's convention; a multiple of every page size).
SEGMENT_SIZE = 0x1_0000


class AddressMapError(ArtifactError):
    """Segments that overlap, are misaligned, or fall outside the master's window."""


@dataclass(frozen=True, kw_only=True)
class Segment:
    """One slave's window in the PS master's address space.

    ``cell`` is the block-design cell, ``interface`` its AXI4-Lite slave
    interface and ``block`` the address block (``cell/interface/block`` is the
    Vivado address segment). ``pin`` is the interface's pin name where it differs
    from the segment's spelling (Xilinx's ``axi_intc``: pin ``s_axi``, segment
    ``S_AXI/Reg``).
    """

    cell: str
    interface: str
    block: str
    offset: int
    size: int
    pin: str = ""

    @property
    def interface_pin(self) -> str:
        """The block-design interface pin ``cell/pin`` the control interconnect drives."""
        return f"{self.cell}/{self.pin or self.interface}"

    @property
    def end(self) -> int:
        """One past the last byte."""
        return self.offset + self.size

    @property
    def path(self) -> str:
        """The Vivado address-segment path ``cell/interface/block``."""
        return f"{self.cell}/{self.interface}/{self.block}"


def place(slaves: Sequence[tuple[str, ...]], master: MasterPort,
          size: int = SEGMENT_SIZE) -> list[Segment]:
    """Place ``(cell, interface, block[, pin])`` slaves one after another from the window's
    base."""
    segs = [Segment(cell=c, interface=i, block=b, offset=master.base + k * size, size=size,
                    pin=pin[0] if pin else "")
            for k, (c, i, b, *pin) in enumerate(slaves)]
    check(segs, master)
    return segs


def check(segments: Sequence[Segment], master: MasterPort) -> None:
    """Raise :class:`AddressMapError` unless segments are aligned, disjoint, in the window."""
    lo, hi = master.base, master.base + master.size
    for s in segments:
        if s.size <= 0 or s.size & (s.size - 1) or s.offset % s.size:
            raise AddressMapError(f"segment {s.path} at 0x{s.offset:X} (size 0x{s.size:X}) is "
                                  f"not a power-of-two window aligned to its size")
        if s.offset < lo or s.end > hi:
            raise AddressMapError(f"segment {s.path} at 0x{s.offset:X}..0x{s.end - 1:X} is "
                                  f"outside the {master.name} window 0x{lo:X}..0x{hi - 1:X}")
    ordered = sorted(segments, key=lambda s: s.offset)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.offset < a.end:
            raise AddressMapError(f"segments {a.path} (0x{a.offset:X}..0x{a.end - 1:X}) and "
                                  f"{b.path} (0x{b.offset:X}..0x{b.end - 1:X}) overlap")
