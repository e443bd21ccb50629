"""The benchmark's yosys step parses real synthesis results; its report renders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.apps.bench_edge import BenchConfig, BenchReport, CycleRow, render_markdown
from fpgacnn.apps.yosys_synth import SynthError, from_cells, logic_depth, parse_stat, synthesize
from fpgacnn.sim.edge_harness_build import TOPLEVEL, default_sources


@pytest.mark.sim
def test_yosys_small_core(tmp_path: Path) -> None:
    params = {"PPC": 1, "MAX_WIDTH": 64, "MAX_HEIGHT": 48}
    res = synthesize(sources=default_sources(), top=TOPLEVEL, parameters=params, out_dir=tmp_path)
    assert res.parameters == params
    assert res.lut > 0 and res.ff > 0
    assert res.dsp == 0
    assert res.logic_depth is not None and res.logic_depth > 0
    # the numbers come from the files yosys wrote, not from stdout
    cells = parse_stat(json.loads((tmp_path / "stat.json").read_text()), TOPLEVEL)
    assert res.cells == dict(sorted(cells.items()))
    assert res.lut == sum(cells.get(f"LUT{i}", 0) for i in range(1, 7))
    assert json.loads((tmp_path / "result.json").read_text())["lut"] == res.lut
    assert "synth_xilinx -family xc7 -top fcnn_edge_core" in (tmp_path / "synth.ys").read_text()


def test_from_cells_counts_by_primitive() -> None:
    cells = {"LUT1": 1, "LUT6": 10, "FDRE": 7, "FDSE": 1, "RAM64M": 2, "RAMB18E1": 1,
             "RAMB36E1": 2, "CARRY4": 3, "DSP48E1": 1, "MUXF7": 4}  # fmt: skip
    r = from_cells("top", {"PPC": 2}, cells)
    assert (r.lut, r.lutram, r.ff, r.carry4, r.muxf7, r.dsp) == (11, 8, 8, 3, 4, 1)
    assert (r.ramb18, r.ramb36, r.bram18, r.lut_total) == (1, 2, 5, 19)


def test_parse_stat_names_missing_module() -> None:
    with pytest.raises(
        SynthError, match=r"^stat output has no module 'top' \(modules: \['\\\\other'\]\)$"
    ):
        parse_stat({"modules": {"\\other": {}}}, "top")


def _cell(kind: str, ins: dict[str, list[int]], outs: dict[str, list[int]]) -> dict:
    dirs = {**{p: "input" for p in ins}, **{p: "output" for p in outs}}
    return {"type": kind, "port_directions": dirs, "connections": {**ins, **outs}}


def test_logic_depth_counts_luts_between_registers() -> None:
    # FF(2) -> LUT -> INV -> LUT -> MUXF7 -> FF ; a second, shorter path FF -> LUT -> FF
    cells = {
        "q0": _cell("FDRE", {"D": [9]}, {"Q": [2]}),
        "l1": _cell("LUT2", {"I0": [2], "I1": ["0"]}, {"O": [3]}),
        "n1": _cell("INV", {"I": [3]}, {"O": [4]}),
        "l2": _cell("LUT1", {"I0": [4]}, {"O": [5]}),
        "m1": _cell("MUXF7", {"I0": [5], "I1": [2], "S": [2]}, {"O": [6]}),
        "q1": _cell("FDRE", {"D": [6]}, {"Q": [7]}),
        "l3": _cell("LUT1", {"I0": [7]}, {"O": [9]}),
    }
    assert logic_depth({"modules": {"top": {"cells": cells}}}, "top") == 3


def test_report_renders_measured_rows(tmp_path: Path) -> None:
    cfg = BenchConfig(out_dir=tmp_path)
    report = BenchReport(config=cfg.to_json(), host={"machine": "x86_64", "python": "3.11"})
    report.cycles.append(CycleRow(1, 640, 480, 307200, 307841.0, 0.2087, 644, 648, True))
    report.synth.append(from_cells(TOPLEVEL, {"PPC": 1}, {"LUT6": 5, "FDRE": 4}, 2).to_json())
    text = render_markdown(report)
    assert "| 1 | 640x480 | 307,200 | 307,841 | 0.209 % | 644 | 648 | yes |" in text
    assert "| fcnn_edge_core PPC=1 | 5 | 0 | 4 | 0 | 0/0 | 0 (0 + 2*0) | 0 | 2 |" in text
    assert "| Vitis Vision xf::cv::Sobel 3x3, 1 PPC, 1080p (anchor) | 616 | | 609 |" in text
