"""What the runtime knows about the cores: VLNVs, register maps, identification values.

The edge core's register map is ``hw/rtl/fcnn_edge_core.md`` (byte offsets). On the
board the driver takes register offsets from the package manifest (which the board
build fills from the ``.hwh``), and these constants are only the defaults a package
builder writes; numpy/stdlib only.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .package import CoreKind, CoreSpec

#: VLNV of the packaged edge core IP: ``fcnn_edge_dma``, the edge core framed for an
#: AXI DMA in simple mode (hw/rtl/fcnn_edge_dma.sv).
EDGE_VLNV = "fpgacnn:fpgacnn:fcnn_edge_dma:1.0"
#: VLNV of the classifier IP exported by Vitis HLS (hls4ml top ``fcnn_axis_top``, see
#: hw/convert/templates/axis_top.tcl). Board packages name the IP they really contain.
CLASSIFIER_VLNV = "fpgacnn:hls:fcnn_classifier:1.0"
#: Bits of the label field above the scores in the classifier's output beat.
LABEL_BITS = 8
#: CORE_ID register value of the edge core (ASCII "EDGE").
EDGE_CORE_ID = 0x45444745

#: Register name -> byte offset of ``fcnn_edge_core`` (``hw/rtl/fcnn_edge_core.md``).
EDGE_REGISTERS: Mapping[str, int] = MappingProxyType({
    "CTRL": 0x00, "STATUS": 0x04, "ERROR": 0x08, "WIDTH": 0x0C, "HEIGHT": 0x10,
    "THRESHOLD": 0x14, "FRAME_COUNT": 0x18, "DROP_COUNT": 0x1C, "CORE_ID": 0x20,
    "VERSION": 0x24, "CFG_PPC": 0x28, "CFG_MAX_WIDTH": 0x2C, "CFG_MAX_HEIGHT": 0x30,
})
#: CTRL bits.
CTRL_ENABLE = 0x1
CTRL_SOFT_RESET = 0x2
#: ERROR bits, by name.
EDGE_ERROR_BITS: Mapping[int, str] = MappingProxyType({
    0: "EOL_EARLY", 1: "EOL_LATE", 2: "SOF_EARLY", 3: "SOF_MISSING", 4: "FRAME_LONG",
    5: "BAD_SIZE",
})


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
