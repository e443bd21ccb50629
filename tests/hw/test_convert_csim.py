"""hls4ml C simulation equals QKeras bit for bit on the handmade models."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fpgacnn.hw.convert.convert import ConversionResult, csim_predict

pytestmark = pytest.mark.sim

# dense_only is converted and checked by test_convert_cli.py
NAMES = ["conv_valid_dense", "conv_same_two_layers"]


@pytest.mark.parametrize("name", NAMES)
def test_csim_bit_exact(name: str, tiny_conversions: dict[str, ConversionResult]) -> None:
    result = tiny_conversions[name]
    report = result.bit_exact
    assert report is not None
    assert (report.n, report.mismatches, report.max_abs_diff, report.off_grid_inputs) == (
        300, 0, 0.0, 0)


@pytest.mark.parametrize("name", NAMES)
def test_csim_equals_keras_directly(name: str, tiny_conversions, tiny_models, on_grid) -> None:
    """Independent of the report: fresh inputs through both, exact equality of every output."""
    result = tiny_conversions[name]
    model = tiny_models[name]()  # same seed -> same weights
    x = on_grid(result.plans[0].result, tuple(model.input_shape[1:]), 50, 99)
    want = model.predict(x, verbose=0).astype(np.float64)
    got = csim_predict(result.hls_model, x, want.shape[1:])
    np.testing.assert_array_equal(got, want)
    assert np.count_nonzero(want) > 0


@pytest.mark.parametrize("name", NAMES)
def test_manifest_and_report(name: str, tiny_conversions) -> None:
    result = tiny_conversions[name]
    manifest = json.loads((result.out_dir / "conversion.json").read_text())
    report = json.loads((result.out_dir / "report.json").read_text())
    assert len(manifest["model"]["sha256"]) == 64
    assert manifest["versions"]["hls4ml"] == "1.3.0"
    assert manifest["config"]["backend"] == "Vitis"
    assert manifest["config"]["io_type"] == "io_stream"
    assert [layer["name"] for layer in manifest["layers"]] == [p.name for p in result.plans]
    # every hls4ml layer has the planned (never the default 16-bit) type
    for p in result.plans:
        assert manifest["hls_types"][p.name].startswith(p.result.hls()[:-1])
    assert report["bit_exact"]["mismatches"] == 0
    assert (result.project_dir / "firmware" / "fcnn_classifier.cpp").is_file()
