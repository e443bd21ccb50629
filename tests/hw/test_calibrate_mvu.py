"""``fpgacnn.apps.calibrate_mvu``: one tiny yosys point of ``fcnn_cnn_mvu`` into a calibration file.

The figures themselves are benchmark data (``hw/fold/calibration.json``), not asserted;
this checks the run and the record: the keys the folding solver reads, a ROM that
became block RAM when asked, none when distributed, and a point measured again
replacing its record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.apps.calibrate_mvu import CALIBRATION_FILE, Point, measure, merge, weight_file

pytestmark = pytest.mark.sim

KEYS = {"pe", "simd", "xw", "ww", "in_len", "c_in", "n", "rom_style", "lut", "ff", "lutram",
        "bram36", "dsp", "carry"}


def test_weight_file_has_one_word_per_rom_address(tmp_path: Path) -> None:
    point = Point(2, 4, 2, 3, 16, 4, 6)
    weight_file(point, tmp_path / "w.mem")
    lines = (tmp_path / "w.mem").read_text().split()
    assert len(lines) == (6 // 2) * (16 // 4)
    assert {len(v) for v in lines} == {-(-2 * 4 * 3 // 4)}


@pytest.mark.parametrize(("rom", "bram"), [("block", True), ("distributed", False)])
def test_a_tiny_point_is_measured_and_merged(tmp_path: Path, rom: str, bram: bool) -> None:
    # 2048 words x 8 bits: large enough for yosys to put a "block" ROM in a RAMB18.
    point = Point(1, 4, 2, 2, 256, 4, 32, rom)
    rec = measure(point, tmp_path / "work")
    assert KEYS <= set(rec)
    assert rec["lut"] > 0 and rec["ff"] > 0 and rec["dsp"] == 0
    assert (rec["bram36"] > 0) == bram, rec
    out = tmp_path / "calibration.json"
    merge(out, rec)
    merge(out, {**rec, "lut": rec["lut"] + 1})
    records = json.loads(out.read_text())
    assert len(records) == 1 and records[0]["lut"] == rec["lut"] + 1


def test_the_committed_calibration_file_has_the_solver_keys() -> None:
    records = json.loads(CALIBRATION_FILE.read_text())
    assert records
    for r in records:
        assert KEYS <= set(r), r
        assert r["n"] % r["pe"] == 0 and r["in_len"] % r["simd"] == 0, r
        assert r["rom_style"] in ("block", "distributed"), r
