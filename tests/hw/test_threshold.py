"""Threshold activations: the derived table equals the QKeras quantizer on every grid point.

No C simulation or HDL here: the two flows are checked end to end by the compatibility
suite (``hls4ml_btnn_ternary``, ``qkeras_example_mnist_po2``) and the block by its
cocotb testbench (``sim/fcnn_cnn_threshold``).
"""

from __future__ import annotations

import numpy as np
import pytest

from fpgacnn.hw.convert import FixedType, UnsupportedLayerError
from fpgacnn.hw.convert.hls_threshold import keras_layer_class, threshold_view
from fpgacnn.hw.convert.plan import plan_model
from fpgacnn.hw.convert.threshold import MAX_LEVELS, derive_threshold, is_threshold_quantizer
from fpgacnn.models._keras import keras, qkeras, tf


def _q(text: str):  # noqa: ANN202 - a QKeras quantizer (object or function)
    from qkeras.quantizers import get_quantizer

    return get_quantizer(text)


class _Layer:
    name = "act"


def _fx(width: int, integer: int, signed: bool = True) -> FixedType:
    return FixedType(width=width, integer=integer, signed=signed)


CASES = [
    ("binary_tanh", _fx(8, 3)),
    ("binary_tanh", _fx(6, 6)),
    ("quantized_relu_po2(4)", _fx(12, 6)),
    ("quantized_relu_po2(4,4)", _fx(10, 4, signed=False)),
    ("quantized_relu_po2(4,4,use_stochastic_rounding=True)", _fx(16, 8)),
    ("quantized_relu_po2(3,1,negative_slope=0.25)", _fx(12, 4)),
    ("quantized_po2(4)", _fx(14, 5)),
    ("quantized_po2(3,2)", _fx(9, 3)),
]


@pytest.mark.parametrize(("text", "in_type"), CASES, ids=[f"{c[0]}-{c[1].hls()}" for c in CASES])
def test_table_equals_qkeras_on_every_grid_point(text: str, in_type: FixedType) -> None:
    q = _q(text)
    assert is_threshold_quantizer(q)
    thr = derive_threshold(_Layer(), q, in_type)
    lo, hi = round(in_type.min / in_type.lsb), round(in_type.max / in_type.lsb)
    x = np.arange(lo, hi + 1) * in_type.lsb
    want = np.asarray(q(tf.constant(x, tf.float32)), np.float64)
    np.testing.assert_array_equal(thr.apply(x), want)
    # the table: thresholds on the input grid, increasing levels exact in the output type
    assert np.all(np.diff(thr.thresholds) > 0) and np.all(np.diff(thr.levels) > 0)
    assert in_type.on_grid(np.asarray(thr.thresholds)).all()
    assert thr.out_type.on_grid(np.asarray(thr.levels)).all()
    assert len(thr.levels) == len(np.unique(want))
    # the Keras layer the hls4ml flow sees computes the same
    layer = keras_layer_class()(list(thr.thresholds), list(thr.levels))
    np.testing.assert_array_equal(np.asarray(layer(tf.constant(x, tf.float32))), want)


def test_binary_tanh_maps_zero_to_minus_one() -> None:
    """QKeras rounds 0.5 half to even: 0 -> -1 (hls4ml's own binary_tanh gives +1)."""
    thr = derive_threshold(_Layer(), _q("binary_tanh"), _fx(8, 3))
    assert thr.levels == (-1.0, 1.0) and thr.thresholds == (2**-5,)
    assert thr.out_type.hls() == "fixed<2,2,TRN,WRAP>"


def test_not_monotone_refused() -> None:
    def flipped(x):  # noqa: ANN001, ANN202 - a quantizer function as QKeras has them
        return -_q("binary_tanh")(x)

    with pytest.raises(UnsupportedLayerError, match=(
        r"^layer 'act' \(_Layer\): quantizer flipped is not monotone non-decreasing on "
        r"fixed<8,3,TRN,WRAP>; use quantized_relu or quantized_bits$")):
        derive_threshold(_Layer(), flipped, _fx(8, 3))


def test_too_many_levels_refused() -> None:
    def fine(x):  # noqa: ANN001, ANN202
        return tf.round(x * 16.0) / 16.0

    with pytest.raises(UnsupportedLayerError, match=(
        rf"^layer 'act' \(_Layer\): quantizer fine has more than {MAX_LEVELS} output levels on "
        r"fixed<12,6,TRN,WRAP>; use fewer bits$")):
        derive_threshold(_Layer(), fine, _fx(12, 6))


def test_constant_refused() -> None:
    with pytest.raises(UnsupportedLayerError, match=(
        r"^layer 'act' \(_Layer\): quantizer quantized_relu_po2 gives the single value "
        r"0.00390625 on its whole input fixed<1,1,TRN,WRAP>; remove the layer$")):
        derive_threshold(_Layer(), _q("quantized_relu_po2(4)"), _fx(1, 1))


def _po2_model() -> keras.Model:
    inp = keras.Input((4, 4, 1), name="x")
    x = qkeras.QActivation("quantized_relu_po2(4)", name="q_in")(inp)
    x = keras.layers.Flatten(name="flat")(x)
    x = qkeras.QDense(3, kernel_quantizer=qkeras.quantized_bits(4, 0, alpha=1),
                      bias_quantizer=qkeras.quantized_bits(4, 0, alpha=1), name="fc")(x)
    x = qkeras.QActivation("binary_tanh", name="out")(x)
    return keras.Model(inp, x)


def test_plan_of_threshold_input_quantizer_and_activation() -> None:
    """A po2 input quantizer: the input type holds its levels; the thresholds follow the
    accumulator of the dense layer."""
    model = _po2_model()
    plans = {p.name: p for p in plan_model(model)}
    assert plans["x"].result.hls() == "ufixed<16,8,TRN,WRAP>"
    q_in = plans["q_in"].threshold
    assert q_in is not None and q_in.levels == tuple(2.0**k for k in range(-8, 8))
    out = plans["out"].threshold
    assert out is not None and out.in_type == plans["fc"].accum
    assert plans["out"].to_dict()["threshold"]["levels"] == [-1.0, 1.0]
    # the hls4ml view: same names, the threshold layers replaced, the model untouched
    view = threshold_view(model, list(plans.values()))
    assert [la.name for la in view.layers] == [la.name for la in model.layers]
    assert type(view.get_layer("out")).__name__ == "FcnnThreshold"
    assert all(len(la._inbound_nodes) == 1 for la in model.layers[1:])
    x = np.random.default_rng(3).integers(0, 1 << 16, size=(20, 4, 4, 1)) / 256.0
    np.testing.assert_array_equal(view.predict(x, verbose=0), model.predict(x, verbose=0))


def test_rtl_stages_of_threshold_activations() -> None:
    """The RTL core: a threshold stage at the input and after the dense layer's exact
    accumulator, each ``fcnn_cnn_threshold`` with the plan's table as integer codes."""
    from fpgacnn.hw.rtlgen.emit import build_netlist, threshold_pe
    from fpgacnn.hw.rtlgen.folding import default_folding, geometry
    from fpgacnn.hw.rtlgen.stages import DenseStage, ThresholdStage, build_stages

    model = _po2_model()
    plans = {p.name: p for p in plan_model(model)}
    stages = build_stages(model, list(plans.values()))
    assert [type(s).__name__ for s in stages] == ["ThresholdStage", "DenseStage",
                                                  "ThresholdStage"]
    first, dense, last = stages
    assert isinstance(first, ThresholdStage) and isinstance(last, ThresholdStage)
    assert isinstance(dense, DenseStage) and last.in_type == dense.out_type
    for st, name in ((first, "q_in"), (last, "out")):
        thr = plans[name].threshold
        assert (st.thresholds, st.levels) == thr.codes()
        assert np.array_equal(np.asarray(st.thresholds) * thr.in_type.lsb, thr.thresholds)
    folding = default_folding(stages, model.name)
    net = build_netlist("top", stages, {}, folding)
    inst = {it.name: dict(it.params) for it in net.items
            if it.kind == "instance" and it.module == "fcnn_cnn_threshold"}
    assert set(inst) == {f"u_{first.name}", f"u_{last.name}"}
    assert inst[f"u_{last.name}"]["N"] == "1" and inst[f"u_{first.name}"]["N"] == "15"
    # a threshold stage never slows the folded unit before it
    lf = folding.layers[0]
    g = geometry(dense)
    pe = threshold_pe(stages, last, folding)
    assert 3 % pe == 0 and (pe == 3 or 3 // pe + 2 <= (g.in_len // lf.simd) * (g.n // lf.pe))
    assert inst[f"u_{last.name}"]["PE"] == str(pe) and threshold_pe(stages, first, folding) == 1
