"""The versions of each board (PYNQ image, Python, numpy, Vivado) in one place, read by the
scripts, the README and the package manifest; the KV260's board store, carrier and fan."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from fpgacnn.boards.board import (
    DEFS_DIR,
    IMAGES_BEGIN,
    IMAGES_END,
    BoardError,
    available_boards,
    board_from_dict,
    images_table,
    load_all_boards,
    load_board,
)
from fpgacnn.boards.build import generate
from fpgacnn.boards.config import BuildConfig, CoreFlow
from fpgacnn.boards.finalize import finalize_package
from fpgacnn.spec.package import load_package

from .conftest import stub_process, write_conversion

BOARDS_README = Path(__file__).resolve().parents[2] / "boards" / "README.md"

#: board -> (PYNQ image, Vivado): PYNQ v4 and FINN 1.0 dropped PYNQ-Z1/Z2, whose last image
#: is PYNQ v3.1 (Vivado 2024.1); Kria-PYNQ v3.0 installs PYNQ v3.0.1 (Vivado 2022.1).
IMAGES = {"pynq-z1": ("v3.1", "2024.1"), "pynq-z2": ("v3.1", "2024.1"),
          "zcu104": ("v3.1", "2024.1"), "zcu102": ("v3.1", "2024.1"),
          "ultra96v2": ("v3.0.1", "2022.1"), "kv260": ("v3.0.1", "2022.1")}


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every board's tree (rtl flow: no Vitis HLS step), generated once."""
    root = tmp_path_factory.mktemp("versions")
    conv = write_conversion(root / "digits")
    (conv / "rtl").mkdir()
    (conv / "rtl" / "fcnn_classifier.sv").write_text("module fcnn_classifier; endmodule\n")
    (conv / "rtl" / "filelist.f").write_text("fcnn_classifier.sv\n")
    out = {}
    for board in available_boards():
        out[board] = root / board
        generate(BuildConfig(board=board, model="digits", model_dir=conv, out_dir=out[board],
                             core_flow=CoreFlow.RTL))
    return out


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_every_board_names_its_image(name: str) -> None:
    b = load_board(name)
    assert (b.pynq_image, b.vivado_versions, b.python, b.numpy) == (
        IMAGES[name][0], (IMAGES[name][1],), "3.10", "<2")
    assert b.image == {"pynq": IMAGES[name][0], "python": "3.10", "numpy": "<2",
                       "vivado": IMAGES[name][1]}


def test_readme_table_is_the_board_files() -> None:
    text = BOARDS_README.read_text()
    table = text[text.index(IMAGES_BEGIN) + len(IMAGES_BEGIN):text.index(IMAGES_END)]
    assert table.strip("\n") + "\n" == images_table(load_all_boards())
    assert "| TUL PYNQ-Z2 (`pynq-z2`) | v3.1 | 3.10 | <2 | 2024.1 |" in table
    assert "ship with Vivado" not in text.replace("ZCU104 and ZCU102 ship with Vivado", "")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("python", "3", r"python must be the image's Python like '3\.10', got '3'$"),
    ("numpy", "1.26", r"numpy must be a version bound like '<2', got '1\.26'$"),
    ("vivado_versions", ["2024"], r"vivado_versions must be like '2024\.1', got '2024'$"),
])
def test_bad_versions_are_refused(field: str, value, message: str) -> None:  # noqa: ANN001
    data = json.loads((DEFS_DIR / "pynq-z2.json").read_text())
    data[field] = value
    with pytest.raises(BoardError, match=rf"^b\.json: {message}"):
        board_from_dict(data, source="b.json")


@pytest.mark.parametrize("board", sorted(IMAGES))
def test_scripts_name_the_boards_vivado(trees, board: str) -> None:
    viv = IMAGES[board][1]
    build_tcl = (trees[board] / "scripts" / "build.tcl").read_text()
    assert f"set fcnn_vivado_versions {{{viv}}}\n" in build_tcl
    assert build_tcl.index("[version -short]") < build_tcl.index("foreach fcnn_step")
    sh = (trees[board] / "build.sh").read_text()
    assert f"    {viv}|{viv}.*) ;;\n" in sh


@pytest.mark.parametrize(("version", "env", "ok"), [
    ("2024.1", {}, True), ("2024.1.2", {}, True), ("2023.2", {}, False),
    ("2024.10", {}, False), ("2023.2", {"FCNN_ANY_VIVADO": "1"}, True)])
def test_build_tcl_stops_on_another_vivado(trees, tmp_path: Path, version: str, env: dict,
                                           ok: bool) -> None:
    proc = stub_process([trees["pynq-z2"] / "scripts" / "build.tcl"], tmp_path / "log",
                        version, env)
    assert (proc.returncode == 0) == ok, proc.stderr
    if not ok:
        assert (f"fcnn: Vivado {version} is not 2024.1, the Vivado of the PYNQ v3.1 image of "
                f"TUL PYNQ-Z2 (boards/defs/pynq-z2.json); use that Vivado, or set "
                f"FCNN_ANY_VIVADO=1 to build anyway") in proc.stderr
        assert "create_project" not in (tmp_path / "log").read_text()


def _fake_vivado(bin_dir: Path, version: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    tool = bin_dir / "vivado"
    tool.write_text(f'#!/bin/sh\nif [ "$1" = -version ]; then echo "Vivado v{version} (64-bit)";'
                    f' echo "Tool Version Limit: 2024.05"; exit 0; fi\necho ran >&2\nexit 7\n')
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)


@pytest.mark.parametrize(("version", "env", "code"), [
    ("2023.2", {}, 3), ("2024.1", {}, 7), ("2023.2", {"FCNN_ANY_VIVADO": "1"}, 7)])
def test_build_sh_stops_on_another_vivado(trees, tmp_path: Path, version: str, env: dict,
                                          code: int) -> None:
    """build.sh refuses another Vivado before any work (7: the fake Vivado ran the build)."""
    _fake_vivado(tmp_path / "bin", version)
    env = {**os.environ, **env, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    proc = subprocess.run(["sh", str(trees["pynq-z2"] / "build.sh")], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode == code, proc.stderr
    refused = (f"build.sh: Vivado {version} is not 2024.1, the Vivado of the PYNQ v3.1 image of "
               f"TUL PYNQ-Z2; use that Vivado, or set FCNN_ANY_VIVADO=1 to build anyway; "
               f"nothing was built\n")
    assert (proc.stderr == refused) == (code == 3)


def test_package_manifest_records_the_image(trees, tmp_path: Path) -> None:
    out = trees["zcu104"]
    hw_id = re.search(r"^set fcnn_hw_id (\w+)$", (out / "scripts" / "build.tcl").read_text(),
                      flags=re.M).group(1)
    (out / "package" / "fcnn_zcu104.bit").write_bytes(b"bitstream")
    (out / "package" / "fcnn_zcu104.hwh").write_text("<hwh/>")
    (out / "reports").mkdir(exist_ok=True)
    (out / "reports" / "summary.txt").write_text(f"hw_id {hw_id}\n")
    finalize_package(out)
    m = load_package(out / "package").manifest
    assert m.image == {"pynq": "v3.1", "python": "3.10", "numpy": "<2", "vivado": "2024.1"}
    assert json.loads((out / "package" / "manifest.json").read_text())["image"] == m.image


# --- KV260: board files from the Board Store, the carrier checked, the fan driven ---------

def test_kv260_board_files_come_from_the_board_store(trees, tmp_path: Path) -> None:
    project = (trees["kv260"] / "scripts" / "project.tcl").read_text()
    repo = ("set_param board.repoPaths [concat [get_param board.repoPaths] [get_property "
            "LOCAL_ROOT_DIR [xhub::get_xstores xilinx_board_store]]]\n")
    assert repo in project
    assert project.index(repo) < project.index("get_board_parts -quiet $fcnn_board_part")
    carrier = "if {[llength [get_boards -quiet xilinx.com:kv260_carrier:1.3]] == 0} {\n"
    assert carrier in project
    assert project.index(carrier) < project.index("create_project")
    assert "from the Xilinx Board Store (Vivado: Tools > Vivado Store > Boards)" in project
    # tclsh runs it: the store's folder is set before the board parts are looked up
    proc = stub_process([trees["kv260"] / "scripts" / "build.tcl"], tmp_path / "log", "2022.1")
    assert proc.returncode == 0, proc.stderr
    log = (tmp_path / "log").read_text()
    order = ["xhub::get_xstores xilinx_board_store", "set_param board.repoPaths",
             "get_board_parts -quiet xilinx.com:kv260_som:part0:1.3",
             "get_boards -quiet xilinx.com:kv260_carrier:1.3", "create_project -force fcnn_"]
    pos = [log.find(o) for o in order]
    assert -1 not in pos and pos == sorted(pos), dict(zip(order, pos, strict=True))
    for other in ("zcu104", "pynq-z2"):
        text = (trees[other] / "scripts" / "project.tcl").read_text()
        assert "xhub::" not in text and "get_boards" not in text


def test_kv260_drives_the_fan_enable(trees) -> None:
    bd = (trees["kv260"] / "scripts" / "block_design.tcl").read_text()
    assert ("set_property -dict [list CONFIG.PSU__TTC0__PERIPHERAL__ENABLE {1} "
            "CONFIG.PSU__TTC0__WAVEOUT__ENABLE {1} \\\n    CONFIG.PSU__TTC0__WAVEOUT__IO {EMIO}]"
            " $fcnn_ps\n") in bd
    assert "create_bd_port -dir O -from 0 -to 0 fan_en_b\n" in bd
    assert ("CONFIG.DIN_WIDTH {3} CONFIG.DIN_FROM {2} \\\n    CONFIG.DIN_TO {2} "
            "CONFIG.DOUT_WIDTH {1}] $fcnn_fan") in bd
    assert "connect_bd_net [get_bd_pins ps/emio_ttc0_wave_o] [get_bd_pins fan_slice/Din]\n" in bd
    assert "connect_bd_net [get_bd_pins fan_slice/Dout] [get_bd_ports fan_en_b]\n" in bd
    xdc = (trees["kv260"] / "constraints" / "fcnn.xdc").read_text()
    for prop in ("PACKAGE_PIN A12", "IOSTANDARD LVCMOS33", "SLEW SLOW", "DRIVE 4"):
        assert f"set_property {prop} [get_ports {{fan_en_b[0]}}]\n" in xdc
    for other in ("zcu104", "ultra96v2", "pynq-z2"):
        assert "fan_en_b" not in (trees[other] / "scripts" / "block_design.tcl").read_text()
        assert "get_ports" not in (trees[other] / "constraints" / "fcnn.xdc").read_text()


def test_a_fan_needs_a_zynqmp() -> None:
    data = json.loads((DEFS_DIR / "pynq-z2.json").read_text())
    data["fan"] = {"port": "fan", "pin": "A1", "iostandard": "LVCMOS33", "ttc_wave_bit": 0}
    with pytest.raises(BoardError, match=r"^b\.json: fan: a TTC waveform on EMIO needs "
                                         r"zynq_ultra_ps_e$"):
        board_from_dict(data, source="b.json")
