"""Board builds without Vivado: every board generates, the Tcl is right and runs in tclsh."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from fpgacnn.boards.address_map import AddressMapError, Segment, check
from fpgacnn.boards.board import PS_PROFILES, available_boards, load_board
from fpgacnn.boards.build import generate, plan_tree
from fpgacnn.boards.config import CONFIG_FILE, BuildConfig, ClassifierInput, CoreFlow, EdgeInput
from fpgacnn.boards.design import EDGE_VLNV
from fpgacnn.boards.finalize import PackageBuildError, finalize_package, main
from fpgacnn.boards.sources import BuildInputError
from fpgacnn.hw import RTL_DIR
from fpgacnn.spec.build_id import BUILD_ID_MAP, BUILD_ID_VLNV, id_words
from fpgacnn.spec.cores import EDGE_MAP
from fpgacnn.spec.frames import CropRule
from fpgacnn.spec.package import MANIFEST_FILE, CoreKind, load_package

from .conftest import run_stub, write_conversion, write_rtl_filelist

BOARDS = available_boards()


#: The host-side design (gray edge DMA, host crop), which these tests pin cell by cell;
#: the default design (the whole frame path in the PL) is tests/boards/test_boards_frame_path.py's.
HOST_DESIGN = {"edge_input": EdgeInput.GRAY, "classifier_input": ClassifierInput.HOST}


def _cfg(model_dir: Path, out: Path, board: str = "pynq-z2", flow: CoreFlow = CoreFlow.HLS,
         **kw) -> BuildConfig:
    return BuildConfig(board=board, model="digits", model_dir=model_dir, out_dir=out,
                       core_flow=flow, **{**HOST_DESIGN, **kw})


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, CoreFlow], Path]:
    """Every board in both flows, generated once for the module; scripts run in tclsh."""
    root = tmp_path_factory.mktemp("trees")
    conv = write_conversion(root / "digits")
    write_rtl_filelist(conv)
    out = {}
    for board in BOARDS:
        for flow in CoreFlow:
            out[board, flow] = d = root / f"{board}-{flow.value}"
            generate(_cfg(conv, d, board, flow))
    return out


def _tcl(tree: Path, name: str) -> str:
    return (tree / "scripts" / name).read_text()


def _cell_config(bd: str, var: str) -> dict[str, str]:
    """The ``CONFIG.*`` of the ``set_property -dict [list ...] $var`` block of the block design."""
    end = bd.index(f"] ${var}\n")
    block = bd[bd.rindex("set_property -dict [list", 0, end):end]
    return dict(re.findall(r"CONFIG\.(\w+) \{([^}]*)\}", block))


def _dma_config(addr_bits: int, mm2s_bits: int, s2mm_bits: int) -> dict[str, str]:
    """An AXI DMA in simple mode, no scatter-gather, no DRE, 26-bit length registers."""
    return {"c_include_sg": "0", "c_sg_length_width": "26", "c_addr_width": str(addr_bits),
            "c_m_axis_mm2s_tdata_width": str(mm2s_bits),
            "c_s_axis_s2mm_tdata_width": str(s2mm_bits),
            "c_m_axi_mm2s_data_width": str(max(32, mm2s_bits)),
            "c_m_axi_s2mm_data_width": str(max(32, s2mm_bits)),
            "c_include_mm2s_dre": "0", "c_include_s2mm_dre": "0"}


@pytest.mark.parametrize("flow", list(CoreFlow), ids=lambda f: f.value)
@pytest.mark.parametrize("board", BOARDS)
def test_tcl_names_part_ps_and_clock(trees, board: str, flow: CoreFlow) -> None:
    tree, b = trees[board, flow], load_board(board)
    prof = PS_PROFILES[b.ps]
    build, project, bd = _tcl(tree, "build.tcl"), _tcl(tree, "project.tcl"), _tcl(tree,
                                                                               "block_design.tcl")
    assert f"set fcnn_part {b.part}\n" in build
    assert f"set fcnn_board_part {b.board_part}\n" in build
    assert "create_project -force $fcnn_project $fcnn_work -part $fcnn_part" in project
    assert "set_property board_part $fcnn_board_part [current_project]" in project
    assert ("board_connections" in project) == bool(b.board_connections)
    assert f"[fcnn_ip {prof.ip}] ps]" in bd
    other = {p.ip for p in PS_PROFILES.values()} - {prof.ip}
    assert not any(ip in bd for ip in other)
    assert f"CONFIG.{prof.clock_freq_property[0]} {{100}}" in bd
    assert f"set fcnn_clk [get_bd_pins ps/{b.pl_clock.pin}]" in bd
    assert f"CONFIG.{b.master.enable} {{1}}" in bd and f"CONFIG.{b.slave.enable} {{1}}" in bd
    assert f"get_bd_intf_pins ps/{b.hp_port}]" in bd
    assert f"get_bd_intf_pins ps/{b.control_port}]" in bd
    assert bd.count(f"CONFIG.c_addr_width {{{b.dma_address_width}}}") == 2
    # the edge core (its DMA wrapper) and the classifier, each with an AXI DMA in simple mode
    assert f"-vlnv {EDGE_VLNV} edge]" in bd
    assert EDGE_VLNV == "fpgacnn:fpgacnn:fcnn_edge_dma:1.0"
    assert "[fcnn_ip axi_dma] edge_dma]" in bd and "[fcnn_ip axi_dma] classifier_dma]" in bd
    assert "vdma" not in bd.lower()
    assert _cell_config(bd, "fcnn_edge_dma") == _dma_config(b.dma_address_width, 8, 8)
    assert _cell_config(bd, "fcnn_dma") == _dma_config(b.dma_address_width, 8, 256)
    if flow is CoreFlow.HLS:
        hls = _tcl(tree, "hls_ip.tcl")
        assert f"set_part {b.part}\n" in hls
        assert "create_clock -period 10.000 -name default" in hls
        assert "export_design -format ip_catalog -vendor fpgacnn -library hls " \
               "-ipname fcnn_classifier -version 1.0" in hls
        assert "-vlnv fpgacnn:hls:fcnn_classifier:1.0 classifier]" in bd
    else:
        assert not (tree / "scripts" / "hls_ip.tcl").exists()
        assert "-vlnv fpgacnn:fpgacnn:fcnn_classifier:1.0 classifier]" in bd


_ADD_FILE = re.compile(r"\[file join \$fcnn_(?:root|hls|fw) ([^\]]+)\]")


@pytest.mark.parametrize("flow", list(CoreFlow), ids=lambda f: f.value)
def test_every_referenced_source_exists(trees, flow: CoreFlow) -> None:
    tree = trees["zcu104", flow]
    edge = _tcl(tree, "package_edge.tcl")
    refs = _ADD_FILE.findall(edge)
    assert refs == ["src/edge/fcnn_axis_skid.sv", "src/edge/fcnn_edge_sobel.sv",
                    "src/edge/fcnn_edge_core.sv", "src/edge/fcnn_edge_dma.sv"]
    for ref in refs:
        assert (tree / ref).read_bytes() == (RTL_DIR / Path(ref).name).read_bytes()
    assert sorted(p.name for p in (tree / "src" / "edge").iterdir()) == sorted(
        Path(r).name for r in refs)
    assert "set_property top fcnn_edge_dma [current_fileset]" in edge
    assert "-vendor fpgacnn -library fpgacnn" in edge
    assert "set_property name fcnn_edge_dma $fcnn_core" in edge
    assert "set_property version 1.0 $fcnn_core" in edge
    if flow is CoreFlow.RTL:
        refs = _ADD_FILE.findall(_tcl(tree, "package_classifier.tcl"))
        assert refs == ["src/classifier/fcnn_conv0.sv", "src/classifier/fcnn_classifier.sv"]
        assert all((tree / r).is_file() for r in refs)
    else:
        hls = _tcl(tree, "hls_ip.tcl")
        fw = tree / "src" / "hls" / "hls4ml_prj" / "firmware"
        assert "add_files [file join $fcnn_fw fcnn_classifier.cpp]" in hls
        assert "add_files [file join $fcnn_hls fcnn_axis_top.cpp]" in hls
        assert (fw / "fcnn_classifier.cpp").is_file() and (fw / "weights" / "w2.h").is_file()
        for f in ("fcnn_axis_top.cpp", "fcnn_axis_top.h", "fcnn_axis_params.h"):
            assert (tree / "src" / "hls" / f).is_file()
    xdc = _tcl(tree, "project.tcl")
    assert "[file join $fcnn_root constraints fcnn.xdc]" in xdc
    assert (tree / "constraints" / "fcnn.xdc").is_file()


_REGISTER = re.compile(r"set fcnn_reg \[ipx::add_register (\w+) \$fcnn_block\]\n"
                       r"set_property address_offset (0x[0-9A-F]+) \$fcnn_reg\n"
                       r"set_property size (\d+) \$fcnn_reg\n"
                       r"set_property access ([\w-]+) \$fcnn_reg\n"
                       r"set_property description \{[^{}\n]*\} \$fcnn_reg\n"
                       r"((?:set fcnn_field \[ipx::add_field \w+ \$fcnn_reg\]\n"
                       r"set_property bit_offset \d+ \$fcnn_field\n"
                       r"set_property bit_width \d+ \$fcnn_field\n"
                       r"set_property access [\w-]+ \$fcnn_field\n)*)")
_FIELD = re.compile(r"ipx::add_field (\w+) \$fcnn_reg\]\nset_property bit_offset (\d+) "
                    r"\$fcnn_field\nset_property bit_width (\d+)")


@pytest.mark.parametrize(("script", "regmap"), [("package_edge.tcl", EDGE_MAP),
                                                ("package_build_id.tcl", BUILD_ID_MAP)])
def test_packaged_ip_declares_every_register(trees, script: str, regmap) -> None:  # noqa: ANN001
    """Every register of the spec map is in the IP's address block with its offset, 32 bits
    and its fields, so the .hwh carries them (issue 12, defect 6: none was declared)."""
    tcl = _tcl(trees["pynq-z2", CoreFlow.RTL], script)
    assert tcl.index("set_property range 4096 $fcnn_block") < tcl.index("ipx::add_register")
    declared = {m[0]: m for m in _REGISTER.findall(tcl)}
    assert list(declared) == [r.name for r in regmap]
    for reg in regmap:
        _, offset, size, access, fields = declared[reg.name]
        assert (int(offset, 16), int(size)) == (reg.offset, 32), reg.name
        assert access == ("read-only" if reg.access.value == "RO" else "read-write"), reg.name
        assert [(n, int(lsb), int(w)) for n, lsb, w in _FIELD.findall(fields)] == [
            (f.name, f.lsb, f.width) for f in reg.fields], reg.name
    assert "ipx::add_register" not in _tcl(trees["pynq-z2", CoreFlow.RTL],
                                           "package_classifier.tcl")


_ASSIGN = re.compile(r"assign_bd_address -offset (0x[0-9A-F]+) -range (0x[0-9A-F]+) \\\n"
                     r"\s+-target_address_space \[get_bd_addr_spaces ps/Data\] "
                     r"\[get_bd_addr_segs ([\w/]+)\]")


@pytest.mark.parametrize("board", BOARDS)
def test_addresses_do_not_overlap(trees, board: str) -> None:
    b = load_board(board)
    bd = _tcl(trees[board, CoreFlow.HLS], "block_design.tcl")
    found = [(int(o, 16), int(r, 16), seg) for o, r, seg in _ASSIGN.findall(bd)]
    assert [seg for _, _, seg in found] == ["build_id/s_axil/reg0", "edge/s_axil/reg0",
                                            "edge_dma/S_AXI_LITE/Reg",
                                            "classifier_dma/S_AXI_LITE/Reg",
                                            "axi_intc_0/S_AXI/Reg"]
    spans = sorted((o, o + r) for o, r, _ in found)
    for (_, a1), (b0, _) in zip(spans, spans[1:], strict=False):
        assert a1 <= b0
    lo, hi = b.master.base, b.master.base + b.master.size
    assert all(lo <= a0 and a1 <= hi and a0 % (a1 - a0) == 0 for a0, a1 in spans)
    # planning again from the tree's build_config.json (what finalize does) gives this map
    tree = trees[board, CoreFlow.HLS]
    design = plan_tree(BuildConfig.from_dict(json.loads((tree / CONFIG_FILE).read_text()))).design
    assert [(s.offset, s.size, s.path) for s in design.segments] == found
    assert found[2][0] == b.master.base + 0x2_0000


def test_dma_streams_memory_ports_and_interrupts(trees) -> None:
    bd = _tcl(trees["zcu104", CoreFlow.RTL], "block_design.tcl")
    for src, dst in [("edge_dma/M_AXIS_MM2S", "edge/s_axis"),
                     ("edge/m_axis", "edge_dma/S_AXIS_S2MM")]:
        assert f"connect_bd_intf_net [get_bd_intf_pins {src}] [get_bd_intf_pins {dst}]\n" in bd
    mem = re.findall(r"\[get_bd_intf_pins (\w+/M_AXI_\w+)\] \[get_bd_intf_pins mem_ic/S(\d+)_AXI\]",
                     bd)
    assert mem == [("edge_dma/M_AXI_MM2S", "00"), ("edge_dma/M_AXI_S2MM", "01"),
                   ("classifier_dma/M_AXI_MM2S", "02"), ("classifier_dma/M_AXI_S2MM", "03")]
    assert "CONFIG.NUM_SI {4} CONFIG.NUM_MI {1}] $fcnn_mem" in bd
    irq = re.findall(r"\[get_bd_pins (\w+/\w+)\] \[get_bd_pins irq_concat/In(\d+)\]", bd)
    assert irq == [("edge_dma/mm2s_introut", "0"), ("edge_dma/s2mm_introut", "1"),
                   ("classifier_dma/mm2s_introut", "2"), ("classifier_dma/s2mm_introut", "3")]
    assert "set_property CONFIG.NUM_PORTS {4} $fcnn_irq" in bd
    # an AXI DMA has no separate stream clocks: the AXI clocks run the streams
    assert ("connect_bd_net $fcnn_clk [get_bd_pins edge/clk] [get_bd_pins edge_dma/s_axi_lite_aclk]"
            " \\\n    [get_bd_pins edge_dma/m_axi_mm2s_aclk] [get_bd_pins edge_dma/m_axi_s2mm_aclk]"
            "\n") in bd
    assert "[get_bd_pins rst_pl/peripheral_reset] [get_bd_pins edge/rst]" in bd
    assert "[get_bd_pins rst_pl/peripheral_aresetn] [get_bd_pins edge_dma/axi_resetn]" in bd


@pytest.mark.parametrize("board", ["pynq-z2", "zcu104"])
def test_dma_interrupts_go_through_an_axi_intc(trees, board: str) -> None:
    """The DMAs' interrupts reach the PS through an axi_intc with its own address segment, as
    in PYNQ's base overlays (issue 12, defect 7: they went straight to the PS, so PYNQ 3.x
    recorded no interrupt for the DMAs)."""
    b = load_board(board)
    bd = _tcl(trees[board, CoreFlow.RTL], "block_design.tcl")
    intc = "axi_intc_0"
    assert f"set fcnn_intc [create_bd_cell -type ip -vlnv [fcnn_ip axi_intc] {intc}]\n" in bd
    assert f"connect_bd_net [get_bd_pins irq_concat/dout] [get_bd_pins {intc}/intr]\n" in bd
    irq_pin = PS_PROFILES[b.ps].irq_pin
    assert f"connect_bd_net [get_bd_pins {intc}/irq] [get_bd_pins ps/{irq_pin}]\n" in bd
    # the PS's interrupt input is driven by the controller alone
    assert re.findall(rf"\[get_bd_pins ps/{irq_pin}\]", bd) == [f"[get_bd_pins ps/{irq_pin}]"]
    assert ("set_property CONFIG.C_IRQ_CONNECTION {1} $fcnn_intc" in bd) == (b.ps.value ==
                                                                          "zynq_ultra_ps_e")
    assert f"connect_bd_net $fcnn_clk [get_bd_pins {intc}/s_axi_aclk]\n" in bd
    assert (f"[get_bd_pins rst_pl/peripheral_aresetn] [get_bd_pins {intc}/s_axi_aresetn]\n"
            in bd)
    ctrl = re.findall(r"\[get_bd_intf_pins ctrl_ic/M(\d+)_AXI\] \[get_bd_intf_pins ([\w/]+)\]",
                      bd)
    assert (f"{len(ctrl) - 1:02d}", f"{intc}/s_axi") == ctrl[-1]
    assert f"[get_bd_addr_segs {intc}/S_AXI/Reg] -force" in bd
    assert f"CONFIG.NUM_MI {{{len(ctrl)}}}] $fcnn_ctrl" in bd


@pytest.mark.parametrize("ppc", [1, 2, 4, 8])
def test_edge_dma_stream_width_follows_ppc(tmp_path: Path, conversion: Path, ppc: int) -> None:
    generate(_cfg(conversion, tmp_path / "out", board="zcu102", edge_ppc=ppc))
    bd = (tmp_path / "out" / "scripts" / "block_design.tcl").read_text()
    assert _cell_config(bd, "fcnn_edge") == {"PPC": str(ppc), "MAX_WIDTH": "1920",
                                             "MAX_HEIGHT": "1080"}
    assert _cell_config(bd, "fcnn_edge_dma") == _dma_config(64, 8 * ppc, 8 * ppc)
    assert not (tmp_path / "out" / "package_spec.json").exists()


def test_edge_frame_must_fit_one_dma_transfer(tmp_path: Path, conversion: Path) -> None:
    # 8192 x 8191 bytes = 2**26 - 8192 fits the 26-bit length register; 8192 x 8192 does not
    generate(_cfg(conversion, tmp_path / "ok", edge_max_width=8192, edge_max_height=8191))
    bd = (tmp_path / "ok" / "scripts" / "block_design.tcl").read_text()
    assert _cell_config(bd, "fcnn_edge")["MAX_HEIGHT"] == "8191"
    with pytest.raises(ValueError) as err:
        generate(_cfg(conversion, tmp_path / "big", edge_max_width=8192, edge_max_height=8192))
    assert str(err.value) == ("an edge frame of 8192x8192 is 67108864 bytes; one AXI DMA "
                              "transfer carries at most 67108863 (lower the edge frame maxima)")
    assert not (tmp_path / "big").exists()


def test_address_map_check_rejects_overlap_and_outside() -> None:
    master = load_board("pynq-z1").master
    a = Segment(cell="a", interface="S_AXI", block="Reg", offset=0x4000_0000, size=0x1_0000)
    b = Segment(cell="b", interface="S_AXI", block="Reg", offset=0x4000_8000, size=0x8000)
    with pytest.raises(AddressMapError, match=r"^segments a/S_AXI/Reg \(0x40000000\.\.0x4000FFFF\)"
                       r" and b/S_AXI/Reg \(0x40008000\.\.0x4000FFFF\) overlap$"):
        check([a, b], master)
    c = Segment(cell="c", interface="S_AXI", block="Reg", offset=0x8000_0000, size=0x1_0000)
    with pytest.raises(AddressMapError, match=r"^segment c/S_AXI/Reg at 0x80000000\.\.0x8000FFFF "
                       r"is outside the M_AXI_GP0 window 0x40000000\.\.0x7FFFFFFF$"):
        check([c], master)


@pytest.mark.parametrize("flow", list(CoreFlow), ids=lambda f: f.value)
@pytest.mark.parametrize("board", BOARDS)
def test_tclsh_runs_every_script(trees, tmp_path: Path, board: str, flow: CoreFlow) -> None:
    tree, b = trees[board, flow], load_board(board)
    scripts = [tree / "scripts" / "build.tcl", tree / "constraints" / "fcnn.xdc"]
    if flow is CoreFlow.HLS:
        scripts.append(tree / "scripts" / "hls_ip.tcl")
    log = run_stub(scripts, tmp_path / "stub.log", b.vivado_versions[0])
    sourced = re.findall(r"^# source (\S+)$", log, flags=re.M)
    assert [Path(s).name for s in sourced] == [s.name for s in scripts]
    # every step of build.tcl ran, in order, and reached its last command
    order = ["ipx::package_project", "create_project -force fcnn_", "create_bd_design fcnn",
             "validate_bd_design", "launch_runs synth_1", "launch_runs impl_1",
             "report_timing_summary", "file copy -force /stub/run/fcnn_wrapper.bit"]
    pos = [log.find(o) for o in order]
    assert -1 not in pos and pos == sorted(pos), dict(zip(order, pos, strict=True))
    assert f"set_property board_part {b.board_part} stub:current_project" in log
    assert f"create_bd_cell -type ip -vlnv xilinx.com:ip:{PS_PROFILES[b.ps].ip}:1.0 ps" in log
    # edge core, build-id block (+ the classifier in the rtl flow)
    assert log.count("ipx::save_core") == (3 if flow is CoreFlow.RTL else 2)
    assert f"create_bd_cell -type ip -vlnv {BUILD_ID_VLNV} build_id" in log
    assert "set_property top fcnn_edge_dma stub:current_fileset" in log
    assert f"create_bd_cell -type ip -vlnv {EDGE_VLNV} edge" in log
    assert "create_bd_cell -type ip -vlnv xilinx.com:ip:axi_dma:1.0 edge_dma" in log
    assert "create_bd_cell -type ip -vlnv xilinx.com:ip:axi_dma:1.0 classifier_dma" in log
    assert "axi_vdma" not in log
    if flow is CoreFlow.HLS:
        assert "csynth_design" in log and f"set_part {b.part}" in log


@pytest.mark.parametrize("flow", list(CoreFlow), ids=lambda f: f.value)
def test_build_sh_is_valid_shell(trees, flow: CoreFlow) -> None:
    sh = trees["pynq-z1", flow] / "build.sh"
    assert subprocess.run(["sh", "-n", str(sh)], capture_output=True).returncode == 0
    assert sh.stat().st_mode & 0o100
    assert ("vitis_hls -f" in sh.read_text()) == (flow is CoreFlow.HLS)


def test_config_is_serialised(trees) -> None:
    tree = trees["kv260", CoreFlow.RTL]
    cfg = BuildConfig.from_dict(json.loads((tree / CONFIG_FILE).read_text()))
    assert cfg.board == "kv260" and cfg.core_flow is CoreFlow.RTL and cfg.out_dir == tree
    # the build's inputs are its one record before Vivado: no restatement beside them
    assert sorted(p.name for p in tree.glob("*.json")) == [CONFIG_FILE]


def test_stream_widths_and_pads(tmp_path: Path) -> None:
    conv = write_conversion(tmp_path / "m", shape=(32, 32, 3), in_width=8, classes=43,
                            score_width=16)
    generate(_cfg(conv, tmp_path / "out"))
    bd = (tmp_path / "out" / "scripts" / "block_design.tcl").read_text()
    # 3 x 8-bit channels = 24 bits -> 32-bit DMA stream; 43 x 16 + 8 (label) + 8 (status)
    # = 704 bits -> 1024
    cls_dma = _cell_config(bd, "fcnn_dma")
    assert (cls_dma["c_m_axis_mm2s_tdata_width"], cls_dma["c_s_axis_s2mm_tdata_width"]) == (
        "32", "1024")
    assert (cls_dma["c_m_axi_mm2s_data_width"], cls_dma["c_m_axi_s2mm_data_width"]) == (
        "32", "1024")
    assert "CONFIG.TDATA_REMAP {tdata[23:0]}" in bd
    assert "CONFIG.TDATA_REMAP {320'b0,tdata[703:0]}" in bd
    design = plan_tree(_cfg(conv, tmp_path / "out")).design
    assert (design.classifier.stream_in_bits, design.classifier.stream_out_bits) == (24, 704)


def test_feature_map_output_is_its_flattened_scores(tmp_path: Path) -> None:
    """A model whose output is a feature map: its H*W*C elements are the scores; beyond
    what one DMA beat carries it is refused in one line."""
    conv = write_conversion(tmp_path / "m", classes=12, score_width=8, out_shape=(2, 2, 3))
    design = plan_tree(_cfg(conv, tmp_path / "out")).design
    assert design.classifier.stream_out_bits == 12 * 8 + 16
    big = write_conversion(tmp_path / "big", classes=144, score_width=8, out_shape=(6, 6, 4))
    with pytest.raises(ValueError) as err:
        generate(_cfg(big, tmp_path / "big_out"))
    assert str(err.value) == ("the classifier output stream is 1168 bits wide; an AXI DMA "
                              "stream carries at most 1024")
    assert not (tmp_path / "big_out").exists()


def test_hardware_id_follows_the_sources(tmp_path: Path, conversion: Path) -> None:
    ids = []
    for i in range(2):
        ids.append(generate(_cfg(conversion, tmp_path / f"o{i}")).design.hw_id)
    (conversion / "hls4ml_prj" / "firmware" / "weights" / "w2.h").write_text("// other\n")
    ids.append(generate(_cfg(conversion, tmp_path / "o2")).design.hw_id)
    ids.append(generate(_cfg(conversion, tmp_path / "o3", edge_ppc=4)).design.hw_id)
    assert ids[0] == ids[1] and len(set(ids)) == 3
    assert all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)
    bd = (tmp_path / "o3" / "scripts" / "block_design.tcl").read_text()
    lo, hi = id_words(ids[3])
    assert _cell_config(bd, "fcnn_build_id") == {"BUILD_ID_LO": f"0x{lo:08X}",
                                                 "BUILD_ID_HI": f"0x{hi:08X}"}
    assert f"-vlnv {BUILD_ID_VLNV} build_id]" in bd and "axi_gpio" not in bd
    assert "connect_bd_net [get_bd_pins rst_pl/peripheral_reset] " \
           "[get_bd_pins build_id/rst]" in bd
    pkg = (tmp_path / "o3" / "scripts" / "package_build_id.tcl").read_text()
    assert _ADD_FILE.findall(pkg) == ["src/build_id/fcnn_build_id.sv"]
    assert (tmp_path / "o3" / "src" / "build_id" / "fcnn_build_id.sv").read_bytes() == (
        RTL_DIR / "fcnn_build_id.sv").read_bytes()
    assert "foreach fcnn_busif {s_axil} {" in pkg and "axis_rtl" not in pkg
    assert "set_property name fcnn_build_id $fcnn_core" in pkg


def test_hook_blocks_can_be_filled(tmp_path: Path, conversion: Path) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "block_design.tcl.j2").write_text(
        '{% extends "base/block_design.tcl.j2" %}\n'
        "{% block hook_after_cores %}\ncreate_bd_cell -type ip -vlnv [fcnn_ip axi_iic] iic\n"
        "{% endblock %}\n")
    generate(_cfg(conversion, tmp_path / "out", template_dir=hooks))
    bd = (tmp_path / "out" / "scripts" / "block_design.tcl").read_text()
    assert bd.index("[fcnn_ip axi_iic] iic") < bd.index("# --- Control and memory connections")
    run_stub([tmp_path / "out" / "scripts" / "build.tcl"], tmp_path / "stub.log")


def test_rtl_flow_needs_the_filelist(tmp_path: Path, conversion: Path) -> None:
    filelist = conversion / "rtl" / "filelist.f"
    with pytest.raises(BuildInputError) as err:
        generate(_cfg(conversion, tmp_path / "out", flow=CoreFlow.RTL))
    assert str(err.value) == (
        f"the RTL flow needs {filelist}, the classifier's file list written by the open RTL "
        f"backend (run: fpgacnn convert digits --out {conversion}, without --no-rtl); or build "
        f"with --core-flow hls")
    assert not (tmp_path / "out").exists()


def test_same_named_kernel_files_stay_apart(tmp_path: Path, conversion: Path) -> None:
    """Two kernels' helper files of one name and different content are two files in the
    tree and in the packaging script (issue 12, defect 5: they used to collapse into one)."""
    rtl = conversion / "rtl"
    for k in ("k0", "k1"):
        (rtl / "kernels" / k / "src").mkdir(parents=True)
        (rtl / "kernels" / k / "src" / "binop.v").write_text(f"module binop_{k}; endmodule\n")
    (rtl / "fcnn_classifier.sv").parent.mkdir(parents=True, exist_ok=True)
    (rtl / "fcnn_classifier.sv").write_text("module fcnn_classifier; endmodule\n")
    (rtl / "filelist.f").write_text("// top: fcnn_classifier\nkernels/k0/src/binop.v\n"
                                    "kernels/k1/src/binop.v\nfcnn_classifier.sv\n")
    out = tmp_path / "out"
    generate(_cfg(conversion, out, flow=CoreFlow.RTL))
    refs = _ADD_FILE.findall(_tcl(out, "package_classifier.tcl"))
    assert refs == ["src/classifier/kernels/k0/src/binop.v",
                    "src/classifier/kernels/k1/src/binop.v", "src/classifier/fcnn_classifier.sv"]
    for ref in refs:
        assert (out / ref).read_bytes() == (rtl / ref.removeprefix("src/classifier/")
                                            ).read_bytes()
    # the IP references them in place: no import that would copy them into one folder
    assert "-import_files" not in _tcl(out, "package_classifier.tcl")


def test_rtl_filelist_names_missing_file(tmp_path: Path, conversion: Path) -> None:
    filelist = write_rtl_filelist(conversion)
    (conversion / "rtl" / "fcnn_conv0.sv").unlink()
    missing = rf"^{re.escape(str(filelist))}:3: file fcnn_conv0\.sv does not exist$"
    with pytest.raises(BuildInputError, match=missing):
        generate(_cfg(conversion, tmp_path / "out", flow=CoreFlow.RTL))


def test_hls_flow_needs_a_conversion(tmp_path: Path) -> None:
    missing = tmp_path / "hw_build" / "digits"
    with pytest.raises(BuildInputError) as err:
        generate(_cfg(missing, tmp_path / "out"))
    assert str(err.value) == (f"no conversion of model 'digits': {missing / 'conversion.json'} is "
                              f"missing (run: fpgacnn convert digits --out {missing})")


def _vivado_outputs(out: Path, board: str, hw_id: str | None = None) -> None:
    """What Vivado leaves in the tree: the bitstream and .hwh (export.tcl) and the summary
    with the hardware id it built (implement.tcl, from build.tcl's ``fcnn_hw_id``)."""
    if hw_id is None:
        hw_id = re.search(r"^set fcnn_hw_id (\w+)$", (out / "scripts" / "build.tcl").read_text(),
                          flags=re.M).group(1)
    (out / "package" / f"fcnn_{board}.bit").write_bytes(b"bitstream")
    (out / "package" / f"fcnn_{board}.hwh").write_text("<hwh/>")
    (out / "reports").mkdir(exist_ok=True)
    (out / "reports" / "summary.txt").write_text(f"hw_id {hw_id}\nwns_ns 0.1\nwhs_ns 0.02\n")


def test_package_layout_and_finalize(tmp_path: Path, conversion: Path) -> None:
    out = tmp_path / "out"
    state = generate(_cfg(conversion, out, board="ultra96v2"))
    pkg = out / "package"
    assert sorted(p.relative_to(pkg).as_posix() for p in pkg.rglob("*") if p.is_file()) == [
        "model/model.h5", "model/model.json"]
    nb = json.loads((out / "fcnn_ultra96v2.ipynb").read_text())  # beside the package
    assert nb["nbformat"] == 4 and [c["cell_type"] for c in nb["cells"]][:2] == ["markdown",
                                                                                "code"]
    code = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            code.append("".join(cell["source"]))
            compile(code[-1], "cell", "exec")
    assert 'Pipeline.open(package_dir, backend="pynq")' in code[0]
    assert 'package_dir = Path("package").resolve()' in code[0]
    assert not any("allocate" in c or ".wait()" in c for c in code)  # the runtime does that
    with pytest.raises(PackageBuildError, match=r"fcnn_ultra96v2\.bit is missing: run Vivado "
                       r"first"):
        finalize_package(out)
    _vivado_outputs(out, "ultra96v2")
    assert main([str(out)]) == 0  # build.sh's last line: plans again from build_config.json
    package = load_package(pkg)
    m = package.manifest
    assert (m.board, m.clock_hz, m.bitstream, m.hwh) == (
        "ultra96v2", 100_000_000, "fcnn_ultra96v2.bit", "fcnn_ultra96v2.hwh")
    edge, cls = package.core(CoreKind.EDGE), package.core(CoreKind.CLASSIFIER)
    # addresses are the ones the block design assigns
    bd = (out / "scripts" / "block_design.tcl").read_text()
    seg = {path.split("/")[0]: int(o, 16) for o, _, path in _ASSIGN.findall(bd)}
    assert edge.base_address == seg["edge"] == 0xA001_0000
    # the hardware id: the one build.tcl/Vivado baked into the build-id block
    lo, hi = (int(v, 16) for v in re.findall(r"CONFIG\.BUILD_ID_(?:LO|HI) \{(0x[0-9A-F]+)\}", bd))
    assert m.hardware == {"id": state.design.hw_id, "ip": "build_id",
                          "base_address": seg["build_id"],
                          "low_offset": BUILD_ID_MAP["BUILD_ID_LO"].offset,
                          "high_offset": BUILD_ID_MAP["BUILD_ID_HI"].offset}
    assert m.hardware["id"] == f"{hi:08x}{lo:08x}"
    assert (edge.dma, cls.dma) == ("edge_dma", "classifier_dma")
    assert edge.vlnv == "fpgacnn:fpgacnn:fcnn_edge_dma:1.0"
    assert (edge.ppc, edge.stream_in_bits, edge.stream_out_bits) == (1, 8, 8)
    assert (cls.stream_in_bits, cls.stream_out_bits, cls.vlnv) == (
        8, 176, "fpgacnn:hls:fcnn_classifier:1.0")  # 10x16 + label + status
    assert m.model.classes == tuple(str(i) for i in range(10))
    assert set(m.files) == {"model/model.h5", "model/model.json", "fcnn_ultra96v2.bit",
                            "fcnn_ultra96v2.hwh"}
    assert m.model.files == {"keras": "model/model.h5", "card": "model/model.json"}
    assert m.model.preprocessing["input"]["height"] == 8
    assert CropRule.from_dict(m.model.preprocessing) == CropRule()
    # one record of the outputs: the package manifest; one of the inputs: build_config.json
    # (src/ holds copies of the sources, the conversion's own record among them)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json")) == [
        CONFIG_FILE, "package/manifest.json", "package/model/model.json",
        "src/hls/conversion.json"]


def test_finalize_refuses_a_bitstream_of_other_inputs(tmp_path: Path, conversion: Path,
                                                      capsys) -> None:
    out = tmp_path / "out"
    hw_id = generate(_cfg(conversion, out)).design.hw_id
    _vivado_outputs(out, "pynq-z2")
    (conversion / "hls4ml_prj" / "firmware" / "weights" / "w2.h").write_text("// retrained\n")
    now = plan_tree(_cfg(conversion, out)).design.hw_id
    assert main([str(out)]) == 2
    assert capsys.readouterr().err == (
        f"finalize: error: the bitstream was built with hardware id {hw_id}, the tree's inputs "
        f"now give {now}: a source, template, board file or the configuration changed after "
        f"the tree was generated (run fpgacnn build again, then {out / 'build.sh'})\n")
    assert not (out / "package" / MANIFEST_FILE).exists()
    (out / "reports" / "summary.txt").unlink()
    with pytest.raises(PackageBuildError, match=r"summary\.txt names no hw_id: run Vivado first"):
        finalize_package(out)


def test_regenerating_replaces_the_package(tmp_path: Path, conversion: Path) -> None:
    out = tmp_path / "out"
    generate(_cfg(conversion, out))
    (out / "package" / "stale.txt").write_text("old")
    generate(_cfg(conversion, out))
    assert not (out / "package" / "stale.txt").exists()
    shutil.rmtree(out)


def test_model_card_is_required(tmp_path: Path, conversion: Path) -> None:
    (conversion / "model.json").unlink()
    with pytest.raises(BuildInputError) as err:
        generate(_cfg(conversion, tmp_path / "out"))
    assert str(err.value) == ("no model card of model 'digits' (the package needs its input "
                              f"spec): looked for {conversion / 'model.json'}")
