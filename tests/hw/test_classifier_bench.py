"""The classifier benchmark: yosys on the smallest example; solve + generate rows; the table."""

from __future__ import annotations

import json

import pytest

from fpgacnn.apps.bench_classifier import (
    FINN_CNV,
    BenchConfig,
    percent_of_part,
    run_bench,
    synth_core,
)
from fpgacnn.boards.target import board_target
from fpgacnn.hw.convert.examples import dense_only
from fpgacnn.hw.rtlgen import generate_rtl

pytestmark = pytest.mark.sim


def test_synth_smallest_example(tmp_path) -> None:
    gen = generate_rtl(dense_only(), tmp_path / "rtl", name="dense_only")
    res = synth_core(gen.out_dir, tmp_path / "yosys", timeout_s=300)
    assert res.top == "fcnn_classifier"
    assert res.lut > 0 and res.ff > 0
    assert res.dsp == 0
    assert res.logic_depth is not None and res.logic_depth > 0
    pct = percent_of_part(res.to_json(), board_target("pynq-z2").resources)
    assert 0 < pct["lut"] < 5 and pct["dsp"] == 0
    big = percent_of_part(res.to_json(), board_target("zcu102").resources)
    assert big["lut"] < pct["lut"]


def test_rows_per_model_and_board_without_tools(tmp_path) -> None:
    cfg = BenchConfig(out_dir=tmp_path, models=("digits",), boards=("pynq-z2", "zcu104"),
                      synth=False, sim=False)
    report = run_bench(cfg)
    rows = report["rows"]
    assert [(r["model"], r["board"]) for r in rows] == [("digits", "pynq-z2"),
                                                        ("digits", "zcu104")]
    for r in rows:
        assert r["error"] is None
        assert [f["layer"] for f in r["folding"]] == ["conv1", "fc1"]
        assert r["ii_model"] == 64 and r["estimate"]["cycles_per_image"] == 64
        assert r["solver_s"] is not None and r["generation_s"] is not None
        assert r["unrolled_lut"] > 10_000          # 36 kernels of the 3x3x1->16 convolution
    rtl = json.loads((tmp_path / "classifier" / "digits_pynq-z2" / "rtl" / "rtl.json")
                     .read_text())
    assert rtl["initiation_interval"] == 64
    md = (tmp_path / "classifier_report.md").read_text()
    assert "| digits | pynq-z2 | conv1 U, fc1 " in md
    for f in FINN_CNV:
        assert f"| {f['name']} | PYNQ-Z1 |" in md and f"{f['lut']:,}" in md
    assert "Ours: yosys; FINN's: Vivado" in md


def test_a_refused_folding_is_a_row_not_a_crash(tmp_path) -> None:
    cfg = BenchConfig(out_dir=tmp_path, models=("digits",), boards=("pynq-z2",),
                      rate=1e9, synth=False, sim=False)
    (row,) = run_bench(cfg)["rows"]
    assert row["error"].startswith("rate 1e+09 images/s needs at most 0 cycles per image")
    assert "refused: rate 1e+09" in (tmp_path / "classifier_report.md").read_text()


@pytest.mark.slow
def test_digits_row_measured(tmp_path) -> None:
    cfg = BenchConfig(out_dir=tmp_path, models=("digits",), boards=("pynq-z2",))
    (row,) = run_bench(cfg)["rows"]
    assert row["mismatches"] == 0 and row["checked_images"] > 0
    assert row["ii_cycles"] == row["ii_model"] == 64
    assert row["synth"]["lut_total"] > 0 and row["percent"]["lut"] < 100
