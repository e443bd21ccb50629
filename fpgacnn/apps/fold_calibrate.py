"""Calibrate the folding solver's resource model against yosys.

Every figure is yosys ``synth_xilinx -family xc7`` (out of context, flattened), written
to ``hw/fold/calibration_fold.json`` -- the file :mod:`fpgacnn.hw.fold.resources` reads
its coefficients from (with the folded unit's own points in ``calibration.json``,
written by ``python -m fpgacnn.apps.calibrate_mvu``). ``--block`` picks what to run:

- ``mvu``: the folded matrix-vector unit ``hw/rtl/fcnn_cnn_mvu.sv`` itself (a
  64-element vector fed 16 per beat, 16 outputs, random signed weights in its
  ``$readmemh`` file, block-RAM ROM, LUT multipliers) at (PE, SIMD) = ``MVU_FOLDS``
  for each (XW, WW) of ``WIDTHS``; per width ``lut = base + per_mac*PE*SIMD +
  per_pe*PE`` (least squares), section ``mvu``;
- ``swu``: the sliding-window unit ``fcnn_cnn_swu`` at ``SWU_POINTS`` (channels, bits,
  image, kernel, SIMD, stride, block RAM or LUTRAM line buffer, the generator's ROWS);
  its logic apart from the line buffer fitted by :func:`fit_swu`, section ``swu``;
- ``fixed``: requantization and max pooling per bit (:func:`measure_fixed`), section
  ``fixed``;
- ``all`` (default): the three above;
- ``rom``: the folded units of CNV's :data:`ROM_LAYERS`, each synthesized alone
  (:func:`instance_probe`) out of a generated core with its weight ROM in block RAM and
  in LUT logic (:func:`measure_rom`), section ``rom``: the distributed ROM's LUTs
  (:func:`fpgacnn.hw.fold.resources.rom_logic_factor`);
- ``dsp``: the folded units of CNV's :data:`DSP_LAYERS`, each synthesized alone with
  LUT multipliers and with DSP slices (``USE_DSP``, :func:`measure_dsp`), section
  ``dsp``: the LUTs the DSPs save per lane
  (:func:`fpgacnn.hw.fold.resources.dsp_lut_saved_per_mac`) and DSPs per lane;
- ``cores``: no synthesis: the whole-core factors refitted on ``bench_classifier``
  reports (``--bench build/bench/classifier_report.json ...``) and on the cores of the
  section measured before (re-modelled by the current blocks,
  :func:`remodel_core_points`): yosys's figures of the generated cores against the sum
  of the block models (:func:`core_points`), section ``cores``.
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
WIDTHS = ((2, 2), (4, 4), (8, 8), (8, 2))


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


#: The sliding-window unit's probe points: (C, BW, H, W, K, SIMD, STRIDE, RAM_STYLE) --
#: CNV's convolutions (64/128/256 channels, 2 bits, through block RAM and LUTRAM), a
#: small-channel first layer and a strided one.
SWU_POINTS = (
    (64, 2, 30, 30, 3, 32, 1, "block"), (64, 2, 30, 30, 3, 8, 1, "block"),
    (128, 2, 12, 12, 3, 32, 1, "block"), (128, 2, 12, 12, 3, 4, 1, "distributed"),
    (256, 2, 3, 3, 3, 32, 1, "distributed"), (3, 8, 32, 32, 3, 3, 1, "block"),
    (16, 4, 14, 14, 3, 4, 2, "distributed"), (32, 4, 16, 16, 5, 8, 1, "block"),
)  # fmt: skip


def swu_rows(k: int, stride: int) -> int:
    """Line-buffer rows the generator gives a sliding-window unit of kernel ``k`` and
    ``stride`` (:func:`fpgacnn.hw.rtlgen.emit.swu_rows`, asked with those two facts)."""
    from types import SimpleNamespace

    from fpgacnn.hw.rtlgen.emit import swu_rows as rows

    return rows(SimpleNamespace(kernel=k, stride=stride))


def measure_swu(out_dir: Path, c: int, bw: int, h: int, w: int, k: int, simd: int,
                stride: int = 1, style: str = "block") -> dict[str, Any]:
    """yosys figures of ``fcnn_cnn_swu`` at one point (PAD = 0, ROWS as generated)."""
    from fpgacnn.apps.yosys_synth import synthesize
    from fpgacnn.hw import rtl_sources

    run = out_dir / f"swu_c{c}_b{bw}_{h}x{w}_k{k}_s{simd}_st{stride}_{style}"
    run.mkdir(parents=True, exist_ok=True)
    rows = swu_rows(k, stride)
    wrapper = run / "fcnn_fold_probe.sv"
    wrapper.write_text(
        "`default_nettype none\n"
        "module fcnn_fold_probe (\n"
        "    input wire clk, input wire rst,\n"
        f"    input wire [{c * bw - 1}:0] s_axis_tdata, input wire s_axis_tvalid,\n"
        "    output wire s_axis_tready, input wire s_axis_tlast,\n"
        f"    output wire [{simd * bw - 1}:0] m_axis_tdata, output wire m_axis_tvalid,\n"
        "    input wire m_axis_tready, output wire m_axis_tlast);\n"
        f"  fcnn_cnn_swu #(.C({c}), .BW({bw}), .W({w}), .H({h}), .K({k}), .PAD(0),\n"
        f"    .STRIDE({stride}), .SIMD({simd}), .ROWS({rows}), .RAM_STYLE(\"{style}\"))\n"
        "    u (.*);\n"
        "endmodule\n`resetall\n")
    res = synthesize(sources=[*rtl_sources("fcnn_cnn_swu"), wrapper], top="fcnn_fold_probe",
                     parameters={}, out_dir=run, depth=False)
    return {"c": c, "bw": bw, "h": h, "w": w, "k": k, "simd": simd, "stride": stride,
            "rows": rows, "ram_style": style, "lut": res.lut_total, "lutram": res.lutram,
            "ff": res.ff, "carry4": res.carry4, "bram36": res.bram18 / 2, "dsp": res.dsp}


def swu_deep_bits(p: dict[str, Any]) -> int:
    """Bits of a LUTRAM line buffer read from more than one 64-word LUT column (each
    extra column adds a level of read multiplexing); 0 for block RAM."""
    if p["ram_style"] != "distributed":
        return 0
    words = p["rows"] << max(1, (p["w"] - 1).bit_length())
    return p["c"] * p["bw"] * (-(-words // 64) - 1)


def fit_swu(points: list[dict[str, Any]]) -> dict[str, float]:
    """Least squares of the unit's logic apart from its line buffer's LUTRAM: ``lut -
    lutram = lut_base + lut_per_deep_bit * deep bits`` (:func:`swu_deep_bits`: the read
    multiplexer of a LUTRAM more than 64 words deep) and ``ff = ff_base + SIMD*BW
    (+ C*BW)`` (the output register, and the read register of a LUTRAM line buffer: a
    block RAM absorbs it) -- only ``ff_base`` is fitted there (the mean)."""
    a = np.array([(1.0, swu_deep_bits(p)) for p in points], dtype=float)
    lut, *_ = np.linalg.lstsq(a, np.array([p["lut"] - p["lutram"] for p in points], float),
                              rcond=None)
    ff_base = float(np.mean([p["ff"] - p["simd"] * p["bw"]
                             - (p["c"] * p["bw"] if p["ram_style"] == "distributed" else 0)
                             for p in points]))
    return {"lut_base": round(float(lut[0]), 1), "lut_per_deep_bit": round(float(lut[1]), 3),
            "ff_base": round(ff_base, 1)}


#: The layers whose weight ROM is measured in block RAM and in LUT logic (section ``rom``):
#: (layer, PE, SIMD) of ``bench_classifier``'s CNV (``cnv_model(0)``: dense random 2-bit
#: weights), its second and third convolutions as folded for 3,000 images/s (ROMs of
#: 36 x 2048 and 144 x 1024 bits).
ROM_LAYERS = (("conv2", 16, 64), ("conv3", 8, 64))


def instance_probe(rtl_dir: Path, layer: str, run: Path) -> Path:
    """A wrapper ``fcnn_layer_probe`` around the ``fcnn_cnn_mvu`` instance of ``layer`` in
    the generated core ``rtl_dir`` (its parameters as generated, the weight file by its
    absolute path, every port a port of the wrapper at the top's wire widths)."""
    import re

    top = (rtl_dir / "fcnn_classifier.sv").read_text()
    stage = re.search(rf"// (\w+): layer '{layer}'", top)
    # the unit's own instantiation: the last "fcnn_cnn_mvu #(" before its instance name
    # (a pattern from the first one would also take the blocks between them)
    inst = stage and re.search(rf"\n    fcnn_cnn_mvu #\(((?:(?!\n    fcnn_cnn_mvu #\().)*?)"
                               rf"\n    \) u_{stage.group(1)}_mvu \((.*?)\n    \);", top, re.S)
    if not inst:
        raise ValueError(f"layer '{layer}': expected a folded unit fcnn_cnn_mvu in "
                         f"{rtl_dir / 'fcnn_classifier.sv'}, found none")
    widths = {m.group(2): int(m.group(1)) + 1
              for m in re.finditer(r"wire \[(\d+):0\] (\w+);", top)}
    inputs = {"clk", "rst", "s_axis_tdata", "s_axis_tvalid", "s_axis_tlast", "m_axis_tready"}
    ports = re.findall(r"\.(\w+)\(([^)]*)\)", inst.group(2))
    decl = ", ".join(f"{'input' if port in inputs else 'output'} wire "
                     f"[{widths.get(sig.strip(), 1) - 1}:0] {port}" for port, sig in ports)
    params = inst.group(1).replace("{MEM_DIR, ", '{"' + str((rtl_dir / "mem").resolve()) + '/", ')
    run.mkdir(parents=True, exist_ok=True)
    wrapper = run / "fcnn_layer_probe.sv"
    wrapper.write_text(f"module fcnn_layer_probe ({decl});\n  fcnn_cnn_mvu #({params}\n  ) u "
                       f"({', '.join(f'.{port}({port})' for port, _ in ports)});\nendmodule\n")
    return wrapper


def cnv_unit_runs(out_dir: Path, variants: dict[str, Any], layers: tuple[str, ...]
                  ) -> tuple[list[Any], Any, dict[tuple[str, str], Any]]:
    """Synthesize ``layers``' folded units of ``bench_classifier``'s CNV (``cnv_model(0)``,
    dense random 2-bit weights, the solver's folding for 3,000 images/s on pynq-z2), each
    alone (:func:`instance_probe`), once per variant: ``variants[name](lf)`` is the
    layer's folding in that variant. Returns (stages, base folding, {(layer, variant):
    SynthResult})."""
    import dataclasses

    from fpgacnn.apps.bench_classifier import cnv_model, yosys_sources
    from fpgacnn.apps.yosys_synth import synthesize
    from fpgacnn.boards.target import board_target
    from fpgacnn.hw.convert.plan import plan_model
    from fpgacnn.hw.fold.solver import solve_stages
    from fpgacnn.hw.rtlgen import generate_rtl
    from fpgacnn.hw.rtlgen.stages import build_stages
    from fpgacnn.sim.classifier_harness import rtl_sources

    model = cnv_model(0)
    stages = build_stages(model, plan_model(model))
    base = solve_stages(stages, model="cnv", target=board_target("pynq-z2"), rate=3000.0)
    got: dict[tuple[str, str], Any] = {}
    for name, change in variants.items():
        folding = dataclasses.replace(base, layers=tuple(
            change(lf) if lf.layer in layers else lf for lf in base.layers))
        gen = generate_rtl(model, out_dir / name / "rtl", folding=folding)
        sources = [f for f in rtl_sources(gen.out_dir) if f.name != "fcnn_classifier.sv"]
        for layer in layers:
            run = out_dir / name / layer
            wrapper = instance_probe(gen.out_dir, layer, run)
            got[layer, name] = synthesize(
                sources=[*yosys_sources(sources, run / "src"), wrapper],
                top="fcnn_layer_probe", parameters={}, out_dir=run, depth=False)
    return stages, base, got


def measure_rom(out_dir: Path) -> list[dict[str, Any]]:
    """yosys figures of the :data:`ROM_LAYERS` 'folded units, each synthesized alone
    with its weight ROM in block RAM and in logic (as ``bench_classifier`` measures a
    distributed ROM): one point per layer, section ``rom``."""
    from fpgacnn.spec.folding import Impl, LayerFolding

    want = {layer: (pe, simd) for layer, pe, simd in ROM_LAYERS}

    def style(rom: str) -> Any:
        return lambda lf: LayerFolding(layer=lf.layer, impl=Impl.FOLDED, pe=want[lf.layer][0],
                                       simd=want[lf.layer][1], rom_style=rom)

    stages, _, got = cnv_unit_runs(out_dir / "rom", {"block": style("block"),
                                                     "distributed": style("distributed")},
                                   tuple(want))
    out = []
    for layer, (pe, simd) in want.items():
        st = next(s for s in stages if s.layer == layer)
        h, w, c = st.in_shape
        in_len, n, ww = st.kernel * st.kernel * c, st.out_shape[2], st.w_width
        blk, lgc = got[layer, "block"], got[layer, "distributed"]
        out.append({"layer": layer, "xw": st.in_type.width, "ww": ww, "pe": pe, "simd": simd,
                    "in_len": in_len, "c_in": simd, "n": n,
                    "depth": (n // pe) * (in_len // simd), "width": pe * simd * ww,
                    "lut_block": blk.lut_total, "lut_logic": lgc.lut_total,
                    "ff_block": blk.ff, "ff_logic": lgc.ff, "bram36_block": blk.bram18 / 2})
    return out


#: The layers measured with LUT and DSP multipliers (section ``dsp``): CNV's (cnv_model(0),
#: folded by the solver for 3,000 images/s) 8-bit-input first convolution and two 2-bit
#: layers.
DSP_LAYERS = ("conv1", "conv5", "conv6")


def measure_dsp(out_dir: Path) -> list[dict[str, Any]]:
    """yosys figures of the :data:`DSP_LAYERS`' folded units, each synthesized alone with
    LUT multipliers and with DSP slices: one point per layer, section ``dsp``."""
    import dataclasses

    stages, base, got = cnv_unit_runs(
        out_dir / "dsp", {m: (lambda lf, m=m: dataclasses.replace(lf, multipliers=m,
                                                                     estimate=None))
                          for m in ("lut", "dsp")}, DSP_LAYERS)
    out = []
    for layer in DSP_LAYERS:
        st = next(s for s in stages if s.layer == layer)
        lf = base.layer(layer)
        h, w, c = st.in_shape
        lut, dsp = got[layer, "lut"], got[layer, "dsp"]
        out.append({"layer": layer, "xw": st.in_type.width, "ww": st.w_width, "pe": lf.pe,
                    "simd": lf.simd, "in_len": st.kernel * st.kernel * c, "c_in": c,
                    "n": st.out_shape[2], "rom_style": lf.rom_style,
                    "lut_lut": lut.lut_total, "lut_dsp": dsp.lut_total, "ff_lut": lut.ff,
                    "ff_dsp": dsp.ff, "dsp": dsp.dsp, "dsp_lut_mode": lut.dsp})
    return out


#: The fixed blocks' probe points: requantization (C, IW, OW, SHIFT) -- the arithmetic the
#: MVU now applies per fold -- and max pooling (C, BW, W, P; H = W).
REQUANT_POINTS = ((64, 13, 2, 4), (256, 15, 2, 4), (16, 20, 8, 6))
POOL_POINTS = ((64, 2, 28, 2), (16, 8, 12, 2))


def measure_fixed(out_dir: Path) -> dict[str, Any]:
    """yosys figures of ``fcnn_cnn_requant`` and ``fcnn_cnn_maxpool`` at their points and
    the per-bit costs the resource model reads: LUTs per requantized input bit (C*IW),
    pool LUTs and FFs per pixel bit (C*BW; the LUTRAM row buffer apart)."""
    from fpgacnn.apps.yosys_synth import synthesize
    from fpgacnn.hw import rtl_sources

    def run(top: str, params: dict[str, int]) -> Any:
        d = out_dir / (top + "_" + "_".join(f"{k}{v}" for k, v in params.items()))
        d.mkdir(parents=True, exist_ok=True)
        return synthesize(sources=rtl_sources(top), top=top, parameters=params, out_dir=d,
                          depth=False)

    requant = []
    for c, iw, ow, shift in REQUANT_POINTS:
        r = run("fcnn_cnn_requant", {"C": c, "IW": iw, "OW": ow, "SHIFT": shift})
        requant.append({"c": c, "iw": iw, "ow": ow, "shift": shift, "lut": r.lut_total,
                        "ff": r.ff})
    pool = []
    for c, bw, w, p in POOL_POINTS:
        r = run("fcnn_cnn_maxpool", {"C": c, "BW": bw, "W": w, "H": w, "P": p})
        pool.append({"c": c, "bw": bw, "w": w, "p": p, "lut": r.lut_total,
                     "lutram": r.lutram, "ff": r.ff})
    return {
        "requant_points": requant, "pool_points": pool,
        "requant_lut_per_bit": round(float(np.mean([q["lut"] / (q["c"] * q["iw"])
                                                    for q in requant])), 3),
        "pool_lut_per_bit": round(float(np.mean([(q["lut"] - q["lutram"]) / (q["c"] * q["bw"])
                                                 for q in pool])), 3),
        "pool_ff_per_bit": round(float(np.mean([q["ff"] / (q["c"] * q["bw"])
                                                for q in pool])), 3),
    }


def core_points(report: Path) -> list[dict[str, Any]]:
    """Whole-core points of a ``bench_classifier`` report (``classifier_report.json``):
    per synthesized row, yosys's LUT (with LUTRAM), LUTRAM, FF and BRAM36 of the generated
    core and the sum of the
    block models (:func:`fpgacnn.hw.fold.solver.block_sum`, before the whole-core factors)
    for the same model (rebuilt with the report's seed) and folding."""
    from fpgacnn.apps.bench_classifier import BenchConfig, load_model
    from fpgacnn.boards.target import board_target
    from fpgacnn.hw.convert.plan import plan_model
    from fpgacnn.hw.fold.solver import block_sum
    from fpgacnn.hw.rtlgen.stages import build_stages
    from fpgacnn.spec.folding import Impl, LayerFolding

    data = json.loads(report.read_text())
    cfg = BenchConfig(out_dir=report.parent, seed=data["config"].get("seed", 0))
    out = []
    for row in data["rows"]:
        synth = row.get("synth")
        if not synth or not row.get("folding"):
            continue
        model = load_model(row["model"], cfg)[0]
        stages = build_stages(model, plan_model(model))
        layers = [LayerFolding(layer=lf["layer"], impl=Impl(lf["impl"]), pe=lf["pe"],
                               simd=lf["simd"], rom_style=lf["rom_style"],
                               multipliers=lf.get("multipliers", "lut"))
                  for lf in row["folding"]]
        est = block_sum(stages, layers, board_target(row["board"]))
        out.append({"model": row["model"], "board": row["board"],
                    "folding": ", ".join(
                        f"{lf.layer} U" if lf.impl is Impl.UNROLLED
                        else f"{lf.layer} {lf.pe}x{lf.simd} {lf.rom_style[0]}"
                        + (" dsp" if lf.multipliers == "dsp" else "") for lf in layers),
                    "yosys_lut": synth["lut_total"], "model_lut": round(est.lut),
                    "yosys_lutram": synth["lutram"], "model_lutram": round(est.lutram),
                    "yosys_ff": synth["ff"], "model_ff": round(est.ff),
                    "yosys_bram36": synth["bram18"] / 2, "model_bram36": est.bram36})
    return out


def parse_folding(text: str) -> list[Any]:
    """The layers of a folding text as :func:`core_points` writes it ("conv1 U, fc1 2x16 d",
    "conv1 2x27 b dsp")."""
    from fpgacnn.spec.folding import Impl, LayerFolding

    out = []
    for part in text.split(", "):
        name, fold, *rom = part.split(" ")
        if fold == "U":
            out.append(LayerFolding(layer=name, impl=Impl.UNROLLED))
            continue
        pe, simd = (int(v) for v in fold.split("x"))
        out.append(LayerFolding(layer=name, impl=Impl.FOLDED, pe=pe, simd=simd,
                                rom_style={"b": "block", "d": "distributed"}[rom[0]],
                                multipliers="dsp" if rom[1:] == ["dsp"] else "lut"))
    return out


def remodel_core_points(points: list[dict[str, Any]], seed: int = 0) -> list[dict[str, Any]]:
    """``points`` (section ``cores``) with their ``model_*`` figures recomputed by the
    current block model (:func:`fpgacnn.hw.fold.solver.block_sum`) for the same model
    (``bench_classifier``'s, at ``seed``) and folding: after a block model changes, the
    whole-core factors are refitted on the cores already measured."""
    from fpgacnn.apps.bench_classifier import BenchConfig, load_model
    from fpgacnn.boards.target import board_target
    from fpgacnn.hw.convert.plan import plan_model
    from fpgacnn.hw.fold.solver import block_sum
    from fpgacnn.hw.rtlgen.stages import build_stages

    cfg = BenchConfig(out_dir=Path("."), seed=seed)
    out = []
    for pt in points:
        model = load_model(pt["model"], cfg)[0]
        est = block_sum(build_stages(model, plan_model(model)), parse_folding(pt["folding"]),
                        board_target(pt["board"]))
        out.append({**pt, "model_lut": round(est.lut), "model_lutram": round(est.lutram),
                    "model_ff": round(est.ff), "model_bram36": est.bram36})
    return out


def fit_cores(points: list[dict[str, Any]]) -> dict[str, float]:
    """The whole-core factors: the median yosys / block-model ratio of LUT and of FF."""
    return {"lut_factor": round(float(np.median([p["yosys_lut"] / p["model_lut"]
                                                  for p in points])), 3),
            "ff_factor": round(float(np.median([p["yosys_ff"] / p["model_ff"]
                                                for p in points])), 3)}


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
    p.add_argument("--block", choices=("mvu", "swu", "fixed", "all", "rom", "dsp", "cores"),
                   default="all",
                   help="what to measure: the folded unit, the sliding-window unit, the "
                        "fixed blocks (requantization, pooling), all three (default), "
                        "'rom': CNV layers with their weight ROM in BRAM and in logic, "
                        "'dsp': CNV layers with LUT and DSP multipliers, or "
                        "'cores': refit the whole-core factors on --bench reports")
    p.add_argument("--bench", type=Path, nargs="*", default=[], metavar="REPORT",
                   help="classifier_report.json files of bench_classifier runs (--block cores)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    data = json.loads(args.write.read_text()) if args.write.is_file() else {}
    if args.block in ("mvu", "all"):
        points = [measure_mvu(args.work, xw, ww, pe, simd) for xw, ww in WIDTHS
                  for pe, simd in MVU_FOLDS]
        data["mvu"] = {"block": "fcnn_cnn_mvu", "tool": "yosys synth_xilinx -family xc7",
                       "shape": {"in_len": MVU_IN_LEN, "c_in": MVU_C_IN, "n": MVU_N,
                                 "rom_style": "block"},
                       "points": points, "fit": fit_mvu(points)}
    if args.block in ("swu", "all"):
        points = [measure_swu(args.work, c, bw, h, w, k, simd, stride, style)
                  for c, bw, h, w, k, simd, stride, style in SWU_POINTS]
        data["swu"] = {"block": "fcnn_cnn_swu", "tool": "yosys synth_xilinx -family xc7",
                       "points": points, "fit": fit_swu(points)}
    if args.block in ("fixed", "all"):
        data.setdefault("fixed", {}).update(measure_fixed(args.work))
    if args.block == "rom":
        data["rom"] = {**data.get("rom", {}), "block": "fcnn_cnn_mvu",
                       "tool": "yosys synth_xilinx -family xc7",
                       "points": measure_rom(args.work)}
    if args.block == "dsp":
        data["dsp"] = {**data.get("dsp", {}), "block": "fcnn_cnn_mvu",
                       "note": "folded units with LUT multipliers (USE_DSP = 0) and DSP slices "
                               "(USE_DSP = 1), each synthesized alone out of the CNV core at "
                               "3,000 images/s (python -m fpgacnn.apps.fold_calibrate --block "
                               "dsp): (lut_lut - lut_dsp) / (PE x SIMD) is the LUTs DSPs save per "
                               "lane (dsp_lut_saved_per_mac, by XW*WW); dsp per lane",
                       "tool": "yosys synth_xilinx -family xc7",
                       "points": measure_dsp(args.work)}
    if args.block == "cores":
        points = [pt for r in args.bench for pt in core_points(r)]
        known = {(pt["model"], pt["board"], pt["folding"]) for pt in points}
        # the cores measured before (section cores) stay, re-modelled by the current blocks
        points += [pt for pt in remodel_core_points(data.get("cores", {}).get("points", []))
                   if (pt["model"], pt["board"], pt["folding"]) not in known]
        if not points:
            p.error("--block cores needs --bench reports with synthesized rows")
        data["cores"] = {**data.get("cores", {}), "points": points, **fit_cores(points)}
    args.write.write_text(json.dumps(data, indent=2) + "\n")
    print(json.dumps({k: data[k]["fit"] for k in ("mvu", "swu") if k in data}
                     | {k: data["cores"][k] for k in ("lut_factor", "ff_factor")
                        if k in data.get("cores", {})}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
