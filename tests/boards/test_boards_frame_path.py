"""The colour frame path of the block design (build option ``edge_input``, issue 13).

The edge DMA reads PPC BGR pixels per beat as OpenCV frames lie in memory, padded to
the DMA's stream width by the contracts layer's rule (:func:`fpgacnn.spec.dma.
dma_stream_bits`); a subset converter narrows the beat back and ``fcnn_rgb2gray``
(packaged as its own IP from ``hw/rtl/fcnn_rgb2gray.f``) makes the gray the edge IP
frames. Checked on the emitted Tcl, as the emulated board reads it, and run under
tclsh with the stubbed Vivado commands.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.boards.build import generate
from fpgacnn.boards.config import CONFIG_FILE, BuildConfig, CoreFlow, EdgeInput
from fpgacnn.boards.design import RGB2GRAY_VLNV
from fpgacnn.hw import rtl_sources
from fpgacnn.sim.board_emu import read_block_design
from fpgacnn.spec.dma import dma_stream_bits, mm_data_bits

from .conftest import run_stub, write_conversion, write_rtl_filelist


def _tree(root: Path, *, board: str = "pynq-z2", ppc: int = 4,
          edge_input: EdgeInput = EdgeInput.COLOR) -> Path:
    conv = root / "digits"
    if not conv.exists():
        write_conversion(conv)
        write_rtl_filelist(conv)
    out = root / f"{board}-{ppc}-{edge_input.value}"
    generate(BuildConfig(board=board, model="digits", model_dir=conv, out_dir=out,
                         core_flow=CoreFlow.RTL, edge_ppc=ppc, edge_input=edge_input))
    return out


@pytest.mark.parametrize("ppc", [1, 2, 4, 8])
def test_colour_path_dma_pad_rgb2gray_edge(tmp_path: Path, ppc: int) -> None:
    """DMA (24 PPC bits padded to its width) -> subset converter -> fcnn_rgb2gray -> edge
    IP -> DMA (8 PPC bits): widths, remap and parameters as the contracts layer says."""
    design = read_block_design(_tree(tmp_path, ppc=ppc))
    dma = design.cell("edge_dma")
    padded = dma_stream_bits(24 * ppc)
    assert dma.int("c_m_axis_mm2s_tdata_width") == padded
    assert dma.int("c_m_axi_mm2s_data_width") == mm_data_bits(padded)
    assert dma.int("c_s_axis_s2mm_tdata_width") == 8 * ppc
    end, stages = design.follow("edge_dma/M_AXIS_MM2S")
    assert end == "edge/s_axis"
    assert [c.name for c in stages] == ["edge_in_pad", "rgb2gray"]
    pad, gray = stages
    assert pad.config["TDATA_REMAP"] == f"tdata[{24 * ppc - 1}:0]"
    assert (pad.int("S_TDATA_NUM_BYTES"), pad.int("M_TDATA_NUM_BYTES")) == (padded // 8,
                                                                           3 * ppc)
    assert gray.vlnv == RGB2GRAY_VLNV
    assert (gray.int("PPC"), gray.int("BGR")) == (ppc, 1)
    assert design.toward("edge_dma/S_AXIS_S2MM") == ("edge/m_axis", [])


def test_colour_path_packages_rgb2gray_and_runs_under_tclsh(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    assert json.loads((tree / CONFIG_FILE).read_text())["edge_input"] == "color"
    names = sorted(p.name for p in (tree / "src" / "rgb2gray").iterdir())
    assert names == sorted(p.name for p in rtl_sources("fcnn_rgb2gray"))
    pkg = (tree / "scripts" / "package_rgb2gray.tcl").read_text()
    assert "set_property top fcnn_rgb2gray [current_fileset]" in pkg
    assert "ipx::add_register" not in pkg  # no AXI4-Lite: no segment, no registers
    assert "package_rgb2gray.tcl" in (tree / "scripts" / "build.tcl").read_text()
    log = run_stub([tree / "scripts" / "build.tcl"], tmp_path / "stub.log")
    assert "create_bd_cell -type ip -vlnv fpgacnn:fpgacnn:fcnn_rgb2gray:1.0 rgb2gray" in log


def test_gray_design_stays_available(tmp_path: Path) -> None:
    """``edge_input=gray`` (still the default): the DMA feeds the edge IP directly; the
    hardware id tells the two designs apart."""
    assert BuildConfig(board="pynq-z2", model="m", model_dir=tmp_path,
                       out_dir=tmp_path).edge_input is EdgeInput.GRAY
    gray = _tree(tmp_path, edge_input=EdgeInput.GRAY)
    design = read_block_design(gray)
    assert design.follow("edge_dma/M_AXIS_MM2S") == ("edge/s_axis", [])
    assert design.cell("edge_dma").int("c_m_axis_mm2s_tdata_width") == 32
    assert not (gray / "src" / "rgb2gray").exists()
    assert not (gray / "scripts" / "package_rgb2gray.tcl").exists()
    color = _tree(tmp_path)
    ids = [read_block_design(t).cell("build_id").config["BUILD_ID_LO"] for t in (gray, color)]
    assert ids[0] != ids[1]


def test_build_cli_takes_the_edge_input(capsys, tmp_path: Path) -> None:  # noqa: ANN001
    from fpgacnn.cli import main

    conv = write_conversion(tmp_path / "digits")
    out = tmp_path / "out"
    assert main(["build", "--board", "pynq-z2", "--model", str(conv), "--out", str(out),
                 "--edge-input", "color"]) == 0
    capsys.readouterr()
    assert json.loads((out / CONFIG_FILE).read_text())["edge_input"] == "color"
    assert read_block_design(out).follow("edge_dma/M_AXIS_MM2S")[1][-1].name == "rgb2gray"
    with pytest.raises(SystemExit) as exc:  # argparse refuses the choice with usage
        main(["build", "--board", "pynq-z2", "--model", str(conv), "--out",
              str(tmp_path / "o2"), "--edge-input", "rgb"])
    assert exc.value.code == 2
    assert "argument --edge-input: invalid choice: 'rgb'" in capsys.readouterr().err
