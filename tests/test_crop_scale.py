"""The crop-and-downscale block's contracts: its register map tied to the RTL, its
parameters and refusals, its golden model equal to the runtime's classifier codes.

``fpgacnn.spec.cores.CROP_MAP`` is the one description of ``fcnn_crop_scale``'s
registers; this test reads ``hw/rtl/fcnn_crop_scale.sv`` and checks it both ways
(offsets, identification, the read mux, the CTRL bits, the access of each
register, the reset values, the error bit order). The block's arithmetic is
checked bit for bit by its cocotb testbench (``sim/fcnn_crop_scale``).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from fpgacnn.hw import RTL_DIR
from fpgacnn.spec.cores import CROP_CORE_ID, CROP_MAP, CROP_REGISTERS, EDGE_MAP, Access
from fpgacnn.spec.crop_scale import golden, hdl_parameters, register_values
from fpgacnn.spec.errors import ConfigError
from fpgacnn.spec.frames import CropRule, Region, classifier_codes
from fpgacnn.spec.preprocess import ColorMode, InputSpec, ResizeMethod

RTL = (RTL_DIR / "fcnn_crop_scale.sv").read_text()


def _literal(text: str) -> int:
    m = re.fullmatch(r"\d+'([hdb])([0-9A-Fa-f_]+)", text.strip())
    assert m is not None, text
    return int(m.group(2).replace("_", ""), {"h": 16, "d": 10, "b": 2}[m.group(1)])


def _localparams() -> dict[str, int]:
    return {n: _literal(v) for n, v in
            re.findall(r"localparam\s+logic\s*\[[^\]]*\]\s*(\w+)\s*=\s*([^;]+);", RTL)}


def _arms(selector: str) -> dict[str, str]:
    start = RTL.index(f"case ({selector})")
    body = re.split(r"^\s*default\s*:", RTL[start:RTL.index("endcase", start)], flags=re.M)[0]
    parts = re.split(r"^\s*A_(\w+)\s*:", body, flags=re.M)[1:]
    return {parts[i]: parts[i + 1].strip() for i in range(0, len(parts), 2)}


def _signal(reg: str) -> str:
    return "reg_" + reg.lower()


def test_offsets_and_identification_equal_the_rtl() -> None:
    lp = _localparams()
    assert {n[2:]: v for n, v in lp.items() if n.startswith("A_")} == dict(CROP_REGISTERS)
    assert lp["CORE_ID"] == CROP_MAP.core_id == CROP_CORE_ID == int.from_bytes(b"CROP", "big")
    assert lp["VERSION"] == CROP_MAP.version
    bits = re.search(r"input\s+wire\s*\[(\d+):0\]\s*s_axil_awaddr", RTL).group(1)
    assert int(bits) + 1 == CROP_MAP.addr_bits


def test_every_register_is_read_as_the_map_says() -> None:
    arms = _arms("{s_axil_araddr[7:2], 2'b00}")
    assert sorted(arms) == sorted(CROP_REGISTERS)
    for reg in CROP_MAP:
        expr = re.fullmatch(r"rd_value\s*=\s*(.+?);", arms[reg.name], re.S).group(1)
        if isinstance(reg.reset, str) and reg.access is Access.RO:   # CFG_*: a parameter
            assert expr == f"32'({reg.reset})", reg.name
        elif reg.name in ("CORE_ID", "VERSION"):
            assert expr == reg.name
        elif reg.name in ("CTRL", "STATUS"):
            names = [f.name for f in reg.fields if f.name != "SOFT_RESET"]
            for f in reg.fields:
                want = "1'b0" if f.name == "SOFT_RESET" else None
                got = _bit_of(expr, f.lsb)
                assert got == (want or f"{'sts' if reg.name == 'STATUS' else 'reg'}_"
                               f"{f.name.lower()}"), (reg.name, f.name, names)
        elif reg.name in ("FRAME_COUNT", "DROP_COUNT"):
            assert expr == {"FRAME_COUNT": "reg_frames", "DROP_COUNT": "reg_drops"}[reg.name]
        else:   # ERROR and the 16-bit geometry registers: one signal from bit 0
            width = 6 if reg.name == "ERROR" else 16
            assert expr == f"{{{32 - width}'d0, {_signal(reg.name)}}}", reg.name
            assert reg.mask == (1 << width) - 1


def _bit_of(concat: str, lsb: int) -> str:
    """The 1-bit element at bit ``lsb`` of ``{29'd0, a, b, c}``."""
    parts = [p.strip() for p in concat.strip("{}").split(",")][::-1]
    return parts[lsb]


def test_ctrl_bits_and_access_equal_the_write_decoder() -> None:
    arms = _arms("wr_addr")
    bits = dict(re.findall(r"(\w+)\s*<=\s*s_axil_wdata\[(\d+)\]", arms["CTRL"]))
    ctrl = CROP_MAP["CTRL"]
    assert {k: int(v) for k, v in bits.items()} == {
        "reg_enable": ctrl.field("ENABLE").lsb, "soft_rst": ctrl.field("SOFT_RESET").lsb,
        "reg_invert": ctrl.field("INVERT").lsb}
    for reg in CROP_MAP:
        if reg.access is Access.RO:
            assert reg.name not in arms, reg.name
        elif reg.access is Access.W1C:
            assert "& ~wr_data" in arms[reg.name]
        elif reg.access is Access.RO_WC:
            assert re.search(r"<=\s*32'd0;", arms[reg.name]), reg.name
        elif reg.name != "CTRL":
            assert re.match(rf"{_signal(reg.name)}\s*<=", arms[reg.name]), reg.name


def test_reset_values_equal_the_rtl() -> None:
    start = RTL.index("if (rst) begin")
    block = dict(re.findall(r"(\w+)\s*<=\s*([^;]+);", RTL[start:RTL.index("end", start + 14)]))
    for reg in CROP_MAP:
        if reg.access is not Access.RW or reg.name == "CTRL":
            continue
        value = block[_signal(reg.name)]
        want = f"16'({reg.reset})" if isinstance(reg.reset, str) else "16'd0"
        assert value == want, reg.name
    assert block["reg_enable"] == "1'b1" and block["reg_invert"] == "1'b0"
    assert CROP_MAP["CTRL"].reset == CROP_MAP["CTRL"].field("ENABLE").mask


def test_error_bits_are_the_edge_cores_in_the_rtls_order() -> None:
    events = re.search(r"wire \[5:0\] err_events = \{([^}]*)\};", RTL).group(1)
    order = [e.strip().removeprefix("evt_").upper() for e in events.split(",")][::-1]
    assert order == [f.name for f in CROP_MAP["ERROR"].fields]
    assert CROP_MAP["ERROR"].fields == EDGE_MAP["ERROR"].fields


# --- parameters, registers, golden model ----------------------------------------------


def test_hdl_parameters_of_a_model() -> None:
    spec = InputSpec(height=8, width=8)
    assert hdl_parameters(CropRule(), spec, in_channels=3, max_width=640, max_height=480) == {
        "PPC": 1, "IN_CHANNELS": 3, "BGR": 1, "OUT_CHANNELS": 1, "OUT_WIDTH": 8,
        "OUT_HEIGHT": 8, "MAX_WIDTH": 640, "MAX_HEIGHT": 480}
    assert hdl_parameters(CropRule(), spec, in_channels=1, max_width=64, max_height=8,
                          ppc=8)["PPC"] == 8


@pytest.mark.parametrize(("rule", "spec", "kw", "message"), [
    (CropRule(), InputSpec(height=8, width=8, resize=ResizeMethod.BILINEAR), {},
     "the fabric crop-and-downscale implements resize 'area' only, got 'bilinear' "
     "(use the host path or an area model)"),
    (CropRule(full_scale=16), InputSpec(height=8, width=8), {},
     "the fabric crop-and-downscale takes full_scale 256 (8-bit frames), got 16"),
    (CropRule(), InputSpec(height=8, width=8), {"in_channels": 4},
     "in_channels must be 1 (gray) or 3 (colour), got 4"),
    (CropRule(), InputSpec(height=8, width=1), {},
     "the model input 1x8 must be at least 2 pixels wide and fit the maximum frame 640x480"),
    (CropRule(), InputSpec(height=8, width=8), {"ppc": 3}, "ppc must be one of (1, 2, 4, 8), "
     "got 3"),
    (CropRule(), InputSpec(height=32, width=32), {"ppc": 8, "max_width": 255},
     "at 8 pixels per clock the crop box is at least 256 pixels wide (8 x the model input "
     "width 32), more than the maximum frame width 255"),
])
def test_hdl_parameters_refuse_what_the_block_cannot_do(rule, spec, kw, message) -> None:
    args = {"in_channels": 3, "max_width": 640, "max_height": 480, **kw}
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        hdl_parameters(rule, spec, **args)


def test_register_values_are_the_rules_box() -> None:
    regs = register_values(CropRule(fraction=0.5, invert=True), 480, 640)
    assert regs == {"FRAME_WIDTH": 640, "FRAME_HEIGHT": 480, "CROP_X": 200, "CROP_Y": 120,
                    "CROP_WIDTH": 240, "CROP_HEIGHT": 240, "CTRL": 0b101}
    assert set(regs) <= set(CROP_REGISTERS)


@pytest.mark.parametrize("color", [ColorMode.GRAY, ColorMode.RGB])
@pytest.mark.parametrize("rule", [CropRule(), CropRule(fraction=0.7, invert=True),
                                  CropRule(region=Region.FULL)])
def test_golden_is_the_runtimes_classifier_codes(rule: CropRule, color: ColorMode) -> None:
    from skimage import data

    frame = np.ascontiguousarray(data.astronaut()[:480, :, ::-1][::4, ::4])   # BGR, 128x128
    frame = np.ascontiguousarray(np.concatenate([frame, frame[:, :32]], axis=1))  # 160 wide
    spec = InputSpec(height=12, width=10, color=color)
    box = rule.box(*frame.shape[:2])
    got = golden(frame, box, spec, invert=rule.invert)
    assert (got == classifier_codes(frame, rule, spec)).all()
    gray = frame[:, :, 1].copy()
    assert (golden(gray, box, spec, invert=rule.invert) ==
            classifier_codes(gray, rule, spec)).all()
