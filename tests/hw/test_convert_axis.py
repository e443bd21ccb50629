"""The AXI4-Stream top streams images beat by beat and returns QKeras's scores and arg-max."""

from __future__ import annotations

import numpy as np
import pytest

from fpgacnn.hw.convert.axis_csim import build_axis_csim, run_axis_csim

pytestmark = pytest.mark.sim


def test_axis_top_matches_qkeras(tiny_conversions, tiny_models, on_grid) -> None:
    """Signed input elements, 2 channels per beat, signed 8-bit scores through the wrapper."""
    result = tiny_conversions["conv_same_two_layers"]
    model = tiny_models["conv_same_two_layers"]()
    x = on_grid(result.plans[0].result, (6, 6, 2), 200, 21)
    exe = build_axis_csim(result.out_dir)
    out = run_axis_csim(result.out_dir, exe, x)
    want = model.predict(x, verbose=0).astype(np.float64)
    np.testing.assert_array_equal(out.scores, want)
    np.testing.assert_array_equal(out.labels, want.argmax(axis=1))
    assert (out.last == 1).all()
    assert len(np.unique(out.labels)) > 1
