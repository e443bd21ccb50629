"""The solver's resource model against yosys: the calibration points and a fresh run.

Tolerances (stated here, once): the LUT model reproduces every calibration point
of the folded unit (ours in calibration_fold.json and the unit's own in
calibration.json, block ROMs) within 35 % when the point has >= 1,000 LUT -- the
arrays that decide whether a core fits -- and within 70 % below (small 2-bit
arrays sit furthest off: their cost depends on the vector length, which the
model leaves out); on a fresh yosys run at a folding outside the calibration set
the layer estimate is within 35 % of yosys's LUTs and the BRAM36 count is exact
(the aspect-ratio rule). The flip-flop model is structural and is checked to 35 %
on the same run.
"""

from __future__ import annotations

import pytest

from fpgacnn.apps.fold_calibrate import measure_mvu
from fpgacnn.hw.fold import resources as rm
from fpgacnn.spec.folding import Impl, LayerFolding

pytestmark = pytest.mark.sim

LUT_FIT_TOLERANCE = 0.35
SMALL_FIT_TOLERANCE = 0.70
FRESH_TOLERANCE = 0.35


def test_the_calibration_file_holds_its_points_and_fit() -> None:
    cal = rm.calibration()
    mvu = cal["mvu"]
    assert mvu["block"] == "fcnn_cnn_mvu" and len(mvu["points"]) >= 6
    assert {f"{p['xw']}x{p['ww']}" for p in mvu["points"]} == set(mvu["fit"])
    assert cal["unrolled"]["points"] and cal["unrolled"]["lut_per_csd_bit"] > 0


def test_the_lut_model_reproduces_the_calibration_points() -> None:
    for p in rm._points():
        est = (rm.lut_per_mac(p["xw"], p["ww"]) * p["pe"] * p["simd"]
               + rm.lut_per_pe(p["xw"], p["ww"]) * p["pe"] + rm.lut_base(p["xw"], p["ww"])
               + rm.xmux_lut_per_bit() * rm._bank_bits(p))
        tol = LUT_FIT_TOLERANCE if p["lut"] >= 1000 else SMALL_FIT_TOLERANCE
        assert abs(est - p["lut"]) <= tol * p["lut"], (round(est), p)


@pytest.mark.parametrize("rom", ["block"])
def test_a_fresh_yosys_run_agrees_with_the_layer_estimate(tmp_path, rom: str) -> None:
    xw, ww, pe, simd = 4, 4, 2, 8              # not a calibration point
    measured = measure_mvu(tmp_path, xw, ww, pe, simd, rom)
    shape = rm.LayerShape(layer="probe", conv=False, in_len=measured["in_len"],
                          c_in=measured["c_in"], n=measured["n"], vectors=1,
                          in_steps=measured["in_len"] // measured["c_in"], xw=xw, ww=ww,
                          acc_w=xw + ww + 2 + 6, csd=0, window_bits=0, window_width=1)
    est = rm.layer_cost(shape, LayerFolding(layer="probe", impl=Impl.FOLDED, pe=pe, simd=simd,
                                            rom_style=rom))
    assert abs(est.lut - measured["lut"]) <= FRESH_TOLERANCE * measured["lut"], (est, measured)
    assert abs(est.ff - measured["ff"]) <= FRESH_TOLERANCE * measured["ff"], (est, measured)
    assert est.bram36 == measured["bram36"], (est, measured)
