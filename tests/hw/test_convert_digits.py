"""The shipped ``digits`` model: C-sim equals QKeras on the whole test split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.hw.convert.axis_csim import build_axis_csim, run_axis_csim
from fpgacnn.hw.convert.convert import ConversionResult, ModelSource, convert
from fpgacnn.hw.convert.sources import load_source

pytestmark = pytest.mark.sim


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> tuple[ModelSource, ConversionResult]:
    source = load_source("digits")
    return source, convert(source, Path(tmp_path_factory.mktemp("digits")))


def test_digits_bit_exact_on_test_split(digits) -> None:
    source, result = digits
    r = result.bit_exact
    assert r is not None and source.test_x is not None
    assert (r.n, r.mismatches, r.off_grid_inputs) == (len(source.test_x), 0, 0)
    assert r.csim_accuracy == r.keras_accuracy
    want = np.mean(source.model.predict(source.test_x, verbose=0).argmax(1) == source.test_y)
    assert r.keras_accuracy == pytest.approx(want, abs=0)
    assert r.keras_accuracy > 0.9


def test_digits_manifest(digits) -> None:
    source, result = digits
    manifest = json.loads((result.out_dir / "conversion.json").read_text())
    assert manifest["classes"] == list(source.classes)
    assert manifest["input"]["shape"] == [8, 8, 1]
    assert manifest["input"]["type"]["hls"] == "ufixed<8,0,TRN,WRAP>"
    assert manifest["model"]["source"].endswith("zoo/digits/model.h5")
    report = json.loads((result.out_dir / "report.json").read_text())
    assert report["calibration"]["n"] == len(source.calibration)


def test_digits_axis_top_labels(digits) -> None:
    """The AXI4-Stream top returns the C-sim's scores and arg-max on the whole test split."""
    source, result = digits
    exe = build_axis_csim(result.out_dir)
    out = run_axis_csim(result.out_dir, exe, source.test_x)
    want = source.model.predict(source.test_x, verbose=0).astype(np.float64)
    np.testing.assert_array_equal(out.scores, want)
    np.testing.assert_array_equal(out.labels, want.argmax(1))
