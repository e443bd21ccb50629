"""The build-id block's register map (fpgacnn.spec.build_id) against its RTL, and its helpers."""

from __future__ import annotations

import re

import pytest

from fpgacnn.hw import RTL_DIR
from fpgacnn.spec.build_id import (
    BUILD_ID_CORE_ID,
    BUILD_ID_MAP,
    BUILD_ID_VERSION,
    check_build_id,
    hardware_id_of,
    hardware_record,
    id_params,
    id_words,
)
from fpgacnn.spec.cores import Access
from fpgacnn.spec.errors import OverlayError

RTL = (RTL_DIR / "fcnn_build_id.sv").read_text()


def _localparam(name: str) -> int:
    m = re.search(rf"localparam logic \[\d+:0\] {name}\s*=\s*\d+'h([0-9A-Fa-f_]+);", RTL)
    assert m, name
    return int(m.group(1).replace("_", ""), 16)


def test_map_matches_the_rtl() -> None:
    offsets = {m.group(1): int(m.group(2), 16) for m in
               re.finditer(r"localparam logic \[7:0\] A_(\w+)\s*=\s*8'h([0-9A-F]+);", RTL)}
    assert offsets == BUILD_ID_MAP.offsets()
    assert _localparam("CORE_ID") == BUILD_ID_CORE_ID == BUILD_ID_MAP.core_id
    assert _localparam("VERSION") == BUILD_ID_VERSION == BUILD_ID_MAP.version
    # the read mux returns each register's value; the id registers their parameters
    for reg in BUILD_ID_MAP:
        assert reg.access is Access.RO
        value = reg.reset if isinstance(reg.reset, str) else reg.name
        assert re.search(rf"A_{reg.name}:\s+rd_value = {value};", RTL), reg.name
    assert re.findall(r"parameter logic \[31:0\] (\w+)", RTL) == ["BUILD_ID_LO", "BUILD_ID_HI"]
    assert BUILD_ID_MAP.addr_bits == 8 and "input  wire [7:0]   s_axil_araddr" in RTL


def test_id_words_round_trip() -> None:
    assert id_words("0123456789abcdef") == (0x89ABCDEF, 0x01234567)
    assert id_params("0123456789abcdef") == {"BUILD_ID_LO": 0x89ABCDEF,
                                             "BUILD_ID_HI": 0x01234567}
    assert hardware_id_of(0x89ABCDEF, 0x01234567) == "0123456789abcdef"
    with pytest.raises(ValueError, match=r"^a hardware id is 16 lower-case hex digits, "
                       r"got '0123456789ABCDEF'$"):
        id_words("0123456789ABCDEF")


def test_check_build_id() -> None:
    hw = hardware_record("0123456789abcdef", 0x4000_0000)
    assert hw == {"id": "0123456789abcdef", "ip": "build_id", "base_address": 0x4000_0000,
                  "low_offset": 0x8, "high_offset": 0xC}
    regs = BUILD_ID_MAP.reset_values(id_params("0123456789abcdef"))
    by_offset = {BUILD_ID_MAP[n].offset: v for n, v in regs.items()}
    check_build_id(by_offset.__getitem__, hw)
    with pytest.raises(OverlayError, match=r"^the loaded bitstream reports hardware id "
                       r"0123456789abcdef, the package expects fedcba9876543210: the "
                       r"bitstream is not the one the package describes$"):
        check_build_id(by_offset.__getitem__, hardware_record("fedcba9876543210", 0))
    with pytest.raises(OverlayError, match=r"^build_id CORE_ID reads 0x00000000, expected "
                       r"0x424C4944 \(fcnn_build_id\)"):
        check_build_id(lambda off: 0, hw)
