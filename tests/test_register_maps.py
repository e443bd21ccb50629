"""The register maps and limits of the contracts layer, tied to the RTL and its document.

``fpgacnn.spec.cores.EDGE_MAP`` is the one description of the edge core's
registers; this test parses the RTL's ``localparam``s (offsets, ``CORE_ID``,
``VERSION``), the order of its sticky error bits, its elaboration checks
(``$fatal`` on PPC and the frame maxima) and the register table of
``hw/rtl/fcnn_edge_core.md``, and checks every one against the map, both ways.
"""

from __future__ import annotations

import re

from fpgacnn.hw import RTL_DIR
from fpgacnn.spec import edge
from fpgacnn.spec.cores import (
    CTRL_ENABLE,
    CTRL_SOFT_RESET,
    EDGE_CORE_ID,
    EDGE_ERROR_BITS,
    EDGE_MAP,
    EDGE_REGISTERS,
)

CORE = (RTL_DIR / "fcnn_edge_core.sv").read_text()
SOBEL = (RTL_DIR / "fcnn_edge_sobel.sv").read_text()
DOC = (RTL_DIR / "fcnn_edge_core.md").read_text()


def _localparams(text: str) -> dict[str, int]:
    out = {}
    for name, value in re.findall(r"localparam\s+logic\s*\[[^\]]*\]\s*(\w+)\s*=\s*\d+'h"
                                  r"([0-9A-Fa-f_]+)\s*;", text):
        out[name] = int(value.replace("_", ""), 16)
    return out


def test_offsets_equal_the_rtl_both_ways():
    params = _localparams(CORE)
    rtl = {name[2:]: value for name, value in params.items() if name.startswith("A_")}
    assert rtl == dict(EDGE_REGISTERS)
    assert len(rtl) == len(EDGE_MAP.registers) == 13


def test_identification_values_equal_the_rtl():
    params = _localparams(CORE)
    assert params["CORE_ID"] == EDGE_MAP.core_id == EDGE_CORE_ID == 0x45444745
    assert params["VERSION"] == EDGE_MAP.version
    assert EDGE_MAP["CORE_ID"].reset == f"0x{EDGE_MAP.core_id:08X}"
    assert EDGE_MAP["VERSION"].reset == f"0x{EDGE_MAP.version:08X}"
    addr = re.search(r"input\s+wire\s*\[(\d+):0\]\s*s_axil_awaddr", CORE).group(1)
    assert int(addr) + 1 == EDGE_MAP.addr_bits


def test_error_bits_in_rtl_order():
    concat = re.search(r"err_events\s*=\s*\{([^}]*)\}", CORE).group(1)
    msb_first = [n.strip().removeprefix("evt_").upper() for n in concat.split(",")]
    assert dict(enumerate(reversed(msb_first))) == dict(EDGE_ERROR_BITS)
    width = int(re.search(r"logic\s*\[(\d+):0\]\s*reg_error", CORE).group(1)) + 1
    assert width == len(EDGE_ERROR_BITS)


def test_ctrl_bits_equal_the_rtl():
    assert re.search(r"reg_enable\s*<=\s*s_axil_wdata\[(\d+)\]", CORE).group(1) == \
        str(CTRL_ENABLE.bit_length() - 1)
    assert re.search(r"soft_rst\s*<=\s*s_axil_wdata\[(\d+)\]", CORE).group(1) == \
        str(CTRL_SOFT_RESET.bit_length() - 1)


def test_limits_equal_the_elaboration_checks():
    ppc = re.search(r"PPC\s*!=\s*1\s*&&\s*PPC\s*!=\s*2\s*&&\s*PPC\s*!=\s*4\s*&&\s*PPC\s*!=\s*8",
                    SOBEL)
    assert ppc is not None and edge.SUPPORTED_PPC == (1, 2, 4, 8)
    w = re.search(r"MAX_WIDTH\s*<\s*1\s*\|\|\s*MAX_WIDTH\s*>\s*(\d+)", SOBEL).group(1)
    h = re.search(r"MAX_HEIGHT\s*<\s*1\s*\|\|\s*MAX_HEIGHT\s*>\s*(\d+)", SOBEL).group(1)
    assert (int(w), int(h)) == (edge.MAX_FRAME_WIDTH, edge.MAX_FRAME_HEIGHT)
    bits = int(re.search(r"logic\s*\[(\d+):0\]\s*reg_threshold", CORE).group(1)) + 1
    assert edge.MAX_THRESHOLD == (1 << bits) - 1


def test_document_table_is_the_map():
    table = re.search(r"<!-- register-map:[^>]*-->\n(.*?)<!-- /register-map -->", DOC, re.S)
    assert table is not None, "fcnn_edge_core.md lost its register-map markers"
    assert table.group(1) == EDGE_MAP.markdown()
