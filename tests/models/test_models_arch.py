"""Zoo architectures: quantizer placement, supported layers, configs, hardware checks."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from fpgacnn.models._keras import keras, qkeras
from fpgacnn.models.arch.digits import DigitsConfig
from fpgacnn.models.arch.mnist import MnistConfig
from fpgacnn.models.checks import check_hardware_model, count_macs, layer_report
from fpgacnn.models.configs import Padding, config_from_dict, config_to_dict, config_with
from fpgacnn.models.errors import ConfigError, UnknownModelError, UnsupportedLayerError
from fpgacnn.models.quant import QuantConfig
from fpgacnn.models.registry import ZOO, get_entry, model_names
from fpgacnn.spec.preprocess import codes_to_input


@pytest.mark.parametrize("name", model_names())
def test_every_model_is_quantized_from_input_to_logits(name: str) -> None:
    entry = get_entry(name)
    cfg = entry.config_class()
    model = entry.arch().build_model(cfg)
    check_hardware_model(model)
    assert model.input_shape[1:] == entry.input_spec.shape
    assert model.output_shape == (None, cfg.num_classes)
    first = model.layers[1]
    assert isinstance(first, qkeras.QActivation) and first.name == "input_quant"
    assert type(first.quantizer).__name__ == "quantized_bits"
    assert (first.quantizer.bits, first.quantizer.integer, first.quantizer.keep_negative) == (
        8, 0, False)
    weighted = [layer for layer in model.layers if isinstance(layer, (qkeras.QConv2D,
                                                                      qkeras.QDense))]
    assert weighted and isinstance(model.layers[-1], qkeras.QDense)
    for layer in weighted:
        assert layer.kernel_quantizer_internal.bits == cfg.quant.weight_bits
        assert layer.bias_quantizer_internal.bits == cfg.quant.bias_bits == 8
    relus = [layer for layer in model.layers[2:] if isinstance(layer, qkeras.QActivation)]
    assert relus and all(type(r.quantizer).__name__ == "quantized_relu" for r in relus)
    allowed = (qkeras.QActivation, qkeras.QConv2D, qkeras.QDense, keras.layers.MaxPooling2D,
               keras.layers.Flatten, keras.layers.InputLayer)
    assert all(isinstance(layer, allowed) for layer in model.layers)


@pytest.mark.parametrize("bits", [2, 3, 6])
def test_bit_widths_are_configurable(bits: int) -> None:
    quant = QuantConfig(weight_bits=bits, bias_bits=bits + 2, act_bits=bits + 1, act_integer=1)
    model = get_entry("digits").arch().build_model(DigitsConfig(quant=quant))
    conv = model.get_layer("conv1")
    assert (conv.kernel_quantizer_internal.bits, conv.bias_quantizer_internal.bits) == (
        bits, bits + 2)
    assert model.get_layer("relu1").quantizer.bits == bits + 1
    kernel = np.asarray(conv.kernel_quantizer_internal(conv.kernel))
    assert len(np.unique(kernel)) <= 2**bits
    assert np.allclose(kernel * 2 ** (bits - 1), np.rint(kernel * 2 ** (bits - 1)))


def test_float_twin_has_no_quantizers() -> None:
    model = get_entry("mnist").arch().build_model(MnistConfig(quant=None))
    assert not any(isinstance(layer, (qkeras.QActivation, qkeras.QConv2D, qkeras.QDense))
                   for layer in model.layers)
    with pytest.raises(UnsupportedLayerError, match=r"^model 'mnist': the first layer after the "
                       r"input must be a QActivation with a quantized_bits quantizer, found "
                       r"'conv1' \(Conv2D\)$"):
        check_hardware_model(model)


def test_input_quantizer_is_the_identity_on_the_code_grid() -> None:
    model = get_entry("digits").arch().build_model(DigitsConfig())
    grid = codes_to_input(np.arange(256, dtype=np.uint8))
    quantizer = model.get_layer("input_quant")
    assert np.array_equal(np.asarray(quantizer(grid)), grid)
    off_grid = np.array([0.3, 1.5, -0.2], np.float32)
    assert np.array_equal(np.asarray(quantizer(off_grid)), np.array([77, 255, 0]) / 256)


def test_digits_counts_match_the_layer_shapes() -> None:
    model = get_entry("digits").arch().build_model(DigitsConfig(filters=6))
    conv_macs, dense_macs = 6 * 6 * 6 * 3 * 3 * 1, 3 * 3 * 6 * 10
    assert count_macs(model) == conv_macs + dense_macs
    assert model.count_params() == (9 * 6 + 6) + (54 * 10 + 10)
    report = {row["name"]: row for row in layer_report(model)}
    assert report["conv1"]["output_shape"] == [6, 6, 6] and report["fc1"]["macs"] == dense_macs


def test_configs_round_trip_and_accept_overrides() -> None:
    for entry in ZOO.values():
        cfg = entry.config_class()
        assert config_from_dict(type(cfg), config_to_dict(cfg)) == cfg
    cfg = config_with(DigitsConfig(), {"filters": "8", "padding": "same", "pool": "1"})
    assert (cfg.filters, cfg.padding, cfg.pool) == (8, Padding.SAME, 1)
    model = get_entry("digits").arch().build_model(cfg)
    assert model.get_layer("flatten").output_shape == (None, 8 * 8 * 8)
    mnist = config_with(MnistConfig(), {"filters": "4,8"})
    assert mnist.filters == (4, 8)


def test_config_errors_name_the_field() -> None:
    with pytest.raises(ConfigError, match=r"^DigitsConfig.filters must be a positive int, "
                       r"got 0$"):
        DigitsConfig(filters=0)
    with pytest.raises(ConfigError, match=r"^DigitsConfig.padding: invalid value 'causal' "
                       r"\(expected one of valid, same\)$"):
        config_with(DigitsConfig(), {"padding": "causal"})
    with pytest.raises(ConfigError, match=r"^DigitsConfig has no settable field 'stride' "
                       r"\(fields: num_classes, filters, kernel, padding, pool\)$"):
        config_with(DigitsConfig(), {"stride": "2"})
    with pytest.raises(ConfigError, match=r"^MnistConfig.filters and MnistConfig.units must "
                       r"have exactly 2 entries each$"):
        MnistConfig(filters=(4, 8, 16))
    with pytest.raises(ConfigError, match=r"^QuantConfig.weight_bits must be in 2\.\.16, "
                       r"got 1$"):
        QuantConfig(weight_bits=1)
    with pytest.raises(ConfigError, match=r"^QuantConfig.weight_integer must be in 0\.\.3 for "
                       r"weight_bits=4, got 4$"):
        QuantConfig(weight_integer=4)


def test_unknown_model_name() -> None:
    with pytest.raises(UnknownModelError, match=r"^unknown model 'resnet': expected one of "
                       r"cifar10, cnv, digits, faces, gtsrb, mnist$"):
        get_entry("resnet")


def test_layer_choices_that_cannot_fit_are_rejected() -> None:
    arch = get_entry("digits").arch()
    with pytest.raises(UnsupportedLayerError, match=r"^model 'digits': conv1 kernel 9x9 does "
                       r"not fit its 8x8 input with padding 'valid'$"):
        arch.build_model(DigitsConfig(kernel=9))
    with pytest.raises(UnsupportedLayerError, match=r"^model 'digits': pool1 pool size 7 does "
                       r"not fit its 6x6 input$"):
        arch.build_model(DigitsConfig(pool=7))


def _chain(*layers: keras.layers.Layer) -> keras.Model:
    x = inp = keras.Input((8, 8, 1))
    for layer in layers:
        x = layer(x)
    return keras.Model(inp, x, name="custom")


def _qin() -> keras.layers.Layer:
    return qkeras.QActivation("quantized_bits(8,0,keep_negative=False,alpha=1)")


def _qconv(**kwargs: object) -> keras.layers.Layer:
    return qkeras.QConv2D(4, 3, kernel_quantizer="quantized_bits(4,0,alpha=1)",
                          bias_quantizer="quantized_bits(8,3,alpha=1)", name="c", **kwargs)


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (lambda: [_qin(), _qconv(strides=2)],
         "model 'custom': layer 'c' has strides (2, 2); the hardware flow needs stride 1"),
        (lambda: [_qin(), qkeras.QConv2D(4, 3, kernel_quantizer="quantized_bits(4,0,alpha=1)",
                                         name="c")],
         "model 'custom': layer 'c' has no bias_quantizer; biases must be quantized"),
        (lambda: [_qin(), _qconv(activation="relu")],
         "model 'custom': layer 'c' has activation 'relu'; put activations in "
         "QActivation(quantized_relu(...)) layers"),
        (lambda: [_qin(), keras.layers.BatchNormalization(name="bn")],
         "model 'custom': layer 'bn' (BatchNormalization) is not supported by the hardware flow "
         "(supported: QActivation (quantized_bits input quantizer, quantized_relu), QConv2D "
         "(stride 1, padding valid/same), QDense, MaxPooling2D, Flatten)"),
        (lambda: [_qin(), qkeras.QActivation("quantized_tanh(4)", name="t")],
         "model 'custom': layer 't' uses quantized_tanh; hidden activations must be saturating "
         "quantized_relu(bits, integer)"),
        (lambda: [_qin(), keras.layers.MaxPooling2D(3, strides=1, name="p")],
         "model 'custom': layer 'p' must pool with stride = pool size and padding valid"),
        (lambda: [keras.layers.Conv2D(4, 3, name="c")],
         "model 'custom': the first layer after the input must be a QActivation with a "
         "quantized_bits quantizer, found 'c' (Conv2D)"),
    ],
)
def test_unsupported_models_are_rejected(layers, message: str) -> None:  # noqa: ANN001
    with pytest.raises(UnsupportedLayerError, match=rf"^{re.escape(message)}$"):
        check_hardware_model(_chain(*layers()))


def test_zoo_models_have_distinct_float_and_quantized_builds() -> None:
    entry = get_entry("faces")
    cfg = entry.config_class()
    float_model = entry.arch().build_model(dataclasses.replace(cfg, quant=None))
    quant_model = entry.arch().build_model(cfg)
    assert float_model.count_params() == quant_model.count_params()
    assert len(quant_model.layers) == len(float_model.layers) + 1  # the input quantizer


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**clean, **env}, check=False)


def test_keras_2_is_selected_in_one_place_and_guarded() -> None:
    import tensorflow as tf

    assert tf.keras.layers.Layer is keras.layers.Layer  # tf.keras is tf_keras (Keras 2)
    assert issubclass(qkeras.QDense, keras.layers.Dense)
    late = _python("import tensorflow\nimport fpgacnn.models._keras")
    assert late.returncode != 0
    assert late.stderr.strip().splitlines()[-1] == (
        "ImportError: tensorflow was imported before fpgacnn.models without "
        "TF_USE_LEGACY_KERAS=1, so tf.keras is Keras 3 and QKeras cannot work; import "
        "fpgacnn.models first or set TF_USE_LEGACY_KERAS=1 in the environment")
    preset = _python("import tensorflow\nimport fpgacnn.models._keras", TF_USE_LEGACY_KERAS="1")
    assert preset.returncode == 0, preset.stderr
