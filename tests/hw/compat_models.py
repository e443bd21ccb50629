"""QKeras models written by others, re-created for the compatibility suite.

Each builder re-creates one model from hls4ml's or QKeras's own code as its
author wrote it (layers, quantizers, activations, softmax, dropout), with random
weights (``seed``); where the original input is large the builder says what it
shrank. ``input_type`` is what a user passes as ``--input-type`` for a model
without an input quantizer (hls4ml's own tests feed ``ap_fixed<16,6>`` inputs),
None when the model quantizes its input itself.

The registry :data:`COMPAT_MODELS` maps a name to a :class:`CompatModel`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from fpgacnn.hw.convert.fixed import FixedType
from fpgacnn.models._keras import keras, qkeras

q = qkeras
L = keras.layers

#: hls4ml's default input precision, what its tests round their inputs to.
HLS4ML_DEFAULT = FixedType(width=16, integer=6, signed=True)
#: Images scaled by 1/256 as QKeras's MNIST examples feed them (x / 255 is not on a grid).
PIXELS = FixedType(width=8, integer=0, signed=False)


@dataclass(frozen=True, kw_only=True)
class CompatModel:
    """A builder, the input type a user would pass, and where the model comes from."""

    name: str
    build: Callable[[int], Any]
    input_type: FixedType | None
    source: str


def _seeded(seed: int) -> None:
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)


def _randomize(model: Any, seed: int) -> Any:
    """Random weights of a trained-looking spread (BatchNorm statistics included)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        ws = layer.get_weights()
        if not ws:
            continue
        names = [w.name for w in layer.weights]
        new = []
        for w, n in zip(ws, names, strict=True):
            if "moving_variance" in n:
                new.append(rng.uniform(0.5, 2.0, w.shape).astype(w.dtype))
            elif "gamma" in n:
                new.append(rng.uniform(0.5, 1.5, w.shape).astype(w.dtype))
            elif "moving_mean" in n or "beta" in n:
                new.append(rng.normal(0.0, 0.3, w.shape).astype(w.dtype))
            else:
                new.append(rng.normal(0.0, 0.4, w.shape).astype(w.dtype))
        layer.set_weights(new)
    return model


def hls4ml_single_dense_exact(seed: int = 0) -> Any:
    """hls4ml ``test/pytest/test_qkeras.py::test_single_dense_activation_exact`` (4 bits, alpha=1).

    QDense(16) on a 16-vector, ``quantized_bits(4, 0, alpha=1)``, then
    ``QActivation(quantized_relu(4, 0))``; no input quantizer.
    """
    _seeded(seed)
    model = keras.Sequential()
    model.add(q.QDense(16, input_shape=(16,), name="fc1",
                       kernel_quantizer=q.quantized_bits(4, 0, alpha=1),
                       bias_quantizer=q.quantized_bits(4, 0, alpha=1),
                       kernel_initializer="lecun_uniform"))
    model.add(q.QActivation(activation=q.quantized_relu(4, 0), name="relu1"))
    return _randomize(model, seed)


def hls4ml_single_dense_auto_po2(seed: int = 0) -> Any:
    """hls4ml ``test_qkeras.py::test_single_dense_activation_exact`` with ``alpha='auto_po2'``."""
    _seeded(seed)
    model = keras.Sequential()
    model.add(q.QDense(16, input_shape=(16,), name="fc1",
                       kernel_quantizer=q.quantized_bits(4, 0, alpha="auto_po2"),
                       bias_quantizer=q.quantized_bits(4, 0, alpha=1),
                       kernel_initializer="lecun_uniform"))
    model.add(q.QActivation(activation=q.quantized_relu(4, 0), name="relu1"))
    return _randomize(model, seed)


def hls4ml_qactivation_kwarg(seed: int = 0) -> Any:
    """hls4ml ``test_qkeras.py::test_qactivation_kwarg`` (``quantized_relu(4, 0)`` case).

    ``QDense(10, activation='quantized_relu(4, 0)')`` with string quantizers
    ``'quantized_bits(4, 0, alpha=1)'`` on a 10-vector.
    """
    _seeded(seed)
    inputs = keras.Input(shape=(10,))
    outputs = q.QDense(10, activation="quantized_relu(4, 0)", name="qdense",
                       kernel_quantizer="quantized_bits(4, 0, alpha=1)",
                       bias_quantizer="quantized_bits(4, 0, alpha=1)",
                       kernel_initializer="lecun_uniform")(inputs)
    return _randomize(keras.Model(inputs, outputs), seed)


def hls4ml_btnn_ternary(seed: int = 0) -> Any:
    """hls4ml ``test_qkeras.py::make_btnn`` case 1: ternary(alpha=1) kernel, 'binary_tanh'."""
    _seeded(seed)
    model = keras.Sequential()
    model.add(q.QDense(10, input_shape=(10,), kernel_quantizer=q.ternary(alpha=1),
                       bias_quantizer=q.quantized_bits(5, 2), name="dense"))
    model.add(q.QActivation(activation="binary_tanh"))
    return _randomize(model, seed)


def hls4ml_btnn_binary_relu(seed: int = 0) -> Any:
    """hls4ml ``test_qkeras.py::test_qactivation_kwarg`` weights 'binary' with a relu output.

    The ``('binary', ...)`` weight case of that test with the ``quantized_relu(4, 0)``
    activation of its other cases (binary weights, fixed-point activation).
    """
    _seeded(seed)
    inputs = keras.Input(shape=(10,))
    outputs = q.QDense(10, activation="quantized_relu(4, 0)", name="qdense",
                       kernel_quantizer="binary", bias_quantizer="quantized_bits(4, 0, alpha=1)",
                       kernel_initializer="lecun_uniform")(inputs)
    return _randomize(keras.Model(inputs, outputs), seed)


def hls4ml_qconv2dbn(seed: int = 0) -> Any:
    """hls4ml ``test_qkeras.py::test_qconv2dbn``: one QConv2DBatchnorm on 8x8x1.

    Its output is a feature map, not class scores.
    """
    _seeded(seed)
    model = keras.Sequential()
    model.add(q.QConv2DBatchnorm(
        4, kernel_size=(3, 3), input_shape=(8, 8, 1),
        kernel_quantizer="quantized_bits(8, 0, alpha=1)", kernel_initializer="ones",
        bias_quantizer="quantized_bits(8, 0, alpha=1)", bias_initializer="zeros",
        activation="quantized_relu(8, 0)"))
    return _randomize(model, seed)


def tutorial_part4_jet_mlp(seed: int = 0) -> Any:
    """hls4ml-tutorial ``part4_quantization.ipynb``: the jet-tagging QKeras MLP.

    16 -> 64 -> 32 -> 32 -> 5, ``quantized_bits(6, 0, alpha=1)``,
    ``quantized_relu(6)``, a final ``Activation('softmax')``; standardized float
    inputs (no input quantizer).
    """
    _seeded(seed)
    model = keras.Sequential()
    model.add(q.QDense(64, input_shape=(16,), name="fc1",
                       kernel_quantizer=q.quantized_bits(6, 0, alpha=1),
                       bias_quantizer=q.quantized_bits(6, 0, alpha=1),
                       kernel_initializer="lecun_uniform"))
    model.add(q.QActivation(activation=q.quantized_relu(6), name="relu1"))
    model.add(q.QDense(32, name="fc2", kernel_quantizer=q.quantized_bits(6, 0, alpha=1),
                       bias_quantizer=q.quantized_bits(6, 0, alpha=1),
                       kernel_initializer="lecun_uniform"))
    model.add(q.QActivation(activation=q.quantized_relu(6), name="relu2"))
    model.add(q.QDense(32, name="fc3", kernel_quantizer=q.quantized_bits(6, 0, alpha=1),
                       bias_quantizer=q.quantized_bits(6, 0, alpha=1),
                       kernel_initializer="lecun_uniform"))
    model.add(q.QActivation(activation=q.quantized_relu(6), name="relu3"))
    model.add(q.QDense(5, name="output", kernel_quantizer=q.quantized_bits(6, 0, alpha=1),
                       bias_quantizer=q.quantized_bits(6, 0, alpha=1),
                       kernel_initializer="lecun_uniform"))
    model.add(L.Activation(activation="softmax", name="softmax"))
    return _randomize(model, seed)


def tutorial_part6_svhn_cnn(seed: int = 0) -> Any:
    """hls4ml-tutorial ``part6_cnns.ipynb``: the quantized SVHN CNN (input 24x24x3, not 32x32x3).

    Three ``QConv2DBatchnorm`` (16, 16, 24 filters, 3x3) + ``quantized_relu(6)`` +
    2x2 max pooling, then QDense 42 and 64 each with ``BatchNormalization`` and
    ``quantized_relu(6)``, a float ``Dense(10)`` and a softmax; 6-bit
    ``quantized_bits(6, 0, alpha=1)`` weights. Smaller input so three valid 3x3
    convolutions and poolings still leave a 1x1 map.
    """
    _seeded(seed)
    x = x_in = keras.Input((24, 24, 3))
    for i, f in enumerate((16, 16, 24)):
        x = q.QConv2DBatchnorm(f, kernel_size=(3, 3), strides=(1, 1),
                               kernel_quantizer="quantized_bits(6,0,alpha=1)",
                               bias_quantizer="quantized_bits(6,0,alpha=1)",
                               kernel_initializer="lecun_uniform", use_bias=True,
                               name=f"fused_convbn_{i}")(x)
        x = q.QActivation("quantized_relu(6)", name=f"conv_act_{i}")(x)
        x = L.MaxPooling2D(pool_size=(2, 2), name=f"pool_{i}")(x)
    x = L.Flatten()(x)
    for i, n in enumerate((42, 64)):
        x = q.QDense(n, kernel_quantizer="quantized_bits(6,0,alpha=1)", name=f"dense_{i}",
                     kernel_initializer="lecun_uniform",
                     bias_quantizer="quantized_bits(6,0,alpha=1)")(x)
        x = L.BatchNormalization(name=f"bn_dense_{i}")(x)
        x = q.QActivation("quantized_relu(6)", name=f"dense_act_{i}")(x)
    x = L.Dense(10, name="output_dense")(x)
    x_out = L.Activation("softmax", name="output_softmax")(x)
    return _randomize(keras.Model(inputs=[x_in], outputs=[x_out], name="svhn_qkeras"), seed)


def qkeras_example_mnist(seed: int = 0) -> Any:
    """QKeras ``examples/example_mnist.py`` (input 12x12x1, not 28x28x1).

    Strided QConv2D 32 (2x2/2), 64 (3x3/2), 64 (2x2/2) with
    ``quantized_bits(4,0,1)`` (QKeras 0.9: alpha='auto_po2') and
    ``quantized_relu(4,0)``, QDense 10, softmax; inputs x / 255 (no quantizer).
    """
    _seeded(seed)
    x = x_in = keras.Input((12, 12, 1), name="input")
    x = q.QConv2D(32, (2, 2), strides=(2, 2), kernel_quantizer=q.quantized_bits(4, 0, 1),
                  bias_quantizer=q.quantized_bits(4, 0, 1), name="conv2d_0_m")(x)
    x = q.QActivation("quantized_relu(4,0)", name="act0_m")(x)
    x = q.QConv2D(64, (3, 3), strides=(2, 2), kernel_quantizer=q.quantized_bits(4, 0, 1),
                  bias_quantizer=q.quantized_bits(4, 0, 1), name="conv2d_1_m")(x)
    x = q.QActivation("quantized_relu(4,0)", name="act1_m")(x)
    x = q.QConv2D(64, (2, 2), strides=(2, 2), kernel_quantizer=q.quantized_bits(4, 0, 1),
                  bias_quantizer=q.quantized_bits(4, 0, 1), name="conv2d_2_m")(x)
    x = q.QActivation("quantized_relu(4,0)", name="act2_m")(x)
    x = L.Flatten()(x)
    x = q.QDense(10, kernel_quantizer=q.quantized_bits(4, 0, 1),
                 bias_quantizer=q.quantized_bits(4, 0, 1), name="dense")(x)
    x = L.Activation("softmax", name="softmax")(x)
    return _randomize(keras.Model(inputs=[x_in], outputs=[x]), seed)


def qkeras_example_mnist_po2(seed: int = 0) -> Any:
    """QKeras ``examples/example_mnist_po2.py`` (input 12x12x1): po2 activations and weights."""
    _seeded(seed)
    x = x_in = keras.Input((12, 12, 1), name="input")
    x = q.QActivation("quantized_relu_po2(4)", name="acti")(x)
    x = q.QConv2D(32, (2, 2), strides=(2, 2), kernel_quantizer=q.quantized_po2(4, 1),
                  bias_quantizer=q.quantized_po2(4, 1), name="conv2d_0_m")(x)
    x = q.QActivation("quantized_relu_po2(4,4)", name="act0_m")(x)
    x = q.QConv2D(64, (3, 3), strides=(2, 2), kernel_quantizer=q.quantized_po2(4, 1),
                  bias_quantizer=q.quantized_po2(4, 1), name="conv2d_1_m")(x)
    x = q.QActivation("quantized_relu_po2(4,4,use_stochastic_rounding=True)", name="act1_m")(x)
    x = q.QConv2D(64, (2, 2), strides=(2, 2),
                  kernel_quantizer=q.quantized_po2(4, 1, use_stochastic_rounding=True),
                  bias_quantizer=q.quantized_po2(4, 1), name="conv2d_2_m")(x)
    x = q.QActivation("quantized_relu(4,1)", name="act2_m")(x)
    x = L.Flatten()(x)
    x = q.QDense(10, kernel_quantizer=q.quantized_bits(4, 0, 1),
                 bias_quantizer=q.quantized_bits(4, 0, 1), name="dense")(x)
    x = L.Activation("softmax", name="softmax")(x)
    return _randomize(keras.Model(inputs=[x_in], outputs=[x]), seed)


def qkeras_example_mnist_b2t(seed: int = 0) -> Any:
    """QKeras ``examples/example_mnist_b2t.py`` (input 8x8x16 thermometer, not 28x28x256).

    Input quantizer ``quantized_relu(1,1)``; 'same' 3x3 QConv2D 64 with
    ``quantized_po2(4,1)`` kernels, 32 with ``stochastic_ternary()``, 16 with
    ``quantized_bits(4,0,1)``; 2x2 pooling after each; QDense 10; softmax.
    """
    _seeded(seed)
    x = x_in = keras.Input((8, 8, 16), name="input")
    x = q.QActivation("quantized_relu(1,1)")(x)
    x = q.QConv2D(64, (3, 3), strides=1, padding="same", kernel_quantizer=q.quantized_po2(4, 1),
                  bias_quantizer=q.quantized_bits(4, 2, 1), bias_range=4, name="conv2d_0_m")(x)
    x = q.QActivation("quantized_relu(4,0)", name="act0_m")(x)
    x = L.MaxPooling2D(2, 2, name="mp_0")(x)
    x = q.QConv2D(32, (3, 3), strides=1, padding="same", kernel_quantizer=q.stochastic_ternary(),
                  bias_quantizer=q.quantized_bits(8, 5, 1), bias_range=32, name="conv2d_1_m")(x)
    x = q.QActivation("quantized_relu(4,0)", name="act1_m")(x)
    x = L.MaxPooling2D(2, 2, name="mp_1")(x)
    x = q.QConv2D(16, (3, 3), strides=1, padding="same", kernel_quantizer=q.quantized_bits(4, 0, 1),
                  bias_quantizer=q.quantized_bits(8, 5, 1), bias_range=32, name="conv2d_2_m")(x)
    x = q.QActivation("quantized_relu(6,2)", name="act2_m")(x)
    x = L.MaxPooling2D(2, 2, name="mp_2")(x)
    x = L.Flatten()(x)
    x = q.QDense(10, kernel_quantizer=q.quantized_bits(4, 0, 1),
                 bias_quantizer=q.quantized_bits(4, 0, 1), name="dense2")(x)
    x = L.Activation("softmax", name="softmax")(x)
    return _randomize(keras.Model(inputs=[x_in], outputs=[x]), seed)


def qkeras_example_mnist_bn(seed: int = 0) -> Any:
    """QKeras ``examples/example_mnist_bn.py`` (input 24x24x1, filters 16/32/16 not 128/256/128).

    Ternary QConv2D without bias + ``QBatchNormalization`` with po2 quantizers +
    ``quantized_relu(3,1)`` + pooling, three times (``ternary()``: QKeras 0.9 asserts on
    the example's ``ternary(threshold=0.1)`` as a kernel quantizer); QDense 10 with a
    ``quantized_ulaw(4, 0, 1)`` kernel; softmax; no input quantizer.
    """
    _seeded(seed)
    x = x_in = keras.Input((24, 24, 1), name="input")
    for i, f in enumerate((16, 32, 16)):
        x = q.QConv2D(f, (3, 3), strides=1, kernel_quantizer=q.ternary(),
                      bias_quantizer=None, use_bias=False, name=f"conv2d_{i}_m")(x)
        x = q.QBatchNormalization(gamma_quantizer=q.quantized_relu_po2(4, 8),
                                  variance_quantizer=q.quantized_relu_po2(6),
                                  beta_quantizer=q.quantized_po2(4, 4), gamma_range=8,
                                  beta_range=4, name=f"bn{i}")(x)
        x = q.QActivation("quantized_relu(3,1)", name=f"act{i}_m")(x)
        x = L.MaxPooling2D(2, 2, name=f"mp_{i}")(x)
    x = L.Flatten()(x)
    x = q.QDense(10, kernel_quantizer=q.quantized_ulaw(4, 0, 1),
                 bias_quantizer=q.quantized_bits(4, 0, 1), name="dense")(x)
    x = L.Activation("softmax", name="softmax")(x)
    return _randomize(keras.Model(inputs=[x_in], outputs=[x]), seed)


def qkeras_example_qdense_dropout(seed: int = 0) -> Any:
    """QKeras ``examples/example_qdense.py``-style MLP on 8x8 digits with ``Dropout``.

    Flatten, QDense 100 (``quantized_bits(4,0,1)``) + ``quantized_relu(4)``,
    ``Dropout(0.2)``, QDense 10 with ``activation='softmax'`` inside; no input
    quantizer (pixels / 256).
    """
    _seeded(seed)
    x = x_in = keras.Input((8, 8, 1), name="input")
    x = L.Flatten()(x)
    x = q.QDense(100, kernel_quantizer=q.quantized_bits(4, 0, 1),
                 bias_quantizer=q.quantized_bits(4, 0, 1), name="dense0")(x)
    x = q.QActivation("quantized_relu(4)", name="act0")(x)
    x = L.Dropout(0.2, name="drop0")(x)
    x = q.QDense(10, kernel_quantizer=q.quantized_bits(4, 0, 1),
                 bias_quantizer=q.quantized_bits(4, 0, 1), activation="softmax",
                 name="dense1")(x)
    return _randomize(keras.Model(inputs=[x_in], outputs=[x]), seed)


def conv_relu_inside(seed: int = 0) -> Any:
    """A QConv2D with ``activation='relu'`` inside, then ``quantized_bits`` (issue 15's list).

    The relu inside the convolution followed by a signed ``quantized_bits(6, 2)``
    QActivation is ``quantized_relu(5, 2)``; input ``quantized_bits(8, 0)``.
    """
    _seeded(seed)
    x = x_in = keras.Input((6, 6, 2), name="x")
    x = q.QActivation(q.quantized_bits(8, 0, alpha=1), name="q_in")(x)
    x = q.QConv2D(4, 3, activation="relu", kernel_quantizer=q.quantized_bits(4, 0, alpha=1),
                  bias_quantizer=q.quantized_bits(4, 0, alpha=1), name="conv")(x)
    x = q.QActivation(q.quantized_bits(6, 2, alpha=1), name="act")(x)
    x = L.MaxPooling2D(2, name="pool")(x)
    x = L.Flatten(name="flat")(x)
    x = q.QDense(3, kernel_quantizer=q.quantized_bits(4, 0, alpha=1),
                 bias_quantizer=q.quantized_bits(4, 0, alpha=1), name="out")(x)
    return _randomize(keras.Model(x_in, x, name="conv_relu_inside"), seed)


def conv_signed_activation(seed: int = 0) -> Any:
    """A convolution followed by a *signed* ``quantized_bits`` QActivation, no ReLU.

    The model issue 15 found converting silently wrong in RTL (the core applied a
    ReLU the model does not have).
    """
    _seeded(seed)
    x = x_in = keras.Input((6, 6, 1), name="x")
    x = q.QActivation(q.quantized_bits(6, 0, alpha=1), name="q_in")(x)
    x = q.QConv2D(3, 3, kernel_quantizer=q.quantized_bits(4, 0, alpha=1),
                  bias_quantizer=q.quantized_bits(4, 0, alpha=1), name="conv")(x)
    x = q.QActivation(q.quantized_bits(6, 2, alpha=1), name="act_signed")(x)
    x = L.Flatten(name="flat")(x)
    x = q.QDense(4, kernel_quantizer=q.quantized_bits(4, 0, alpha=1),
                 bias_quantizer=q.quantized_bits(4, 0, alpha=1), name="out")(x)
    return _randomize(keras.Model(x_in, x, name="conv_signed_act"), seed)


def logits(model: Any) -> Any:
    """``model`` without its final softmax (an Activation layer or a dense activation)."""
    last = model.layers[-1]
    if type(last).__name__ == "Activation" and last.activation.__name__ == "softmax":
        return keras.Model(model.inputs, model.layers[-2].output)
    if getattr(getattr(last, "activation", None), "__name__", None) == "softmax":
        lin = type(last).from_config({**last.get_config(), "activation": "linear"})
        out = lin(model.layers[-2].output if len(model.layers) > 1 else model.inputs[0])
        lin.set_weights(last.get_weights())
        return keras.Model(model.inputs, out)
    return model


def _entry(build: Callable[[int], Any], input_type: FixedType | None) -> CompatModel:
    doc = (build.__doc__ or "").strip().splitlines()[0]
    return CompatModel(name=build.__name__, build=build, input_type=input_type, source=doc)


#: Every re-created model, by name.
COMPAT_MODELS: dict[str, CompatModel] = {e.name: e for e in (
    _entry(hls4ml_single_dense_exact, HLS4ML_DEFAULT),
    _entry(hls4ml_single_dense_auto_po2, HLS4ML_DEFAULT),
    _entry(hls4ml_qactivation_kwarg, HLS4ML_DEFAULT),
    _entry(hls4ml_btnn_ternary, HLS4ML_DEFAULT),
    _entry(hls4ml_btnn_binary_relu, HLS4ML_DEFAULT),
    _entry(hls4ml_qconv2dbn, HLS4ML_DEFAULT),
    _entry(tutorial_part4_jet_mlp, HLS4ML_DEFAULT),
    _entry(tutorial_part6_svhn_cnn, PIXELS),
    _entry(qkeras_example_mnist, PIXELS),
    _entry(qkeras_example_mnist_po2, None),
    _entry(qkeras_example_mnist_b2t, None),
    _entry(qkeras_example_mnist_bn, PIXELS),
    _entry(qkeras_example_qdense_dropout, PIXELS),
    _entry(conv_relu_inside, None),
    _entry(conv_signed_activation, None),
)}
