"""The colour frame path of the block design (build option ``edge_input``, issue 13).

The edge DMA reads PPC BGR pixels per beat as OpenCV frames lie in memory, padded to
the DMA's stream width by the contracts layer's rule (:func:`fpgacnn.spec.dma.
dma_stream_bits`); a subset converter narrows the beat back and ``fcnn_rgb2gray``
(packaged as its own IP from ``hw/rtl/fcnn_rgb2gray.f``) makes the gray the edge IP
frames. With ``classifier_input`` fabric the edge DMA's stream is broadcast
(``fcnn_axis_broadcast``) to the edge path and to ``fcnn_crop_scale_dma``, which feeds
the classifier; the classifier DMA only receives. Checked on the emitted Tcl, as the
emulated board reads it, and run under tclsh with the stubbed Vivado commands.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.boards.board import available_boards, load_board
from fpgacnn.boards.build import generate
from fpgacnn.boards.config import CONFIG_FILE, BuildConfig, ClassifierInput, CoreFlow, EdgeInput
from fpgacnn.boards.design import BROADCAST_VLNV, CROP_VLNV, RGB2GRAY_VLNV
from fpgacnn.hw import rtl_sources
from fpgacnn.sim.board_emu import read_block_design
from fpgacnn.spec.dma import dma_stream_bits, mm_data_bits

from .conftest import run_stub, write_conversion, write_rtl_filelist


def _tree(root: Path, *, board: str = "pynq-z2", ppc: int = 4,
          edge_input: EdgeInput = EdgeInput.COLOR,
          classifier_input: ClassifierInput = ClassifierInput.HOST,
          shape: tuple[int, int, int] = (8, 8, 1)) -> Path:
    conv = root / f"digits{shape[2]}"
    if not conv.exists():
        write_conversion(conv, shape=shape)
        write_rtl_filelist(conv)
    out = root / f"{board}-{ppc}-{edge_input.value}-{classifier_input.value}-{shape[2]}"
    generate(BuildConfig(board=board, model="digits", model_dir=conv, out_dir=out,
                         core_flow=CoreFlow.RTL, edge_ppc=ppc, edge_input=edge_input,
                         classifier_input=classifier_input))
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


@pytest.mark.parametrize("flow", list(CoreFlow))
@pytest.mark.parametrize("board", available_boards())
def test_default_build_is_the_whole_frame_path(tmp_path: Path, board: str,
                                               flow: CoreFlow) -> None:
    """No option given: colour frames to the edge DMA, rgb2gray and the crop block in the
    fabric, the classifier DMA only receives; every script runs under tclsh, on every
    board and in both core flows."""
    conv = tmp_path / "digits"
    write_conversion(conv)
    write_rtl_filelist(conv)
    cfg = BuildConfig(board=board, model="digits", model_dir=conv, out_dir=tmp_path / "o",
                      core_flow=flow)
    assert (cfg.edge_input, cfg.classifier_input) == (EdgeInput.COLOR, FABRIC)
    generate(cfg)
    design = read_block_design(cfg.out_dir)
    assert design.links["frame_bcast/m1_axis"] == "crop/s_axis"
    assert [c.name for c in design.follow("frame_bcast/m0_axis")[1]] == ["rgb2gray"]
    assert design.cell("classifier_dma").int("c_include_mm2s") == 0
    scripts = [cfg.out_dir / "scripts" / "build.tcl"]
    if flow is CoreFlow.HLS:
        scripts.append(cfg.out_dir / "scripts" / "hls_ip.tcl")
    log = run_stub(scripts, tmp_path / "stub.log", load_board(board).vivado_versions[0])
    assert "fpgacnn:fpgacnn:fcnn_crop_scale_dma:1.0 crop" in log
    assert "fpgacnn:fpgacnn:fcnn_rgb2gray:1.0 rgb2gray" in log


def test_gray_design_stays_available(tmp_path: Path) -> None:
    """``edge_input=gray`` (an explicit option; colour is the default): the DMA feeds the
    edge IP directly; the hardware id tells the two designs apart."""
    assert BuildConfig(board="pynq-z2", model="m", model_dir=tmp_path,
                       out_dir=tmp_path).edge_input is EdgeInput.COLOR
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
    out = tmp_path / "out"  # no option: the whole frame path in the PL
    assert main(["build", "--board", "pynq-z2", "--model", str(conv), "--out", str(out)]) == 0
    capsys.readouterr()
    conf = json.loads((out / CONFIG_FILE).read_text())
    assert (conf["edge_input"], conf["classifier_input"]) == ("color", "fabric")
    assert read_block_design(out).links["frame_bcast/m1_axis"] == "crop/s_axis"
    host = tmp_path / "host"
    assert main(["build", "--board", "kv260", "--model", str(conv), "--out", str(host),
                 "--edge-input", "gray", "--classifier-input", "host"]) == 0
    capsys.readouterr()
    conf = json.loads((host / CONFIG_FILE).read_text())
    assert (conf["edge_input"], conf["classifier_input"]) == ("gray", "host")
    assert read_block_design(host).follow("edge_dma/M_AXIS_MM2S") == ("edge/s_axis", [])
    with pytest.raises(SystemExit) as exc:  # argparse refuses the choice with usage
        main(["build", "--board", "pynq-z2", "--model", str(conv), "--out",
              str(tmp_path / "o2"), "--edge-input", "rgb"])
    assert exc.value.code == 2
    assert "argument --edge-input: invalid choice: 'rgb'" in capsys.readouterr().err


FABRIC = ClassifierInput.FABRIC


@pytest.mark.parametrize("board", available_boards())
def test_fabric_crop_path_on_every_board(tmp_path: Path, board: str) -> None:
    """DMA -> pad -> broadcast -> rgb2gray -> edge -> DMA, and broadcast -> crop ->
    classifier -> DMA S2MM (no MM2S channel); the crop block's parameters from the model
    and the build; its registers at their own segment after the others."""
    tree = _tree(tmp_path, board=board, classifier_input=FABRIC)
    design = read_block_design(tree)
    assert design.follow("edge_dma/M_AXIS_MM2S") == ("frame_bcast/s_axis",
                                                     [design.cell("edge_in_pad")])
    bcast = design.cell("frame_bcast")
    assert bcast.vlnv == BROADCAST_VLNV and bcast.int("DATA_W") == 24 * 4
    end, stages = design.follow("frame_bcast/m0_axis")
    assert (end, [c.name for c in stages]) == ("edge/s_axis", ["rgb2gray"])
    assert design.links["frame_bcast/m1_axis"] == "crop/s_axis"
    crop = design.cell("crop")
    assert crop.vlnv == CROP_VLNV
    assert {k: crop.int(k) for k in ("PPC", "IN_CHANNELS", "BGR", "OUT_CHANNELS", "OUT_WIDTH",
                                     "OUT_HEIGHT")} == {"PPC": 4, "IN_CHANNELS": 3, "BGR": 1,
                                                        "OUT_CHANNELS": 1, "OUT_WIDTH": 8,
                                                        "OUT_HEIGHT": 8}
    assert design.follow("crop/m_axis") == ("classifier/s_axis", [])
    assert design.toward("classifier_dma/S_AXIS_S2MM")[0] == "classifier/m_axis"
    dma = design.cell("classifier_dma")
    assert dma.int("c_include_mm2s") == 0
    assert "classifier_dma/M_AXIS_MM2S" not in design.links
    assert "classifier_dma/M_AXI_MM2S" not in design.links
    segs = {s.cell: s for s in design.segments}
    assert segs["crop"].offset == max(s.offset for s in design.segments)
    assert design.nets.get("classifier_dma/mm2s_introut") is None
    pkg = (tree / "scripts" / "package_crop.tcl").read_text()
    assert "set_property top fcnn_crop_scale_dma [current_fileset]" in pkg
    assert "ipx::add_register FRAME_WIDTH" in pkg
    assert "m0_axis m1_axis" in (tree / "scripts" / "package_broadcast.tcl").read_text()


def test_fabric_crop_path_gray_rgb_model_and_tclsh(tmp_path: Path) -> None:
    """A gray edge input feeds the crop gray pixels (IN_CHANNELS 1); a 3-channel model gets
    OUT_CHANNELS 3; the whole build script runs under tclsh with every IP packaged."""
    tree = _tree(tmp_path, ppc=2, edge_input=EdgeInput.GRAY, classifier_input=FABRIC,
                 shape=(8, 8, 3))
    design = read_block_design(tree)
    assert design.follow("edge_dma/M_AXIS_MM2S") == ("frame_bcast/s_axis", [])
    assert design.links["frame_bcast/m0_axis"] == "edge/s_axis"
    crop = design.cell("crop")
    assert (crop.int("PPC"), crop.int("IN_CHANNELS"), crop.int("OUT_CHANNELS")) == (2, 1, 3)
    assert json.loads((tree / CONFIG_FILE).read_text())["classifier_input"] == "fabric"
    log = run_stub([tree / "scripts" / "build.tcl"], tmp_path / "stub.log")
    assert "create_bd_cell -type ip -vlnv fpgacnn:fpgacnn:fcnn_crop_scale_dma:1.0 crop" in log
    assert "set_property top fcnn_axis_broadcast stub:current_fileset" in log
    host = _tree(tmp_path, ppc=2, edge_input=EdgeInput.GRAY, shape=(8, 8, 3))
    ids = [read_block_design(t).cell("build_id").config["BUILD_ID_LO"] for t in (host, tree)]
    assert ids[0] != ids[1]


def test_fabric_crop_refuses_a_model_the_block_cannot_feed(tmp_path: Path) -> None:
    """A model input wider than the frame maxima: one line naming the option."""
    from fpgacnn.boards.sources import BuildInputError

    conv = write_conversion(tmp_path / "wide", shape=(8, 64, 1))
    write_rtl_filelist(conv)
    with pytest.raises(BuildInputError) as err:  # the default classifier input
        generate(BuildConfig(board="pynq-z2", model="wide", model_dir=conv,
                             out_dir=tmp_path / "o", core_flow=CoreFlow.RTL,
                             edge_max_width=32, edge_max_height=32))
    assert str(err.value).startswith("classifier_input fabric (the default): the model input "
                                     "64x8")
    assert str(err.value).endswith("build with --classifier-input host to crop on the host")
    generate(BuildConfig(board="pynq-z2", model="wide", model_dir=conv,
                         out_dir=tmp_path / "h", core_flow=CoreFlow.RTL, edge_max_width=32,
                         edge_max_height=32, classifier_input=ClassifierInput.HOST))
    assert "crop" not in read_block_design(tmp_path / "h").cells
