"""The cores' facts: register maps, identification values, VLNVs, limits (stdlib only).

Each core's register map is written here once, as data (:class:`RegisterMap`),
and everything else reads it: the register table of ``hw/rtl/fcnn_edge_core.md``
is rendered from it (:meth:`RegisterMap.markdown`), the board driver and its fake
look registers up by name, the testbenches and the C++ harness take their
offsets from it, and ``tests/test_register_maps.py`` checks it against the
RTL's ``localparam``s (offsets, ``CORE_ID``, ``VERSION``) and the document.
On the board the driver takes register offsets from the package manifest
(which the board build fills from this map).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .errors import UsageError
from .package import CoreKind, CoreSpec

#: VLNV of the packaged edge core IP: ``fcnn_edge_dma``, the edge core framed for an
#: AXI DMA in simple mode (hw/rtl/fcnn_edge_dma.sv).
EDGE_VLNV = "fpgacnn:fpgacnn:fcnn_edge_dma:1.0"
#: VLNV of the classifier IP exported by Vitis HLS (hls4ml top ``fcnn_axis_top``, see
#: hw/convert/templates/axis_top.tcl). Board packages name the IP they really contain.
CLASSIFIER_VLNV = "fpgacnn:hls:fcnn_classifier:1.0"
#: Bits of the label field above the scores in the classifier's output beat (the
#: generated RTL top, the hls4ml AXI4-Stream top, the board's width converters and
#: the drivers all read this).
LABEL_BITS = 8


class Access(enum.Enum):
    """How software may use a register."""

    RW = "RW"
    RO = "RO"
    W1C = "R/W1C"
    RO_WC = "RO, write clears"


@dataclass(frozen=True)
class Field:
    """A named bit field of a register: bits ``[lsb, lsb + width)``."""

    name: str
    lsb: int
    width: int = 1
    doc: str = ""

    @property
    def mask(self) -> int:
        """The field's bits as a mask of the register value."""
        return ((1 << self.width) - 1) << self.lsb


@dataclass(frozen=True)
class Register:
    """One 32-bit register: byte offset, access, reset value (text: a number or a
    parameter name) and documentation."""

    name: str
    offset: int
    access: Access
    reset: str
    doc: str
    fields: tuple[Field, ...] = ()

    def field(self, name: str) -> Field:
        """The field ``name``; :class:`UsageError` naming the register's fields."""
        for f in self.fields:
            if f.name == name:
                return f
        raise UsageError(f"register {self.name} has fields {[f.name for f in self.fields]}, "
                         f"got {name!r}")


@dataclass(frozen=True)
class RegisterMap:
    """The AXI4-Lite register block of one core.

    ``core`` is the RTL module; ``core_id``/``version`` the values of its ``CORE_ID``
    and ``VERSION`` registers; ``addr_bits`` the AXI4-Lite address width.
    """

    core: str
    registers: tuple[Register, ...]
    core_id: int
    version: int
    addr_bits: int
    _by_name: dict[str, Register] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {r.name: r for r in self.registers}
        offsets = [r.offset for r in self.registers]
        if len(by_name) != len(self.registers) or len(set(offsets)) != len(offsets):
            raise ValueError(f"{self.core}: register names and offsets must be unique")
        object.__setattr__(self, "_by_name", by_name)

    def __getitem__(self, name: str) -> Register:
        try:
            return self._by_name[name]
        except KeyError:
            raise UsageError(f"{self.core} has registers {sorted(self._by_name)}, "
                             f"got {name!r}") from None

    def __iter__(self):  # noqa: ANN204 - iterator of Register
        return iter(self.registers)

    def offsets(self) -> dict[str, int]:
        """Register name -> byte offset."""
        return {r.name: r.offset for r in self.registers}

    def markdown(self) -> str:
        """The register table of the core's document (``hw/rtl/<core>.md``)."""
        rows = ["| offset | name | access | reset | bits |", "|---|---|---|---|---|"]
        for r in self.registers:
            rows.append(f"| 0x{r.offset:02X} | `{r.name}` | {r.access.value} | {r.reset} | "
                        f"{r.doc} |")
        return "\n".join(rows) + "\n"


def _bits(*names: str) -> tuple[Field, ...]:
    return tuple(Field(n, i) for i, n in enumerate(names))


#: The edge core's error bits, in ERROR register order (hw/rtl/fcnn_edge_core.sv).
_EDGE_ERRORS = _bits("EOL_EARLY", "EOL_LATE", "SOF_EARLY", "SOF_MISSING", "FRAME_LONG",
                     "BAD_SIZE")

#: ``fcnn_edge_core``'s register block (8-bit byte addresses, 32-bit data).
EDGE_MAP = RegisterMap(
    core="fcnn_edge_core", core_id=0x45444745, version=0x00010000, addr_bits=8,
    registers=(
        Register("CTRL", 0x00, Access.RW, "0x1",
                 "bit 0 `ENABLE`: accept new frames. bit 1 `SOFT_RESET`: write 1 to reset "
                 "the stream datapath (self-clearing, reads 0)",
                 _bits("ENABLE", "SOFT_RESET")),
        Register("STATUS", 0x04, Access.RO, "",
                 "bit 0 `BUSY` (a frame is in flight), bit 1 `WAIT_SOF` (idle, waiting for a "
                 "start of frame), bit 2 `DROPPING` (discarding input until the next SOF)",
                 _bits("BUSY", "WAIT_SOF", "DROPPING")),
        Register("ERROR", 0x08, Access.W1C, "0",
                 "sticky fault bits, write 1 to clear: " + ", ".join(
                     f"bit {f.lsb} `{f.name}`" for f in _EDGE_ERRORS), _EDGE_ERRORS),
        Register("WIDTH", 0x0C, Access.RW, "`MAX_WIDTH`",
                 "frame width in pixels, 1..`MAX_WIDTH` (bits 15:0)",
                 (Field("WIDTH", 0, 16),)),
        Register("HEIGHT", 0x10, Access.RW, "`MAX_HEIGHT`",
                 "frame height in lines, 1..`MAX_HEIGHT` (bits 15:0)",
                 (Field("HEIGHT", 0, 16),)),
        Register("THRESHOLD", 0x14, Access.RW, "0",
                 "0 = magnitude output; 1..4095 = binary edge map (bits 11:0)",
                 (Field("THRESHOLD", 0, 12),)),
        Register("FRAME_COUNT", 0x18, Access.RO_WC, "0", "output frames completed"),
        Register("DROP_COUNT", 0x1C, Access.RO_WC, "0",
                 "input beats discarded by the fault policy"),
        Register("CORE_ID", 0x20, Access.RO, "0x45444745", 'ASCII "EDGE"'),
        Register("VERSION", 0x24, Access.RO, "0x00010000", "major.minor.patch as 8.8.16 bits"),
        Register("CFG_PPC", 0x28, Access.RO, "`PPC`", ""),
        Register("CFG_MAX_WIDTH", 0x2C, Access.RO, "`MAX_WIDTH`", ""),
        Register("CFG_MAX_HEIGHT", 0x30, Access.RO, "`MAX_HEIGHT`", ""),
    ),
)

#: CORE_ID register value of the edge core (ASCII "EDGE").
EDGE_CORE_ID = EDGE_MAP.core_id
#: Register name -> byte offset of ``fcnn_edge_core``.
EDGE_REGISTERS: Mapping[str, int] = MappingProxyType(EDGE_MAP.offsets())
#: CTRL bits.
CTRL_ENABLE = EDGE_MAP["CTRL"].field("ENABLE").mask
CTRL_SOFT_RESET = EDGE_MAP["CTRL"].field("SOFT_RESET").mask
#: ERROR bits, by position.
EDGE_ERROR_BITS: Mapping[int, str] = MappingProxyType({f.lsb: f.name for f in _EDGE_ERRORS})


def edge_error_names(value: int) -> list[str]:
    """Names of the bits set in an ERROR register value (unknown bits as ``BIT<n>``)."""
    return [EDGE_ERROR_BITS.get(b, f"BIT{b}") for b in range(32) if value >> b & 1]


def edge_core_spec(
    *,
    ppc: int,
    max_width: int,
    max_height: int,
    name: str = "edge",
    base_address: int | None = None,
    dma: str | None = None,
    registers: Mapping[str, int] | None = None,
) -> CoreSpec:
    """The :class:`CoreSpec` of an edge core built with these HDL parameters."""
    return CoreSpec(
        name=name, kind=CoreKind.EDGE, vlnv=EDGE_VLNV, base_address=base_address,
        registers=dict(EDGE_REGISTERS if registers is None else registers),
        stream_in_bits=8 * ppc, stream_out_bits=8 * ppc, ppc=ppc,
        max_width=max_width, max_height=max_height, dma=dma,
        params={"PPC": ppc, "MAX_WIDTH": max_width, "MAX_HEIGHT": max_height},
    )


def classifier_core_spec(
    *,
    input_shape: tuple[int, int, int],
    score_bits: int,
    n_classes: int,
    name: str = "classifier",
    base_address: int | None = None,
    dma: str | None = None,
    registers: Mapping[str, int] | None = None,
    params: Mapping[str, Any] | None = None,
) -> CoreSpec:
    """The :class:`CoreSpec` of a classifier core (DESIGN.md "Classifier core").

    Input: one pixel (all channels, 8 bits each) per beat; output: one beat with
    ``n_classes`` raw scores of ``score_bits`` each (score k in bits
    ``[k*S, (k+1)*S)``) and the 8-bit arg-max label above them, padded to whole
    bytes (``hw/convert/templates/fcnn_axis_top.h``).
    """
    h, w, c = input_shape
    out_bits = -(-(n_classes * score_bits + LABEL_BITS) // 8) * 8
    return CoreSpec(
        name=name, kind=CoreKind.CLASSIFIER, vlnv=CLASSIFIER_VLNV, base_address=base_address,
        registers=dict(registers or {}), stream_in_bits=8 * c, stream_out_bits=out_bits,
        ppc=1, max_width=w, max_height=h, dma=dma, params=dict(params or {}),
    )
