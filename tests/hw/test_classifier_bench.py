"""The yosys part of the classifier benchmark on the smallest handmade example."""

from __future__ import annotations

import pytest

from fpgacnn.apps.bench_classifier import percent_of_device, synth_core
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
    pct = percent_of_device(res.to_json())
    assert 0 < pct["lut"] < 5 and pct["dsp"] == 0
