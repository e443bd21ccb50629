"""Compatibility suite: models written by others convert as they are, bit-exact in both flows.

Every model of tests/hw/compat_models.py (re-created from hls4ml's tests and tutorial
and QKeras's examples) is saved as a user would save it and given to ``fpgacnn
convert`` unchanged (only ``--input-type`` for a model without an input quantizer,
as hls4ml's own tests feed ``ap_fixed<16,6>``). A converted model is then run through
``predict`` on random inputs on its input grid: the C simulation and the RTL core
must equal the converted (canonical) QKeras model bit for bit, and that model the
original's outputs before the final softmax (bit for bit where the rewrite is exact;
where a float BatchNormalization is folded or u-law weights are rounded onto a
fixed-point grid, the measured accuracy change is < 1 %).
A model the flow refuses must be refused with the layer's name, its class and what
to change, before anything is written.

Each conversion compiles an hls4ml C simulation and Verilates a core (tens of seconds
each): three representative models run in the default suite, the rest are ``slow``.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.cli import main
from fpgacnn.hw.convert.axis_csim import build_axis_csim, run_axis_csim
from fpgacnn.hw.convert.fixed import FixedType
from fpgacnn.hw.convert.predict import predict
from fpgacnn.hw.convert.sources import random_on_grid

pytestmark = pytest.mark.sim


def _load(name: str):  # noqa: ANN202 - a test helper module beside this file
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, mod)
    spec.loader.exec_module(mod)
    return mod


_MOD = _load("compat_models")
COMPAT = _MOD.COMPAT_MODELS
logits = _MOD.logits

#: What each model must do: "exact" (C-sim and RTL bit-exact), "approx" (a float
#: BatchNormalization folded or weights that are not fixed-point numbers rounded: both
#: flows bit-exact with the converted model, accuracy change measured), "csim" (the RTL
#: step refuses with the given reason), "refused" (convert refuses with the given message).
EXPECTED: dict[str, tuple[str, str]] = {
    "hls4ml_single_dense_exact": ("exact", ""),
    "hls4ml_single_dense_auto_po2": ("exact", ""),
    "hls4ml_qactivation_kwarg": ("exact", ""),
    "hls4ml_btnn_ternary": ("exact", ""),
    "hls4ml_btnn_binary_relu": ("exact", ""),
    "hls4ml_qconv2dbn": ("exact", ""),
    "tutorial_part4_jet_mlp": ("exact", ""),
    "tutorial_part6_svhn_cnn": ("approx", ""),
    "qkeras_example_mnist": ("exact", ""),
    "qkeras_example_mnist_po2": ("exact", ""),
    "qkeras_example_mnist_b2t": ("exact", ""),
    "qkeras_example_mnist_bn": ("approx", ""),
    "qkeras_example_qdense_dropout": ("exact", ""),
    "conv_relu_inside": ("exact", ""),
    "conv_signed_activation": ("exact", ""),
}
#: The default suite's representatives: a dense-only MLP with softmax and no input
#: quantizer, a convolution with relu inside, the signed-activation convolution.
DEFAULT = ("tutorial_part4_jet_mlp", "conv_relu_inside", "conv_signed_activation")
N_SAMPLES = 100


def test_every_model_has_an_expectation() -> None:
    assert set(EXPECTED) == set(COMPAT) and len(COMPAT) >= 12


def _convert(name: str, tmp: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, Path, str]:
    entry = COMPAT[name]
    model = entry.build(0)
    h5 = tmp / f"{name}.h5"
    model.save(h5)
    out = tmp / "conv"
    args = ["convert", str(h5), "--out", str(out), "--verify-samples", str(N_SAMPLES)]
    if entry.input_type is not None:
        t = entry.input_type
        args += ["--input-type", f"{'fixed' if t.signed else 'ufixed'}<{t.width},{t.integer}>"]
    capsys.readouterr()
    rc = main(args)
    captured = capsys.readouterr()
    if rc == 0:  # progress: the plan, the C-sim check, the RTL step with its size
        assert re.search(r"(?m)^  planned \d+ layers: ", captured.out)
        assert re.search(r"(?m)^  generating the RTL core: [\d,]+ weights ", captured.out)
    return rc, out, captured.err


@pytest.mark.parametrize("name", [n if n in DEFAULT else pytest.param(n, marks=pytest.mark.slow)
                                  for n in EXPECTED])
def test_model_converts_as_written(name: str, tmp_path: Path, capsys) -> None:
    kind, reason = EXPECTED[name]
    rc, out, err = _convert(name, tmp_path, capsys)
    if kind == "refused":
        assert rc == 2
        assert err.startswith(f"fpgacnn convert: error: {reason}"), err
        assert len(err.splitlines()) == 1 and not out.exists()
        return
    assert rc == 0, err
    record = json.loads((out / "conversion.json").read_text())
    report = json.loads((out / "report.json").read_text())
    assert report["bit_exact"]["mismatches"] == 0 and report["bit_exact"]["n"] == N_SAMPLES
    t_in = FixedType.from_dict(record["input"]["type"])
    x = random_on_grid(t_in, tuple(record["input"]["shape"]), N_SAMPLES, seed=11)
    ref = predict(out, x, "reference")
    np.testing.assert_array_equal(predict(out, x, "csim"), ref)
    original = COMPAT[name].build(0)
    want = np.asarray(logits(original).predict(x, verbose=0), np.float64).reshape(ref.shape)
    if kind == "approx":
        assert record["approximate"]["delta"] < 0.01
        assert np.mean(want.argmax(1) == ref.argmax(1)) >= 0.99
    else:
        assert record["approximate"] is None
        np.testing.assert_array_equal(ref, want)
    if kind == "csim":
        refusal = json.loads((out / "rtl_refusal.json").read_text())
        assert refusal["error"] == reason and not (out / "rtl").exists()
        return
    assert not (out / "rtl_refusal.json").exists(), (out / "rtl_refusal.json").read_text()
    np.testing.assert_array_equal(predict(out, x, "rtl"), ref)
    if len(record["input"]["shape"]) == 1 or len(record["output"]["shape"]) > 1:
        # a vector input (one 1x1xN beat) or a feature-map output (its pixels gathered
        # into the scores, (H, W, C) order): through the HLS AXI4-Stream top as well
        axis = run_axis_csim(out, build_axis_csim(out), x)
        flat = ref.reshape(len(ref), -1)
        np.testing.assert_array_equal(axis.scores, flat)
        np.testing.assert_array_equal(axis.labels, flat.argmax(1))
        assert axis.last.all()
