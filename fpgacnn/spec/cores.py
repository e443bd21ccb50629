"""The cores' facts: register maps, identification values, VLNVs, bit layouts (stdlib only).

Each core's register map is written here once, as data (:class:`RegisterMap` of
:class:`Register` s with their :class:`Field` s), and everything else reads it:

- the register table of ``hw/rtl/fcnn_edge_core.md`` is rendered from it
  (:meth:`RegisterMap.markdown`, spliced between marker lines by
  :meth:`RegisterMap.splice_markdown`);
- the board driver (``sw/backends/pynq.py``) looks registers up by name (on the board
  and on the emulated board, ``fpgacnn.sim.board_emu``, whose edge core is the RTL);
- the testbenches and the C++ harness take their offsets from it;
- ``tests/test_register_maps.py`` checks it against the RTL, both ways: the
  ``A_*`` offset ``localparam``s, ``CORE_ID``, ``VERSION``, the read mux (field
  layout), the write decoder (access), the reset values and the error bit order.

On the board the driver takes register offsets from the package manifest (which
the board build fills from this map). The edge core's limits (PPC set, frame size
range, threshold range) live with its golden model in :mod:`fpgacnn.spec.edge`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .edge import MAX_THRESHOLD
from .errors import ArtifactError, UsageError
from .package import CoreKind, CoreSpec

#: VLNV of the packaged edge core IP: ``fcnn_edge_dma``, the edge core framed for an
#: AXI DMA in simple mode (hw/rtl/fcnn_edge_dma.sv).
EDGE_VLNV = "fpgacnn:fpgacnn:fcnn_edge_dma:1.0"
#: VLNV of the classifier IP exported by Vitis HLS (hls4ml top ``fcnn_axis_top``, see
#: hw/convert/templates/axis_top.tcl). Board packages name the IP they really contain.
CLASSIFIER_VLNV = "fpgacnn:hls:fcnn_classifier:1.0"
#: Bits of the label field above the scores in the classifier's output beat (the
#: generated RTL top, the hls4ml AXI4-Stream top, the board's width converters and
#: the drivers all read this; the whole beat is :class:`ClassifierOutputLayout`).
LABEL_BITS = 8
#: Bits of the framing status field above the label (:class:`ClassifierStatus`).
STATUS_BITS = 8


class ClassifierStatus(enum.IntFlag):
    """The status byte of a classifier result beat: how the core framed that image.

    The framing policy is :mod:`fpgacnn.spec.cnn_framing` (hw/rtl/fcnn_cnn_framer.sv
    and the hls4ml top ``fcnn_axis_top`` implement it). Bits 7:3 are reserved, 0.
    """

    #: ``s_axis_tlast`` came before the image's last pixel: the image was completed
    #: with zero pixels, its result is of a damaged image
    TLAST_EARLY = 0x01
    #: ``s_axis_tlast`` was missing on the image's last pixel: the image ended at the
    #: pixel count and the input up to and including the next ``tlast`` was dropped
    TLAST_LATE = 0x02
    #: sticky: some image since reset (this one included) had a framing fault
    FAULT_SEEN = 0x04


#: The status bits that mean "this result is of a damaged image".
STATUS_DAMAGED = ClassifierStatus.TLAST_EARLY | ClassifierStatus.TLAST_LATE


@dataclass(frozen=True)
class ClassifierOutputLayout:
    """The classifier's output beat, written once (DESIGN.md "Classifier core").

    One beat per image, ``tlast`` set: score k (raw code of the output type,
    ``score_bits`` each, two's complement) at ``[k*S, (k+1)*S)``, the arg-max label
    (first maximum) in the :data:`LABEL_BITS` above the scores, the framing status
    (:class:`ClassifierStatus`) in the :data:`STATUS_BITS` above the label, zero
    padding up to whole bytes (:attr:`tdata_bits`). The generated RTL top, the
    hls4ml AXI top, the harnesses and the drivers read it from here.
    """

    n_classes: int
    score_bits: int

    def __post_init__(self) -> None:
        if not 1 <= self.n_classes <= 1 << LABEL_BITS:
            raise UsageError(f"classes: expected 1..{1 << LABEL_BITS}, got {self.n_classes}")
        if self.score_bits < 1:
            raise UsageError(f"score bits: expected >= 1, got {self.score_bits}")

    @property
    def label_lsb(self) -> int:
        """First bit of the label field."""
        return self.n_classes * self.score_bits

    @property
    def status_lsb(self) -> int:
        """First bit of the status field."""
        return self.label_lsb + LABEL_BITS

    @property
    def payload_bits(self) -> int:
        """Bits that carry information (scores, label, status)."""
        return self.status_lsb + STATUS_BITS

    @property
    def tdata_bits(self) -> int:
        """TDATA width: :attr:`payload_bits` rounded up to whole bytes."""
        return -(-self.payload_bits // 8) * 8

    def encode(self, scores: Any, label: int, status: int) -> int:
        """The beat (an int) of ``scores`` (codes), ``label`` and ``status``."""
        mask = (1 << self.score_bits) - 1
        word = 0
        for k, v in enumerate(scores):
            word |= (int(v) & mask) << (k * self.score_bits)
        return (word | (int(label) & 0xFF) << self.label_lsb
                | (int(status) & 0xFF) << self.status_lsb)

    def decode(self, word: int, *, signed: bool = True) -> tuple[list[int], int, int]:
        """``(scores, label, status)`` of one beat (scores sign-extended when ``signed``)."""
        mask, top = (1 << self.score_bits) - 1, 1 << (self.score_bits - 1)
        scores = []
        for k in range(self.n_classes):
            v = (word >> (k * self.score_bits)) & mask
            scores.append(v - (1 << self.score_bits) if signed and v & top else v)
        return (scores, (word >> self.label_lsb) & ((1 << LABEL_BITS) - 1),
                (word >> self.status_lsb) & ((1 << STATUS_BITS) - 1))


class Access(enum.Enum):
    """How software may use a register (the value is the document's "access" column)."""

    #: read and write; reads return what was written (within the register's fields)
    RW = "RW"
    #: read only; writes are ignored
    RO = "RO"
    #: read; writing 1 to a bit clears it (sticky status bits)
    W1C = "R/W1C"
    #: read only; any write clears the whole register (counters)
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


#: A register's value after reset: a number, the name of the HDL parameter whose value
#: it takes (``"MAX_WIDTH"``), or None for a live status that holds no stored value.
Reset = int | str | None


@dataclass(frozen=True)
class Register:
    """One 32-bit register of an AXI4-Lite block.

    ``offset`` is the byte address; ``reset`` the value after the core's ``rst``
    (see :data:`Reset`); ``fields`` the named bit fields (none: the register is one
    32-bit number).
    """

    name: str
    offset: int
    access: Access
    reset: Reset
    doc: str
    fields: tuple[Field, ...] = ()

    def field(self, name: str) -> Field:
        """The field ``name``; :class:`UsageError` naming the register's fields."""
        for f in self.fields:
            if f.name == name:
                return f
        raise UsageError(f"register {self.name} has fields {[f.name for f in self.fields]}, "
                         f"got {name!r}")

    @property
    def mask(self) -> int:
        """The bits the fields cover (all 32 when the register has no fields)."""
        if not self.fields:
            return 0xFFFF_FFFF
        out = 0
        for f in self.fields:
            out |= f.mask
        return out

    def reset_value(self, params: Mapping[str, int]) -> int | None:
        """The value after reset of a core built with HDL parameters ``params`` (None: live).

        :class:`UsageError` when the reset names a parameter ``params`` lacks.
        """
        if isinstance(self.reset, str):
            if self.reset not in params:
                raise UsageError(f"register {self.name} resets to parameter {self.reset}, "
                                 f"got parameters {sorted(params)}")
            return int(params[self.reset])
        return self.reset

    @property
    def reset_text(self) -> str:
        """The reset value as the register table shows it."""
        if self.reset is None:
            return "live"
        if isinstance(self.reset, str):
            return f"`{self.reset}`"
        if self.reset == 0:
            return "0"
        return f"0x{self.reset:X}" if self.reset <= 0xFF else f"0x{self.reset:08X}"


#: Marker lines around the generated register table in a core's document.
MARKDOWN_BEGIN = "<!-- register-map: generated from fpgacnn.spec.cores; do not edit by hand -->"
MARKDOWN_END = "<!-- /register-map -->"


@dataclass(frozen=True)
class RegisterMap:
    """The AXI4-Lite register block of one core (32-bit data, byte offsets).

    ``core`` is the RTL module; ``addr_bits`` the AXI4-Lite address width.
    Registers are looked up by name (``MAP["WIDTH"]``) or by offset (:meth:`at`).
    """

    core: str
    registers: tuple[Register, ...]
    addr_bits: int
    _by_name: dict[str, Register] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {r.name: r for r in self.registers}
        offsets = [r.offset for r in self.registers]
        if len(by_name) != len(self.registers) or len(set(offsets)) != len(offsets):
            raise ValueError(f"{self.core}: register names and offsets must be unique")
        if any(o % 4 or o >= 1 << self.addr_bits for o in offsets):
            raise ValueError(f"{self.core}: offsets must be word aligned below "
                             f"2**{self.addr_bits}, got {[hex(o) for o in offsets]}")
        object.__setattr__(self, "_by_name", by_name)

    def __getitem__(self, name: str) -> Register:
        try:
            return self._by_name[name]
        except KeyError:
            raise UsageError(f"{self.core} has registers {sorted(self._by_name)}, "
                             f"got {name!r}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Register]:
        return iter(self.registers)

    def __len__(self) -> int:
        return len(self.registers)

    @property
    def core_id(self) -> int | None:
        """The value of the ``CORE_ID`` register (None: the core has none)."""
        return self._constant("CORE_ID")

    @property
    def version(self) -> int | None:
        """The value of the ``VERSION`` register (None: the core has none)."""
        return self._constant("VERSION")

    def _constant(self, name: str) -> int | None:
        reg = self._by_name.get(name)
        return reg.reset if reg is not None and isinstance(reg.reset, int) else None

    def at(self, offset: int) -> Register | None:
        """The register at byte ``offset`` (word aligned), None for an unmapped address."""
        return next((r for r in self.registers if r.offset == offset), None)

    def offsets(self) -> dict[str, int]:
        """Register name -> byte offset."""
        return {r.name: r.offset for r in self.registers}

    def reset_values(self, params: Mapping[str, int]) -> dict[str, int]:
        """Register name -> value after reset for HDL parameters ``params`` (live ones left out)."""
        out = {}
        for r in self.registers:
            value = r.reset_value(params)
            if value is not None:
                out[r.name] = value
        return out

    def markdown(self) -> str:
        """The register table of the core's document (``hw/rtl/<core>.md``)."""
        rows = ["| offset | name | access | reset | bits |", "|---|---|---|---|---|"]
        for r in self.registers:
            rows.append(f"| 0x{r.offset:02X} | `{r.name}` | {r.access.value} | {r.reset_text} | "
                        f"{r.doc} |")
        return "\n".join(rows) + "\n"

    def splice_markdown(self, document: str) -> str:
        """``document`` with the text between its register-map markers replaced by
        :meth:`markdown` (how ``hw/rtl/<core>.md`` is regenerated).

        :class:`ArtifactError` when the document lacks the markers.
        """
        begin = document.find(MARKDOWN_BEGIN + "\n")
        end = document.find(MARKDOWN_END, begin + 1)
        if begin < 0 or end < 0:
            raise ArtifactError(f"expected the {self.core} document to hold the lines "
                                f"{MARKDOWN_BEGIN!r} ... {MARKDOWN_END!r}, got neither pair")
        head = document[: begin + len(MARKDOWN_BEGIN) + 1]
        return head + self.markdown() + document[end:]


def _bits(*names: str) -> tuple[Field, ...]:
    return tuple(Field(n, i) for i, n in enumerate(names))


def _bit_list(fields: tuple[Field, ...]) -> str:
    return ", ".join(f"bit {f.lsb} `{f.name}`" for f in fields)


#: The edge core's error bits, in ERROR register order (hw/rtl/fcnn_edge_core.sv).
_EDGE_ERRORS = _bits("EOL_EARLY", "EOL_LATE", "SOF_EARLY", "SOF_MISSING", "FRAME_LONG",
                     "BAD_SIZE")
#: THRESHOLD register width: the largest threshold of the golden model.
_THRESHOLD_BITS = MAX_THRESHOLD.bit_length()

#: CORE_ID register value of the edge core: ASCII "EDGE" (0x45444745).
EDGE_CORE_ID = int.from_bytes(b"EDGE", "big")
#: VERSION register value of the edge core: 1.0.0 (major in bits 31:16, minor 15:8,
#: patch 7:0, as the RTL's ``VERSION`` localparam says).
EDGE_VERSION = 0x0001_0000

#: ``fcnn_edge_core``'s register block (8-bit byte addresses, 32-bit data); the same
#: block is reached through ``fcnn_edge_dma``.
EDGE_MAP = RegisterMap(
    core="fcnn_edge_core", addr_bits=8,
    registers=(
        Register("CTRL", 0x00, Access.RW, 0x1,
                 "bit 0 `ENABLE`: accept new frames. bit 1 `SOFT_RESET`: write 1 to reset "
                 "the stream datapath (self-clearing, reads 0)",
                 _bits("ENABLE", "SOFT_RESET")),
        Register("STATUS", 0x04, Access.RO, None,
                 "bit 0 `BUSY` (a frame is in flight), bit 1 `WAIT_SOF` (idle, waiting for a "
                 "start of frame), bit 2 `DROPPING` (discarding input until the next SOF); "
                 "reads 0x2 (`WAIT_SOF`) after reset",
                 _bits("BUSY", "WAIT_SOF", "DROPPING")),
        Register("ERROR", 0x08, Access.W1C, 0,
                 "sticky fault bits, write 1 to clear: " + _bit_list(_EDGE_ERRORS),
                 _EDGE_ERRORS),
        Register("WIDTH", 0x0C, Access.RW, "MAX_WIDTH",
                 "frame width in pixels, 1..`MAX_WIDTH` (bits 15:0)",
                 (Field("WIDTH", 0, 16),)),
        Register("HEIGHT", 0x10, Access.RW, "MAX_HEIGHT",
                 "frame height in lines, 1..`MAX_HEIGHT` (bits 15:0)",
                 (Field("HEIGHT", 0, 16),)),
        Register("THRESHOLD", 0x14, Access.RW, 0,
                 f"0 = magnitude output; 1..{MAX_THRESHOLD} = binary edge map "
                 f"(bits {_THRESHOLD_BITS - 1}:0)",
                 (Field("THRESHOLD", 0, _THRESHOLD_BITS),)),
        Register("FRAME_COUNT", 0x18, Access.RO_WC, 0, "output frames completed"),
        Register("DROP_COUNT", 0x1C, Access.RO_WC, 0,
                 "input beats discarded by the fault policy"),
        Register("CORE_ID", 0x20, Access.RO, EDGE_CORE_ID, 'ASCII "EDGE"'),
        Register("VERSION", 0x24, Access.RO, EDGE_VERSION,
                 "bits 31:16 `MAJOR`, 15:8 `MINOR`, 7:0 `PATCH` (0x00010000 is 1.0.0)",
                 (Field("PATCH", 0, 8), Field("MINOR", 8, 8), Field("MAJOR", 16, 16))),
        Register("CFG_PPC", 0x28, Access.RO, "PPC", "the `PPC` parameter"),
        Register("CFG_MAX_WIDTH", 0x2C, Access.RO, "MAX_WIDTH", "the `MAX_WIDTH` parameter"),
        Register("CFG_MAX_HEIGHT", 0x30, Access.RO, "MAX_HEIGHT",
                 "the `MAX_HEIGHT` parameter"),
    ),
)

#: Register name -> byte offset of ``fcnn_edge_core``.
EDGE_REGISTERS: Mapping[str, int] = MappingProxyType(EDGE_MAP.offsets())
#: CTRL bits.
CTRL_ENABLE = EDGE_MAP["CTRL"].field("ENABLE").mask
CTRL_SOFT_RESET = EDGE_MAP["CTRL"].field("SOFT_RESET").mask
#: ERROR bits, by position.
EDGE_ERROR_BITS: Mapping[int, str] = MappingProxyType({f.lsb: f.name for f in _EDGE_ERRORS})
#: Every ERROR bit: the value that clears them all.
EDGE_ERROR_MASK = EDGE_MAP["ERROR"].mask


def edge_error_names(value: int) -> list[str]:
    """Names of the bits set in an ERROR register value (unknown bits as ``BIT<n>``)."""
    return [EDGE_ERROR_BITS.get(b, f"BIT{b}") for b in range(32) if value >> b & 1]


#: CORE_ID register value of the crop-and-downscale block: ASCII "CROP" (0x43524F50).
CROP_CORE_ID = int.from_bytes(b"CROP", "big")
#: VERSION register value of the crop-and-downscale block: 1.0.0.
CROP_VERSION = 0x0001_0000


def _geometry(name: str, offset: int, reset: Reset, doc: str) -> Register:
    return Register(name, offset, Access.RW, reset, doc + " (bits 15:0)", (Field(name, 0, 16),))


#: ``fcnn_crop_scale``'s register block (hw/rtl/fcnn_crop_scale.sv; 8-bit byte addresses,
#: 32-bit data): the frame's size and the crop box, latched at each start of frame. The
#: error bits and the malformed-stream policy are the edge core's (:data:`EDGE_MAP`).
CROP_MAP = RegisterMap(
    core="fcnn_crop_scale", addr_bits=8,
    registers=(
        Register("CTRL", 0x00, Access.RW, 0x1,
                 "bit 0 `ENABLE`: accept new frames. bit 1 `SOFT_RESET`: write 1 to reset "
                 "the stream datapath (self-clearing, reads 0). bit 2 `INVERT`: output "
                 "255 - code (dark ink on light paper)",
                 _bits("ENABLE", "SOFT_RESET", "INVERT")),
        Register("STATUS", 0x04, Access.RO, None,
                 "bit 0 `BUSY`, bit 1 `WAIT_SOF`, bit 2 `DROPPING` (as the edge core's)",
                 _bits("BUSY", "WAIT_SOF", "DROPPING")),
        Register("ERROR", 0x08, Access.W1C, 0,
                 "sticky fault bits, write 1 to clear: " + _bit_list(_EDGE_ERRORS) +
                 "; `BAD_SIZE`: the geometry below is refused",
                 _EDGE_ERRORS),
        _geometry("FRAME_WIDTH", 0x0C, "MAX_WIDTH", "frame width in pixels, 1..`MAX_WIDTH`"),
        _geometry("FRAME_HEIGHT", 0x10, "MAX_HEIGHT", "frame height in lines, 1..`MAX_HEIGHT`"),
        _geometry("CROP_X", 0x14, 0, "first column of the crop box"),
        _geometry("CROP_Y", 0x18, 0, "first line of the crop box"),
        _geometry("CROP_WIDTH", 0x1C, "MAX_WIDTH",
                  "crop box width, `PPC` x `OUT_WIDTH`..FRAME_WIDTH - CROP_X "
                  "(fpgacnn.spec.crop_scale.min_crop_width)"),
        _geometry("CROP_HEIGHT", 0x20, "MAX_HEIGHT",
                  "crop box height, `OUT_HEIGHT`..FRAME_HEIGHT - CROP_Y"),
        Register("FRAME_COUNT", 0x24, Access.RO_WC, 0, "output images completed"),
        Register("DROP_COUNT", 0x28, Access.RO_WC, 0,
                 "input beats discarded by the fault policy"),
        Register("CORE_ID", 0x2C, Access.RO, CROP_CORE_ID, 'ASCII "CROP"'),
        Register("VERSION", 0x30, Access.RO, CROP_VERSION,
                 "bits 31:16 `MAJOR`, 15:8 `MINOR`, 7:0 `PATCH` (0x00010000 is 1.0.0)",
                 (Field("PATCH", 0, 8), Field("MINOR", 8, 8), Field("MAJOR", 16, 16))),
        Register("CFG_OUT_WIDTH", 0x34, Access.RO, "OUT_WIDTH", "the `OUT_WIDTH` parameter"),
        Register("CFG_OUT_HEIGHT", 0x38, Access.RO, "OUT_HEIGHT",
                 "the `OUT_HEIGHT` parameter"),
        Register("CFG_IN_CHANNELS", 0x3C, Access.RO, "IN_CHANNELS",
                 "the `IN_CHANNELS` parameter"),
        Register("CFG_OUT_CHANNELS", 0x40, Access.RO, "OUT_CHANNELS",
                 "the `OUT_CHANNELS` parameter"),
        Register("CFG_MAX_WIDTH", 0x44, Access.RO, "MAX_WIDTH", "the `MAX_WIDTH` parameter"),
        Register("CFG_MAX_HEIGHT", 0x48, Access.RO, "MAX_HEIGHT",
                 "the `MAX_HEIGHT` parameter"),
    ),
)

#: Register name -> byte offset of ``fcnn_crop_scale``.
CROP_REGISTERS: Mapping[str, int] = MappingProxyType(CROP_MAP.offsets())


def edge_core_spec(
    *,
    ppc: int,
    max_width: int,
    max_height: int,
    name: str = "edge",
    base_address: int | None = None,
    dma: str | None = None,
    registers: Mapping[str, int] | None = None,
    color: bool = False,
) -> CoreSpec:
    """The :class:`CoreSpec` of an edge core built with these HDL parameters; ``color``:
    its frames arrive as 24-bit BGR and ``fcnn_rgb2gray`` makes its gray (input stream
    24 * ``ppc`` bits, as the board's colour frame path)."""
    return CoreSpec(
        name=name, kind=CoreKind.EDGE, vlnv=EDGE_VLNV, base_address=base_address,
        registers=dict(EDGE_REGISTERS if registers is None else registers),
        stream_in_bits=(24 if color else 8) * ppc, stream_out_bits=8 * ppc, ppc=ppc,
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

    Input: one pixel (all channels, 8 bits each) per beat; output: one beat laid
    out as :class:`ClassifierOutputLayout` (scores, label, status).
    """
    h, w, c = input_shape
    out_bits = ClassifierOutputLayout(n_classes=n_classes, score_bits=score_bits).tdata_bits
    return CoreSpec(
        name=name, kind=CoreKind.CLASSIFIER, vlnv=CLASSIFIER_VLNV, base_address=base_address,
        registers=dict(registers or {}), stream_in_bits=8 * c, stream_out_bits=out_bits,
        ppc=1, max_width=w, max_height=h, dma=dma, params=dict(params or {}),
    )
