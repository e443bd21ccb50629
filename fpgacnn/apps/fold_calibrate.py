"""Calibrate the folding solver's LUT/FF model against yosys (``make fold-calibrate``).

The solver (:mod:`fpgacnn.hw.fold.resources`) estimates a folded layer's
multiply-add array as ``lut = base + LUT_PER_MAC(XW, WW) * PE * SIMD + LUT_PER_PE * PE``.
This command synthesizes the folded matrix-vector unit ``hw/rtl/fcnn_cnn_mvu.sv``
itself (a 64-element vector fed 16 per beat, 16 outputs, random signed weights in
its ``$readmemh`` file, block-RAM ROM, LUT multipliers) with yosys ``synth_xilinx
-family xc7`` at (PE, SIMD) = ``MVU_FOLDS`` for each (XW, WW) of ``WIDTHS``, fits per
element width ``lut = base + per_mac*PE*SIMD + per_pe*PE`` (least squares) and writes
the points and the fit to section ``mvu`` of ``hw/fold/calibration_fold.json`` --
the file the solver reads its coefficients from (with the unit's own points in
``calibration.json``, written by ``python -m fpgacnn.apps.calibrate_mvu``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: (XW, WW) element widths measured.
WIDTHS = ((2, 2), (4, 4), (8, 8))


#: The folded unit's probe: (PE, SIMD) points on an IN_LEN x N layer fed C_IN per beat.
MVU_FOLDS = ((1, 4), (4, 4), (4, 16))
MVU_IN_LEN, MVU_C_IN, MVU_N = 64, 16, 16


def mvu_probe_source(run: Path, xw: int, ww: int, pe: int, simd: int, style: str,
                     seed: int = 0) -> Path:
    """A wrapper ``fcnn_fold_probe`` around ``fcnn_cnn_mvu`` and its random weight file."""
    rng = np.random.default_rng(seed)
    words = (MVU_N // pe) * (MVU_IN_LEN // simd)
    width = pe * simd * ww
    mem = run / "w.mem"
    nibbles = -(-width // 4)
    top = (1 << (width - 4 * (nibbles - 1))) - 1       # the top nibble holds what is left
    digits = rng.integers(0, 16, size=(words, nibbles))
    digits[:, 0] &= top
    mem.write_text("".join("".join(f"{d:x}" for d in row) + "\n" for row in digits))
    acc_w = xw + ww + 2 + int(np.ceil(np.log2(MVU_IN_LEN)))
    wrapper = run / "fcnn_fold_probe.sv"
    wrapper.write_text(
        "`default_nettype none\n"
        "module fcnn_fold_probe (\n"
        "    input wire clk, input wire rst,\n"
        f"    input wire [{MVU_C_IN * xw - 1}:0] s_axis_tdata, input wire s_axis_tvalid,\n"
        "    output wire s_axis_tready, input wire s_axis_tlast,\n"
        f"    output wire [{MVU_N * acc_w - 1}:0] m_axis_tdata, output wire m_axis_tvalid,\n"
        "    input wire m_axis_tready, output wire m_axis_tlast);\n"
        f"  fcnn_cnn_mvu #(.IN_LEN({MVU_IN_LEN}), .C_IN({MVU_C_IN}), .N({MVU_N}), .PE({pe}),\n"
        f"    .SIMD({simd}), .XW({xw}), .X_SIGNED(0), .WW({ww}), .ACC_W({acc_w}),\n"
        f"    .WEIGHT_FILE(\"{mem}\"), .ROM_STYLE(\"{style}\"), .VECTORS(1), .USE_DSP(0))\n"
        "    u (.*);\n"
        "endmodule\n`resetall\n")
    return wrapper


def measure_mvu(out_dir: Path, xw: int, ww: int, pe: int, simd: int,
                style: str = "block") -> dict[str, Any]:
    """yosys figures of one folded-unit probe point."""
    from fpgacnn.apps.yosys_synth import synthesize
    from fpgacnn.hw import rtl_sources

    run = out_dir / f"mvu_x{xw}_w{ww}_p{pe}_s{simd}_{style}"
    run.mkdir(parents=True, exist_ok=True)
    wrapper = mvu_probe_source(run, xw, ww, pe, simd, style)
    res = synthesize(sources=[*rtl_sources("fcnn_cnn_mvu"), wrapper], top="fcnn_fold_probe",
                     parameters={}, out_dir=run, depth=False)
    return {"xw": xw, "ww": ww, "pe": pe, "simd": simd, "in_len": MVU_IN_LEN,
            "c_in": MVU_C_IN, "n": MVU_N, "rom_style": style, "lut": res.lut_total,
            "lutram": res.lutram, "ff": res.ff, "carry4": res.carry4,
            "bram36": res.bram18 / 2, "dsp": res.dsp}


def fit_mvu(points: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per "XWxWW": least squares ``lut = base + per_mac*PE*SIMD + per_pe*PE`` (the PE
    accumulators cost apart from the multiply lanes) and ``ff = c + d*PE*SIMD``."""
    out: dict[str, dict[str, float]] = {}
    for xw, ww in sorted({(p["xw"], p["ww"]) for p in points}):
        pts = [p for p in points if (p["xw"], p["ww"]) == (xw, ww)]
        a = np.array([(1.0, p["pe"] * p["simd"], p["pe"]) for p in pts])
        lut, *_ = np.linalg.lstsq(a, np.array([p["lut"] for p in pts], dtype=float),
                                  rcond=None)
        macs = np.array([p["pe"] * p["simd"] for p in pts], dtype=float)
        a_f, b_f = np.polynomial.polynomial.polyfit(macs, [p["ff"] for p in pts], 1)
        out[f"{xw}x{ww}"] = {"xw": xw, "ww": ww, "lut_base": round(float(lut[0]), 1),
                             "lut_per_mac": round(float(lut[1]), 2),
                             "lut_per_pe": round(float(lut[2]), 2),
                             "ff_base": round(float(a_f), 1), "ff_per_mac": round(float(b_f), 2)}
    return out


def main(argv: list[str] | None = None) -> int:
    """Measure, fit, write the calibration file."""
    from fpgacnn.hw.fold.resources import CALIBRATION_FILE
    from fpgacnn.spec.paths import output_root

    p = argparse.ArgumentParser(prog="python -m fpgacnn.apps.fold_calibrate",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", type=Path, default=output_root() / "fold_calibrate")
    p.add_argument("--write", type=Path, default=CALIBRATION_FILE,
                   help=f"calibration file to write (default: {CALIBRATION_FILE})")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    data = json.loads(args.write.read_text()) if args.write.is_file() else {}
    points = [measure_mvu(args.work, xw, ww, pe, simd) for xw, ww in WIDTHS
              for pe, simd in MVU_FOLDS]
    data["mvu"] = {"block": "fcnn_cnn_mvu", "tool": "yosys synth_xilinx -family xc7",
                   "shape": {"in_len": MVU_IN_LEN, "c_in": MVU_C_IN, "n": MVU_N,
                             "rom_style": "block"},
                   "points": points, "fit": fit_mvu(points)}
    args.write.write_text(json.dumps(data, indent=2) + "\n")
    print(json.dumps(data["mvu"]["fit"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
