"""The register maps and limits of the contracts layer, tied to the RTL and its document.

``fpgacnn.spec.cores.EDGE_MAP`` is the one description of the edge core's
registers and ``fpgacnn.spec.edge`` holds its limits. This test reads
``hw/rtl/fcnn_edge_core.sv`` and checks the map against it, both ways:

- the ``A_*`` offset ``localparam``s, ``CORE_ID``, ``VERSION`` and the address width;
- the read mux: every register is read, each field sits where the RTL puts it;
- the write decoder: the access of each register (RW, W1C, write clears, RO);
- the ``if (rst)`` block: each register's reset value (a number or a parameter);
- the order of the sticky error bits and the CTRL bits;
- the limits against the datapath's ``$fatal`` elaboration checks, the register
  widths and the parameter defaults;
- ``hw/rtl/fcnn_edge_core.md``'s register table against :meth:`RegisterMap.markdown`.

Run as a script (``python tests/test_register_maps.py``) it rewrites that table.
"""

from __future__ import annotations

import re

import pytest

from fpgacnn.hw import RTL_DIR
from fpgacnn.spec import edge
from fpgacnn.spec.cores import (
    CTRL_ENABLE,
    CTRL_SOFT_RESET,
    EDGE_CORE_ID,
    EDGE_ERROR_BITS,
    EDGE_ERROR_MASK,
    EDGE_MAP,
    EDGE_REGISTERS,
    Access,
    Field,
    Register,
    RegisterMap,
)
from fpgacnn.spec.errors import ArtifactError, UsageError

CORE_SV = RTL_DIR / "fcnn_edge_core.sv"
SOBEL_SV = RTL_DIR / "fcnn_edge_sobel.sv"
DMA_SV = RTL_DIR / "fcnn_edge_dma.sv"
DOC_MD = RTL_DIR / "fcnn_edge_core.md"
CORE = CORE_SV.read_text()
SOBEL = SOBEL_SV.read_text()

#: parameters to resolve reset values that name one
PARAMS = {"PPC": 4, "MAX_WIDTH": 640, "MAX_HEIGHT": 480}


# --- reading the RTL -----------------------------------------------------------------


def _number(text: str) -> int:
    """A SystemVerilog literal (``8'h0C``, ``1'b1``, ``32'd0``, ``'0``) as an int."""
    text = text.strip().replace("_", "")
    if text in ("'0", "0"):
        return 0
    m = re.fullmatch(r"(\d*)'([hdb])([0-9A-Fa-f]+)", text)
    assert m is not None, f"not a literal: {text!r}"
    return int(m.group(3), {"h": 16, "d": 10, "b": 2}[m.group(2)])


def _localparams(text: str) -> dict[str, int]:
    """``localparam logic [..] NAME = <literal>;`` -> {NAME: value}."""
    return {name: _number(value) for name, value in
            re.findall(r"localparam\s+logic\s*\[[^\]]*\]\s*(\w+)\s*=\s*([^;]+);", text)}


def _widths(text: str) -> dict[str, int]:
    """Signal -> bit width of the ``logic [n:0] a, b;`` and ``wire a, b;`` declarations."""
    out = {}
    for rng, names in re.findall(r"^\s*(?:logic|wire)\s*(\[\d+:0\])?\s*([\w\s,]+);",
                                       text, re.M):
        width = int(rng[1:].split(":")[0]) + 1 if rng else 1
        out.update({n.strip(): width for n in names.split(",")})
    return out


def _case_arms(text: str, selector: str) -> dict[str, str]:
    """The arms ``A_NAME: <statement>`` of the ``case`` on ``selector``: {NAME: statement}."""
    start = text.index(f"case ({selector})")
    body = text[start: text.index("endcase", start)]
    body = re.split(r"^\s*default\s*:", body, flags=re.M)[0]
    arms = re.split(r"^\s*A_(\w+)\s*:", body, flags=re.M)[1:]
    return {arms[i]: arms[i + 1].strip() for i in range(0, len(arms), 2)}


def _read_layout() -> dict[str, dict[str, tuple[int, int] | str]]:
    """Register -> what its read returns: {signal: (lsb, width)} or {"const": NAME}."""
    widths = _widths(CORE)
    out: dict[str, dict[str, tuple[int, int] | str]] = {}
    for reg, stmt in _case_arms(CORE, "{s_axil_araddr[7:2], 2'b00}").items():
        expr = re.fullmatch(r"rd_value\s*=\s*(.+?);", stmt, re.S).group(1).strip()
        if cast := re.fullmatch(r"\d+'\((\w+)\)", expr):  # 32'(PPC): a parameter
            out[reg] = {"const": cast.group(1)}
            continue
        parts = [p.strip() for p in expr.strip("{}").split(",")]
        layout: dict[str, tuple[int, int] | str] = {}
        lsb = 0
        for part in reversed(parts):
            if re.fullmatch(r"\d+'d0", part):
                lsb += int(part.split("'")[0])
            elif part in widths:
                layout[part] = (lsb, widths[part])
                lsb += widths[part]
            else:
                layout["const"] = part  # a localparam such as CORE_ID
        out[reg] = layout
    return out


def _reset_block() -> dict[str, str]:
    """Signal -> right-hand side of its assignment in the ``if (rst)`` block."""
    start = CORE.index("if (rst) begin")
    body = CORE[start: CORE.index("end", start + len("if (rst) begin"))]
    return dict(re.findall(r"(\w+)\s*<=\s*([^;]+);", body))


def _field_name(signal: str) -> str:
    return re.sub(r"^(reg|sts)_", "", signal).upper()


# --- offsets, identification --------------------------------------------------------


def test_offsets_equal_the_rtl_both_ways():
    rtl = {n[2:]: v for n, v in _localparams(CORE).items() if n.startswith("A_")}
    assert rtl == dict(EDGE_REGISTERS) == EDGE_MAP.offsets()
    assert sorted(rtl) == sorted(r.name for r in EDGE_MAP)


def test_every_register_is_read_and_nothing_else():
    assert sorted(_read_layout()) == sorted(EDGE_REGISTERS)


def test_identification_values_equal_the_rtl():
    params = _localparams(CORE)
    assert params["CORE_ID"] == EDGE_MAP.core_id == EDGE_CORE_ID == 0x45444745
    assert params["VERSION"] == EDGE_MAP.version
    layout = _read_layout()
    assert layout["CORE_ID"] == {"const": "CORE_ID"}
    assert layout["VERSION"] == {"const": "VERSION"}
    version = EDGE_MAP["VERSION"]
    assert version.mask == 0xFFFF_FFFF and len(version.fields) == 3
    # the RTL writes the version it means beside the value: "// 1.0.0"
    said = re.search(r"localparam[^;]*\bVERSION\s*=[^;]*;\s*//\s*(\d+)\.(\d+)\.(\d+)", CORE)
    decoded = tuple((EDGE_MAP.version & version.field(f).mask) >> version.field(f).lsb
                    for f in ("MAJOR", "MINOR", "PATCH"))
    assert decoded == tuple(int(x) for x in said.groups())
    for port in ("awaddr", "araddr"):
        bits = re.search(rf"input\s+wire\s*\[(\d+):0\]\s*s_axil_{port}", CORE).group(1)
        assert int(bits) + 1 == EDGE_MAP.addr_bits


def test_dma_wrapper_has_the_same_register_port():
    dma = DMA_SV.read_text()
    for port in ("awaddr", "araddr"):
        bits = re.search(rf"input\s+wire\s*\[(\d+):0\]\s*s_axil_{port}", dma).group(1)
        assert int(bits) + 1 == EDGE_MAP.addr_bits
    assert re.search(r"\bfcnn_edge_core\s*#", dma) is not None


# --- fields, access, reset -----------------------------------------------------------


def test_read_fields_equal_the_map():
    for name, layout in _read_layout().items():
        reg = EDGE_MAP[name]
        signals = {s: v for s, v in layout.items() if s != "const"}
        if "const" in layout:
            assert not signals, name
            continue
        names = {f.name for f in reg.fields}
        if len(signals) == 1 and (_field_name(next(iter(signals))) not in names or
                                  names == {name}):
            # one signal carries the whole register (ERROR, WIDTH, FRAME_COUNT, ...)
            (lsb, width), = signals.values()
            assert (lsb, ((1 << width) - 1) << lsb) == (0, reg.mask), name
            continue
        got = {_field_name(s): v for s, v in signals.items()}
        want = {f.name: (f.lsb, f.width) for f in reg.fields if f.name in got}
        assert got == want, name
        write_only = {f.name for f in reg.fields} - set(got)
        assert write_only <= {"SOFT_RESET"}, name  # self-clearing, reads 0


def test_ctrl_bits_equal_the_rtl():
    arms = _case_arms(CORE, "wr_addr")
    bits = dict((sig, int(b)) for sig, b in
                re.findall(r"(\w+)\s*<=\s*s_axil_wdata\[(\d+)\]", arms["CTRL"]))
    assert bits == {"reg_enable": CTRL_ENABLE.bit_length() - 1,
                    "soft_rst": CTRL_SOFT_RESET.bit_length() - 1}


def test_access_equals_the_write_decoder():
    arms = _case_arms(CORE, "wr_addr")
    for reg in EDGE_MAP:
        stmt = arms.get(reg.name)
        if reg.access is Access.RO:
            assert stmt is None, reg.name
        elif reg.access is Access.RO_WC:
            assert re.fullmatch(r"\w+\s*<=\s*32'd0;", stmt), reg.name
        elif reg.access is Access.W1C:
            assert re.search(r"&\s*~wr_data", stmt), reg.name
        else:
            assert reg.access is Access.RW and stmt is not None, reg.name
    assert set(arms) - {"CTRL"} <= {r.name for r in EDGE_MAP if r.access is not Access.RO}


def test_reset_values_equal_the_rst_block():
    resets = _reset_block()
    for name, layout in _read_layout().items():
        reg = EDGE_MAP[name]
        if "const" in layout:
            const = layout["const"]
            want = _localparams(CORE)[const] if const in ("CORE_ID", "VERSION") else const
            assert reg.reset == want, name
            continue
        stored = {s: v for s, v in layout.items() if s in resets}
        if not stored:
            assert reg.reset is None, name  # live status
            continue
        value: int | str = 0
        for sig, (lsb, _) in stored.items():
            rhs = resets[sig].strip()
            if param := re.fullmatch(r"\d+'\((\w+)\)", rhs):
                value = param.group(1)
            else:
                value |= _number(rhs) << lsb
        assert reg.reset == value, name


def test_error_bits_in_rtl_order():
    concat = re.search(r"err_events\s*=\s*\{([^}]*)\}", CORE).group(1)
    msb_first = [n.strip().removeprefix("evt_").upper() for n in concat.split(",")]
    assert dict(enumerate(reversed(msb_first))) == dict(EDGE_ERROR_BITS)
    assert _widths(CORE)["reg_error"] == len(EDGE_ERROR_BITS)
    assert EDGE_ERROR_MASK == (1 << len(EDGE_ERROR_BITS)) - 1


# --- limits -------------------------------------------------------------------------


def test_limits_equal_the_elaboration_checks():
    cond = re.search(r"if\s*\(([^)]*)\)\s*begin\s*:\s*g_bad_ppc", SOBEL).group(1)
    assert tuple(sorted(int(p) for p in re.findall(r"PPC\s*!=\s*(\d+)", cond))) == \
        edge.SUPPORTED_PPC
    w = re.search(r"MAX_WIDTH\s*<\s*1\s*\|\|\s*MAX_WIDTH\s*>\s*(\d+)", SOBEL).group(1)
    h = re.search(r"MAX_HEIGHT\s*<\s*1\s*\|\|\s*MAX_HEIGHT\s*>\s*(\d+)", SOBEL).group(1)
    assert (int(w), int(h)) == (edge.MAX_FRAME_WIDTH, edge.MAX_FRAME_HEIGHT)


def test_limits_fit_the_register_widths():
    widths = _widths(CORE)
    assert edge.MAX_THRESHOLD == (1 << widths["reg_threshold"]) - 1
    assert EDGE_MAP["THRESHOLD"].mask == edge.MAX_THRESHOLD
    assert edge.MAX_FRAME_WIDTH < 1 << widths["reg_width"]
    assert edge.MAX_FRAME_HEIGHT < 1 << widths["reg_height"]


@pytest.mark.parametrize("path", [CORE_SV, SOBEL_SV, DMA_SV], ids=lambda p: p.stem)
def test_parameter_defaults_equal_the_spec(path):
    text = path.read_text()
    got = {n: int(v) for n, v in re.findall(r"parameter\s+int\s+(\w+)\s*=\s*(\d+)", text)}
    assert got == {"PPC": edge.SUPPORTED_PPC[0], "MAX_WIDTH": edge.DEFAULT_MAX_WIDTH,
                   "MAX_HEIGHT": edge.DEFAULT_MAX_HEIGHT}


# --- the document --------------------------------------------------------------------


def test_document_table_is_the_map():
    doc = DOC_MD.read_text()
    assert EDGE_MAP.splice_markdown(doc) == doc, \
        "fcnn_edge_core.md's register table is stale: run python tests/test_register_maps.py"


def test_splice_needs_the_markers():
    with pytest.raises(ArtifactError, match=r"^expected the fcnn_edge_core document to hold "
                                            r"the lines '<!-- register-map: .*, got neither "
                                            r"pair$"):
        EDGE_MAP.splice_markdown("# no table here\n")


# --- the map's own contract ----------------------------------------------------------


def test_lookup_by_name_and_offset():
    assert EDGE_MAP["WIDTH"].offset == 0x0C and "WIDTH" in EDGE_MAP
    assert EDGE_MAP.at(0x0C) is EDGE_MAP["WIDTH"] and EDGE_MAP.at(0x34) is None
    assert len(EDGE_MAP) == len(EDGE_REGISTERS)
    with pytest.raises(UsageError, match=r"^fcnn_edge_core has registers \[.*\], got 'WIDE'$"):
        EDGE_MAP["WIDE"]
    with pytest.raises(UsageError, match=r"^register CTRL has fields \['ENABLE', "
                                         r"'SOFT_RESET'\], got 'GO'$"):
        EDGE_MAP["CTRL"].field("GO")


def test_reset_values_resolve_parameters():
    values = EDGE_MAP.reset_values(PARAMS)
    assert values["WIDTH"] == values["CFG_MAX_WIDTH"] == 640
    assert values["CFG_PPC"] == 4 and values["CTRL"] == CTRL_ENABLE
    assert "STATUS" not in values
    with pytest.raises(UsageError, match=r"^register WIDTH resets to parameter MAX_WIDTH, "
                                         r"got parameters \['PPC'\]$"):
        EDGE_MAP["WIDTH"].reset_value({"PPC": 1})


def test_map_refuses_duplicates_and_misaligned_offsets():
    a = Register("A", 0x0, Access.RW, 0, "")
    with pytest.raises(ValueError, match="unique"):
        RegisterMap(core="x", addr_bits=8, registers=(a, Register("A", 0x4, Access.RO, 0, "")))
    with pytest.raises(ValueError, match="word aligned"):
        RegisterMap(core="x", addr_bits=8, registers=(Register("B", 0x2, Access.RO, 0, ""),))
    assert Register("C", 0, Access.RO, 0, "", (Field("X", 4, 4),)).mask == 0xF0


if __name__ == "__main__":
    DOC_MD.write_text(EDGE_MAP.splice_markdown(DOC_MD.read_text()))
    print(f"rewrote the register table of {DOC_MD}")
