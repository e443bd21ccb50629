"""Board definitions: discovery, the facts of every shipped board, validation errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fpgacnn.boards.board import (
    DEFS_DIR,
    BoardError,
    PsType,
    available_boards,
    load_all_boards,
    load_board,
    load_board_file,
)

#: name -> (part, board part, PS IP, control port, HP port, clock pin, DMA address width)
EXPECTED = {
    "pynq-z1": ("xc7z020clg400-1", "www.digilentinc.com:pynq-z1:part0:1.0",
                "processing_system7", "M_AXI_GP0", "S_AXI_HP0", "FCLK_CLK0", 32),
    "pynq-z2": ("xc7z020clg400-1", "tul.com.tw:pynq-z2:part0:1.0",
                "processing_system7", "M_AXI_GP0", "S_AXI_HP0", "FCLK_CLK0", 32),
    "zcu104": ("xczu7ev-ffvc1156-2-e", "xilinx.com:zcu104:part0:1.1",
               "zynq_ultra_ps_e", "M_AXI_HPM0_FPD", "S_AXI_HP0_FPD", "pl_clk0", 64),
    "kv260": ("xck26-sfvc784-2LV-c", "xilinx.com:kv260_som:part0:1.3",
              "zynq_ultra_ps_e", "M_AXI_HPM0_FPD", "S_AXI_HP0_FPD", "pl_clk0", 64),
    "ultra96v2": ("xczu3eg-sbva484-1-i", "avnet.com:ultra96v2:part0:1.2",
                  "zynq_ultra_ps_e", "M_AXI_HPM0_FPD", "S_AXI_HP0_FPD", "pl_clk0", 64),
    "zcu102": ("xczu9eg-ffvb1156-2-e", "xilinx.com:zcu102:part0:3.4",
               "zynq_ultra_ps_e", "M_AXI_HPM0_FPD", "S_AXI_HP0_FPD", "pl_clk0", 64),
}


def _data(name: str = "pynq-z2") -> dict:
    return json.loads((DEFS_DIR / f"{name}.json").read_text())


def _write(tmp_path: Path, data: dict, name: str = "myboard") -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


def test_every_board_file_is_discovered_and_valid() -> None:
    files = sorted(p.stem for p in DEFS_DIR.glob("*.json"))
    assert available_boards() == files == sorted(EXPECTED)
    assert [b.name for b in load_all_boards()] == files


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_board_facts(name: str) -> None:
    b = load_board(name)
    part, board_part, ps, ctrl, hp, clk, width = EXPECTED[name]
    assert (b.part, b.board_part, b.ps.value, b.control_port, b.hp_port, b.pl_clock.pin,
            b.dma_address_width) == (part, board_part, ps, ctrl, hp, clk, width)
    assert b.pl_clock.mhz == 100.0
    assert b.pynq_image in ("v3.1", "v3.0.1") and b.python == "3.10"  # test_boards_versions
    assert b.master.base == (0x4000_0000 if b.ps is PsType.ZYNQ7 else 0xA000_0000)
    assert b.source == DEFS_DIR / f"{name}.json"


def test_kv260_names_its_carrier_connection() -> None:
    assert load_board("kv260").board_connections == (
        "som240_1_connector xilinx.com:kv260_carrier:som240_1_connector:1.3",)


def test_adding_a_board_is_adding_a_file(tmp_path: Path) -> None:
    for name in ("pynq-z2", "zcu104"):
        shutil.copyfile(DEFS_DIR / f"{name}.json", tmp_path / f"{name}.json")
    data = _data("pynq-z2") | {"name": "my-z7", "title": "My Zynq-7020 board"}
    _write(tmp_path, data, "my-z7")
    assert available_boards(tmp_path) == ["my-z7", "pynq-z2", "zcu104"]
    assert load_board("my-z7", tmp_path).title == "My Zynq-7020 board"


def test_round_trip_through_to_dict(tmp_path: Path) -> None:
    for b in load_all_boards():
        again = load_board_file(_write(tmp_path, b.to_dict(), b.name))
        assert again == b


def test_unknown_ps_type(tmp_path: Path) -> None:
    path = _write(tmp_path, _data() | {"name": "myboard", "ps": "versal_cips"})
    with pytest.raises(BoardError, match=r"^myboard\.json: unknown PS type 'versal_cips' "
                       r"\(expected one of: processing_system7, zynq_ultra_ps_e\)$"):
        load_board_file(path)


def test_missing_field(tmp_path: Path) -> None:
    data = _data() | {"name": "myboard"}
    del data["board_part"]
    with pytest.raises(BoardError, match=r"^myboard\.json: missing field 'board_part'$"):
        load_board_file(_write(tmp_path, data))


@pytest.mark.parametrize("change, message", [
    ({"part": 7020}, "field 'part' must be a string"),
    ({"dma_address_width": 48}, "dma_address_width must be 32 or 64, got 48"),
    ({"dma_address_width": 64},
     "dma_address_width 64 exceeds the 32-bit address space of processing_system7"),
    ({"control_port": "M_AXI_HPM0_FPD"},
     "control_port 'M_AXI_HPM0_FPD' is not a master port of processing_system7 "
     "(expected one of: M_AXI_GP0, M_AXI_GP1)"),
    ({"hp_port": "S_AXI_HP0_FPD"},
     "hp_port 'S_AXI_HP0_FPD' is not a slave port of processing_system7 "
     "(expected one of: S_AXI_HP0, S_AXI_HP1, S_AXI_HP2, S_AXI_HP3)"),
    ({"pl_clock": {"pin": "pl_clk0", "mhz": 100}},
     "pl_clock pin 'pl_clk0' is not a clock output of processing_system7 "
     "(expected one of: FCLK_CLK0, FCLK_CLK1, FCLK_CLK2, FCLK_CLK3)"),
    ({"pl_clock": {"pin": "FCLK_CLK0", "mhz": 900}},
     "pl_clock mhz must be a number from 10 to 500, got 900"),
    ({"pl_clock": {"pin": "FCLK_CLK0"}}, "pl_clock must have exactly the fields 'pin' and 'mhz'"),
    ({"vivado_versions": []}, "field 'vivado_versions' must name at least one version"),
    ({"vivado_versions": [2022.1]}, "field 'vivado_versions' must be a list of strings"),
    ({"colour": "red"}, "unknown field 'colour'"),
])
def test_invalid_fields(tmp_path: Path, change: dict, message: str) -> None:
    path = _write(tmp_path, _data() | {"name": "myboard"} | change)
    with pytest.raises(BoardError) as err:
        load_board_file(path)
    assert str(err.value) == f"myboard.json: {message}"


def test_name_must_match_file(tmp_path: Path) -> None:
    path = _write(tmp_path, _data(), "other")
    with pytest.raises(BoardError, match=r"^other\.json: name 'pynq-z2' differs from the file "
                       r"name 'other'$"):
        load_board_file(path)


def test_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"name": "broken",')
    with pytest.raises(BoardError, match=r"^broken\.json: invalid JSON: .+ at line 1$"):
        load_board_file(path)


def test_bad_file_is_reported_by_the_loader(tmp_path: Path) -> None:
    shutil.copyfile(DEFS_DIR / "zcu104.json", tmp_path / "zcu104.json")
    _write(tmp_path, _data() | {"name": "bad", "ps": "microblaze"}, "bad")
    with pytest.raises(BoardError, match=r"^bad\.json: unknown PS type 'microblaze'"):
        load_all_boards(tmp_path)


def test_unknown_board() -> None:
    with pytest.raises(BoardError, match=r"^unknown board 'zybo' \(available: kv260, pynq-z1, "
                       r"pynq-z2, ultra96v2, zcu102, zcu104\)$"):
        load_board("zybo")
