"""Type planning, refusal of unsupported layers/quantizers, calibration range check (no C-sim)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from fpgacnn.hw.convert import (
    ConvertConfig,
    FixedType,
    Overflow,
    RangeOverflowError,
    Rounding,
    UnsupportedLayerError,
)
from fpgacnn.hw.convert.convert import convert, from_model
from fpgacnn.hw.convert.fixed import exact_sum_type
from fpgacnn.hw.convert.plan import plan_model
from fpgacnn.models._keras import keras, qkeras

QB = qkeras.quantized_bits


def test_fixed_type_range_and_string() -> None:
    t = FixedType(width=8, integer=1, signed=True, rounding=Rounding.RND_CONV,
                  overflow=Overflow.SAT)
    assert (t.min, t.max, t.lsb) == (-1.0, 1.0 - 2**-7, 2**-7)
    assert t.hls() == "fixed<8,1,RND_CONV,SAT>"
    assert FixedType.from_dict(t.to_dict()) == t
    u = FixedType(width=8, integer=0, signed=False)
    assert (u.min, u.max) == (0.0, 255 / 256)


@pytest.mark.parametrize("bound", [0.1, 0.99, 1.0, 3.0, 7.9375, 8.0, 100.0])
def test_exact_sum_type_holds_bound(bound: float) -> None:
    t = exact_sum_type(bound, 4)
    assert t.min <= -bound and t.max >= bound
    # one integer bit less would not hold it
    if t.integer > 1:
        smaller = FixedType(width=t.width - 1, integer=t.integer - 1, signed=True)
        assert not smaller.contains(-bound, bound)


def test_accumulator_bound_from_weights(tiny_models) -> None:
    model = tiny_models["conv_valid_dense"]()
    plans = {p.name: p for p in plan_model(model)}
    conv = model.get_layer("conv")
    w = np.asarray(conv.kernel_quantizer_internal(conv.kernel)).reshape(-1, 4)
    b = np.asarray(conv.bias_quantizer_internal(conv.bias))
    t_in = plans["x"].result
    hi = np.maximum(w * t_in.min, w * t_in.max).sum(0) + b
    lo = np.minimum(w * t_in.min, w * t_in.max).sum(0) + b
    acc = plans["conv"].accum
    assert acc is not None and acc.contains(lo.min(), hi.max())
    assert acc.fraction == t_in.fraction + plans["conv"].weight.fraction
    assert plans["relu"].result.hls() == "ufixed<3,1,RND_CONV,SAT>"
    assert plans["x"].result.hls() == "ufixed<8,0,TRN,WRAP>"


def _model_with(layer: keras.layers.Layer) -> keras.Model:
    inp = keras.Input((4, 4, 1), name="x")
    x = qkeras.QActivation(QB(8, 0, alpha=1), name="q_in")(inp)
    x = keras.layers.Flatten(name="flat")(x)
    return keras.Model(inp, layer(x))


def test_unsupported_layer_refused() -> None:
    model = _model_with(keras.layers.Dense(3, name="plain"))
    with pytest.raises(UnsupportedLayerError, match=(
        r"^layer 'plain' \(Dense\): layer class not supported: use QDense with "
        r"kernel_quantizer and bias_quantizer \(e.g. quantized_bits\(8, 0, alpha=1\)\) "
        r"\(supported: InputLayer, QActivation, QConv2D, QDense, MaxPooling2D, Flatten\)$"
    )):
        plan_model(model)


def test_unsupported_quantizer_refused() -> None:
    model = _model_with(qkeras.QDense(3, kernel_quantizer=qkeras.quantized_po2(4),
                                      bias_quantizer=QB(4, 0, alpha=1), name="po2"))
    with pytest.raises(UnsupportedLayerError, match=(
        r"^layer 'po2' \(QDense\): kernel_quantizer quantized_po2 is not supported "
        r"\(use quantized_bits\)$"
    )):
        plan_model(model)


def test_float_weights_refused() -> None:
    model = _model_with(qkeras.QDense(3, bias_quantizer=QB(4, 0, alpha=1), name="fl"))
    with pytest.raises(UnsupportedLayerError, match=(
        r"^layer 'fl' \(QDense\): kernel_quantizer is not quantized \(the firmware needs a "
        r"QKeras quantizer, not float\)$"
    )):
        plan_model(model)


def test_scaled_quantizer_refused() -> None:
    model = _model_with(qkeras.QDense(3, kernel_quantizer=QB(4, 0, alpha="auto_po2"),
                                      bias_quantizer=QB(4, 0, alpha=1), name="sc"))
    with pytest.raises(UnsupportedLayerError, match=(
        r"^layer 'sc' \(QDense\): kernel_quantizer quantized_bits has alpha='auto_po2'; "
        r"only alpha=1 \(no scale\) is supported$"
    )):
        plan_model(model)


def test_overflowing_override_caught(tiny_models, on_grid, tmp_path) -> None:
    """A layer output type narrower than the data fails before anything is written."""
    model = tiny_models["dense_only"]()
    x = on_grid(plan_model(model)[0].result, (4, 4, 2), 200, 5)
    narrow = FixedType(width=6, integer=2, signed=True)
    cfg = ConvertConfig(result_overrides={"fc_a": narrow})
    with pytest.raises(RangeOverflowError, match=(
        r"^layer 'fc_a' \(QDense\): calibration range \[-?[0-9.e+-]+, [0-9.e+-]+\] overflows "
        r"fixed<6,2,TRN,WRAP> \(range \[-2, 1.9375\]\)$"
    )):
        convert(from_model(model, calibration=x), tmp_path / "out", cfg)
    assert not (tmp_path / "out").exists()


def test_raw_input_overflow_caught(tiny_models, tmp_path) -> None:
    """Unscaled pixels (0..16) overflow the 8-bit input type ufixed<8,0>."""
    model = tiny_models["conv_valid_dense"]()
    x = np.arange(64 * 4, dtype=np.float64).reshape(4, 8, 8, 1) % 17
    with pytest.raises(RangeOverflowError, match=(
        r"^layer 'x' \(InputLayer\): calibration range \[0, 16\] overflows "
        r"ufixed<8,0,TRN,WRAP> \(range \[0, 0.996094\]\)$"
    )):
        convert(from_model(model, calibration=x), tmp_path / "out")


def test_convert_config_json_roundtrip_and_validation() -> None:
    from fpgacnn.hw.convert import Strategy
    from fpgacnn.spec.errors import ConfigError

    cfg = ConvertConfig(strategy=Strategy.RESOURCE, reuse_factor=4,
                        result_overrides={"fc": FixedType(width=12, integer=5, signed=True)})
    assert ConvertConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match=r"^ConvertConfig.reuse_factor must be a positive "
                                              r"int, got 0$"):
        ConvertConfig(reuse_factor=0)
    with pytest.raises(ConfigError, match=r"^ConvertConfig.strategy must be a Strategy, "
                                              r"got 'Latency'$"):
        ConvertConfig(strategy="Latency")  # type: ignore[arg-type]


def test_unknown_override_refused(tiny_models, tmp_path) -> None:
    from fpgacnn.spec.errors import ConfigError

    cfg = ConvertConfig(result_overrides={"nope": FixedType(width=4, integer=2, signed=True)})
    with pytest.raises(ConfigError, match=r"^ConvertConfig.result_overrides names unknown "
                                              r"layer 'nope'$"):
        convert(from_model(tiny_models["dense_only"]()), tmp_path / "out", cfg)


def test_interrupted_rtl_generation_says_so(tmp_path) -> None:
    """A generator that stops half-way leaves a folder whose RTL says it did not finish."""
    from fpgacnn.hw.convert.errors import ConversionDirError
    from fpgacnn.hw.convert.rtl import add_rtl, rtl_record

    with pytest.raises(AttributeError):   # not a model: the generator fails (a bug, not a refusal)
        add_rtl(tmp_path, object(), name="broken")
    assert not (tmp_path / "rtl").exists()
    with pytest.raises(ConversionDirError, match=(
            r"has no RTL core: the RTL generation did not finish \(interrupted\); run fpgacnn "
            r"convert again$")):
        rtl_record(tmp_path)


def test_model_size_counts_weights_and_macs(tiny_models) -> None:
    """conv 3x3x1->4 (2-bit, 6x6 outputs) and dense 36->5 (8-bit), counted by hand."""
    from fpgacnn.hw.convert.plan import model_size

    model = tiny_models["conv_valid_dense"]()
    assert model_size(model, plan_model(model)) == {
        "weights": 36 + 180, "weight_bits": 36 * 2 + 180 * 8,
        "macs_per_image": 36 * 36 + 180}


def test_heartbeat_says_a_long_step_is_still_running() -> None:
    import threading

    from fpgacnn.hw.convert.convert import heartbeat

    lines: list[str] = []
    two = threading.Event()

    def say(line: str) -> None:
        lines.append(line)
        if len(lines) >= 2:
            two.set()

    with heartbeat(say, "compiling the C simulation", every=0.01):
        assert two.wait(10)   # the step "runs" until two lines came
    n = len(lines)
    assert all(re.fullmatch(r"\.\.\. still compiling the C simulation \(\d+ s\)", x)
               for x in lines)
    assert len(lines) == n    # nothing after the block ended
