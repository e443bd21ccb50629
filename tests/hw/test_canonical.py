"""The canonical form of a model (hw/convert/canonical.py): every exact rewrite is exact.

Each model comes from tests/hw/compat_models.py (re-created from hls4ml's and QKeras's
examples); the canonical model must give the original's outputs bit for bit (before
the final softmax) on random inputs on the input grid. No C simulation runs here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.hw.convert.canonical import (
    canonicalize,
    exact_grid,
    input_type_from_data,
    parse_input_type,
)
from fpgacnn.hw.convert.fixed import FixedType
from fpgacnn.hw.convert.plan import plan_model
from fpgacnn.hw.convert.sources import random_on_grid
from fpgacnn.models._keras import keras, qkeras
from fpgacnn.spec.errors import UnsupportedLayerError, UsageError


def _compat():
    spec = importlib.util.spec_from_file_location(
        "compat_models", Path(__file__).with_name("compat_models.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("compat_models", mod)
    spec.loader.exec_module(mod)
    return mod


_MOD = _compat()
COMPAT = _MOD.COMPAT_MODELS
logits = _MOD.logits


#: Models whose canonical form is exact; the default suite runs the first four.
EXACT = ["hls4ml_single_dense_auto_po2", "hls4ml_btnn_binary_relu",
         "qkeras_example_qdense_dropout", "conv_relu_inside",
         "hls4ml_single_dense_exact", "hls4ml_qactivation_kwarg", "hls4ml_qconv2dbn",
         "tutorial_part4_jet_mlp", "qkeras_example_mnist", "qkeras_example_mnist_b2t",
         "conv_signed_activation"]


@pytest.mark.parametrize("name", EXACT[:4] + [pytest.param(n, marks=pytest.mark.slow)
                                                for n in EXACT[4:]])
def test_canonical_model_is_exact(name: str) -> None:
    entry = COMPAT[name]
    model = entry.build(0)
    canon = canonicalize(model, input_type=entry.input_type)
    t_in = plan_model(canon.model)[0].result
    x = random_on_grid(t_in, tuple(int(d) for d in model.input_shape[1:]), 200, seed=3)
    want = np.asarray(logits(model).predict(x, verbose=0))
    got = np.asarray(canon.model.predict(x, verbose=0))
    assert canon.approximate == ()
    np.testing.assert_array_equal(got, want)


def test_notices_say_what_changed() -> None:
    entry = COMPAT["qkeras_example_qdense_dropout"]
    canon = canonicalize(entry.build(0), input_type=entry.input_type)
    kinds = {(n.layer, n.kind) for n in canon.notices}
    assert {("drop0", "dropped"), ("dense1", "softmax"),
            ("input_quantizer", "input_quantizer")} <= kinds
    assert [type(la).__name__ for la in canon.model.layers] == [
        "InputLayer", "QActivation", "Flatten", "QDense", "QActivation", "QDense"]
    soft = next(n for n in canon.notices if n.kind == "softmax")
    assert str(soft) == ("layer 'dense1': final softmax taken off the hardware: the scores are "
                         "the logits; the label (arg-max) is unchanged")


def test_unchanged_model_is_returned_as_is() -> None:
    model = COMPAT["conv_signed_activation"].build(0)
    canon = canonicalize(model)
    assert canon.model is model and not canon.changed and canon.notices == ()


def test_batchnorm_fold_is_measured_not_exact() -> None:
    entry = COMPAT["tutorial_part6_svhn_cnn"]
    canon = canonicalize(entry.build(0), input_type=entry.input_type)
    assert canon.approximate == ("bn_dense_0", "bn_dense_1", "output_dense")
    assert "BatchNormalization" not in [type(la).__name__ for la in canon.model.layers]
    plan_model(canon.model)  # every weight is on a fixed-point grid now
    out = canon.model.get_layer("output_dense")
    assert type(out).__name__ == "QDense"
    w = out.get_weights()[0].astype(np.float64)
    np.testing.assert_array_equal(w * 2**10, np.round(w * 2**10))  # on fixed<16,6>
    np.testing.assert_allclose(w, entry.build(0).get_layer("output_dense").get_weights()[0],
                               atol=2**-11)


def test_relu_then_signed_bits_is_quantized_relu() -> None:
    """relu, then quantized_bits(b, i), equals quantized_relu(b - 1, i) on a dense sweep."""
    x = np.arange(-9.0, 9.0, 1 / 64, dtype=np.float32)
    for bits, integer in ((6, 2), (4, 0), (8, 3)):
        a = np.asarray(qkeras.quantized_bits(bits, integer, alpha=1)(np.maximum(x, 0)))
        b = np.asarray(qkeras.quantized_relu(bits - 1, integer)(x))
        np.testing.assert_array_equal(a, b)


def test_no_input_quantizer_names_the_option() -> None:
    model = COMPAT["tutorial_part4_jet_mlp"].build(0)
    with pytest.raises(UnsupportedLayerError, match=(
            r"^model '.*' has no input quantizer \(a QActivation right after the input\): give "
            r"the input's fixed-point type with --input-type \(API: input_type=\), e\.g\. "
            r"--input-type 'fixed<16,6>', or --data to derive it$")):
        canonicalize(model)


def test_float_relu_without_quantizer_refused() -> None:
    inp = keras.Input((4,), name="x")
    x = qkeras.QActivation(qkeras.quantized_bits(8, 0, alpha=1), name="q_in")(inp)
    x = qkeras.QDense(3, activation="relu", kernel_quantizer=qkeras.quantized_bits(4, 0, alpha=1),
                      bias_quantizer=qkeras.quantized_bits(4, 0, alpha=1), name="fc")(x)
    with pytest.raises(UnsupportedLayerError, match=(
            r"^layer 'fc' \(QDense\): a float relu with no quantizer after it has no fixed-point "
            r"type; add QActivation\(quantized_relu\(bits, integer\)\) after it")):
        canonicalize(keras.Model(inp, x))


def _evaluated(quantizer, values) -> np.ndarray:  # noqa: ANN001 - a QKeras quantizer
    return np.asarray(quantizer(np.asarray(values, np.float32)), np.float64)


def test_ulaw_weights_rounded_and_measured() -> None:
    """u-law values (a log grid) go onto the kernel's bits + 8 grid: approximate, with a notice."""
    entry = COMPAT["qkeras_example_mnist_bn"]
    model = entry.build(0)
    canon = canonicalize(model, input_type=entry.input_type)
    assert canon.approximate == ("bn0", "bn1", "bn2", "dense")
    notice = next(n for n in canon.notices if n.layer == "dense")
    assert notice.kind == "weights_rounded_approx"
    assert str(notice).startswith(
        "layer 'dense': kernel_quantizer quantized_ulaw(4,0,1) gives values that are not "
        "fixed-point numbers; rounded onto quantized_bits(12,0,0,alpha=1) (largest change ")
    dense = model.get_layer("dense")
    ulaw = _evaluated(dense.kernel_quantizer_internal, dense.get_weights()[0])
    assert exact_grid(ulaw) is None  # not a fixed-point number: the reason for rounding
    w = canon.model.get_layer("dense").get_weights()[0].astype(np.float64)
    np.testing.assert_array_equal(w * 2**11, np.round(w * 2**11))  # 12 bits, no integer bit
    np.testing.assert_allclose(w, ulaw, atol=2**-12)  # half an lsb
    plan_model(canon.model)  # every weight is on a fixed-point grid now


def test_float_scale_weights_rounded() -> None:
    """alpha='auto' (a float per-channel scale) is rounded the same way."""
    inp = keras.Input((6,), name="x")
    x = qkeras.QActivation(qkeras.quantized_bits(8, 0, alpha=1), name="q_in")(inp)
    fc = qkeras.QDense(3, kernel_quantizer=qkeras.quantized_bits(4, 0, alpha="auto"),
                       bias_quantizer=qkeras.quantized_bits(4, 0, alpha=1), name="fc")
    model = keras.Model(inp, fc(x))
    fc.set_weights([np.random.default_rng(2).normal(0, 0.4, (6, 3)).astype(np.float32),
                    np.zeros(3, np.float32)])
    canon = canonicalize(model)
    assert canon.approximate == ("fc",)
    assert [n.kind for n in canon.notices] == ["weights_rounded_approx"]
    want = _evaluated(fc.kernel_quantizer_internal, fc.get_weights()[0])
    new = canon.model.get_layer("fc")
    got = new.get_weights()[0].astype(np.float64)
    kq = new.kernel_quantizer_internal
    assert (kq.bits, kq.alpha) == (12, 1)  # 4 bits + 8
    lsb = 2.0 ** -(12 - 1 - kq.integer)
    np.testing.assert_allclose(got, want, atol=lsb / 2)
    np.testing.assert_array_equal(got / lsb, np.round(got / lsb))


def test_batchnorm_not_after_a_weighted_layer_refused() -> None:
    inp = keras.Input((4,), name="x")
    x = qkeras.QActivation(qkeras.quantized_bits(8, 0, alpha=1), name="q_in")(inp)
    x = keras.layers.BatchNormalization(name="bn")(x)
    with pytest.raises(UnsupportedLayerError, match=(
            r"^layer 'bn' \(BatchNormalization\): only a BatchNormalization right after a "
            r"QConv2D or QDense")):
        canonicalize(keras.Model(inp, x))


def test_exact_grid() -> None:
    assert exact_grid(np.array([-1.0, 0.0, 1.0])) == (2, 1)
    assert exact_grid(np.array([-0.5, 0.25, 0.125])) == (4, 0)
    assert exact_grid(np.array([0.1])) is None


@pytest.mark.parametrize(("text", "want"), [
    ("fixed<16,6>", FixedType(width=16, integer=6, signed=True)),
    ("ap_ufixed<8,0>", FixedType(width=8, integer=0, signed=False)),
    (" ufixed< 8 , 2 > ", FixedType(width=8, integer=2, signed=False)),
])
def test_parse_input_type(text: str, want: FixedType) -> None:
    assert parse_input_type(text) == want


@pytest.mark.parametrize("text", ["int8", "fixed<0,1>", "fixed<8>", ""])
def test_parse_input_type_refuses(text: str) -> None:
    with pytest.raises(UsageError, match=(
            r"^--input-type: expected fixed<W,I> or ufixed<W,I> \(ap_fixed syntax, e\.g\. "
            r"fixed<16,6> or ufixed<8,0>\), got ")):
        parse_input_type(text)


def test_input_type_from_data() -> None:
    assert input_type_from_data(np.arange(256) / 256) == FixedType(width=8, integer=0,
                                                                    signed=False)
    assert input_type_from_data(np.array([-2.5, 1.25])) == FixedType(width=5, integer=3,
                                                                     signed=True)
    t = input_type_from_data(np.array([0.1, 3.7]))  # off any grid: the widest fraction
    assert (t.width, t.integer, t.signed) == (16, 2, False)
    with pytest.raises(UsageError, match=r"^--data: expected finite calibration inputs"):
        input_type_from_data(np.array([np.nan]))


def _saved(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.h5"
    COMPAT[name].build(0).save(path)
    return path


def test_cli_input_type_syntax_refused_before_work(tmp_path, capsys) -> None:
    from fpgacnn.cli import main

    h5 = _saved(tmp_path, "hls4ml_single_dense_exact")
    assert main(["convert", str(h5), "--out", str(tmp_path / "c"), "--input-type", "int8"]) == 2
    assert capsys.readouterr().err == (
        "fpgacnn convert: error: --input-type: expected fixed<W,I> or ufixed<W,I> (ap_fixed "
        "syntax, e.g. fixed<16,6> or ufixed<8,0>), got 'int8'\n")
    assert not (tmp_path / "c").exists()


def test_cli_without_input_type_names_the_option(tmp_path, capsys) -> None:
    from fpgacnn.cli import main

    h5 = _saved(tmp_path, "hls4ml_single_dense_exact")
    assert main(["convert", str(h5), "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fpgacnn convert: error: model '") and "--input-type" in err
    assert len(err.splitlines()) == 1 and not (tmp_path / "c").exists()


def test_cli_data_of_the_wrong_shape_refused(tmp_path, capsys) -> None:
    from fpgacnn.cli import main

    h5 = _saved(tmp_path, "hls4ml_single_dense_exact")
    np.save(tmp_path / "x.npy", np.zeros((5, 8)))
    assert main(["convert", str(h5), "--out", str(tmp_path / "c"), "--data",
                 str(tmp_path / "x.npy")]) == 2
    assert capsys.readouterr().err == (
        f"fpgacnn convert: error: --data: expected inputs of shape (N, 16), got (5, 8) in "
        f"'{tmp_path / 'x.npy'}'\n")
    assert not (tmp_path / "c").exists()


@pytest.mark.slow
def test_cli_data_gives_the_input_type(tmp_path, capsys) -> None:
    """--data alone: the input type is derived from the data, which become the check's data."""
    import json

    from fpgacnn.cli import main

    h5 = _saved(tmp_path, "hls4ml_single_dense_exact")
    x = np.random.default_rng(4).integers(-512, 512, size=(60, 16)) / 64  # on fixed<10,4>
    np.save(tmp_path / "x.npy", x)
    assert main(["convert", str(h5), "--out", str(tmp_path / "c"), "--data",
                 str(tmp_path / "x.npy"), "--no-rtl", "--verify-samples", "50"]) == 0
    out = capsys.readouterr().out
    assert "input type fixed<10,4,TRN,WRAP> derived from" in out
    assert "C-sim vs QKeras: 0 / 50 mismatches" in out
    record = json.loads((tmp_path / "c" / "conversion.json").read_text())
    assert record["input"]["type"]["hls"] == "fixed<10,4,TRN,WRAP>"
    assert any(n["kind"] == "input_quantizer" for n in record["notices"])


class _Doubling(keras.layers.Layer):
    """A user's own layer (not Keras, not QKeras)."""

    def call(self, x):  # noqa: ANN001, ANN201
        return x * 2


def test_cli_custom_layer_is_one_line(tmp_path, capsys) -> None:
    from fpgacnn.cli import main

    inp = keras.Input((4,), name="x")
    x = qkeras.QActivation(qkeras.quantized_bits(8, 0, alpha=1), name="q")(inp)
    keras.Model(inp, _Doubling(name="mine")(x)).save(tmp_path / "custom.h5")
    assert main(["convert", str(tmp_path / "custom.h5"), "--out", str(tmp_path / "c")]) == 2
    assert capsys.readouterr().err == (
        f"fpgacnn convert: error: model file '{tmp_path / 'custom.h5'}' has a custom layer "
        "'_Doubling' (not a Keras or QKeras layer): fpgacnn converts Keras/QKeras layers only; "
        "replace it\n")
    assert not (tmp_path / "c").exists()
