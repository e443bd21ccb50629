"""The solver's resource model against yosys: the calibration points and a fresh run.

Tolerances (stated here, once): the LUT model reproduces every calibration point
of the folded unit (ours in calibration_fold.json and the unit's own in
calibration.json, block ROMs: 1 x 1 to 8 x 8 bits, 16 to 128 outputs, whole-window
register banks and sliding-window-fed memory banks) within 20 % (the fit is within
15 % of each today); on a fresh yosys run at a folding outside the calibration set
the layer estimate is within 35 % of yosys's LUTs and the BRAM36 count is exact
(the aspect-ratio rule). The flip-flop model is structural and is checked to 35 %
on the same run. The sliding-window unit's model (line buffer as a memory plus logic
fitted on its points, section ``swu``) reproduces each of its points within 35 % of
LUTs and FFs with the exact BRAM36 count, and a fresh run outside them likewise.
"""

from __future__ import annotations

import pytest

from fpgacnn.apps.fold_calibrate import measure_mvu, measure_swu, swu_rows
from fpgacnn.hw.fold import resources as rm
from fpgacnn.spec.folding import Impl, LayerFolding

pytestmark = pytest.mark.sim

LUT_FIT_TOLERANCE = 0.20
FRESH_TOLERANCE = 0.35


def test_the_calibration_file_holds_its_points_and_fit() -> None:
    cal = rm.calibration()
    mvu = cal["mvu"]
    assert mvu["block"] == "fcnn_cnn_mvu" and len(mvu["points"]) >= 6
    assert {f"{p['xw']}x{p['ww']}" for p in mvu["points"]} == set(mvu["fit"])
    assert cal["unrolled"]["points"] and cal["unrolled"]["lut_per_csd_bit"] > 0
    assert cal["swu"]["block"] == "fcnn_cnn_swu" and len(cal["swu"]["points"]) >= 6
    assert {"block", "distributed"} == {p["ram_style"] for p in cal["swu"]["points"]}


def test_the_lut_model_reproduces_the_calibration_points() -> None:
    for p in rm._points():
        est = (rm.lut_per_mac(p["xw"], p["ww"]) * p["pe"] * p["simd"]
               + rm.lut_per_pe(p["xw"], p["ww"]) * p["pe"] + rm.lut_base(p["xw"], p["ww"])
               + rm.lut_per_output(p["xw"], p["ww"]) * p["n"]
               + rm.xmux_lut_per_bit() * rm._bank_bits(p))
        assert abs(est - p["lut"]) <= LUT_FIT_TOLERANCE * p["lut"], (round(est), p)


def test_the_distributed_rom_model_reproduces_its_points() -> None:
    """Section ``rom``: each layer synthesized with its weight ROM in block RAM and in LUT
    logic; the model's difference (the ROM as logic times the fitted factor, and its read
    register) within 35 % of yosys's LUT difference, the FFs exact (a BRAM holds the read
    register), and the block ROM's BRAM36 as the aspect-ratio rule counts it."""
    pts = rm.calibration()["rom"]["points"]
    assert len(pts) >= 2 and rm.rom_logic_factor() >= 1.0
    for p in pts:
        logic = rm.weight_rom(p["depth"], p["width"], "distributed")
        block = rm.weight_rom(p["depth"], p["width"], "block")
        assert logic.lutram == 0 and block.lut == 0 and block.ff == 0
        diff = p["lut_logic"] - p["lut_block"]
        assert abs(logic.lut - diff) <= FRESH_TOLERANCE * diff, (round(logic.lut), p)
        assert logic.ff == p["ff_logic"] - p["ff_block"] == p["width"]
        assert block.bram36 == p["bram36_block"]


@pytest.mark.parametrize("rom", ["block"])
def test_a_fresh_yosys_run_agrees_with_the_layer_estimate(tmp_path, rom: str) -> None:
    xw, ww, pe, simd = 4, 4, 2, 8              # not a calibration point
    measured = measure_mvu(tmp_path, xw, ww, pe, simd, rom)
    shape = rm.LayerShape(layer="probe", conv=False, in_len=measured["in_len"],
                          c_in=measured["c_in"], n=measured["n"], vectors=1,
                          in_steps=measured["in_len"] // measured["c_in"], xw=xw, ww=ww,
                          acc_w=xw + ww + 2 + 6, out_w=xw + ww + 2 + 6, requant=False,
                          csd=0, window_bits=0, window_width=1)
    est = rm.layer_cost(shape, LayerFolding(layer="probe", impl=Impl.FOLDED, pe=pe, simd=simd,
                                            rom_style=rom))
    assert abs(est.lut - measured["lut"]) <= FRESH_TOLERANCE * measured["lut"], (est, measured)
    assert abs(est.ff - measured["ff"]) <= FRESH_TOLERANCE * measured["ff"], (est, measured)
    assert est.bram36 == measured["bram36"], (est, measured)


SWU_TOLERANCE = 0.35


def _swu_shape(p: dict) -> rm.LayerShape:
    """A convolution whose sliding-window unit is the point ``p`` (PAD 0)."""
    k, c, w = p["k"], p["c"], p["w"]
    return rm.LayerShape(layer="probe", conv=True, in_len=k * k * c, c_in=k * k * c, n=c,
                         vectors=1, in_steps=p["h"] * w, xw=p["bw"], ww=2, acc_w=8, out_w=2,
                         requant=True, csd=0, window_bits=0, window_width=w, kernel=k,
                         channels=c, height=p["h"], width=w, stride=p["stride"],
                         swu_words=p["rows"] << max(1, (w - 1).bit_length()),
                         swu_style=p["ram_style"])


def _swu_agrees(p: dict) -> None:
    est = rm.swu_cost(_swu_shape(p), p["simd"])
    assert abs(est.lut - p["lut"]) <= SWU_TOLERANCE * p["lut"], (est, p)
    assert abs(est.ff - p["ff"]) <= SWU_TOLERANCE * p["ff"], (est, p)
    assert est.bram36 == p["bram36"], (est, p)


def test_the_swu_model_reproduces_its_points() -> None:
    for p in rm.calibration()["swu"]["points"]:
        _swu_agrees(p)


def test_a_fresh_swu_yosys_run_agrees_with_its_estimate(tmp_path) -> None:
    # not a calibration point: 32 channels of 2 bits, 14 x 14, SIMD 16, stride 1, BRAM
    c, bw, h, w, k, simd, stride, style = 32, 2, 14, 14, 3, 16, 1, "block"
    measured = measure_swu(tmp_path, c, bw, h, w, k, simd, stride, style)
    assert measured["rows"] == swu_rows(k, stride)
    _swu_agrees(measured)


def test_the_whole_core_factors_fit_the_current_block_model() -> None:
    """Section ``cores``: each measured core's block-model figures are what the current
    block model gives for its model and folding (within 1 %: a block model changed without
    ``fold_calibrate --block cores`` fails here), and the factors are the median ratios."""
    from fpgacnn.apps.fold_calibrate import fit_cores, parse_folding, remodel_core_points

    cores = rm.calibration()["cores"]
    pts = cores["points"]
    assert len(pts) >= 3
    for old, new in zip(pts, remodel_core_points(pts), strict=True):
        assert parse_folding(old["folding"]) and new["folding"] == old["folding"]
        for k in ("model_lut", "model_ff"):
            assert abs(new[k] - old[k]) <= 0.01 * old[k], (old["model"], k, new[k], old[k])
        assert new["model_bram36"] == old["model_bram36"]
    assert fit_cores(pts) == {"lut_factor": cores["lut_factor"], "ff_factor": cores["ff_factor"]}
